#include "services/reporting/domain/indicators.h"

#include "common/base/civil_date.h"
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
  Contributions c = BeneficiaryContributions(Woman(1980), absl::CivilDay(2026, 6, 1), {});
  EXPECT_EQ(c, (Contributions{
                   {kBeneficiariesRegistered, 1}, {kWomenRegistered, 1}, {kStatusNotLifted, 1}, {kEligibleWomen, 1}}));
  v1::ProfileState paired = Woman(1980);
  paired.add_cadre_ids("c1");
  paired.add_cadre_ids("c2");
  EXPECT_EQ(BeneficiaryContributions(paired, absl::CivilDay(2026, 6, 1), {}).Get(kPaired),
            1);  // paired, however many cadres
}

TEST(Contributions, InsuranceEligibilityFollowsTheConfiguredAges) {
  EXPECT_TRUE(BeneficiaryContributions(Woman(1991), absl::CivilDay(2026, 6, 1), {}).Contains(kEligibleWomen));   // 35
  EXPECT_FALSE(BeneficiaryContributions(Woman(1992), absl::CivilDay(2026, 6, 1), {}).Contains(kEligibleWomen));  // 34
  EXPECT_TRUE(BeneficiaryContributions(Woman(1962), absl::CivilDay(2026, 6, 1), {}).Contains(kEligibleWomen));   // 64
  EXPECT_FALSE(BeneficiaryContributions(Woman(1961), absl::CivilDay(2026, 6, 1), {}).Contains(kEligibleWomen));  // 65
  EXPECT_TRUE(BeneficiaryContributions(Woman(1961), absl::CivilDay(2026, 6, 1), {30, 70}).Contains(kEligibleWomen));
}

TEST(Contributions, ChildrenStudentsUnregisteredAndMerged) {
  v1::ProfileState child = Woman(2015);
  child.set_category(reg::CATEGORY_CHILD);
  child.set_student(true);
  Contributions c = BeneficiaryContributions(child, absl::CivilDay(2026, 6, 1), {});
  EXPECT_EQ(c.Get(kChildrenRegistered), 1);
  EXPECT_EQ(c.Get(kSchoolAgeStudents), 1);
  EXPECT_FALSE(c.Contains(kStudentsAided));
  EXPECT_FALSE(c.Contains(kEligibleWomen));
  v1::ProfileState stub = Woman(1980);
  stub.set_registered(false);
  EXPECT_TRUE(BeneficiaryContributions(stub, absl::CivilDay(2026, 6, 1), {}).empty());
  v1::ProfileState merged = Woman(1980);
  merged.set_merged_into("other");
  EXPECT_TRUE(BeneficiaryContributions(merged, absl::CivilDay(2026, 6, 1), {}).empty());
}

TEST(Contributions, StudentAidCountsInTheSchoolYearItWasGrantedFor) {
  v1::ProfileState child = Woman(2014);
  child.set_category(reg::CATEGORY_CHILD);
  child.set_student(true);
  v1::AidYear& aid = (*child.mutable_aid())[2026];  // 2026-2027
  aid.set_grants(2);
  aid.set_granted_fen(150000);
  aid.set_paid_fen(100000);
  EXPECT_EQ(SchoolYearOf(absl::CivilDay(2026, 8, 31)), 2025);
  EXPECT_EQ(SchoolYearOf(absl::CivilDay(2026, 9, 1)), 2026);
  Contributions in_year = BeneficiaryContributions(child, absl::CivilDay(2027, 3, 1), {});
  EXPECT_EQ(in_year.Get(kStudentsAided), 1) << "one student, however many grants";
  EXPECT_EQ(in_year.Get(kAidGrants), 2);
  EXPECT_EQ(in_year.Get(kAidGrantedFen), 150000);
  EXPECT_EQ(in_year.Get(kAidPaidFen), 100000);
  EXPECT_FALSE(BeneficiaryContributions(child, absl::CivilDay(2026, 8, 31), {}).Contains(kStudentsAided))
      << "the school year before";
  EXPECT_FALSE(BeneficiaryContributions(child, absl::CivilDay(2027, 9, 1), {}).Contains(kAidGrants))
      << "the next school year needs its own grant";
  child.set_student(false);
  Contributions left_school = BeneficiaryContributions(child, absl::CivilDay(2027, 3, 1), {});
  EXPECT_FALSE(left_school.Contains(kStudentsAided)) << "aided counts only among students";
  EXPECT_EQ(left_school.Get(kAidGrants), 2) << "the grants still count";
}

TEST(Contributions, TrainingsAndPlacements) {
  v1::ProfileState w = Woman(1985);
  (*w.mutable_trainings())["p1"] = 2;  // waitlisted
  Contributions waiting = BeneficiaryContributions(w, absl::CivilDay(2026, 6, 1), {});
  EXPECT_FALSE(waiting.Contains(kWomenTrained)) << "a waitlisted woman holds no place";
  (*w.mutable_trainings())["p2"] = 5;   // not completed
  (*w.mutable_trainings())["p3"] = 4;   // completed
  (*w.mutable_placements())["j1"] = 6;  // home-based handicraft
  (*w.mutable_placements())["j2"] = 5;  // workshop
  Contributions c = BeneficiaryContributions(w, absl::CivilDay(2026, 6, 1), {});
  EXPECT_EQ(c.Get(kWomenTrained), 1);
  EXPECT_EQ(c.Get(kWomenTrainingCompleted), 1);
  EXPECT_EQ(c.Get(kWomenPlaced), 1) << "one woman in work";
  EXPECT_EQ(c.Get(kPlacedHomeHandicraft), 1);
  EXPECT_EQ(c.Get(kPlacedWorkshop), 1);
  EXPECT_FALSE(c.Contains(kPlacedLocal));
}

