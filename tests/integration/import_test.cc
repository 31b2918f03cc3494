// A clerk's spreadsheet round trip through jinguoctl against the real registration and reporting services: an
// .xlsx roster with spoiled cells is imported, its rejection file names what to fix, the fixed file imports again
// with the earlier rows counted as repeated; GB18030 CSV, wrong headers and merged cells; the template reads back;
// a region's report comes out as a workbook.
#include <xlsxwriter.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/rpc/auth.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/integration/registration_client.h"
#include "tools/jinguoctl/roster.h"
#include "tools/jinguoctl/spreadsheet.h"

namespace jinguo::testing {
namespace {

constexpr char kToken[] = "import-admin";

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs jinguoctl with `args`; its exit code, and stdout+stderr in *out.
int Jinguoctl(const std::string& args, std::string* out) {
  return RunCommand(absl::StrCat(JINGUOCTL_BINARY, " ", args), out);
}

struct Row {
  std::string name, id_number, household, causes;
  double id_as_number = 0;  // set: the ID cell is a number, as Excel makes of 18 digits
  double birth_serial = 0;  // set: the birth date is an Excel date
};

void WriteRoster(const std::string& path, const std::vector<Row>& rows, bool merge = false) {
  lxw_workbook* wb = workbook_new(path.c_str());
  lxw_worksheet* ws = workbook_add_worksheet(wb, "Sheet1");
  lxw_format* date = workbook_add_format(wb);
  format_set_num_format(date, "yyyy-mm-dd");
  const char* headers[] = {"姓名", "公民身份号码", "户号", "主要致贫原因", "出生年月"};
  for (int c = 0; c < 5; ++c) worksheet_write_string(ws, 0, c, headers[c], nullptr);
  for (size_t r = 0; r < rows.size(); ++r) {
    const Row& row = rows[r];
    worksheet_write_string(ws, r + 1, 0, row.name.c_str(), nullptr);
    if (row.id_as_number > 0) {
      worksheet_write_number(ws, r + 1, 1, row.id_as_number, nullptr);
    } else {
      worksheet_write_string(ws, r + 1, 1, row.id_number.c_str(), nullptr);
    }
    worksheet_write_string(ws, r + 1, 2, row.household.c_str(), nullptr);
    worksheet_write_string(ws, r + 1, 3, row.causes.c_str(), nullptr);
    if (row.birth_serial > 0) worksheet_write_number(ws, r + 1, 4, row.birth_serial, date);
  }
  if (merge) worksheet_merge_range(ws, 1, 3, 2, 3, "因病", nullptr);
  ASSERT_EQ(workbook_close(wb), LXW_NO_ERROR);
}

TEST(Import, ASpreadsheetRoundTrip) {
  auto broker = KafkaBroker::Start();
  ASSERT_NE(broker, nullptr);
  TempDir dir;
  std::ofstream(dir.path() + "/tokens") << rpc::HashToken(kToken) << " clerk admin *\n";
  int reg_port = FreePort(), rep_port = FreePort();
  auto registration = StartRegistration(REGISTRATION_BINARY, reg_port, dir.path(), broker->brokers());
  ASSERT_NE(registration, nullptr);
  auto reporting = StartService(REPORTING_BINARY, "reporting", rep_port, dir.path(), broker->brokers());
  ASSERT_NE(reporting, nullptr);
  auto registry = rv1::RegistrationService::NewStub(registration->channel());
  rv1::RegisterHouseholdResponse h;
  ASSERT_TRUE(registry->RegisterHousehold(Authorized(kToken).get(), HouseholdRequest("130207104201"), &h).ok());
  const std::string hh = h.household().id();
  const std::string common = absl::StrCat("--registration 127.0.0.1:", reg_port, " --token ", kToken, " --quiet");

  // Six rows: three plain, one born on an Excel date, one ID number Excel made a number, one unknown cause.
  std::vector<Row> rows;
  for (int i = 0; i < 3; ++i) {
    rows.push_back({absl::StrCat("导入", i), TestIdNumber(absl::CivilDay(1981, 4, 2), 40 + i), hh, "因病、缺技术"});
  }
  rows.push_back({"日期", TestIdNumber(absl::CivilDay(1983, 5, 1), 50), hh, "因残", 0, 30437});  // 1983-05-01
  rows.push_back({"数字", "", hh, "因病", 1.30207198106e17});
  rows.push_back({"原因", TestIdNumber(absl::CivilDay(1984, 6, 3), 52), hh, "因穷"});
  std::string xlsx = dir.path() + "/名单.xlsx";
  WriteRoster(xlsx, rows);
  std::string out;
  EXPECT_EQ(Jinguoctl(absl::StrCat("import ", xlsx, " ", common), &out), 1) << out;
  EXPECT_NE(out.find("新登记 4"), std::string::npos) << out;
  EXPECT_NE(out.find("退回 2 行"), std::string::npos) << out;
  std::string rejected = Slurp(dir.path() + "/名单.rejected.csv");
  EXPECT_EQ(rejected.rfind("\xEF\xBB\xBF行号,列,值,原因\n", 0), 0u) << rejected;
  EXPECT_NE(rejected.find("6,公民身份号码,"), std::string::npos) << rejected;
  EXPECT_NE(rejected.find("Excel 存成了数字"), std::string::npos) << rejected;
  EXPECT_NE(rejected.find("7,主要致贫原因,因穷,"), std::string::npos) << rejected;

  // The clerk fixes the two rows and imports the whole file again: the four are repeats, the two are new.
  rows[4] = {"数字", TestIdNumber(absl::CivilDay(1981, 6, 1), 54), hh, "因病"};
  rows[5].causes = "因病";
  WriteRoster(xlsx, rows);
  EXPECT_EQ(Jinguoctl(absl::StrCat("import ", xlsx, " ", common), &out), 0) << out;
  EXPECT_NE(out.find("新登记 2，已导入过（重复）4"), std::string::npos) << out;
  EXPECT_FALSE(std::ifstream(dir.path() + "/名单.rejected.csv").good()) << "a stale rejection file left behind";
  rv1::ListBeneficiariesRequest list;
  list.set_region_prefix("130207104201");
  rv1::ListBeneficiariesResponse listed;
  ASSERT_TRUE(registry->ListBeneficiaries(Authorized(kToken).get(), list, &listed).ok());
  EXPECT_EQ(listed.beneficiaries_size(), 6);
  bool dated = false;
  for (const auto& b : listed.beneficiaries()) {
    if (b.name() == "日期") dated = b.birth_date().year() == 1983 && b.birth_date().month() == 5;
  }
  EXPECT_TRUE(dated) << "the Excel date was not read as 1983-05-01";

  // A CSV saved by Excel on a Chinese Windows (GB18030).
  std::string csv = dir.path() + "/gbk.csv";
  {
    std::ofstream(dir.path() + "/utf8.csv") << "姓名,身份证号,户编号,致贫原因\n编码,"
                                            << TestIdNumber(absl::CivilDay(1985, 7, 7), 60) << "," << hh << ",因学\n";
    ASSERT_EQ(Shell(absl::StrCat("iconv -f UTF-8 -t GB18030 ", dir.path(), "/utf8.csv > ", csv)), 0);
  }
  EXPECT_EQ(Jinguoctl(absl::StrCat("import ", csv, " ", common), &out), 0) << out;
  EXPECT_NE(out.find("GB18030 编码"), std::string::npos) << out;
  EXPECT_NE(out.find("新登记 1"), std::string::npos) << out;

  // Refused before anything is sent: an unknown header, merged cells, an empty sheet.
  std::ofstream(dir.path() + "/bad.csv") << "姓名,身份证号,户编号,致贫原因,民族\n";
  EXPECT_EQ(Jinguoctl(absl::StrCat("import ", dir.path(), "/bad.csv ", common), &out), 2);
  EXPECT_NE(out.find("表格是空的"), std::string::npos) << out;
  std::ofstream(dir.path() + "/bad.csv") << "姓名,身份证号,户编号,致贫原因,民族\n某,1,2,因病,汉\n";
  EXPECT_EQ(Jinguoctl(absl::StrCat("import ", dir.path(), "/bad.csv ", common), &out), 2);
  EXPECT_NE(out.find("“民族”无法识别"), std::string::npos) << out;
  WriteRoster(dir.path() + "/merged.xlsx", {rows[0], rows[1]}, true);
  EXPECT_EQ(Jinguoctl(absl::StrCat("import ", dir.path(), "/merged.xlsx ", common), &out), 2);
  EXPECT_NE(out.find("合并单元格（D2:D3）"), std::string::npos) << out;

  // The template reads back as a roster whose example row is readable.
  std::string tmpl = dir.path() + "/roster.xlsx";
  ASSERT_EQ(Jinguoctl(absl::StrCat("template ", tmpl), &out), 0) << out;
  auto sheet = tools::ReadSpreadsheet(tmpl);
  ASSERT_TRUE(sheet.ok()) << sheet.status();
  auto columns = tools::MapHeader(sheet->rows[0]);
  ASSERT_TRUE(columns.ok()) << columns.status();
  EXPECT_EQ(columns->size(), tools::RosterColumns().size());

  // The county's report as a workbook: its first sheet is the county, with numbers as numbers.
  std::string report = dir.path() + "/report.xlsx";
  ASSERT_TRUE(WaitFor(
      [&] {
        return Jinguoctl(absl::StrCat("export --reporting 127.0.0.1:", rep_port, " --token ", kToken,
                                      " --region 130207 --out ", report),
                         &out) == 0;
      },
      absl::Seconds(30)))
      << out;
  auto book = tools::ReadSpreadsheet(report);
  ASSERT_TRUE(book.ok()) << book.status();
  ASSERT_GE(book->rows.size(), 2u);
  EXPECT_EQ(book->rows[0][0].text, "区划代码");
  EXPECT_EQ(book->rows[1][0].text, "130207");
  EXPECT_TRUE(book->rows[1][2].number) << "counts are numbers";
}

}  // namespace
}  // namespace jinguo::testing
