#include "services/registration/domain/registry_rules.h"

#include "common/base/civil_date.h"
#include "common/validate/id_number.h"
#include "gtest/gtest.h"

namespace jinguo::registration::domain {
namespace {

const absl::CivilDay kToday(2026, 11, 22);

// A valid ID number for a person born on `birth`, female when `female`.
std::string IdNumber(absl::CivilDay birth, bool female, int sequence = 10) {
  return validate::ComposeIdNumber("130207", birth, sequence * 2 + (female ? 0 : 1));
}

v1::Household TheHousehold() {
  v1::Household h;
  h.set_id("h-1");
  h.set_region_code("130207104201");
  h.set_attribute(v1::HOUSEHOLD_ATTRIBUTE_LOW_INCOME);
  return h;
}

v1::BeneficiaryInput Woman() {
  v1::BeneficiaryInput in;
  in.set_id_number(IdNumber(absl::CivilDay(1980, 5, 1), true));
  in.set_name("李秀英");
  in.set_household_id("h-1");
  in.add_poverty_causes(v1::POVERTY_CAUSE_ILLNESS);
  return in;
}

std::vector<std::string> Fields(const validate::FieldViolations& v) {
  std::vector<std::string> out;
  for (const auto& f : v.violations().field_violations()) out.push_back(f.field());
  return out;
}

TEST(Registration, ValidWomanDerivesSexBirthCategoryAndDefaults) {
  validate::FieldViolations v;
  v1::Household h = TheHousehold();
  DerivedFacts f = CheckRegistration(Woman(), &h, kToday, "beneficiary.", v);
  ASSERT_TRUE(v.empty()) << v.ToStatus();
  EXPECT_EQ(f.sex, v1::SEX_FEMALE);
  EXPECT_EQ(f.birth_date, absl::CivilDay(1980, 5, 1));
  EXPECT_EQ(f.category, v1::CATEGORY_WOMAN);
  EXPECT_EQ(f.registered_on, kToday);
  EXPECT_EQ(f.monitoring_status, v1::MONITORING_STATUS_NOT_LIFTED);
  v1::Beneficiary b = BuildBeneficiary("b-1", Woman(), f, h);
  EXPECT_EQ(b.region_code(), "130207104201");
  EXPECT_EQ(b.household_attribute(), v1::HOUSEHOLD_ATTRIBUTE_LOW_INCOME);
}

TEST(Registration, SixteenthBirthdayMakesAWoman) {
  EXPECT_EQ(CategoryOn(absl::CivilDay(2010, 11, 22), kToday), v1::CATEGORY_WOMAN);
  EXPECT_EQ(CategoryOn(absl::CivilDay(2010, 11, 23), kToday), v1::CATEGORY_CHILD);
}

TEST(Registration, BoysAreChildrenButMenAreNotRegistered) {
  v1::Household h = TheHousehold();
  v1::BeneficiaryInput boy = Woman();
  boy.set_id_number(IdNumber(absl::CivilDay(2015, 3, 3), false));
  validate::FieldViolations v1_;
  EXPECT_EQ(CheckRegistration(boy, &h, kToday, "beneficiary.", v1_).category, v1::CATEGORY_CHILD);
  EXPECT_TRUE(v1_.empty()) << v1_.ToStatus();

  v1::BeneficiaryInput man = Woman();
  man.set_id_number(IdNumber(absl::CivilDay(1980, 3, 3), false));
  validate::FieldViolations v2;
  CheckRegistration(man, &h, kToday, "beneficiary.", v2);
  EXPECT_EQ(Fields(v2), std::vector<std::string>{"beneficiary.id_number"});
}

TEST(Registration, SuppliedSexOrBirthDateMustAgreeWithTheIdNumber) {
  v1::Household h = TheHousehold();
  v1::BeneficiaryInput in = Woman();
  in.set_sex(v1::SEX_MALE);
  *in.mutable_birth_date() = ToProto(absl::CivilDay(1980, 5, 2));
  validate::FieldViolations v;
  CheckRegistration(in, &h, kToday, "beneficiary.", v);
  EXPECT_EQ(Fields(v), (std::vector<std::string>{"beneficiary.sex", "beneficiary.birth_date"}));
}

TEST(Registration, EveryBadFieldIsNamedAtOnce) {
  v1::BeneficiaryInput in;
  in.set_id_number("36042619910101007");
  in.set_mobile("12345");
  in.add_poverty_causes(v1::POVERTY_CAUSE_UNSPECIFIED);
  in.set_school_stage(v1::SCHOOL_STAGE_PRIMARY);
  *in.mutable_registered_on() = ToProto(absl::CivilDay(2027, 1, 1));
  validate::FieldViolations v;
  CheckRegistration(in, nullptr, kToday, "beneficiary.", v);
  EXPECT_EQ(Fields(v),
            (std::vector<std::string>{"beneficiary.id_number", "beneficiary.registered_on", "beneficiary.name",
                                      "beneficiary.household_id", "beneficiary.poverty_causes", "beneficiary.mobile",
                                      "beneficiary.school_stage"}));
}

TEST(Registration, NamesAreTrimmedCountedInCharactersAndFreeOfHiddenCharacters) {
  auto check = [](const std::string& name) {
    v1::BeneficiaryInput in = Woman();
    in.set_name(name);
    validate::FieldViolations v;
    DerivedFacts facts = CheckRegistration(in, nullptr, kToday, "beneficiary.", v);
    std::string reason;
    for (const auto& f : v.violations().field_violations()) {
      if (f.field() == "beneficiary.name") reason = f.description();
    }
    return std::make_pair(facts.name, reason);
  };
  EXPECT_EQ(check(" 王丽 ").first, "王丽");
  EXPECT_EQ(check("\u3000王丽\t").first, "王丽");
  EXPECT_EQ(check("阿依古丽·买买提").second, "");
  EXPECT_EQ(check("阿依古丽·买买提").first, "阿依古丽·买买提");
  EXPECT_EQ(check("Mary Ann").first, "Mary Ann");
  std::string fifty, fifty_one;
  for (int i = 0; i < 50; ++i) fifty += "丽";
  fifty_one = fifty + "丽";
  EXPECT_EQ(check(fifty).second, "");
  EXPECT_EQ(check(fifty_one).second, "must be at most 50 characters, got 51");
  EXPECT_EQ(check(std::string(100, 'a')).second, "must be at most 50 characters, got 100");
  EXPECT_EQ(check("   ").second, "must not be blank (it holds only spaces)");
  EXPECT_EQ(check("").second, "is required");
  for (const char* hidden : {"\u202E", "\u200D", "\x7F", "\u0085", "\u2066", "\uFEFF", "\x01", "\u2028"}) {
    std::string reason = check(std::string("王") + hidden + "丽").second;
    EXPECT_NE(reason.find("must not contain U+"), std::string::npos) << reason;
  }
  EXPECT_NE(check("王\u202E丽").second.find("U+202E"), std::string::npos);
  EXPECT_NE(check("王\u0085丽").second.find("U+0085"), std::string::npos);
  EXPECT_EQ(check("\xe7\x8e").second, "is not valid UTF-8");
}

TEST(Registration, PovertyCausesAreRequiredAndDistinct) {
  v1::Household h = TheHousehold();
  v1::BeneficiaryInput none = Woman();
  none.clear_poverty_causes();
  validate::FieldViolations v;
  CheckRegistration(none, &h, kToday, "", v);
  EXPECT_EQ(Fields(v), std::vector<std::string>{"poverty_causes"});
  v1::BeneficiaryInput twice = Woman();
  twice.add_poverty_causes(v1::POVERTY_CAUSE_ILLNESS);
  validate::FieldViolations v2;
  CheckRegistration(twice, &h, kToday, "", v2);
  EXPECT_NE(v2.ToStatus().message().find("listed twice"), std::string::npos);
}

TEST(Registration, StudentsAreChildrenWithAStage) {
  v1::Household h = TheHousehold();
  v1::BeneficiaryInput girl = Woman();
  girl.set_id_number(IdNumber(absl::CivilDay(2014, 9, 1), true));
  girl.set_student(true);
  validate::FieldViolations v;
  CheckRegistration(girl, &h, kToday, "", v);
  EXPECT_EQ(Fields(v), std::vector<std::string>{"school_stage"});
  girl.set_school_stage(v1::SCHOOL_STAGE_JUNIOR_SECONDARY);
  validate::FieldViolations ok;
  CheckRegistration(girl, &h, kToday, "", ok);
  EXPECT_TRUE(ok.empty());
  v1::BeneficiaryInput woman = Woman();
  woman.set_student(true);
  woman.set_school_stage(v1::SCHOOL_STAGE_VOCATIONAL);
  validate::FieldViolations v3;
  CheckRegistration(woman, &h, kToday, "", v3);
  EXPECT_EQ(Fields(v3), std::vector<std::string>{"student"});
}

TEST(Update, IdNumberRegistrationDateAndStatusCannotChangeHere) {
  v1::Household h = TheHousehold();
  validate::FieldViolations setup;
  v1::Beneficiary current = BuildBeneficiary("b-1", Woman(), CheckRegistration(Woman(), &h, kToday, "", setup), h);
  v1::BeneficiaryInput in = Woman();
  in.set_id_number(IdNumber(absl::CivilDay(1981, 5, 1), true));
  in.set_monitoring_status(v1::MONITORING_STATUS_LIFTED);
  *in.mutable_registered_on() = ToProto(absl::CivilDay(2020, 1, 1));
  validate::FieldViolations v;
  CheckUpdate(in, current, &h, kToday, "beneficiary.", v);
  EXPECT_EQ(Fields(v), (std::vector<std::string>{"beneficiary.id_number", "beneficiary.registered_on",
                                                 "beneficiary.monitoring_status"}));
}

TEST(MonitoringStatus, OnlySensibleTransitions) {
  struct Case {
    v1::MonitoringStatus from, to;
    bool ok;
  } cases[] = {
      {v1::MONITORING_STATUS_NOT_LIFTED, v1::MONITORING_STATUS_LIFTED, true},
      {v1::MONITORING_STATUS_NOT_LIFTED, v1::MONITORING_STATUS_RISK_ELIMINATED, false},
      {v1::MONITORING_STATUS_LIFTED, v1::MONITORING_STATUS_UNSTABLE, true},
      {v1::MONITORING_STATUS_LIFTED, v1::MONITORING_STATUS_NOT_LIFTED, false},
      {v1::MONITORING_STATUS_UNSTABLE, v1::MONITORING_STATUS_RISK_ELIMINATED, true},
      {v1::MONITORING_STATUS_MARGINAL, v1::MONITORING_STATUS_SUDDEN_HARDSHIP, true},
      {v1::MONITORING_STATUS_SUDDEN_HARDSHIP, v1::MONITORING_STATUS_RISK_ELIMINATED, true},
      {v1::MONITORING_STATUS_SUDDEN_HARDSHIP, v1::MONITORING_STATUS_LIFTED, false},
      {v1::MONITORING_STATUS_RISK_ELIMINATED, v1::MONITORING_STATUS_UNSTABLE, true},
      {v1::MONITORING_STATUS_RISK_ELIMINATED, v1::MONITORING_STATUS_RISK_ELIMINATED, false},
  };
  for (const Case& c : cases) {
    absl::Status s = CheckMonitoringTransition(c.from, c.to);
    EXPECT_EQ(s.ok(), c.ok) << v1::MonitoringStatus_Name(c.from) << " -> " << v1::MonitoringStatus_Name(c.to);
    if (!c.ok) {
      EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    }
  }
  absl::Status s = CheckMonitoringTransition(v1::MONITORING_STATUS_NOT_LIFTED, v1::MONITORING_STATUS_MARGINAL);
  EXPECT_NE(s.message().find("allowed: MONITORING_STATUS_LIFTED (已脱贫)"), std::string::npos) << s.message();
}

TEST(Duplicates, KeyIsCountyBirthDateAndName) {
  EXPECT_EQ(DuplicateKey("130207104201", absl::CivilDay(1980, 5, 1), "李秀英"), "130207|1980-05-01|李秀英");
  EXPECT_EQ(DuplicateKey("130207999201", absl::CivilDay(1980, 5, 1), "李秀英"),
            DuplicateKey("130207104201", absl::CivilDay(1980, 5, 1), "李秀英"));
}

TEST(Merge, SurvivorKeepsItsFieldsTakesMissingOnesAndRecordsConflicts) {
  v1::Beneficiary s, m;
  s.set_id("b-1");
  s.set_id_number("13020719800501012X");
  s.set_name("李秀英");
  s.set_region_code("130207104201");
  s.add_poverty_causes(v1::POVERTY_CAUSE_ILLNESS);
  s.add_cadre_ids("c-1");
  m.set_id("b-2");
  m.set_id_number("130207198005010228");
  m.set_name("李秀英");
  m.set_mobile("13812345678");
  m.set_region_code("130207104201");
  m.set_disabled(true);
  m.add_poverty_causes(v1::POVERTY_CAUSE_DISABILITY);
  m.add_cadre_ids("c-2");
  m.add_merged_ids("b-0");
  MergeResult r = MergeBeneficiaries(s, m);
  EXPECT_EQ(r.survivor.id(), "b-1");
  EXPECT_EQ(r.survivor.id_number(), "13020719800501012X");
  EXPECT_EQ(r.survivor.mobile(), "13812345678");
  EXPECT_TRUE(r.survivor.disabled());
  EXPECT_EQ(r.survivor.poverty_causes_size(), 2);
  EXPECT_EQ(r.survivor.cadre_ids_size(), 2);
  EXPECT_EQ(std::vector<std::string>(r.survivor.merged_ids().begin(), r.survivor.merged_ids().end()),
            (std::vector<std::string>{"b-2", "b-0"}));
  ASSERT_EQ(r.conflicts.size(), 1u);
  EXPECT_EQ(r.conflicts[0].field(), "id_number");
  EXPECT_EQ(r.conflicts[0].survivor_value(), "130***********012X");
  EXPECT_EQ(r.conflicts[0].merged_value(), "130***********0228");
}

TEST(Facts, CarryNoUnmaskedIdentifiers) {
  v1::Beneficiary b;
  b.set_id("b-1");
  b.set_id_number("11010519491231002X");
  b.set_mobile("13812345678");
  v1::BeneficiaryFacts f = FactsOf(b);
  std::string bytes = f.SerializeAsString();
  EXPECT_EQ(bytes.find("11010519491231002X"), std::string::npos);
  EXPECT_EQ(bytes.find("13812345678"), std::string::npos);
  EXPECT_EQ(f.id_number_masked(), "110***********002X");
  EXPECT_EQ(Masked(b).mobile(), "138****5678");
}

// A member of a moved household moves with it, and the events say where she and it came from.
TEST(Households, AMoveTakesItsMembersAndSaysWhereFrom) {
  v1::Household h = NewHousehold("h-9", "130207104201", v1::HOUSEHOLD_ATTRIBUTE_GENERAL, "王某", kToday);
  EXPECT_EQ(h.version(), 1);
  v1::HouseholdRegistered registered = HouseholdRegisteredEvent(h);
  EXPECT_EQ(registered.region_code(), "130207104201");
  EXPECT_EQ(FromProto(registered.registered_on()).value(), kToday);

  v1::Household renamed = UpdatedHousehold(h, h.region_code(), h.attribute(), "王某某");
  EXPECT_FALSE(MovesMembers(renamed, h));
  v1::Household moved = UpdatedHousehold(h, "130208100201", v1::HOUSEHOLD_ATTRIBUTE_LOW_INCOME, "王某");
  EXPECT_TRUE(MovesMembers(moved, h));
  EXPECT_EQ(moved.version(), 2);
  v1::HouseholdUpdated updated = HouseholdUpdatedEvent(moved, h);
  EXPECT_EQ(updated.previous_region_code(), "130207104201");
  EXPECT_EQ(updated.region_code(), "130208100201");
  EXPECT_EQ(updated.previous_attribute(), v1::HOUSEHOLD_ATTRIBUTE_GENERAL);

  v1::Beneficiary member;
  member.set_id("b-1");
  member.set_id_number(IdNumber(absl::CivilDay(1980, 5, 1), true));
  member.set_region_code(h.region_code());
  member.set_version(3);
  v1::Beneficiary after = MovedMember(member, moved);
  EXPECT_EQ(after.region_code(), "130208100201");
  EXPECT_EQ(after.household_attribute(), v1::HOUSEHOLD_ATTRIBUTE_LOW_INCOME);
  EXPECT_EQ(after.version(), 4);
  v1::BeneficiaryUpdated event = UpdatedEvent(after, member);
  EXPECT_EQ(event.previous_region_code(), "130207104201");
  EXPECT_EQ(event.beneficiary().id_number_masked().find(member.id_number()), std::string::npos);

  validate::FieldViolations v;
  CheckHouseholdAttribute(v1::HOUSEHOLD_ATTRIBUTE_UNSPECIFIED, v);
  CheckHouseholdAttribute(static_cast<v1::HouseholdAttribute>(99), v);
  CheckHouseholdAttribute(v1::HOUSEHOLD_ATTRIBUTE_DESTITUTE, v);
  EXPECT_EQ(Fields(v), (std::vector<std::string>{"attribute", "attribute"}));
}

TEST(MonitoringStatus, AChangeCarriesBothStatusesTheReasonAndTheDate) {
  v1::Beneficiary b;
  b.set_id("b-1");
  b.set_monitoring_status(v1::MONITORING_STATUS_NOT_LIFTED);
  b.set_version(2);
  v1::Beneficiary lifted = WithStatus(b, v1::MONITORING_STATUS_LIFTED);
  EXPECT_EQ(lifted.version(), 3);
  v1::MonitoringStatusChanged e = StatusChangedEvent(lifted, b, "收入稳定", ToProto(kToday));
  EXPECT_EQ(e.previous_status(), v1::MONITORING_STATUS_NOT_LIFTED);
  EXPECT_EQ(e.status(), v1::MONITORING_STATUS_LIFTED);
  EXPECT_EQ(e.reason(), "收入稳定");
  EXPECT_EQ(FromProto(e.effective_on()).value(), kToday);
}

TEST(Cadres, ServeOnlyTheirRegionAndPairOnce) {
  v1::Cadre c = NewCadre("c-1", "王干部", "13800138000", "130207104");
  v1::CadreRegistered registered = CadreRegisteredEvent(c);
  EXPECT_EQ(registered.name(), "王干部");
  EXPECT_EQ(registered.DebugString().find("13800138000"), std::string::npos);  // no phone number in the event

  v1::Beneficiary inside;
  inside.set_id("b-1");
  inside.set_region_code("130207104201");
  v1::Beneficiary outside = inside;
  outside.set_region_code("130208100201");
  EXPECT_TRUE(CheckCadreServes(c, inside).ok());
  absl::Status refused = CheckCadreServes(c, outside);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("130208100201"), absl::string_view::npos) << refused;

