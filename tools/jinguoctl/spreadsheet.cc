#include "tools/jinguoctl/spreadsheet.h"

#include <expat.h>
#include <iconv.h>
#include <minizip/unzip.h>

#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/base/csv.h"
#include "common/base/status.h"
#include "common/validate/text.h"

namespace jinguo::tools {

namespace {

absl::StatusOr<std::string> Gb18030ToUtf8(const std::string& in) {
  iconv_t cd = iconv_open("UTF-8", "GB18030");
  if (cd == reinterpret_cast<iconv_t>(-1)) return absl::InternalError("iconv has no GB18030");
  std::string out(in.size() * 2 + 16, '\0');
  char* src = const_cast<char*>(in.data());
  size_t src_left = in.size();
  char* dst = out.data();
  size_t dst_left = out.size();
  size_t rc = iconv(cd, &src, &src_left, &dst, &dst_left);
  iconv_close(cd);
  if (rc == static_cast<size_t>(-1)) {
    return absl::InvalidArgumentError("文件既不是 UTF-8 也不是 GB18030 编码，请在 Excel 中另存为“CSV UTF-8”或 .xlsx");
  }
  out.resize(out.size() - dst_left);
  return out;
}

// One zip entry's bytes; NOT_FOUND when the workbook has no such part.
absl::StatusOr<std::string> ZipEntry(unzFile zip, const std::string& name) {
  if (unzLocateFile(zip, name.c_str(), 0) != UNZ_OK) return absl::NotFoundError(name);
  if (unzOpenCurrentFile(zip) != UNZ_OK) return absl::InvalidArgumentError(absl::StrCat("无法读取 ", name));
  std::string out;
  char buf[65536];
  int n;
  while ((n = unzReadCurrentFile(zip, buf, sizeof buf)) > 0) out.append(buf, n);
  unzCloseCurrentFile(zip);
  if (n < 0) return absl::InvalidArgumentError(absl::StrCat("工作簿已损坏（", name, "）"));
  return out;
}

// An expat parse over `xml` calling `start(name, attrs)`, `end(name)` and `text(chars)`.
struct XmlHandlers {
  std::function<void(const std::string&, const char**)> start;
  std::function<void(const std::string&)> end;
  std::function<void(const char*, int)> text;
};

absl::Status ParseXml(const std::string& xml, XmlHandlers& h, const std::string& part) {
  std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> p(XML_ParserCreate("UTF-8"), XML_ParserFree);
  XML_SetUserData(p.get(), &h);
  XML_SetElementHandler(
      p.get(),
      [](void* d, const XML_Char* name, const XML_Char** attrs) {
        auto* h = static_cast<XmlHandlers*>(d);
        if (h->start) h->start(name, attrs);
      },
      [](void* d, const XML_Char* name) {
        auto* h = static_cast<XmlHandlers*>(d);
        if (h->end) h->end(name);
      });
  XML_SetCharacterDataHandler(p.get(), [](void* d, const XML_Char* s, int len) {
    auto* h = static_cast<XmlHandlers*>(d);
    if (h->text) h->text(s, len);
  });
  if (XML_Parse(p.get(), xml.data(), static_cast<int>(xml.size()), 1) == XML_STATUS_ERROR) {
    return absl::InvalidArgumentError(
        absl::StrCat("工作簿已损坏（", part, "：", XML_ErrorString(XML_GetErrorCode(p.get())), "）"));
  }
  return absl::OkStatus();
}

const char* Attr(const char** attrs, const char* name) {
  for (int i = 0; attrs[i] != nullptr; i += 2) {
    if (std::string(attrs[i]) == name) return attrs[i + 1];
  }
  return nullptr;
}

// The first worksheet's part name, from the workbook and its relationships; xl/worksheets/sheet1.xml otherwise.
std::string FirstSheetPart(unzFile zip) {
  auto workbook = ZipEntry(zip, "xl/workbook.xml");
  auto rels = ZipEntry(zip, "xl/_rels/workbook.xml.rels");
  if (!workbook.ok() || !rels.ok()) return "xl/worksheets/sheet1.xml";
  std::string rid;
  XmlHandlers w{[&](const std::string& name, const char** attrs) {
                  if (rid.empty() && (name == "sheet" || absl::EndsWith(name, ":sheet"))) {
                    const char* id = Attr(attrs, "r:id");
                    if (id != nullptr) rid = id;
                  }
                },
                nullptr, nullptr};
  std::string target;
  XmlHandlers r{[&](const std::string& name, const char** attrs) {
                  if (name != "Relationship" || target.size()) return;
                  const char* id = Attr(attrs, "Id");
                  const char* t = Attr(attrs, "Target");
                  if (id != nullptr && t != nullptr && rid == id) target = t;
                },
                nullptr, nullptr};
  if (!ParseXml(*workbook, w, "workbook.xml").ok() || !ParseXml(*rels, r, "workbook.xml.rels").ok() || target.empty()) {
    return "xl/worksheets/sheet1.xml";
  }
  if (absl::StartsWith(target, "/")) return target.substr(1);
  return absl::StrCat("xl/", target);
}

absl::StatusOr<Sheet> ReadXlsx(const std::string& path) {
  std::unique_ptr<void, decltype(&unzClose)> zip(unzOpen64(path.c_str()), unzClose);
  if (zip == nullptr) return absl::InvalidArgumentError(absl::StrCat(path, " 不是有效的 .xlsx 工作簿"));
  std::vector<std::string> shared;
  if (auto strings = ZipEntry(zip.get(), "xl/sharedStrings.xml"); strings.ok()) {
    bool in_t = false, in_phonetic = false;
    XmlHandlers h{[&](const std::string& name, const char**) {
                    if (name == "si") shared.emplace_back();
                    if (name == "rPh") in_phonetic = true;
                    if (name == "t") in_t = !in_phonetic;
                  },
                  [&](const std::string& name) {
                    if (name == "t") in_t = false;
                    if (name == "rPh") in_phonetic = false;
                  },
                  [&](const char* s, int len) {
                    if (in_t && !shared.empty()) shared.back().append(s, len);
                  }};
    RETURN_IF_ERROR(ParseXml(*strings, h, "sharedStrings.xml"));
  }
  std::string part = FirstSheetPart(zip.get());
  ASSIGN_OR_RETURN(std::string xml, ZipEntry(zip.get(), part));
  Sheet sheet;
  sheet.encoding = "xlsx";
  std::string type, value, merged;
  int column = -1;
  bool in_value = false;
  XmlHandlers h{[&](const std::string& name, const char** attrs) {
                  if (name == "row") {
                    const char* r = Attr(attrs, "r");
                    size_t n = 0;
                    if (r == nullptr || !absl::SimpleAtoi(r, &n)) n = sheet.rows.size() + 1;
                    while (sheet.rows.size() < n) sheet.rows.emplace_back();
                  } else if (name == "c") {
                    const char* r = Attr(attrs, "r");
                    const char* t = Attr(attrs, "t");
                    column = r != nullptr ? ColumnIndex(r) : (sheet.rows.empty() ? 0 : sheet.rows.back().size());
                    type = t != nullptr ? t : "n";
                    value.clear();
                  } else if (name == "v" || (name == "t" && type == "inlineStr")) {
                    in_value = true;
                  } else if (name == "mergeCell" && merged.empty()) {
                    const char* ref = Attr(attrs, "ref");
                    merged = ref != nullptr ? ref : "?";
                  }
                },
                [&](const std::string& name) {
                  if (name == "v" || name == "t") in_value = false;
                  if (name != "c" || sheet.rows.empty() || column < 0) return;
                  Cell cell;
                  if (type == "s") {
                    size_t i = 0;
                    if (absl::SimpleAtoi(value, &i) && i < shared.size()) cell.text = shared[i];
                  } else {
                    cell.text = value;
                    cell.number = type == "n";
                  }
                  auto& row = sheet.rows.back();
                  if (row.size() <= static_cast<size_t>(column)) row.resize(column + 1);
                  row[column] = std::move(cell);
                },
                [&](const char* s, int len) {
                  if (in_value) value.append(s, len);
                }};
  RETURN_IF_ERROR(ParseXml(xml, h, part));
  if (!merged.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("表格中有合并单元格（", merged, "）：请取消合并，让每一行都有自己的完整数据后再导入"));
  }
  return sheet;
}

}  // namespace

