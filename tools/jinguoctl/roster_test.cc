// A clerk's roster as jinguoctl import reads it: encodings, headers, dates, and the cells Excel spoils.
#include "tools/jinguoctl/roster.h"

#include <iconv.h>

#include "gtest/gtest.h"
#include "tools/jinguoctl/spreadsheet.h"

namespace jinguo::tools {
namespace {

std::string ToGb18030(const std::string& utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  std::string out(utf8.size() * 2, '\0');
  char* src = const_cast<char*>(utf8.data());
  size_t src_left = utf8.size(), dst_left = out.size();
  char* dst = out.data();
  iconv(cd, &src, &src_left, &dst, &dst_left);
  iconv_close(cd);
  out.resize(out.size() - dst_left);
  return out;
}

const char kRoster[] =
    "姓名,身份证号码,户号,致贫原因,出生日期,是否在校生\n李秀英,130207198003010028,h1,因病、缺技术,1980年3月1日,否\n";

TEST(Spreadsheet, ReadsCsvInEveryEncodingAClerkSaves) {
  for (auto [bytes, encoding] :
       std::vector<std::pair<std::string, std::string>>{{kRoster, "UTF-8"},
                                                        {std::string("\xEF\xBB\xBF") + kRoster, "UTF-8（带BOM）"},
                                                        {ToGb18030(kRoster), "GB18030"}}) {
    auto sheet = ParseCsvSheet(bytes);
    ASSERT_TRUE(sheet.ok()) << sheet.status();
    EXPECT_EQ(sheet->encoding, encoding);
    ASSERT_EQ(sheet->rows.size(), 2u);
    EXPECT_EQ(sheet->rows[0][0].text, "姓名");
    EXPECT_EQ(sheet->rows[1][3].text, "因病、缺技术");
  }
  EXPECT_FALSE(ParseCsvSheet("\xFF\xFE\x00\x01\x80").ok()) << "neither UTF-8 nor GB18030";
  auto quoted = ParseCsvSheet("姓名,备注\n\"王,芳\",\"两行\n备注\"\n");
  ASSERT_TRUE(quoted.ok());
  EXPECT_EQ(quoted->rows[1][0].text, "王,芳");
  EXPECT_EQ(quoted->rows[1][1].text, "两行\n备注");
}

TEST(Roster, HeadersAreMatchedByTheNamesClerksUse) {
  auto sheet = ParseCsvSheet(kRoster);
  ASSERT_TRUE(sheet.ok());
  auto columns = MapHeader(sheet->rows[0]);
  ASSERT_TRUE(columns.ok()) << columns.status();
  auto unknown = MapHeader({{"姓名"}, {"身份证号"}, {"户编号"}, {"致贫原因"}, {"民族"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("“民族”无法识别"), std::string::npos) << unknown.status();
  auto missing = MapHeader({{"姓名"}, {"户编号"}, {"致贫原因"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("缺少必填列“身份证号”"), std::string::npos) << missing.status();
  EXPECT_FALSE(MapHeader({{"姓名"}, {"名字"}, {"身份证号"}, {"户编号"}, {"致贫原因"}}).ok()) << "a column twice";
}

TEST(Roster, DatesInTheFormsClerksTypeAndExcelStores) {
  absl::CivilDay may_first(2023, 5, 1);
  for (const char* text : {"2023年5月1日", "2023/5/1", "2023-05-01", "20230501", "2023.5.1"}) {
    EXPECT_EQ(ParseClerkDate({text, false}), may_first) << text;
  }
  EXPECT_EQ(ParseClerkDate({"45047", true}), may_first) << "an Excel serial day";
  EXPECT_EQ(ParseClerkDate({"2023-02-30", false}), std::nullopt);
  EXPECT_EQ(ParseClerkDate({"五月一日", false}), std::nullopt);
}

TEST(Roster, RowsBecomeRequestsOrNamedProblems) {
  std::vector<Cell> header = {{"姓名"}, {"身份证号"}, {"户编号"}, {"致贫原因"}, {"出生日期"}, {"是否在校生"}};
  auto columns = MapHeader(header);
  ASSERT_TRUE(columns.ok());
  auto good = ReadRosterRow(header, *columns,
                            {{"李秀英"}, {"130207198003010028"}, {"h1"}, {"因病、缺技术"}, {"1980/3/1"}, {"否"}}, 2);
  ASSERT_TRUE(good.request.has_value());
  EXPECT_EQ(good.request->beneficiary().poverty_causes_size(), 2);
  EXPECT_EQ(good.request->beneficiary().birth_date().year(), 1980);
  EXPECT_EQ(good.request->row_number(), 2);
  // The same row again has the same request id (a repeat); a corrected row has another.
  auto again = ReadRosterRow(header, *columns,
                             {{"李秀英"}, {"130207198003010028"}, {"h1"}, {"因病、缺技术"}, {"1980/3/1"}, {"否"}}, 9);
  EXPECT_EQ(again.request->request_id(), good.request->request_id());
  auto fixed =
      ReadRosterRow(header, *columns, {{"李秀英"}, {"130207198003010028"}, {"h1"}, {"因病"}, {"1980/3/1"}, {"否"}}, 2);
  EXPECT_NE(fixed.request->request_id(), good.request->request_id());

  // An ID number Excel turned into a number, a cause that is none, a date it cannot read, a yes/no that is neither.
  auto bad =
      ReadRosterRow(header, *columns, {{"王芳"}, {"1.30207E+17", true}, {"h1"}, {"因穷"}, {"三月"}, {"也许"}}, 3);
  EXPECT_FALSE(bad.request.has_value());
  ASSERT_EQ(bad.problems.size(), 4u);
  EXPECT_EQ(bad.problems[0].column, "身份证号");
  EXPECT_NE(bad.problems[0].reason.find("Excel 存成了数字"), std::string::npos);
  EXPECT_EQ(bad.problems[1].column, "致贫原因");
  EXPECT_EQ(bad.problems[2].column, "出生日期");
  EXPECT_EQ(bad.problems[3].column, "是否在校生");
}

}  // namespace
}  // namespace jinguo::tools
