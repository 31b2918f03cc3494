#include "common/base/csv.h"

#include "gtest/gtest.h"

namespace jinguo {
namespace {

TEST(Csv, PlainFieldsStayAsTheyAreAndOthersAreQuoted) {
  EXPECT_EQ(CsvField("唐山市"), "唐山市");
  EXPECT_EQ(CsvField(""), "");
  EXPECT_EQ(CsvField("李,秀英"), "\"李,秀英\"");
  EXPECT_EQ(CsvField("a \"quoted\" name"), "\"a \"\"quoted\"\" name\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField("carriage\rreturn"), "\"carriage\rreturn\"");
}

// A value a spreadsheet would run is shown as text: an apostrophe goes before it.
TEST(Csv, FormulasAreWrittenAsText) {
  EXPECT_EQ(CsvField("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
  EXPECT_EQ(CsvField("+86"), "'+86");
  EXPECT_EQ(CsvField("-1"), "'-1");
  EXPECT_EQ(CsvField("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(CsvField("\tx"), "'\tx");
  EXPECT_EQ(CsvField("a=b"), "a=b");
}

TEST(Csv, RecordsReadBackFieldForField) {
  std::vector<std::string> values = {"130207", "丰南区, 唐山", "say \"hi\"", "", "x\ny", "plain"};
  std::string line;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) line.push_back(',');
    AppendCsvField(&line, values[i]);
  }
  auto parsed = ParseCsvRecord(line);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, values);
  EXPECT_FALSE(ParseCsvRecord("\"open").has_value());
  EXPECT_FALSE(ParseCsvRecord("\"a\"b").has_value());
  EXPECT_FALSE(ParseCsvRecord("a\"b").has_value());
}

}  // namespace
}  // namespace jinguo