int ColumnIndex(const std::string& ref) {
  int n = 0;
  size_t i = 0;
  for (; i < ref.size() && absl::ascii_isalpha(static_cast<unsigned char>(ref[i])); ++i) {
    n = n * 26 + (absl::ascii_toupper(static_cast<unsigned char>(ref[i])) - 'A' + 1);
  }
  return i == 0 ? -1 : n - 1;
}

absl::StatusOr<Sheet> ParseCsvSheet(const std::string& bytes) {
  Sheet sheet;
  std::string text;
  if (absl::StartsWith(bytes, "\xEF\xBB\xBF")) {
    text = bytes.substr(3);
    sheet.encoding = "UTF-8（带BOM）";
  } else if (validate::IsValidUtf8(bytes)) {
    text = bytes;
    sheet.encoding = "UTF-8";
  } else {
    ASSIGN_OR_RETURN(text, Gb18030ToUtf8(bytes));
    sheet.encoding = "GB18030";
  }
  // Records end at a line break outside quotes (a quoted field may hold line breaks).
  std::string record;
  bool quoted = false;
  size_t line = 1;
  auto flush = [&]() -> absl::Status {
    if (!record.empty() && record.back() == '\r') record.pop_back();
    auto fields = ParseCsvRecord(record);
    if (!fields) return absl::InvalidArgumentError(absl::StrCat("第 ", line, " 行的引号不配对"));
    std::vector<Cell> row;
    for (auto& f : *fields) row.push_back({std::move(f), false});
    if (row.size() == 1 && row[0].text.empty()) row.clear();
    sheet.rows.push_back(std::move(row));
    record.clear();
    ++line;
    return absl::OkStatus();
  };
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (c == '\n' && !quoted) {
      RETURN_IF_ERROR(flush());
      continue;
    }
    record.push_back(c);
  }
  if (!record.empty()) RETURN_IF_ERROR(flush());
  return sheet;
}

