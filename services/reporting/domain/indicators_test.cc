#include "services/reporting/domain/indicators.h"

#include "gtest/gtest.h"
#include "jinguo/registration/v1/types.pb.h"

namespace jinguo::reporting::domain {
namespace {

namespace reg = ::jinguo::registration::v1;

v1::ProfileState Woman(int birth_year) {
  v1::ProfileState p;
  p.set_beneficiary_id("b");
  p.set_registered(true);
  p.set_region_code("130207104201");
  p.set_category(reg::CATEGORY_WOMAN);
  p.set_birth_year(birth_year);
  p.set_monitoring_status(reg::MONITORING_STATUS_NOT_LIFTED);
  return p;
}

TEST(Contributions, WomanCountsOnceInEachOfHerIndicators) {
  Contributions c = BeneficiaryContributions(Woman(1980), 2026, {});
  EXPECT_EQ(c, (Contributions{{"beneficiaries_registered", 1},
                              {"women_registered", 1},
                              {"status_not_lifted", 1},
                              {"eligible_women", 1}}));
  v1::ProfileState paired = Woman(1980);
  paired.add_cadre_ids("c1");
  paired.add_cadre_ids("c2");
  EXPECT_EQ(BeneficiaryContributions(paired, 2026, {}).Get("paired"), 1);  // paired, however many cadres
}

TEST(Contributions, InsuranceEligibilityFollowsTheConfiguredAges) {
  EXPECT_TRUE(BeneficiaryContributions(Woman(1991), 2026, {}).Contains("eligible_women"));  // 35
  EXPECT_FALSE(BeneficiaryContributions(Woman(1992), 2026, {}).Contains("eligible_women"));  // 34
  EXPECT_TRUE(BeneficiaryContributions(Woman(1962), 2026, {}).Contains("eligible_women"));  // 64
  EXPECT_FALSE(BeneficiaryContributions(Woman(1961), 2026, {}).Contains("eligible_women"));  // 65
  EXPECT_TRUE(BeneficiaryContributions(Woman(1961), 2026, {30, 70}).Contains("eligible_women"));
}

TEST(Contributions, ChildrenStudentsUnregisteredAndMerged) {
  v1::ProfileState child = Woman(2015);
  child.set_category(reg::CATEGORY_CHILD);
  child.set_student(true);
  Contributions c = BeneficiaryContributions(child, 2026, {});
  EXPECT_EQ(c.Get("children_registered"), 1);
  EXPECT_EQ(c.Get("school_age_students"), 1);
  EXPECT_FALSE(c.Contains("students_aided"));
  EXPECT_FALSE(c.Contains("eligible_women"));
  v1::ProfileState stub = Woman(1980);
  stub.set_registered(false);
  EXPECT_TRUE(BeneficiaryContributions(stub, 2026, {}).empty());
  v1::ProfileState merged = Woman(1980);
  merged.set_merged_into("other");
  EXPECT_TRUE(BeneficiaryContributions(merged, 2026, {}).empty());
}

TEST(Contributions, HouseholdsByAttribute) {
  v1::HouseholdState h;
  h.set_region_code("130207104201");
  h.set_attribute(reg::HOUSEHOLD_ATTRIBUTE_LOW_INCOME);
  EXPECT_EQ(HouseholdContributions(h), (Contributions{{"households", 1}, {"households_low_income", 1}}));
}

TEST(Nodes, EveryLevelFromTheCountryDown) {
  EXPECT_EQ(NodesOf("130207104201"),
            (std::vector<std::string>{"", "13", "1302", "130207", "130207104", "130207104201"}));
  EXPECT_EQ(NodesOf("1302"), (std::vector<std::string>{"", "13", "1302"}));
}

TEST(Diff, StatusChangeMovesOneCountInHerRegion) {
  Contributions before{{"status_not_lifted", 1}, {"beneficiaries_registered", 1}};
  Contributions after{{"status_lifted", 1}, {"beneficiaries_registered", 1}};
  std::map<std::pair<std::string, std::string>, int64_t> applied;
  Diff("130207104201", before, "130207104201", after,
       [&](const std::string& r, absl::string_view i, int64_t d) { applied[{r, std::string(i)}] += d; });
  EXPECT_EQ(applied, (std::map<std::pair<std::string, std::string>, int64_t>{
                         {{"130207104201", "status_lifted"}, 1}, {{"130207104201", "status_not_lifted"}, -1}}));
}

TEST(Diff, ChangedValuesAndIndicatorsOnOneSideOnly) {
  Contributions before{{"paired", 1}, {"women_registered", 1}};
  Contributions after{{"eligible_women", 1}, {"women_registered", 2}};
  std::map<std::string, int64_t> applied;
  Diff("13", before, "13", after, [&](const std::string&, absl::string_view i, int64_t d) { applied[std::string(i)] += d; });
  EXPECT_EQ(applied, (std::map<std::string, int64_t>{{"eligible_women", 1}, {"paired", -1}, {"women_registered", 1}}));
}

TEST(Diff, MoveLeavesSharedNodesUnchanged) {
  Contributions c{{"women_registered", 1}};
  std::map<std::string, int64_t> net;
  Diff("130207104201", c, "130208100201", c, [&](const std::string& r, absl::string_view, int64_t d) {
    for (const auto& node : NodesOf(r)) net[node] += d;
  });
  EXPECT_EQ(net[""], 0);
  EXPECT_EQ(net["13"], 0);
  EXPECT_EQ(net["1302"], 0);
  EXPECT_EQ(net["130207"], -1);
  EXPECT_EQ(net["130208"], 1);
  EXPECT_EQ(net["130208100201"], 1);
}

TEST(Coverage, BasisPoints) {
  EXPECT_EQ(BasisPoints(1, 3), 3333);
  EXPECT_EQ(BasisPoints(5, 5), 10000);
  EXPECT_EQ(BasisPoints(0, 0), 0);
}

}  // namespace
}  // namespace jinguo::reporting::domain
