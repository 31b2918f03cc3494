#include "services/training/domain/training_rules.h"

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "gtest/gtest.h"
#include "services/training/domain/job_categories.h"

namespace jinguo::training::domain {
namespace {

namespace reg = ::jinguo::registration::v1;

std::vector<std::string> Fields(const validate::FieldViolations& v) {
  std::vector<std::string> out;
  for (const auto& f : v.violations().field_violations()) out.push_back(f.field());
  return out;
}

v1::Programme Handicraft() {
  v1::Programme p;
  p.set_id("P1");
  p.set_title("唐山市巾帼手工编织培训班");
  p.set_kind(v1::PROGRAMME_KIND_HANDICRAFT);
  p.set_provider("唐山市妇联");
  p.set_region_code("130207");
  p.set_capacity(2);
  *p.mutable_starts_on() = ToProto(absl::CivilDay(2026, 3, 1));
  *p.mutable_ends_on() = ToProto(absl::CivilDay(2026, 3, 10));
  p.set_planned_sessions(5);
  p.set_planned_hours(20);
  return p;
}

TEST(SchoolYear, OnlyTheFormYYYYDashNextYear) {
  EXPECT_EQ(*ParseSchoolYear("2025-2026"), 2025);
  EXPECT_EQ(FormatSchoolYear(2025), "2025-2026");
  for (const char* bad : {"2025-2027", "2025/2026", "2025", "25-26", "2025-2026 ", "abcd-abce", "+025-2026"}) {
    auto y = ParseSchoolYear(bad);
    EXPECT_FALSE(y.ok()) << bad;
    if (!y.ok()) {
      EXPECT_NE(y.status().message().find("such as 2025-2026"), std::string::npos);
    }
  }
}

TEST(Programmes, CheckedWithTheThresholdDefaulted) {
  validate::FieldViolations ok;
  v1::Programme p = ProgrammeFrom(Handicraft(), ok);
  EXPECT_TRUE(ok.empty());
  EXPECT_EQ(p.completion_threshold_bp(), 8000);
  v1::Programme bad = Handicraft();
  bad.set_capacity(0);
  bad.set_kind(v1::PROGRAMME_KIND_UNSPECIFIED);
  *bad.mutable_ends_on() = ToProto(absl::CivilDay(2026, 2, 1));
  validate::FieldViolations v;
  ProgrammeFrom(bad, v);
  EXPECT_EQ(Fields(v), (std::vector<std::string>{"programme.kind", "programme.capacity", "programme.ends_on"}));
  EXPECT_TRUE(CheckSessionDate(p, absl::CivilDay(2026, 3, 10), "held_on").ok());
  absl::Status outside = CheckSessionDate(p, absl::CivilDay(2026, 3, 11), "held_on");
  EXPECT_EQ(outside.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(outside.message().find("outside the programme's dates 2026-03-01 to 2026-03-10"), std::string::npos);
}

TEST(Trainees, RegisteredWomenOf16AndOver) {
  replica::v1::RegistryFacts her;
  her.set_sex(reg::SEX_FEMALE);
  her.set_category(reg::CATEGORY_WOMAN);
  *her.mutable_birth_date() = ToProto(absl::CivilDay(1990, 1, 1));
  absl::CivilDay on(2026, 3, 1);
  EXPECT_TRUE(CheckTrainee(her, on, "beneficiary_id").ok());
  replica::v1::RegistryFacts man = her;
  man.set_sex(reg::SEX_MALE);
  EXPECT_EQ(CheckTrainee(man, on, "beneficiary_id").code(), absl::StatusCode::kFailedPrecondition);
  replica::v1::RegistryFacts girl = her;
  girl.set_category(reg::CATEGORY_CHILD);
  EXPECT_EQ(CheckTrainee(girl, on, "beneficiary_id").code(), absl::StatusCode::kFailedPrecondition);
  replica::v1::RegistryFacts merged = her;
  merged.set_merged_into("b9");
  EXPECT_NE(CheckTrainee(merged, on, "beneficiary_id").message().find("merged into b9"), std::string::npos);
}

TEST(Workers, RegisteredWomenOnly) {
  replica::v1::RegistryFacts her;
  her.set_sex(reg::SEX_FEMALE);
  her.set_category(reg::CATEGORY_WOMAN);
  *her.mutable_birth_date() = ToProto(absl::CivilDay(1990, 1, 1));
  absl::CivilDay on(2026, 3, 1);
  EXPECT_TRUE(CheckWorker(her, on, "beneficiary_id").ok());
  replica::v1::RegistryFacts man = her;
  man.set_sex(reg::SEX_MALE);
  EXPECT_NE(CheckWorker(man, on, "beneficiary_id").message().find("not a registered woman"), std::string::npos);
  replica::v1::RegistryFacts merged = her;
  merged.set_merged_into("b9");
  EXPECT_EQ(CheckWorker(merged, on, "beneficiary_id").code(), absl::StatusCode::kFailedPrecondition);
}

TEST(JobCategories, ReadFromTheCodeListWithItsErrorsLocated) {
  auto ok = ParseJobCategories("# comment\ncode,name,group\nHC01,手工编织,手工制作\nAG01,蔬菜大棚,种植养殖\n", "cats");
  ASSERT_TRUE(ok.ok()) << ok.status();
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[1].code, "AG01");
  EXPECT_EQ((*ok)[1].name, "蔬菜大棚");
  auto repeated = ParseJobCategories("code,name,group\nHC01,a,g\nHC01,b,g\n", "cats");
  EXPECT_EQ(repeated.status().message(), "cats:3: code HC01 is listed twice");
  auto short_row = ParseJobCategories("code,name,group\nHC01\n", "cats");
  EXPECT_EQ(short_row.status().message(), "cats:2: a category is code,name,group with a code and a name");
  EXPECT_FALSE(ParseJobCategories("code,name\n", "cats").ok()) << "the header";
  EXPECT_FALSE(ParseJobCategories("# nothing\n", "cats").ok());
}

TEST(Enrolment, FullMeansWaitlistedAndTheFirstToComeIsPromoted) {
  EXPECT_EQ(PlaceOf(1, 2), v1::PARTICIPANT_STATE_ENROLLED);
  EXPECT_EQ(PlaceOf(2, 2), v1::PARTICIPANT_STATE_WAITLISTED);
  std::vector<v1::Participant> ps(4);
  for (int i = 0; i < 4; ++i) ps[i].set_number(i + 1);
  ps[0].set_state(v1::PARTICIPANT_STATE_ENROLLED);
  ps[1].set_state(v1::PARTICIPANT_STATE_WAITLISTED);
  ps[2].set_state(v1::PARTICIPANT_STATE_WITHDRAWN);
  ps[3].set_state(v1::PARTICIPANT_STATE_WAITLISTED);
  std::swap(ps[1], ps[3]);  // the order in a list is not the order they came in
  auto next = NextOnWaitlist(ps);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(ps[*next].number(), 2);
  ps[*next].set_state(v1::PARTICIPANT_STATE_ENROLLED);
  EXPECT_EQ(ps[*NextOnWaitlist(ps)].number(), 4);
}

TEST(Completion, EightyPercentOfTheSessionsHeldAfterTheEnd) {
  v1::Programme p = Handicraft();
  p.set_completion_threshold_bp(8000);
  v1::Participant good, weak;
  for (v1::Participant* x : {&good, &weak}) x->set_state(v1::PARTICIPANT_STATE_ENROLLED);
  good.set_number(7);
  for (int s = 0; s < 5; ++s) {
    (*good.mutable_attendance())[absl::StrCat("s", s)] = s == 4 ? v1::ATTENDANCE_EXCUSED : v1::ATTENDANCE_PRESENT;
    (*weak.mutable_attendance())[absl::StrCat("s", s)] = s < 3 ? v1::ATTENDANCE_PRESENT : v1::ATTENDANCE_ABSENT;
  }
  EXPECT_EQ(Complete(p, 5, absl::CivilDay(2026, 3, 9), "TS2026", good).code(), absl::StatusCode::kFailedPrecondition)
      << "before the end date";
  ASSERT_TRUE(Complete(p, 5, absl::CivilDay(2026, 3, 10), "TS2026", good).ok());
  EXPECT_EQ(good.state(), v1::PARTICIPANT_STATE_COMPLETED);
  EXPECT_EQ(good.attendance_rate_bp(), 8000) << "4 present of 5: an excused absence is not a presence";
  EXPECT_EQ(good.certificate_number(), "TS2026-0007");
  ASSERT_TRUE(Complete(p, 5, absl::CivilDay(2026, 3, 12), "TS2026", weak).ok());
  EXPECT_EQ(weak.state(), v1::PARTICIPANT_STATE_NOT_COMPLETED);
  EXPECT_EQ(weak.attendance_rate_bp(), 6000);
  EXPECT_TRUE(weak.certificate_number().empty());
}

TEST(Jobs, PostingsAndPlacements) {
  const std::vector<std::string> categories = {"handicraft-knitting", "workshop-assembly"};
  v1::JobPosting in;
  in.set_employer("玉田县巾帼编织合作社");
  in.set_category("handicraft-knitting");
  in.set_positions(40);
  in.set_wage_min_fen(200000);
  in.set_wage_max_fen(350000);
  in.set_kind(v1::JOB_KIND_HOME_HANDICRAFT);
  validate::FieldViolations ok;
  v1::JobPosting posting = PostingFrom(in, categories, ok);
  EXPECT_TRUE(ok.empty());
  v1::JobPosting bad = in;
  bad.set_category("pilot");
  bad.set_positions(0);
  bad.set_wage_min_fen(400000);
  validate::FieldViolations v;
  PostingFrom(bad, categories, v);
  EXPECT_EQ(Fields(v), (std::vector<std::string>{"posting.category", "posting.positions", "posting.wage_min_fen"}));
  validate::FieldViolations negative;
  bad = in;
  bad.set_wage_min_fen(-1);
  PostingFrom(bad, categories, negative);
  EXPECT_EQ(Fields(negative), std::vector<std::string>{"posting.wage_min_fen"});

  posting.set_id("J1");
  EXPECT_TRUE(CheckPlacement(posting, false).ok());
  EXPECT_EQ(CheckPlacement(posting, true).code(), absl::StatusCode::kAlreadyExists);
  posting.set_placed(40);
  absl::Status full = CheckPlacement(posting, false);
  EXPECT_EQ(full.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(full.message().find("40 of 40 positions taken"), std::string::npos);
  posting.set_placed(0);
  posting.set_closed(true);
  EXPECT_NE(CheckPlacement(posting, false).message().find("closed"), std::string::npos);
}

TEST(StudentAid, OncePerSchoolYearPerFundWithinWhatTheFundHas) {
  replica::v1::RegistryFacts child;
  child.set_category(reg::CATEGORY_CHILD);
  child.set_student(true);
  v1::AidFund fund;
  fund.set_id("F1");
  fund.set_name("春蕾计划唐山专项");
  fund.set_raised_fen(100000);
  fund.set_granted_fen(60000);
  EXPECT_TRUE(CheckAidGrant(child, fund, 2025, 40000, {}).ok());
  absl::Status overdrawn = CheckAidGrant(child, fund, 2025, 40001, {});
  EXPECT_EQ(overdrawn.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(overdrawn.message().find("has left, 400.00 元"), std::string::npos) << overdrawn.message();
  EXPECT_EQ(CheckAidGrant(child, fund, 2025, 0, {}).code(), absl::StatusCode::kInvalidArgument);
  v1::AidGrant earlier;
  earlier.set_id("G1");
  earlier.set_fund_id("F1");
  earlier.set_school_year(2025);
  absl::Status twice = CheckAidGrant(child, fund, 2025, 100, {earlier});
  EXPECT_EQ(twice.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(twice.message().find("G1 from this fund for 2025-2026"), std::string::npos);
  EXPECT_TRUE(CheckAidGrant(child, fund, 2026, 100, {earlier}).ok()) << "the next school year";
  replica::v1::RegistryFacts not_student = child;
  not_student.set_student(false);
  EXPECT_EQ(CheckAidGrant(not_student, fund, 2025, 100, {}).code(), absl::StatusCode::kFailedPrecondition);
  replica::v1::RegistryFacts woman = child;
  woman.set_category(reg::CATEGORY_WOMAN);
  EXPECT_EQ(CheckAidGrant(woman, fund, 2025, 100, {}).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace jinguo::training::domain
