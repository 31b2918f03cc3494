#include "tools/jinguoctl/text_table.h"

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace jinguo::tools {
namespace {

TEST(TextTable, ChineseCharactersTakeTwoColumns) {
  EXPECT_EQ(DisplayWidth("abc"), 3);
  EXPECT_EQ(DisplayWidth("家居清洁"), 8);
  EXPECT_EQ(DisplayWidth("五个100%"), 8);
  EXPECT_EQ(DisplayWidth("（丰南区）"), 10);  // fullwidth parentheses
}

// Every column starts at the same terminal column on every row, whatever mix of Chinese and digits it holds.
TEST(TextTable, ColumnsLineUpOnScreenForChineseText) {
  TextTable t;
  t.AddRow({"region", "结对包联", "家居清洁"});
  t.AddRow({"130207 丰南区", "12/12 100.00%", "0/12   0.00%"});
  t.AddRow({"130281 遵化市", "1/3  33.33%", "3/3 100.00%"});
  std::vector<std::string> lines = absl::StrSplit(t.Render(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  for (const auto& line : lines) EXPECT_EQ(DisplayWidth(line), DisplayWidth(lines[0])) << line;
  // The second column ends where its widest cell ends, on every row.
  EXPECT_EQ(DisplayWidth(lines[1].substr(0, lines[1].find("12/12") + 5 + 8)),
            DisplayWidth(lines[2].substr(0, lines[2].find("1/3") + 3 + 8)));
}

}  // namespace
}  // namespace jinguo::tools
