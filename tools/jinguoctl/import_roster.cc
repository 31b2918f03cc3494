#include "tools/jinguoctl/import_roster.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/base/csv.h"
#include "common/base/mask.h"
#include "grpcpp/grpcpp.h"
#include "jinguo/registration/v1/registration.grpc.pb.h"
#include "tools/jinguoctl/client_context.h"
#include "tools/jinguoctl/progress.h"
#include "tools/jinguoctl/roster.h"

namespace jinguo::tools {

namespace rv1 = ::jinguo::registration::v1;

namespace {

// The service's field name → the roster's column.
std::string ColumnOf(const std::string& field) {
  static const auto* m = new std::map<std::string, std::string>{
      {"name", "姓名"},
      {"id_number", "身份证号"},
      {"household_id", "户编号"},
      {"poverty_causes", "致贫原因"},
      {"sex", "性别"},
      {"birth_date", "出生日期"},
      {"student", "是否在校生"},
      {"school_stage", "学段"},
      {"mobile", "联系电话"},
      {"registered_on", "登记日期"},
      {"left_behind", "是否留守"},
      {"disabled", "是否残疾"},
  };
  std::string f = field;
  if (absl::StartsWith(f, "beneficiary.")) f = f.substr(12);
  auto it = m->find(f);
  return it != m->end() ? it->second : field;
}

// The registry's reasons, which are English, as a clerk reads them; one it does not know is kept as it came.
std::string ChineseReason(const std::string& reason) {
  static const auto* table = new std::vector<std::pair<std::string, std::string>>{
      {"is required (register the household first)", "必填：请先在巾帼中登记该家庭"},
      {"is required for a student", "在校生必须填写"},
      {"is required", "必填"},
      {"at least one poverty cause is required", "至少填写一项致贫原因"},
      {"belongs to a man aged 16 or over", "属于 16 岁及以上男性：只登记妇女和儿童"},
      {"the check character does not match", "校验位不对：请检查是否有数字输错"},
      {"the first 17 characters must be digits", "前 17 位必须是数字"},
      {"the last character must be a digit or X", "最后一位必须是数字或 X"},
      {"the birth date (characters 7-14) is not a real date", "第 7-14 位的出生日期不存在"},
      {"the birth date (characters 7-14) is in the future", "第 7-14 位的出生日期晚于今天"},
      {"must be 18 characters", "必须是 18 位"},
      {"must be typed with half-width digits", "请用半角数字和 X（有全角字符）"},
      {"disagrees with the ID number (characters 7-14)", "与身份证号中的出生日期不一致"},
      {"disagrees with the ID number (the 17th digit", "与身份证号中的性别不一致"},
      {"is before her birth date", "早于出生日期"},
      {"is in the future", "晚于今天"},
      {"is only for students", "只适用于在校生"},
      {"only children under 16 are registered as students", "只有 16 岁以下儿童登记为在校生"},
      {"no household with this id", "没有这个户编号的家庭"},
      {"must be an 11-digit mainland mobile number", "必须是 11 位大陆手机号"},
      {"must start with 13-19", "必须以 13-19 开头（大陆手机号）"},
      {"may contain only digits, spaces, dashes and a leading +86", "只能包含数字、空格、横线和开头的 +86"},
      {"unknown poverty cause", "无法识别的致贫原因"},
      {"unknown school stage", "无法识别的学段"},
  };
  for (const auto& [english, chinese] : *table) {
    if (absl::StartsWith(reason, english)) return chinese;
  }
  return absl::StrCat("（登记服务：", reason, "）");
}

std::string Masked(const std::string& column, const std::string& value) {
  if (column == "身份证号") return MaskIdNumber(value);
  if (column == "联系电话") return MaskPhone(value);
  return MaskSensitive(value);
}

}  // namespace

std::string RejectionPath(const std::string& input) {
  size_t slash = input.find_last_of('/');
  size_t dot = input.find_last_of('.');
  std::string stem =
      dot != std::string::npos && (slash == std::string::npos || dot > slash) ? input.substr(0, dot) : input;
  return stem + ".rejected.csv";
}

int ImportRoster(const ImportOptions& o) {
  auto sheet = ReadSpreadsheet(o.file);
  if (!sheet.ok()) {
    std::fprintf(stderr, "jinguoctl import: %s\n", std::string(sheet.status().message()).c_str());
    return 2;
  }
  const auto& header = sheet->rows[0];
  auto columns = MapHeader(header);
  if (!columns.ok()) {
    std::fprintf(stderr, "jinguoctl import: %s\n", std::string(columns.status().message()).c_str());
    return 2;
  }
  int64_t total = 0;
  for (size_t i = 1; i < sheet->rows.size(); ++i) total += !sheet->rows[i].empty();
  std::fprintf(stderr, "jinguoctl import: %s：%s 编码，%s 行\n", o.file.c_str(), sheet->encoding.c_str(),
               Thousands(total).c_str());

  struct Rejection {
    int64_t row;
    std::string column, value, reason;
  };
  std::vector<Rejection> rejections;
  std::map<int64_t, const std::vector<Cell>*> rows_by_number;
  auto stub =
      rv1::RegistrationService::NewStub(grpc::CreateChannel(o.registration, grpc::InsecureChannelCredentials()));
  auto ctx = Context(o.token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::hours(2));
  rv1::ImportBeneficiariesResponse summary;
  auto writer = stub->ImportBeneficiaries(ctx.get(), &summary);
  ProgressLine line(o.quiet);
  int64_t done = 0;
  auto progress = [&](bool final) {
    if (!line.Due(final)) return;
    double seconds = absl::ToDoubleSeconds(line.elapsed());
    double rate = seconds > 0 ? done / seconds : 0;
    double left = rate > 0 ? (total - done) / rate : 0;
    line.Print(absl::StrFormat("导入中 %s/%s 行（%s 行/秒，剩余约 %.0f 秒）", Thousands(done), Thousands(total),
                               Thousands(static_cast<int64_t>(rate)), left),
               final);
  };
  bool sent = true;
  for (size_t i = 1; i < sheet->rows.size() && sent; ++i) {
    const auto& row = sheet->rows[i];
    if (row.empty()) continue;
    int64_t number = static_cast<int64_t>(i) + 1;  // the spreadsheet's own row number (the header is row 1)
    rows_by_number[number] = &row;
    RosterRow read = ReadRosterRow(header, *columns, row, number);
    for (const auto& p : read.problems) rejections.push_back({number, p.column, Masked(p.column, p.value), p.reason});
    if (read.request) sent = writer->Write(*read.request);
    ++done;
    progress(false);
  }
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  progress(true);
  if (!s.ok()) {
    std::fprintf(stderr, "jinguoctl import: 登记服务拒绝了这次导入：%s\n", s.error_message().c_str());
    return 3;
  }
  for (const auto& r : summary.rejected()) {
    // The roster column the service's field is, then the sheet's column holding it (its header as the clerk wrote
    // it, e.g. 身份证号码) and the row's value there.
    std::string column = ColumnOf(r.field());
    std::string shown = column, value;
    auto it = rows_by_number.find(r.row_number());
    for (size_t c = 0; c < columns->size(); ++c) {
      if ((*columns)[c] < 0 || column != RosterColumns()[(*columns)[c]].header) continue;
      shown = header[c].text;
      if (it != rows_by_number.end() && c < it->second->size()) value = (*it->second)[c].text;
    }
    rejections.push_back(
        {r.row_number(), shown, Masked(column, value), absl::StrCat(column, ChineseReason(r.reason()))});
  }
  std::sort(rejections.begin(), rejections.end(), [](const auto& a, const auto& b) { return a.row < b.row; });
  std::string path = RejectionPath(o.file);
  if (!rejections.empty()) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << "\xEF\xBB\xBF"
        << "行号,列,值,原因\n";
    for (const auto& r : rejections) {
      out << r.row << "," << CsvField(r.column) << "," << CsvField(r.value) << "," << CsvField(r.reason) << "\n";
    }
  } else {
    std::remove(path.c_str());
  }
  std::set<int64_t> refused_rows;
  for (const auto& r : rejections) refused_rows.insert(r.row);
  std::printf("共 %s 行：新登记 %s，已导入过（重复）%s，疑似重复待核 %s，退回 %s 行%s\n", Thousands(total).c_str(),
              Thousands(summary.accepted()).c_str(), Thousands(summary.repeated_rows()).c_str(),
              Thousands(summary.duplicates_flagged()).c_str(), Thousands(refused_rows.size()).c_str(),
              rejections.empty() ? "" : absl::StrCat("（原因见 ", path, "，改正后重新导入整个文件即可）").c_str());
  return rejections.empty() ? 0 : 1;
}

}  // namespace jinguo::tools
