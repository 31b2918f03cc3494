#include "tools/jinguoctl/demo_registry.h"

#include <cstdlib>
#include <set>

#include "common/validate/id_number.h"
#include "common/validate/region_code.h"
#include "gtest/gtest.h"

namespace jinguo::tools {
namespace {

TEST(DemoRegistry, TangshanFiguresWithValidUniqueIdsInRealRegions) {
  const char* src = std::getenv("JINGUO_SOURCE_DIR");
  auto table = regions::RegionTable::LoadFromDirectory(std::string(src ? src : ".") + "/data/regions");
  ASSERT_TRUE(table.ok());
  absl::CivilDay today(2026, 11, 22);
  DemoRegistry r = BuildDemoRegistry(**table, "1302", 3468, 1269, 534, 2817, today);
  EXPECT_EQ(r.women, 3468);
  EXPECT_EQ(r.children, 1269);
  EXPECT_EQ(r.households.size(), 2817u);
  std::set<std::string> ids;
  std::set<std::string> counties;
  int women = 0, children = 0, students = 0;
  for (const auto& h : r.households) {
    ASSERT_TRUE(validate::CheckRegionCode(**table, h.region_code).ok()) << h.region_code;
    counties.insert(h.region_code.substr(0, 6));
    for (const auto& p : h.members) {
      auto id = validate::ParseIdNumber(p.id_number, today);
      ASSERT_TRUE(id.ok()) << id.status();
      int age = static_cast<int>(today.year() - id->birth_date.year()) -
                (absl::CivilDay(today.year(), id->birth_date.month(), id->birth_date.day()) > today ? 1 : 0);
      if (p.child) {
        ++children;
        EXPECT_LT(age, 16);
        if (p.student) {
          ++students;
          EXPECT_GE(age, 6) << "students are of school age";
          EXPECT_NE(p.school_stage, 0);
        }
      } else {
        ++women;
        EXPECT_GE(age, 16);
        EXPECT_EQ(id->sex, validate::Sex::kFemale);
      }
      EXPECT_TRUE(ids.insert(p.id_number).second) << "duplicate ID number";
    }
  }
  EXPECT_EQ(women, 3468);
  EXPECT_EQ(children, 1269);
  EXPECT_EQ(students, 534);
  EXPECT_EQ(r.students, 534);
  EXPECT_GT(counties.size(), 10u);  // spread over Tangshan's counties
  // Deterministic: the same seed gives the same people.
  DemoRegistry again = BuildDemoRegistry(**table, "1302", 3468, 1269, 534, 2817, today);
  EXPECT_EQ(again.households[17].members[0].id_number, r.households[17].members[0].id_number);
}

}  // namespace
}  // namespace jinguo::tools
