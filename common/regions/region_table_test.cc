#include "common/regions/region_table.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace jinguo::regions {
namespace {

std::string RegionsDir() {
  const char* src = std::getenv("JINGUO_SOURCE_DIR");
  return std::string(src ? src : ".") + "/data/regions";
}

class RegionTableTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto t = RegionTable::LoadFromDirectory(RegionsDir());
    ASSERT_TRUE(t.ok()) << t.status();
    table_ = t->release();
  }
  static const RegionTable* table_;
};
const RegionTable* RegionTableTest::table_ = nullptr;

TEST_F(RegionTableTest, LoadsEveryLevelOfTheShippedTable) {
  EXPECT_EQ(table_->Children("").size(), 31u);
  EXPECT_EQ(table_->size(), 31u + 342u + 2978u + 41352u);
}

TEST_F(RegionTableTest, NamesParentsAndAncestorsOfTangshan) {
  EXPECT_EQ(table_->Name("13"), "河北省");
  EXPECT_EQ(table_->Name("1302"), "唐山市");
  EXPECT_EQ(table_->Name("130207"), "丰南区");
  EXPECT_EQ(table_->Name("130207104"), "黄各庄镇");
  EXPECT_EQ(table_->Name("130207104201"), "黄各庄镇");
  EXPECT_EQ(table_->Find("130207104")->parent, "130207");
  EXPECT_EQ(table_->Find("130207104")->level, Level::kTownship);
  EXPECT_EQ(table_->Ancestors("130207104"), (std::vector<std::string>{"13", "1302", "130207"}));
  EXPECT_EQ(table_->FullName("130207104"), "河北省 唐山市 丰南区 黄各庄镇");
}

TEST_F(RegionTableTest, ChildrenAreSortedAndBelongToTheParent) {
  const auto& counties = table_->Children("1302");
  ASSERT_FALSE(counties.empty());
  EXPECT_TRUE(std::is_sorted(counties.begin(), counties.end()));
  for (const auto& c : counties) EXPECT_EQ(c.substr(0, 4), "1302");
  EXPECT_TRUE(table_->Children("999999").empty());
}

TEST(RegionTableLoad, MissingDirectoryNamesThePath) {
  auto t = RegionTable::LoadFromDirectory("/nonexistent/regions");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("/nonexistent/regions/provinces.csv"), std::string::npos);
}

}  // namespace
}  // namespace jinguo::regions
