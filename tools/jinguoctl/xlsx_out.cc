#include "tools/jinguoctl/xlsx_out.h"

#include <xlsxwriter.h>

#include <map>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/csv.h"
#include "tools/jinguoctl/roster.h"

namespace jinguo::tools {

namespace {

absl::Status Closed(lxw_workbook* wb, const std::string& path) {
  lxw_error rc = workbook_close(wb);
  if (rc != LXW_NO_ERROR) {
    return absl::InvalidArgumentError(absl::StrCat("cannot write ", path, ": ", lxw_strerror(rc)));
  }
  return absl::OkStatus();
}

void ListValidation(lxw_worksheet* ws, int column, const std::vector<const char*>& values) {
  std::vector<const char*> list(values);
  list.push_back(nullptr);
  lxw_data_validation v = {};
  v.validate = LXW_VALIDATION_TYPE_LIST;
  v.value_list = const_cast<char**>(list.data());  // libxlsxwriter copies the list; it never writes to it
  v.ignore_blank = LXW_VALIDATION_ON;
  worksheet_data_validation_range(ws, 1, column, 5000, column, &v);
}

}  // namespace

absl::Status WriteRosterTemplate(const std::string& path) {
  lxw_workbook_options options = {};
  lxw_workbook* wb = workbook_new_opt(path.c_str(), &options);
  if (wb == nullptr) return absl::InvalidArgumentError(absl::StrCat("cannot create ", path));
  lxw_format* head = workbook_add_format(wb);
  format_set_bold(head);
  format_set_bg_color(head, 0xF2DCE6);
  format_set_border(head, LXW_BORDER_THIN);
  lxw_format* required = workbook_add_format(wb);
  format_set_bold(required);
  format_set_bg_color(required, 0xE6B8CC);
  format_set_border(required, LXW_BORDER_THIN);
  lxw_format* text = workbook_add_format(wb);
  format_set_num_format(text, "@");
  lxw_worksheet* ws = workbook_add_worksheet(wb, "名单");
  lxw_worksheet* notes = workbook_add_worksheet(wb, "说明");
  const auto& cols = RosterColumns();
  for (size_t c = 0; c < cols.size(); ++c) {
    const std::string header = cols[c].header;
    bool as_text = header == "身份证号" || header == "联系电话" || header == "户编号";
    worksheet_set_column(ws, c, c, as_text ? 22 : 12, as_text ? text : nullptr);
    worksheet_write_string(ws, 0, c, cols[c].header, cols[c].required ? required : head);
    worksheet_write_string(ws, 1, c, cols[c].example, as_text ? text : nullptr);
    if (absl::StartsWith(header, "是否")) ListValidation(ws, c, {"是", "否"});
    if (header == "学段") ListValidation(ws, c, {"学前", "小学", "初中", "高中", "中职"});
    if (header == "性别") ListValidation(ws, c, {"女", "男"});
  }
  worksheet_freeze_panes(ws, 1, 0);
  worksheet_set_column(notes, 0, 0, 14, nullptr);
  worksheet_set_column(notes, 1, 1, 30, nullptr);
  worksheet_set_column(notes, 2, 2, 90, nullptr);
  worksheet_write_string(notes, 0, 0, "列名", head);
  worksheet_write_string(notes, 0, 1, "也可以写作", head);
  worksheet_write_string(notes, 0, 2, "填写要求", head);
  const std::map<std::string, std::string> how = {
      {"姓名", "必填。"},
      {"身份证号", "必填，18 位。本列已设为文本格式：请不要改成数字，否则 Excel 会丢掉后几位（显示为 1.10105E+17）。"},
      {"户编号", "必填：家庭在巾帼中登记后得到的户编号。"},
      {"致贫原因",
       "必填，可填多项，用顿号分隔：因病、因残、因学、因灾、因婚、缺土地、缺水、缺技术、缺资金、缺劳力、交通条件落后、"
       "自身发展动力不足、其他。"},
      {"性别", "可不填：由身份证号得出。"},
      {"出生日期", "可不填：由身份证号得出。日期可写作 2023-05-01、2023/5/1 或 2023年5月1日。"},
      {"是否在校生", "是 / 否（儿童）。"},
      {"学段", "在校生必填：学前、小学、初中、高中、中职。"},
      {"联系电话", "可不填。本列为文本格式。"},
      {"登记日期", "可不填，默认导入当天；格式同出生日期。"},
  };
  for (size_t c = 0; c < cols.size(); ++c) {
    std::string also;
    for (const char* a : cols[c].also) absl::StrAppend(&also, also.empty() ? "" : "、", a);
    auto it = how.find(cols[c].header);
    worksheet_write_string(notes, c + 1, 0, cols[c].header, nullptr);
    worksheet_write_string(notes, c + 1, 1, also.c_str(), nullptr);
    worksheet_write_string(notes, c + 1, 2, it != how.end() ? it->second.c_str() : "是 / 否。", nullptr);
  }
  worksheet_write_string(notes, cols.size() + 2, 0,
                         "导入：jinguoctl import 名单.xlsx --token …；被退回的行写在同目录的 "
                         "名单.rejected.csv，改正后重新导入整个文件即可（已导入的行不会重复登记）。",
                         nullptr);
  return Closed(wb, path);
}

absl::Status WriteReportWorkbook(const std::string& csv, const std::string& path) {
  std::string text = absl::StartsWith(csv, "\xEF\xBB\xBF") ? csv.substr(3) : csv;
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    auto fields = ParseCsvRecord(line);
    if (!fields) return absl::InvalidArgumentError("the export's CSV has a malformed line");
    rows.push_back(std::move(*fields));
  }
  if (rows.empty()) return absl::InvalidArgumentError("the export is empty");
  const auto& header = rows[0];
  const std::vector<std::pair<std::string, std::string>> levels = {
      {"country", "全国"},    {"province", "省"},           {"city", "市"},
      {"county", "县（区）"}, {"township", "乡镇（街道）"}, {"village", "村（居）"}};
  lxw_workbook_options options = {};
  lxw_workbook* wb = workbook_new_opt(path.c_str(), &options);
  if (wb == nullptr) return absl::InvalidArgumentError(absl::StrCat("cannot create ", path));
  lxw_format* head = workbook_add_format(wb);
  format_set_bold(head);
  format_set_text_wrap(head);
  format_set_bg_color(head, 0xF2DCE6);
  lxw_format* percent = workbook_add_format(wb);
  format_set_num_format(percent, "0.0%");
  lxw_format* count = workbook_add_format(wb);
  format_set_num_format(count, "#,##0");
  lxw_format* code = workbook_add_format(wb);
  format_set_num_format(code, "@");
  for (const auto& [level, title] : levels) {
    std::vector<const std::vector<std::string>*> mine;
    for (size_t r = 1; r < rows.size(); ++r) {
      if (rows[r].size() > 2 && rows[r][2] == level) mine.push_back(&rows[r]);
    }
    if (mine.empty()) continue;
    lxw_worksheet* ws = workbook_add_worksheet(wb, title.c_str());
    worksheet_freeze_panes(ws, 1, 2);
    worksheet_set_column(ws, 0, 0, 14, code);
    worksheet_set_column(ws, 1, 1, 30, nullptr);
    worksheet_set_row(ws, 0, 45, nullptr);
    for (size_t c = 0; c < header.size(); ++c) {
      if (c == 2) continue;  // the level is the sheet
      std::string h = header[c] == "region_code" ? "区划代码" : header[c] == "name" ? "名称" : header[c];
      worksheet_write_string(ws, 0, c < 2 ? c : c - 1, h.c_str(), head);
    }
    for (size_t r = 0; r < mine.size(); ++r) {
      const auto& row = *mine[r];
      for (size_t c = 0; c < row.size() && c < header.size(); ++c) {
        if (c == 2) continue;
        lxw_col_t col = c < 2 ? c : c - 1;
        if (c < 2) {
          worksheet_write_string(ws, r + 1, col, row[c].c_str(), c == 0 ? code : nullptr);
          continue;
        }
        double v = 0;
        if (!absl::SimpleAtod(row[c], &v)) {
          worksheet_write_string(ws, r + 1, col, row[c].c_str(), nullptr);
        } else if (absl::EndsWith(header[c], "覆盖率%")) {
          worksheet_write_number(ws, r + 1, col, v / 100, percent);  // the CSV has 61.70 for 61.70%
        } else {
          worksheet_write_number(ws, r + 1, col, v, count);
        }
      }
    }
  }
  return Closed(wb, path);
}

}  // namespace jinguo::tools