  v1::Beneficiary paired = WithCadre(WithCadre(inside, "c-1"), "c-1");
  EXPECT_EQ(paired.cadre_ids_size(), 1);
  EXPECT_EQ(WithoutCadre(WithCadre(paired, "c-2"), "c-1").cadre_ids(0), "c-2");
  EXPECT_EQ(FromProto(PairedEvent("c-1", "b-1", kToday).paired_on()).value(), kToday);
  EXPECT_EQ(UnpairedEvent("c-1", "b-1", "调岗").reason(), "调岗");

  v1::Visit visit;
  visit.set_id("v-1");
  visit.set_cadre_id("c-1");
  visit.set_beneficiary_id("b-1");
  visit.set_notes("家中有病人");
  *visit.mutable_visited_on() = ToProto(kToday - 1);
  v1::VisitRecorded e = VisitEvent(visit);
  EXPECT_EQ(e.visit_id(), "v-1");
  EXPECT_EQ(FromProto(e.visited_on()).value(), kToday - 1);
  EXPECT_EQ(e.DebugString().find("家中有病人"), std::string::npos);  // notes stay in the registry
}

TEST(Duplicates, CandidatesOpenAndResolveWithTheirEvents) {
  v1::Beneficiary b;
  b.set_id("b-2");
  b.set_region_code("130207104201");
  v1::DuplicateCandidate c = NewDuplicateCandidate("d-1", b, "b-1");
  EXPECT_EQ(c.state(), v1::DUPLICATE_STATE_OPEN);
  EXPECT_EQ(c.region_code(), "130207104201");
  v1::DuplicateCandidateFlagged flagged = FlaggedEvent(c);
  EXPECT_EQ(flagged.beneficiary_id(), "b-2");
  EXPECT_EQ(flagged.existing_beneficiary_id(), "b-1");
  c.set_state(v1::DUPLICATE_STATE_CONFIRMED);
  c.set_survivor_id("b-1");
  EXPECT_EQ(ResolvedEvent(c).survivor_id(), "b-1");
}

TEST(Merge, TheEventNamesBothAndCarriesNoUnmaskedIdentifiers) {
  v1::Beneficiary survivor;
  survivor.set_id("b-1");
  survivor.set_id_number(IdNumber(absl::CivilDay(1980, 5, 1), true, 11));
  survivor.set_region_code("130207104201");
  v1::Beneficiary merged = survivor;
  merged.set_id("b-2");
  merged.set_id_number(IdNumber(absl::CivilDay(1980, 5, 1), true, 12));
  merged.set_region_code("130207104202");
  MergeResult result = MergeBeneficiaries(survivor, merged);
  v1::BeneficiariesMerged e = MergedEvent(result, merged);
  EXPECT_EQ(e.survivor_id(), "b-1");
  EXPECT_EQ(e.merged_id(), "b-2");
  EXPECT_EQ(e.merged_region_code(), "130207104202");
  std::string bytes = e.SerializeAsString();
  EXPECT_EQ(bytes.find(survivor.id_number()), std::string::npos);
  EXPECT_EQ(bytes.find(merged.id_number()), std::string::npos);
}

}  // namespace
}  // namespace jinguo::registration::domain