TEST(Contributions, HouseholdsByAttribute) {
  v1::HouseholdState h;
  h.set_region_code("130207104201");
  h.set_attribute(reg::HOUSEHOLD_ATTRIBUTE_LOW_INCOME);
  EXPECT_EQ(HouseholdContributions(h, absl::CivilDay(2026, 6, 1)),
            (Contributions{{kHouseholds, 1}, {kHouseholdsLowIncome, 1}}));
}

TEST(Contributions, HouseholdsReachedInTheYearsOfTheirCampaignCleanedAndNeedingHelp) {
  v1::HouseholdState h;
  h.set_region_code("130207104201");
  h.set_attribute(reg::HOUSEHOLD_ATTRIBUTE_GENERAL);
  v1::YearSpan& span = (*h.mutable_campaigns_reached())["c1"];
  span.set_from_year(2026);
  span.set_to_year(2027);
  EXPECT_TRUE(HouseholdContributions(h, absl::CivilDay(2027, 12, 31)).Contains(kHouseholdsPublicityReached));
  EXPECT_FALSE(HouseholdContributions(h, absl::CivilDay(2028, 1, 1)).Contains(kHouseholdsPublicityReached))
      << "a new year needs a campaign of its own";
  EXPECT_FALSE(HouseholdContributions(h, absl::CivilDay(2026, 6, 1)).Contains(kHouseholdsHomeCleaned));
  h.set_home_cleaning_done(true);
  h.set_needs_help(true);
  Contributions c = HouseholdContributions(h, absl::CivilDay(2026, 6, 1));
  EXPECT_EQ(c.Get(kHouseholdsHomeCleaned), 1) << "cleaned stays cleaned";
  EXPECT_EQ(c.Get(kHouseholdsNeedingHelp), 1);
  h.clear_region_code();
  EXPECT_TRUE(HouseholdContributions(h, absl::CivilDay(2026, 6, 1)).empty()) << "not registered yet: nowhere";
}

TEST(Indicators, EachPlaceNamesItsIndicator) {
  ASSERT_EQ(Indicators().size(), size_t{kIndicatorCount});
  EXPECT_STREQ(NameOf(kWomenRegistered), "women_registered");
  EXPECT_STREQ(NameOf(kStatusRiskEliminated), "status_risk_eliminated");
  EXPECT_STREQ(NameOf(kPaired), "paired");
  EXPECT_STREQ(NameOf(kVisitsLast90Days), kVisitsIndicator);
  EXPECT_STREQ(NameOf(kDuplicatesOpen), "duplicates_open");
  EXPECT_STREQ(NameOf(kEligibleWomen), "eligible_women");
  EXPECT_STREQ(NameOf(kStudentsAided), "students_aided");
  for (const auto& c : Coverage()) {  // every coverage pair names indicators that exist
    int found = 0;
    for (const auto& d : Indicators())
      found += std::string(d.name) == c.numerator || std::string(d.name) == c.denominator;
    EXPECT_EQ(found, 2) << c.name;
  }
}

TEST(Contributions, StoredUpToTheLastNonZeroAndReadBack) {
  Contributions c{{kWomenRegistered, 1}, {kEligibleWomen, 1}};
  google::protobuf::RepeatedField<int64_t> stored;
  c.StoreIn(&stored);
  EXPECT_EQ(stored.size(), kEligibleWomen + 1);
  EXPECT_EQ(Contributions::Of(stored), c);
  Contributions().StoreIn(&stored);
  EXPECT_EQ(stored.size(), 0);
}

TEST(Nodes, EveryLevelFromTheCountryDown) {
  EXPECT_EQ(NodesOf("130207104201"),
            (std::vector<std::string>{"", "13", "1302", "130207", "130207104", "130207104201"}));
  EXPECT_EQ(NodesOf("1302"), (std::vector<std::string>{"", "13", "1302"}));
}

TEST(Diff, StatusChangeMovesOneCountInHerRegion) {
  Contributions before{{kStatusNotLifted, 1}, {kBeneficiariesRegistered, 1}};
  Contributions after{{kStatusLifted, 1}, {kBeneficiariesRegistered, 1}};
  std::map<std::pair<std::string, std::string>, int64_t> applied;
  Diff("130207104201", before, "130207104201", after, [&](const std::string& r, Indicator i, int64_t d) {
    applied[{r, NameOf(i)}] += d;
  });
  EXPECT_EQ(applied, (std::map<std::pair<std::string, std::string>, int64_t>{
                         {{"130207104201", "status_lifted"}, 1}, {{"130207104201", "status_not_lifted"}, -1}}));
}

TEST(Diff, ChangedValuesAndIndicatorsOnOneSideOnly) {
  Contributions before{{kPaired, 1}, {kWomenRegistered, 1}};
  Contributions after{{kEligibleWomen, 1}, {kWomenRegistered, 2}};
  std::map<std::string, int64_t> applied;
  Diff("13", before, "13", after, [&](const std::string&, Indicator i, int64_t d) { applied[NameOf(i)] += d; });
  EXPECT_EQ(applied, (std::map<std::string, int64_t>{{"eligible_women", 1}, {"paired", -1}, {"women_registered", 1}}));
}

TEST(Diff, MoveLeavesSharedNodesUnchanged) {
  Contributions c{{kWomenRegistered, 1}};
  std::map<std::string, int64_t> net;
  Diff("130207104201", c, "130208100201", c, [&](const std::string& r, Indicator, int64_t d) {
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
