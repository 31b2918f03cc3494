#include "services/health/domain/screening_rules.h"

#include "common/base/civil_date.h"
#include "gtest/gtest.h"

namespace jinguo::health::domain {
namespace {

namespace reg = ::jinguo::registration::v1;

const absl::CivilDay kDay(2026, 6, 1);

replica::v1::RegistryFacts Woman(absl::CivilDay born, reg::Sex sex = reg::SEX_FEMALE) {
  replica::v1::RegistryFacts f;
  f.set_beneficiary_id("b-1");
  f.set_region_code("130207104201");
  f.set_sex(sex);
  *f.mutable_birth_date() = ToProto(born);
  f.set_category(reg::CATEGORY_WOMAN);
  return f;
}

v1::TestResult Cytology(v1::CytologyResult r) {
  v1::TestResult t;
  t.set_cytology(r);
  return t;
}
v1::TestResult Hpv(v1::HpvResult r) {
  v1::TestResult t;
  t.set_hpv(r);
  return t;
}
v1::TestResult Birads(int b) {
  v1::TestResult t;
  t.set_birads(b);
  return t;
}
v1::TestResult Colposcopy(v1::ColposcopyResult r) {
  v1::TestResult t;
  t.set_colposcopy(r);
  return t;
}
v1::TestResult Diagnosed(v1::Diagnosis d) {
  v1::TestResult t;
  t.set_diagnosis(d);
  return t;
}

std::string FieldOf(const absl::Status& s) {
  auto br = validate::BadRequestOf(s);
  return br.field_violations_size() ? br.field_violations(0).field() : "";
}

TEST(Eligibility, WomenAged35To64OnTheScreeningDate) {
  Settings settings;
  EXPECT_TRUE(CheckEligible(Woman(absl::CivilDay(1991, 6, 1)), kDay, settings, "beneficiary_id").ok());  // 35 today
  EXPECT_TRUE(CheckEligible(Woman(absl::CivilDay(1961, 6, 2)), kDay, settings, "beneficiary_id").ok());  // 64
  absl::Status young = CheckEligible(Woman(absl::CivilDay(1991, 6, 2)), kDay, settings, "beneficiary_id");
  EXPECT_EQ(young.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FieldOf(young), "beneficiary_id");
  EXPECT_NE(young.message().find("aged 34 on 2026-06-01"), std::string::npos) << young;
  EXPECT_NE(young.message().find("aged 35-64"), std::string::npos) << young;
  absl::Status old = CheckEligible(Woman(absl::CivilDay(1961, 6, 1)), kDay, settings, "beneficiary_id");
  EXPECT_NE(old.message().find("aged 65"), std::string::npos) << old;
  absl::Status man = CheckEligible(Woman(absl::CivilDay(1980, 1, 1), reg::SEX_MALE), kDay, settings, "beneficiary_id");
  EXPECT_EQ(man.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(man.message().find("is not a woman"), std::string::npos);
  absl::Status child = CheckEligible(Woman(absl::CivilDay(2016, 1, 1)), kDay, settings, "beneficiary_id");
  EXPECT_NE(child.message().find("is a child (aged 10"), std::string::npos) << child;
  replica::v1::RegistryFacts merged = Woman(absl::CivilDay(1980, 1, 1));
  merged.set_merged_into("b-2");
  EXPECT_NE(CheckEligible(merged, kDay, settings, "beneficiary_id").message().find("merged into b-2"),
            std::string::npos);
  settings.min_age = 30;
  EXPECT_TRUE(CheckEligible(Woman(absl::CivilDay(1995, 1, 1)), kDay, settings, "beneficiary_id").ok());
}

TEST(Screening, MethodsResultsAndDatesMustFit) {
  absl::CivilDay born(1980, 1, 1);
  auto violations = [&](v1::ScreeningKind kind, v1::ScreeningMethod method, const v1::TestResult& result,
                        absl::CivilDay on = kDay) {
    validate::FieldViolations v;
    CheckScreening(kind, method, result, on, born, v);
    std::vector<std::string> fields;
    for (const auto& fv : v.violations().field_violations()) fields.push_back(fv.field() + ": " + fv.description());
    return fields;
  };
  EXPECT_TRUE(violations(v1::SCREENING_KIND_CERVICAL, v1::SCREENING_METHOD_CYTOLOGY, Cytology(v1::CYTOLOGY_RESULT_NILM))
                  .empty());
  EXPECT_EQ(violations(v1::SCREENING_KIND_CERVICAL, v1::SCREENING_METHOD_MAMMOGRAPHY, Birads(1)),
            std::vector<std::string>{"method: mammography is a breast screening method, not a cervical one"});
  EXPECT_EQ(violations(v1::SCREENING_KIND_BREAST, v1::SCREENING_METHOD_HPV, Hpv(v1::HPV_RESULT_NEGATIVE)),
            std::vector<std::string>{"method: HPV is a cervical screening method, not a breast one"});
  EXPECT_EQ(violations(v1::SCREENING_KIND_CERVICAL, v1::SCREENING_METHOD_HPV, Cytology(v1::CYTOLOGY_RESULT_NILM)),
            std::vector<std::string>{"result: a HPV screening reports negative, positive or positive for 16/18 "
                                     "(result.hpv)"});
  EXPECT_EQ(violations(v1::SCREENING_KIND_BREAST, v1::SCREENING_METHOD_CLINICAL_ULTRASOUND, Birads(7)).size(), 1u);
  EXPECT_EQ(violations(v1::SCREENING_KIND_BREAST, v1::SCREENING_METHOD_MAMMOGRAPHY, v1::TestResult()).size(), 1u);
  EXPECT_EQ(
      violations(v1::SCREENING_KIND_UNSPECIFIED, v1::SCREENING_METHOD_CYTOLOGY, Cytology(v1::CYTOLOGY_RESULT_NILM))[0],
      "kind: is required: cervical or breast");
  EXPECT_EQ(violations(v1::SCREENING_KIND_CERVICAL, v1::SCREENING_METHOD_CYTOLOGY, Cytology(v1::CYTOLOGY_RESULT_NILM),
                       absl::CivilDay(1979, 12, 31)),
            std::vector<std::string>{"screened_on: is before her birth date"});
}

TEST(Screening, AbnormalResultsAndNextDueDates) {
  Settings settings;
  EXPECT_FALSE(IsAbnormal(v1::SCREENING_METHOD_CYTOLOGY, Cytology(v1::CYTOLOGY_RESULT_NILM)));
  for (auto c : {v1::CYTOLOGY_RESULT_ASC_US, v1::CYTOLOGY_RESULT_ASC_H, v1::CYTOLOGY_RESULT_LSIL,
                 v1::CYTOLOGY_RESULT_HSIL, v1::CYTOLOGY_RESULT_SCC, v1::CYTOLOGY_RESULT_AGC}) {
    EXPECT_TRUE(IsAbnormal(v1::SCREENING_METHOD_CYTOLOGY, Cytology(c))) << c;
  }
  EXPECT_TRUE(IsAbnormal(v1::SCREENING_METHOD_HPV, Hpv(v1::HPV_RESULT_POSITIVE)));
  for (int b : {0, 3, 4, 5, 6}) EXPECT_TRUE(IsAbnormal(v1::SCREENING_METHOD_MAMMOGRAPHY, Birads(b))) << b;
  for (int b : {1, 2}) EXPECT_FALSE(IsAbnormal(v1::SCREENING_METHOD_CLINICAL_ULTRASOUND, Birads(b))) << b;

  EXPECT_EQ(NextDue(v1::SCREENING_METHOD_CYTOLOGY, Cytology(v1::CYTOLOGY_RESULT_NILM), kDay, settings),
            absl::CivilDay(2029, 6, 1));
  EXPECT_EQ(NextDue(v1::SCREENING_METHOD_HPV, Hpv(v1::HPV_RESULT_NEGATIVE), kDay, settings),
            absl::CivilDay(2031, 6, 1));
  EXPECT_EQ(NextDue(v1::SCREENING_METHOD_MAMMOGRAPHY, Birads(1), absl::CivilDay(2028, 2, 29), settings),
            absl::CivilDay(2030, 3, 1));
  EXPECT_EQ(NextDue(v1::SCREENING_METHOD_HPV, Hpv(v1::HPV_RESULT_POSITIVE_16_18), kDay, settings), std::nullopt);
  settings.hpv_interval_years = 3;
  EXPECT_EQ(NextDue(v1::SCREENING_METHOD_HPV, Hpv(v1::HPV_RESULT_NEGATIVE), kDay, settings),
            absl::CivilDay(2029, 6, 1));
}

v1::Screening AScreening(v1::ScreeningKind kind, v1::ScreeningMethod method, const v1::TestResult& result) {
  v1::Screening s;
  s.set_id("s-1");
  s.set_beneficiary_id("b-1");
  s.set_region_code("130207104201");
  s.set_kind(kind);
  s.set_method(method);
  *s.mutable_result() = result;
  return s;
}

// HPV positive (not 16/18) → cytology triage ≥ ASC-US → colposcopy abnormal → biopsy CIN2: closed, a precancer.
TEST(FollowUp, CervicalPathwayToADiagnosis) {
  Settings settings;
  v1::FollowUpCase c =
      OpenCase("c-1", AScreening(v1::SCREENING_KIND_CERVICAL, v1::SCREENING_METHOD_HPV, Hpv(v1::HPV_RESULT_POSITIVE)),
               kDay, settings);
  ASSERT_EQ(c.stages_size(), 1);
  EXPECT_EQ(c.stages(0).stage(), v1::FOLLOW_UP_STAGE_CYTOLOGY_TRIAGE);
  EXPECT_EQ(*FromProto(c.stages(0).due_on()), kDay + 30);
  EXPECT_EQ(c.stages(0).status(), v1::STAGE_STATUS_SCHEDULED);

  ASSERT_TRUE(RecordStage(c, v1::FOLLOW_UP_STAGE_CYTOLOGY_TRIAGE, kDay + 10, Cytology(v1::CYTOLOGY_RESULT_LSIL),
                          "县妇幼", settings)
                  .ok());
  ASSERT_EQ(c.stages_size(), 2);
  EXPECT_EQ(c.stages(0).status(), v1::STAGE_STATUS_DONE);
  EXPECT_EQ(c.stages(1).stage(), v1::FOLLOW_UP_STAGE_COLPOSCOPY);
  EXPECT_EQ(*FromProto(c.stages(1).due_on()), kDay + 40);

  // Out of order: the case waits for colposcopy.
  absl::Status early =
      RecordStage(c, v1::FOLLOW_UP_STAGE_BIOPSY, kDay + 12, Diagnosed(v1::DIAGNOSIS_CIN2), "", settings);
  EXPECT_EQ(early.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FieldOf(early), "stage");
  EXPECT_NE(early.message().find("waits for colposcopy, not biopsy"), std::string::npos) << early;
  // A result that does not fit the stage.
  absl::Status unfit = RecordStage(c, v1::FOLLOW_UP_STAGE_COLPOSCOPY, kDay + 12, Birads(4), "", settings);
  EXPECT_EQ(unfit.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(unfit), "result");
  // Before the stage was scheduled.
  absl::Status before = RecordStage(c, v1::FOLLOW_UP_STAGE_COLPOSCOPY, kDay + 5,
                                    Colposcopy(v1::COLPOSCOPY_RESULT_ABNORMAL), "", settings);
  EXPECT_EQ(FieldOf(before), "done_on");
  EXPECT_EQ(c.stages_size(), 2) << "a refused record changes nothing";

  ASSERT_TRUE(RecordStage(c, v1::FOLLOW_UP_STAGE_COLPOSCOPY, kDay + 20, Colposcopy(v1::COLPOSCOPY_RESULT_ABNORMAL), "",
                          settings)
                  .ok());
  EXPECT_EQ(CurrentStage(c)->stage(), v1::FOLLOW_UP_STAGE_BIOPSY);
  // A breast diagnosis does not fit a cervical biopsy.
  EXPECT_EQ(RecordStage(c, v1::FOLLOW_UP_STAGE_BIOPSY, kDay + 25, Diagnosed(v1::DIAGNOSIS_BENIGN), "", settings).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(RecordStage(c, v1::FOLLOW_UP_STAGE_BIOPSY, kDay + 25, Diagnosed(v1::DIAGNOSIS_CIN2), "", settings).ok());
  EXPECT_EQ(c.state(), v1::CASE_STATE_CLOSED);
  EXPECT_EQ(c.diagnosis(), v1::DIAGNOSIS_CIN2);
  EXPECT_EQ(FindingOf(c.diagnosis()), v1::FINDING_PRECANCER);
  absl::Status closed =
      RecordStage(c, v1::FOLLOW_UP_STAGE_BIOPSY, kDay + 26, Diagnosed(v1::DIAGNOSIS_CIN3), "", settings);
  EXPECT_EQ(closed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(closed.message().find("is closed"), std::string::npos);
}

TEST(FollowUp, FirstStagesFollowTheRouting) {
  auto first = [](v1::ScreeningKind k, v1::ScreeningMethod m, const v1::TestResult& r) { return FirstStage(k, m, r); };
  EXPECT_EQ(first(v1::SCREENING_KIND_CERVICAL, v1::SCREENING_METHOD_HPV, Hpv(v1::HPV_RESULT_POSITIVE_16_18)),
            v1::FOLLOW_UP_STAGE_COLPOSCOPY);
  EXPECT_EQ(first(v1::SCREENING_KIND_CERVICAL, v1::SCREENING_METHOD_CYTOLOGY, Cytology(v1::CYTOLOGY_RESULT_ASC_US)),
            v1::FOLLOW_UP_STAGE_COLPOSCOPY);
  EXPECT_EQ(first(v1::SCREENING_KIND_BREAST, v1::SCREENING_METHOD_CLINICAL_ULTRASOUND, Birads(0)),
            v1::FOLLOW_UP_STAGE_MAMMOGRAPHY);
  EXPECT_EQ(first(v1::SCREENING_KIND_BREAST, v1::SCREENING_METHOD_CLINICAL_ULTRASOUND, Birads(3)),
            v1::FOLLOW_UP_STAGE_MAMMOGRAPHY);
  EXPECT_EQ(first(v1::SCREENING_KIND_BREAST, v1::SCREENING_METHOD_CLINICAL_ULTRASOUND, Birads(4)),
            v1::FOLLOW_UP_STAGE_BIOPSY);
}

// BI-RADS 0 → mammography 4 → biopsy malignant: a cancer.
TEST(FollowUp, BreastPathwayToCancer) {
  Settings settings;
  v1::FollowUpCase c =
      OpenCase("c-2", AScreening(v1::SCREENING_KIND_BREAST, v1::SCREENING_METHOD_CLINICAL_ULTRASOUND, Birads(0)), kDay,
               settings);
  ASSERT_TRUE(RecordStage(c, v1::FOLLOW_UP_STAGE_MAMMOGRAPHY, kDay + 7, Birads(4), "市医院", settings).ok());
  EXPECT_EQ(CurrentStage(c)->stage(), v1::FOLLOW_UP_STAGE_BIOPSY);
  ASSERT_TRUE(
      RecordStage(c, v1::FOLLOW_UP_STAGE_BIOPSY, kDay + 14, Diagnosed(v1::DIAGNOSIS_BREAST_CANCER), "", settings).ok());
  EXPECT_TRUE(IsCancer(c.diagnosis()));
  EXPECT_EQ(c.stages_size(), 2);

  v1::FollowUpCase benign = OpenCase(
      "c-3", AScreening(v1::SCREENING_KIND_BREAST, v1::SCREENING_METHOD_MAMMOGRAPHY, Birads(3)), kDay, settings);
  ASSERT_TRUE(RecordStage(benign, v1::FOLLOW_UP_STAGE_MAMMOGRAPHY, kDay + 3, Birads(3), "", settings).ok());
  EXPECT_EQ(benign.state(), v1::CASE_STATE_CLOSED);
  EXPECT_EQ(benign.diagnosis(), v1::DIAGNOSIS_BENIGN);
}

// The daily sweep's rule: only a scheduled stage due before the business date becomes overdue, once; an overdue
// stage is still recorded; lost to follow-up closes the case.
TEST(FollowUp, OverdueAndLost) {
  Settings settings;
  v1::FollowUpCase c = OpenCase(
      "c-4", AScreening(v1::SCREENING_KIND_CERVICAL, v1::SCREENING_METHOD_CYTOLOGY, Cytology(v1::CYTOLOGY_RESULT_HSIL)),
      kDay, settings);
  EXPECT_FALSE(IsOverdue(c, kDay + 30));  // due that day: not yet overdue
  EXPECT_TRUE(IsOverdue(c, kDay + 31));
  MarkOverdue(c);
  EXPECT_EQ(CurrentStage(c)->status(), v1::STAGE_STATUS_OVERDUE);
  EXPECT_FALSE(IsOverdue(c, kDay + 40)) << "marked once";
  v1::FollowUpCase lost = c;
  EXPECT_EQ(RecordLost(lost, v1::FOLLOW_UP_STAGE_COLPOSCOPY, kDay - 1, "moved").code(),
            absl::StatusCode::kInvalidArgument)
      << "lost before the stage was scheduled";
  ASSERT_TRUE(RecordLost(lost, v1::FOLLOW_UP_STAGE_COLPOSCOPY, kDay + 45, "moved to another province").ok());
  EXPECT_EQ(lost.state(), v1::CASE_STATE_CLOSED);
  EXPECT_EQ(CurrentStage(lost)->status(), v1::STAGE_STATUS_LOST);
  EXPECT_EQ(lost.diagnosis(), v1::DIAGNOSIS_UNSPECIFIED);
  ASSERT_TRUE(
      RecordStage(c, v1::FOLLOW_UP_STAGE_COLPOSCOPY, kDay + 45, Colposcopy(v1::COLPOSCOPY_RESULT_NORMAL), "", settings)
          .ok());
  EXPECT_EQ(c.state(), v1::CASE_STATE_CLOSED);
  EXPECT_EQ(c.diagnosis(), v1::DIAGNOSIS_NORMAL);
}

}  // namespace
}  // namespace jinguo::health::domain