absl::StatusOr<Sheet> ReadSpreadsheet(const std::string& path) {
  std::string lower = absl::AsciiStrToLower(path);
  absl::StatusOr<Sheet> sheet;
  if (absl::EndsWith(lower, ".xlsx")) {
    sheet = ReadXlsx(path);
  } else if (absl::EndsWith(lower, ".csv") || absl::EndsWith(lower, ".txt")) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::InvalidArgumentError(absl::StrCat("无法打开 ", path));
    std::stringstream ss;
    ss << in.rdbuf();
    sheet = ParseCsvSheet(ss.str());
  } else if (absl::EndsWith(lower, ".xls")) {
    return absl::InvalidArgumentError("不支持旧版 .xls 文件：请在 Excel 中另存为 .xlsx 或 CSV UTF-8");
  } else {
    return absl::InvalidArgumentError(absl::StrCat(path, "：只能导入 .xlsx 或 .csv 文件"));
  }
  if (!sheet.ok()) return sheet.status();
  while (!sheet->rows.empty() && sheet->rows.back().empty()) sheet->rows.pop_back();
  if (sheet->rows.size() < 2) return absl::InvalidArgumentError("表格是空的：第一行应是列名，从第二行起每行一人");
  return sheet;
}

}  // namespace jinguo::tools
