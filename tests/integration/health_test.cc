// The health service as a township doctor, a county clerk and an intruder meet it: the real registration, health
// and reporting binaries on a real Kafka broker, women registered in the registry and screened in health (which
// knows them through its replica), events read back from jinguo.health.events.v1 and counted by reporting.
#include <algorithm>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/clock.h"
#include "common/rpc/auth.h"
#include "gtest/gtest.h"
#include "jinguo/health/v1/events.pb.h"
#include "jinguo/health/v1/health.grpc.pb.h"
#include "jinguo/reporting/v1/reporting.grpc.pb.h"
#include "tests/integration/harness.h"
#include "tests/integration/registration_client.h"

namespace jinguo::testing {
namespace {

namespace hv1 = ::jinguo::health::v1;
namespace pv1 = ::jinguo::reporting::v1;

constexpr char kAdmin[] = "admin-token";
constexpr char kDoctor[] = "doctor-token";              // health, 唐山市 1302
constexpr char kOtherDoctor[] = "shijiazhuang-doctor";  // health, 石家庄市 1301
constexpr char kClerk[] = "clerk-token";                // operator, 1302
constexpr char kViewer[] = "viewer-token";
constexpr char kAuditor[] = "auditor-token";
constexpr char kService[] = "service-token";
constexpr char kVillage[] = "130207104201";

absl::CivilDay Today() { return ChinaDay(absl::Now()); }

class HealthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    broker_ = KafkaBroker::Start().release();
    ASSERT_NE(broker_, nullptr);
    dir_ = new TempDir();
    std::ofstream(dir_->path() + "/tokens") << rpc::HashToken(kAdmin) << " admin admin *\n"
                                            << rpc::HashToken(kDoctor) << " doctor health 1302\n"
                                            << rpc::HashToken(kOtherDoctor) << " sjz-doctor health 1301\n"
                                            << rpc::HashToken(kClerk) << " clerk operator 1302\n"
                                            << rpc::HashToken(kViewer) << " viewer viewer *\n"
                                            << rpc::HashToken(kAuditor) << " inspector auditor *\n"
                                            << rpc::HashToken(kService) << " services service *\n";
    int reg_port = FreePort(), health_port = FreePort(), reporting_port = FreePort();
    registration_ = StartRegistration(REGISTRATION_BINARY, reg_port, dir_->path(), broker_->brokers()).release();
    ASSERT_NE(registration_, nullptr);
    health_ = StartService(HEALTH_BINARY, "health", health_port, dir_->path(), broker_->brokers(),
                           ReplicaArgs(reg_port, dir_->path(), kService))
                  .release();
    ASSERT_NE(health_, nullptr);
    reporting_ =
        StartService(REPORTING_BINARY, "reporting", reporting_port, dir_->path(), broker_->brokers()).release();
    ASSERT_NE(reporting_, nullptr);
    reports_ = pv1::ReportingService::NewStub(reporting_->channel()).release();
    registry_ = rv1::RegistrationService::NewStub(registration_->channel()).release();
    stub_ = hv1::HealthService::NewStub(health_->channel()).release();
    tap_ = new EventTap(broker_->brokers(), "jinguo.health.events.v1");
  }
  static void TearDownTestSuite() {
    delete tap_;
    delete stub_;
    delete registry_;
    delete reports_;
    EXPECT_EQ(StopAll({{"reporting", reporting_}, {"health", health_}, {"registration", registration_}}),
              std::vector<std::string>{})
        << "did not shut down cleanly";
    delete broker_;
    delete dir_;
  }

  // A registered person born on `birth`; a woman unless `male`.
  std::string Register(absl::CivilDay birth, bool male = false, const std::string& region = kVillage) {
    rv1::RegisterHouseholdResponse h;
    EXPECT_TRUE(registry_->RegisterHousehold(Authorized(kAdmin).get(), HouseholdRequest(region), &h).ok());
    rv1::RegisterBeneficiaryResponse b;
    grpc::Status s = registry_->RegisterBeneficiary(
        Authorized(kAdmin).get(),
        BeneficiaryRequest(h.household().id(), TestIdNumber(birth, ++serial_, male), "赵秀梅"), &b);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return b.beneficiary().id();
  }
  std::string Woman(int age) { return Register(Today() - 365 * age - 200); }

  static hv1::RecordScreeningRequest Screening(const std::string& woman, hv1::ScreeningKind kind,
                                               hv1::ScreeningMethod method, hv1::TestResult result) {
    hv1::RecordScreeningRequest r;
    r.set_request_id(NewRequestId());
    r.set_beneficiary_id(woman);
    r.set_kind(kind);
    r.set_method(method);
    r.set_facility("丰南区妇幼保健院");
    *r.mutable_result() = result;
    return r;
  }
  static hv1::RecordScreeningRequest Hpv(const std::string& woman, hv1::HpvResult result) {
    hv1::TestResult t;
    t.set_hpv(result);
    return Screening(woman, hv1::SCREENING_KIND_CERVICAL, hv1::SCREENING_METHOD_HPV, t);
  }
  static hv1::RecordFollowUpRequest FollowUp(const std::string& case_id, hv1::FollowUpStage stage,
                                             hv1::TestResult result) {
    hv1::RecordFollowUpRequest r;
    r.set_request_id(NewRequestId());
    r.set_case_id(case_id);
    r.set_stage(stage);
    *r.mutable_result() = result;
    return r;
  }

  grpc::Status Screen(const hv1::RecordScreeningRequest& req, hv1::RecordScreeningResponse* resp,
                      const std::string& token = kDoctor) {
    return stub_->RecordScreening(Authorized(token).get(), req, resp);
  }
  grpc::Status Record(const hv1::RecordFollowUpRequest& req, hv1::RecordFollowUpResponse* resp,
                      const std::string& token = kDoctor) {
    return stub_->RecordFollowUp(Authorized(token).get(), req, resp);
  }
  int Screenings(const std::string& woman) {
    hv1::ListScreeningsRequest req;
    req.set_beneficiary_id(woman);
    hv1::ListScreeningsResponse resp;
    EXPECT_TRUE(stub_->ListScreenings(Authorized(kAdmin).get(), req, &resp).ok());
    return resp.screenings_size();
  }
  // Every event of the health topic about `aggregate`, by type.
  std::vector<std::string> EventTypes(const std::string& aggregate) {
    std::vector<std::string> types;
    for (const auto& e : tap_->Settle()) {
      if (e.aggregate_id() == aggregate) types.push_back(e.event_type());
    }
    return types;
  }

  static KafkaBroker* broker_;
  static TempDir* dir_;
  static ServiceProcess* registration_;
  static ServiceProcess* health_;
  static ServiceProcess* reporting_;
  static pv1::ReportingService::Stub* reports_;
  static rv1::RegistrationService::Stub* registry_;
  static hv1::HealthService::Stub* stub_;
  static EventTap* tap_;
  static int serial_;
};

KafkaBroker* HealthTest::broker_ = nullptr;
TempDir* HealthTest::dir_ = nullptr;
ServiceProcess* HealthTest::registration_ = nullptr;
ServiceProcess* HealthTest::health_ = nullptr;
ServiceProcess* HealthTest::reporting_ = nullptr;
pv1::ReportingService::Stub* HealthTest::reports_ = nullptr;
rv1::RegistrationService::Stub* HealthTest::registry_ = nullptr;
hv1::HealthService::Stub* HealthTest::stub_ = nullptr;
EventTap* HealthTest::tap_ = nullptr;
int HealthTest::serial_ = 0;

// HPV positive → cytology triage LSIL → colposcopy abnormal → biopsy: cervical cancer. Each step's events are on
// the topic, none carrying a result; the cancer is confirmed by an event of its own.
TEST_F(HealthTest, AnAbnormalResultIsFollowedToADiagnosis) {
  std::string woman = Woman(45);
  hv1::RecordScreeningResponse screened;
  grpc::Status s = Screen(Hpv(woman, hv1::HPV_RESULT_POSITIVE), &screened);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(screened.screening().abnormal());
  EXPECT_FALSE(screened.screening().has_next_due_on());
  ASSERT_TRUE(screened.has_follow_up());
  const hv1::FollowUpCase& opened = screened.follow_up();
  ASSERT_EQ(opened.stages_size(), 1);
  EXPECT_EQ(opened.stages(0).stage(), hv1::FOLLOW_UP_STAGE_CYTOLOGY_TRIAGE);
  EXPECT_EQ(*FromProto(opened.stages(0).due_on()), Today() + 30);

  hv1::TestResult lsil, abnormal, cancer;
  lsil.set_cytology(hv1::CYTOLOGY_RESULT_LSIL);
  abnormal.set_colposcopy(hv1::COLPOSCOPY_RESULT_ABNORMAL);
  cancer.set_diagnosis(hv1::DIAGNOSIS_CERVICAL_CANCER);
  hv1::RecordFollowUpResponse step;
  ASSERT_TRUE(Record(FollowUp(opened.id(), hv1::FOLLOW_UP_STAGE_CYTOLOGY_TRIAGE, lsil), &step).ok());
  EXPECT_EQ(step.follow_up().stages(1).stage(), hv1::FOLLOW_UP_STAGE_COLPOSCOPY);

  // The work queue shows her case while it is open.
  hv1::ListFollowUpsRequest queue;
  queue.set_region_prefix("130207");
  hv1::ListFollowUpsResponse open_cases;
  ASSERT_TRUE(stub_->ListFollowUps(Authorized(kDoctor).get(), queue, &open_cases).ok());
  std::set<std::string> listed;
  for (const auto& c : open_cases.follow_ups()) listed.insert(c.id());
  EXPECT_TRUE(listed.count(opened.id()));

  ASSERT_TRUE(Record(FollowUp(opened.id(), hv1::FOLLOW_UP_STAGE_COLPOSCOPY, abnormal), &step).ok());
  ASSERT_TRUE(Record(FollowUp(opened.id(), hv1::FOLLOW_UP_STAGE_BIOPSY, cancer), &step).ok());
  EXPECT_EQ(step.follow_up().state(), hv1::CASE_STATE_CLOSED);
  EXPECT_EQ(step.follow_up().diagnosis(), hv1::DIAGNOSIS_CERVICAL_CANCER);

  tap_->WaitForAggregate(opened.id(), 7);
  EXPECT_EQ(EventTypes(screened.screening().id()), std::vector<std::string>{"ScreeningRecorded"});
  EXPECT_EQ(EventTypes(opened.id()),
            (std::vector<std::string>{"FollowUpScheduled", "FollowUpRecorded", "FollowUpScheduled", "FollowUpRecorded",
                                      "FollowUpScheduled", "FollowUpRecorded", "CancerConfirmed"}));
  // Every event of the case has a version of its own: a consumer skips a version it has seen.
  int64_t last_version = 0;
  for (const auto& e : tap_->Settle()) {
    if (e.aggregate_id() != opened.id()) continue;
    EXPECT_GT(e.aggregate_version(), last_version) << e.event_type();
    last_version = e.aggregate_version();
    EXPECT_EQ(e.beneficiary_id(), woman);
    EXPECT_EQ(e.region_code(), kVillage);
    if (e.event_type() == "FollowUpRecorded") {
      hv1::FollowUpRecorded r;
      ASSERT_TRUE(e.payload().UnpackTo(&r));
      if (r.case_closed()) {
        EXPECT_EQ(r.finding(), hv1::FINDING_CANCER);
      }
    }
  }
  // Closed: nothing more is recorded, and the open queue no longer lists it.
  grpc::Status again = Record(FollowUp(opened.id(), hv1::FOLLOW_UP_STAGE_BIOPSY, cancer), &step);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ViolatedFields(again), std::vector<std::string>{"case_id"});
  ASSERT_TRUE(stub_->ListFollowUps(Authorized(kDoctor).get(), queue, &open_cases).ok());
  for (const auto& c : open_cases.follow_ups()) EXPECT_NE(c.id(), opened.id());
}

// Every bad input is refused with its status and the field it names, and writes nothing.
TEST_F(HealthTest, BadInputIsRefusedNamingTheFieldAndWritesNothing) {
  std::string woman = Woman(50);
  std::string young = Woman(34), old = Woman(65), child = Register(Today() - 365 * 10);
  hv1::TestResult nilm, birads;
  nilm.set_cytology(hv1::CYTOLOGY_RESULT_NILM);
  birads.set_birads(1);
  auto cytology = [&](const std::string& who) {
    return Screening(who, hv1::SCREENING_KIND_CERVICAL, hv1::SCREENING_METHOD_CYTOLOGY, nilm);
  };
  struct Case {
    const char* what;
    hv1::RecordScreeningRequest request;
    grpc::StatusCode code;
    const char* field;
    const char* message;
  };
  hv1::RecordScreeningRequest future = cytology(woman);
  *future.mutable_screened_on() = ToProto(Today() + 1);
  hv1::RecordScreeningRequest before_birth = cytology(woman);
  *before_birth.mutable_screened_on() = ToProto(Today() - 365 * 60);
  hv1::RecordScreeningRequest mammography_for_cervical =
      Screening(woman, hv1::SCREENING_KIND_CERVICAL, hv1::SCREENING_METHOD_MAMMOGRAPHY, birads);
  hv1::RecordScreeningRequest result_unfit =
      Screening(woman, hv1::SCREENING_KIND_CERVICAL, hv1::SCREENING_METHOD_CYTOLOGY, birads);
  hv1::RecordScreeningRequest unknown = cytology("no-such-woman");
  std::vector<Case> cases = {
      // A man is never in the registry (it registers women and children); the domain test refuses one.
      {"a child", cytology(child), grpc::StatusCode::FAILED_PRECONDITION, "beneficiary_id", "is a child"},
      {"aged 34", cytology(young), grpc::StatusCode::FAILED_PRECONDITION, "beneficiary_id", "is aged 34"},
      {"aged 65", cytology(old), grpc::StatusCode::FAILED_PRECONDITION, "beneficiary_id", "is aged 65"},
      {"in the future", future, grpc::StatusCode::INVALID_ARGUMENT, "screened_on", "is in the future"},
      {"before her birth", before_birth, grpc::StatusCode::INVALID_ARGUMENT, "screened_on", "before her birth"},
      {"mammography for cervical", mammography_for_cervical, grpc::StatusCode::INVALID_ARGUMENT, "method",
       "breast screening method"},
      {"a result the method does not report", result_unfit, grpc::StatusCode::INVALID_ARGUMENT, "result",
       "reports a TBS category"},
      {"nobody registered", unknown, grpc::StatusCode::NOT_FOUND, "beneficiary_id", ""},
  };
  for (const Case& c : cases) {
    hv1::RecordScreeningResponse resp;
    grpc::Status s = Screen(c.request, &resp);
    EXPECT_EQ(s.error_code(), c.code) << c.what << ": " << s.error_message();
    EXPECT_EQ(ViolatedFields(s), std::vector<std::string>{c.field}) << c.what << ": " << s.error_message();
    EXPECT_NE(s.error_message().find(c.message), std::string::npos) << c.what << ": " << s.error_message();
  }
  for (const std::string& who : {woman, young, old, child}) EXPECT_EQ(Screenings(who), 0) << who;

  // Follow-up: a stage out of order, a result that does not fit the stage, an unknown case.
  hv1::RecordScreeningResponse screened;
  ASSERT_TRUE(Screen(Hpv(woman, hv1::HPV_RESULT_POSITIVE_16_18), &screened).ok());
  std::string case_id = screened.follow_up().id();
  EXPECT_EQ(screened.follow_up().stages(0).stage(), hv1::FOLLOW_UP_STAGE_COLPOSCOPY);
  hv1::TestResult cin2;
  cin2.set_diagnosis(hv1::DIAGNOSIS_CIN2);
  hv1::RecordFollowUpResponse step;
  grpc::Status out_of_order = Record(FollowUp(case_id, hv1::FOLLOW_UP_STAGE_BIOPSY, cin2), &step);
  EXPECT_EQ(out_of_order.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ViolatedFields(out_of_order), std::vector<std::string>{"stage"});
  EXPECT_NE(out_of_order.error_message().find("waits for colposcopy"), std::string::npos);
  grpc::Status unfit = Record(FollowUp(case_id, hv1::FOLLOW_UP_STAGE_COLPOSCOPY, cin2), &step);
  EXPECT_EQ(unfit.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(unfit), std::vector<std::string>{"result"});
  grpc::Status missing = Record(FollowUp("no-such-case", hv1::FOLLOW_UP_STAGE_COLPOSCOPY, cin2), &step);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  hv1::GetFollowUpRequest get;
  get.set_case_id(case_id);
  hv1::GetFollowUpResponse got;
  ASSERT_TRUE(stub_->GetFollowUp(Authorized(kDoctor).get(), get, &got).ok());
  EXPECT_EQ(got.follow_up().stages_size(), 1) << "the refused records changed the case";
  EXPECT_EQ(got.follow_up().version(), 1);
}

// Results are for the health role and admins in their region; operators see that a screening happened; viewers,
// auditors and doctors of another city are refused.
TEST_F(HealthTest, OnlyTheHealthRoleInItsRegionSeesResults) {
  std::string woman = Woman(40);
  hv1::TestResult nilm;
  nilm.set_cytology(hv1::CYTOLOGY_RESULT_NILM);
  auto request = Screening(woman, hv1::SCREENING_KIND_CERVICAL, hv1::SCREENING_METHOD_CYTOLOGY, nilm);
  hv1::RecordScreeningResponse resp;
  for (const char* token : {kClerk, kViewer, kAuditor, kOtherDoctor}) {
    request.set_request_id(NewRequestId());
    EXPECT_EQ(Screen(request, &resp, token).error_code(), grpc::StatusCode::PERMISSION_DENIED) << token;
  }
  request.set_request_id(NewRequestId());
  ASSERT_TRUE(Screen(request, &resp).ok());
  EXPECT_EQ(*FromProto(resp.screening().next_due_on()),
            absl::CivilDay(Today().year() + 3, Today().month(), Today().day()));
  hv1::ListScreeningsRequest list;
  list.set_beneficiary_id(woman);
  hv1::ListScreeningsResponse seen;
  ASSERT_TRUE(stub_->ListScreenings(Authorized(kDoctor).get(), list, &seen).ok());
  ASSERT_EQ(seen.screenings_size(), 1);
  EXPECT_EQ(seen.screenings(0).result().cytology(), hv1::CYTOLOGY_RESULT_NILM);
  ASSERT_TRUE(stub_->ListScreenings(Authorized(kClerk).get(), list, &seen).ok());
  ASSERT_EQ(seen.screenings_size(), 1);
  EXPECT_FALSE(seen.screenings(0).has_result()) << "an operator sees that she was screened, not the result";
  EXPECT_EQ(seen.screenings(0).kind(), hv1::SCREENING_KIND_CERVICAL);
  EXPECT_EQ(stub_->ListScreenings(Authorized(kViewer).get(), list, &seen).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->ListScreenings(Authorized(kOtherDoctor).get(), list, &seen).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  hv1::ListFollowUpsRequest queue;
  hv1::ListFollowUpsResponse cases;
  EXPECT_EQ(stub_->ListFollowUps(Authorized(kClerk).get(), queue, &cases).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // A second cervical screening before her next due date is accepted and marked early.
  request.set_request_id(NewRequestId());
  ASSERT_TRUE(Screen(request, &resp).ok());
  EXPECT_TRUE(resp.screening().early());
}

// The daily sweep marks a stage past its due date overdue once, whatever the number of runs for that date; the
// doctor's overdue queue shows it; an overdue stage is still recorded.
TEST_F(HealthTest, TheDailySweepMarksOverdueStagesOnce) {
  std::string woman = Woman(55);
  hv1::TestResult birads;
  birads.set_birads(4);
  auto request = Screening(woman, hv1::SCREENING_KIND_BREAST, hv1::SCREENING_METHOD_CLINICAL_ULTRASOUND, birads);
  *request.mutable_screened_on() = ToProto(Today() - 40);  // its biopsy was due ten days ago
  hv1::RecordScreeningResponse screened;
  ASSERT_TRUE(Screen(request, &screened).ok());
  std::string case_id = screened.follow_up().id();

  hv1::RunDailySweepRequest sweep;
  hv1::RunDailySweepResponse swept;
  EXPECT_EQ(stub_->RunDailySweep(Authorized(kDoctor).get(), sweep, &swept).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->RunDailySweep(Authorized(kAdmin).get(), sweep, &swept).ok());
  EXPECT_GE(swept.marked_overdue(), 1);
  ASSERT_TRUE(stub_->RunDailySweep(Authorized(kAdmin).get(), sweep, &swept).ok());
  EXPECT_EQ(swept.marked_overdue(), 0) << "the same date twice changes nothing";

  hv1::ListFollowUpsRequest queue;
  queue.set_overdue_only(true);
  hv1::ListFollowUpsResponse overdue;
  ASSERT_TRUE(stub_->ListFollowUps(Authorized(kDoctor).get(), queue, &overdue).ok());
  bool listed = false;
  for (const auto& c : overdue.follow_ups()) {
    if (c.id() != case_id) continue;
    listed = true;
    EXPECT_EQ(c.stages(0).status(), hv1::STAGE_STATUS_OVERDUE);
  }
  EXPECT_TRUE(listed);
  tap_->WaitForAggregate(case_id, 2);
  auto types = EventTypes(case_id);
  EXPECT_EQ(std::count(types.begin(), types.end(), "FollowUpOverdue"), 1);

  hv1::TestResult benign;
  benign.set_diagnosis(hv1::DIAGNOSIS_BENIGN);
  hv1::RecordFollowUpResponse step;
  ASSERT_TRUE(Record(FollowUp(case_id, hv1::FOLLOW_UP_STAGE_BIOPSY, benign), &step).ok());
  EXPECT_EQ(step.follow_up().state(), hv1::CASE_STATE_CLOSED);
  EXPECT_EQ(step.follow_up().stages(0).status(), hv1::STAGE_STATUS_DONE);
}

// Two-cancer insurance for a policy year: one woman at a time or a whole region at once (idempotent: a second run
// enrols nobody), once per year, within the policy's region and ages; paid claims within her cover.
TEST_F(HealthTest, InsuranceEnrolsEligibleWomenOncePerYearAndPaysClaimsWithinTheCover) {
  std::string village = "130207105201";  // a village of its own, so the counts are this test's
  std::string a = Register(Today() - 365 * 40 - 200, false, village);
  std::string b = Register(Today() - 365 * 50 - 200, false, village);
  std::string young = Register(Today() - 365 * 20 - 200, false, village);
  std::string girl = Register(Today() - 365 * 8, false, village);
  std::string elsewhere = Register(Today() - 365 * 45 - 200, false, "130102001001");
  int year = Today().year();
  hv1::CreateInsurancePolicyRequest create;
  create.set_request_id(NewRequestId());
  create.set_insurer("中国人寿唐山分公司");
  create.set_policy_year(year);
  *create.mutable_starts_on() = ToProto(absl::CivilDay(year, 1, 1));
  *create.mutable_ends_on() = ToProto(absl::CivilDay(year, 12, 31));
  create.set_sum_insured_fen(1000000);
  create.set_premium_fen(5000);
  create.set_region_code("130207");
  create.set_funder("唐山市妇联");
  hv1::CreateInsurancePolicyResponse policy;
  EXPECT_EQ(stub_->CreateInsurancePolicy(Authorized(kDoctor).get(), create, &policy).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  hv1::CreateInsurancePolicyRequest bad = create;
  bad.set_request_id(NewRequestId());
  bad.set_sum_insured_fen(0);
  grpc::Status refused = stub_->CreateInsurancePolicy(Authorized(kClerk).get(), bad, &policy);
  EXPECT_EQ(ViolatedFields(refused), std::vector<std::string>{"sum_insured_fen"});
  grpc::Status made = stub_->CreateInsurancePolicy(Authorized(kClerk).get(), create, &policy);
  ASSERT_TRUE(made.ok()) << made.error_message();
  const std::string& policy_id = policy.policy().id();

  auto enroll = [&](const std::string& who) {
    hv1::EnrollInsuranceRequest r;
    r.set_request_id(NewRequestId());
    r.set_policy_id(policy_id);
    r.set_beneficiary_id(who);
    hv1::EnrollInsuranceResponse resp;
    return stub_->EnrollInsurance(Authorized(kClerk).get(), r, &resp);
  };
  ASSERT_TRUE(enroll(a).ok());
  grpc::Status twice = enroll(a);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(ViolatedFields(twice), std::vector<std::string>{"beneficiary_id"});
  grpc::Status too_young = enroll(young);
  EXPECT_EQ(too_young.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(too_young.error_message().find("the policy covers women aged 35-64"), std::string::npos);
  // Outside the clerk's scope (石家庄) is refused before the policy's region is.
  EXPECT_EQ(enroll(elsewhere).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  hv1::EnrollEligibleRequest all;
  all.set_request_id(NewRequestId());
  all.set_policy_id(policy_id);
  all.set_region_prefix(village);
  // The region's women are read from health's replica of the registry, which the registration topic feeds: run
  // until it has seen all three women of the village (a run enrols whoever it has seen; the totals must add up).
  hv1::EnrollEligibleResponse counts;
  int64_t enrolled_in_all = 0;
  bool complete = WaitFor(
      [&] {
        counts.Clear();
        if (!stub_->EnrollEligible(Authorized(kClerk).get(), all, &counts).ok()) return false;
        enrolled_in_all += counts.enrolled();
        return counts.enrolled() + counts.already_enrolled() == 2 && counts.not_eligible() == 1;
      },
      absl::Seconds(30));
  ASSERT_TRUE(complete) << counts.DebugString();
  EXPECT_EQ(enrolled_in_all, 1) << "b (a was enrolled alone before)";
  ASSERT_EQ(counts.refusals_size(), 1) << "the woman of 20; the girl is not counted";
  EXPECT_EQ(counts.refusals(0).beneficiary_id(), young);
  ASSERT_TRUE(stub_->EnrollEligible(Authorized(kClerk).get(), all, &counts).ok());
  EXPECT_EQ(counts.enrolled(), 0) << "a second run enrols nobody";
  EXPECT_EQ(counts.already_enrolled(), 2);
  (void)girl;

  auto claim = [&](const std::string& who, int64_t fen, hv1::RecordClaimResponse* resp) {
    hv1::RecordClaimRequest r;
    r.set_request_id(NewRequestId());
    r.set_policy_id(policy_id);
    r.set_beneficiary_id(who);
    r.set_amount_fen(fen);
    r.set_reference("CL-2026-001");
    return stub_->RecordClaim(Authorized(kClerk).get(), r, resp);
  };
  hv1::RecordClaimResponse paid;
  ASSERT_TRUE(claim(b, 600000, &paid).ok());
  EXPECT_EQ(paid.enrollment().claimed_fen(), 600000);
  grpc::Status above = claim(b, 400001, &paid);
  EXPECT_EQ(above.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(above), std::vector<std::string>{"amount_fen"});
  EXPECT_NE(above.error_message().find("4000.00 元"), std::string::npos) << above.error_message();
  EXPECT_EQ(ViolatedFields(claim(b, 0, &paid)), std::vector<std::string>{"amount_fen"});
  EXPECT_EQ(claim(young, 100, &paid).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(claim(b, 400000, &paid).ok());
  EXPECT_EQ(paid.enrollment().claimed_fen(), 1000000);

  tap_->Settle();
  int enrolled_events = 0;
  for (const auto& e : tap_->Settle()) {
    if (e.event_type() != "InsuranceEnrolled") continue;
    hv1::InsuranceEnrolled ev;
    ASSERT_TRUE(e.payload().UnpackTo(&ev));
    if (ev.policy_id() != policy_id) continue;
    ++enrolled_events;
    EXPECT_EQ(e.beneficiary_id(), ev.beneficiary_id());
    EXPECT_EQ(ev.policy_year(), year);
  }
  EXPECT_EQ(enrolled_events, 2);

  // Reporting counts the village from the health topic: both women of 35-64 insured this year (the five-100%
  // column that read 0/2 before), one of them screened today with HPV negative (within her interval for five
  // years), and the claims paid.
  hv1::RecordScreeningResponse screened;
  ASSERT_TRUE(Screen(Hpv(a, hv1::HPV_RESULT_NEGATIVE), &screened).ok());
  pv1::GetRegionSummaryResponse summary;
  auto indicator = [&](const std::string& name) -> int64_t {
    for (const auto& i : summary.summary().indicators()) {
      if (i.name() == name) return i.value();
    }
    return -1;
  };
  auto insured = [&]() -> std::string {
    for (const auto& c : summary.summary().coverage()) {
      if (c.name() == "two_cancer_insured") return absl::StrCat(c.numerator(), "/", c.denominator());
    }
    return "(none)";
  };
  bool counted = WaitFor(
      [&] {
        pv1::GetRegionSummaryRequest req;
        req.set_region_code(village);
        summary.Clear();
        return reports_->GetRegionSummary(Authorized(kViewer).get(), req, &summary).ok() &&
               indicator("claims_paid_fen") == 1000000 && indicator("women_cervical_in_interval") == 1;
      },
      absl::Seconds(30));
  ASSERT_TRUE(counted) << summary.DebugString();
  EXPECT_EQ(insured(), "2/2");
  EXPECT_EQ(indicator("women_screened_cervical"), 1);
  EXPECT_EQ(indicator("women_breast_in_interval"), 0);
  EXPECT_EQ(indicator("abnormal_results"), 0);
}

// Relief: two-cancer relief needs her cancer confirmed and is granted once; a different person approves; only
// approved relief is paid; children's relief comes from a named fund within its cap.
TEST_F(HealthTest, ReliefIsCheckedMadeByOneApprovedByAnotherThenPaid) {
  std::string woman = Woman(48);
  auto apply = [&](hv1::ReliefKind kind, const std::string& who, const std::string& case_id, int64_t fen,
                   const std::string& fund, hv1::ApplyReliefResponse* resp) {
    hv1::ApplyReliefRequest r;
    r.set_request_id(NewRequestId());
    r.set_kind(kind);
    r.set_beneficiary_id(who);
    r.set_case_id(case_id);
    r.set_amount_fen(fen);
    r.set_fund(fund);
    return stub_->ApplyRelief(Authorized(kClerk).get(), r, resp);
  };
  hv1::ApplyReliefResponse applied;
  grpc::Status unconfirmed = apply(hv1::RELIEF_KIND_TWO_CANCER, woman, "", 0, "", &applied);
  EXPECT_EQ(unconfirmed.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ViolatedFields(unconfirmed), std::vector<std::string>{"case_id"});

  // Her cancer confirmed: ultrasound BI-RADS 5 → biopsy: breast cancer.
  hv1::TestResult birads, malignant;
  birads.set_birads(5);
  malignant.set_diagnosis(hv1::DIAGNOSIS_BREAST_CANCER);
  hv1::RecordScreeningResponse screened;
  ASSERT_TRUE(
      Screen(Screening(woman, hv1::SCREENING_KIND_BREAST, hv1::SCREENING_METHOD_CLINICAL_ULTRASOUND, birads), &screened)
          .ok());
  hv1::RecordFollowUpResponse diagnosed;
  ASSERT_TRUE(Record(FollowUp(screened.follow_up().id(), hv1::FOLLOW_UP_STAGE_BIOPSY, malignant), &diagnosed).ok());
  ASSERT_TRUE(apply(hv1::RELIEF_KIND_TWO_CANCER, woman, screened.follow_up().id(), 0, "", &applied).ok());
  EXPECT_EQ(applied.relief().amount_fen(), 1000000);
  EXPECT_EQ(applied.relief().state(), hv1::RELIEF_STATE_APPLIED);
  hv1::ApplyReliefResponse again;
  grpc::Status twice = apply(hv1::RELIEF_KIND_TWO_CANCER, woman, screened.follow_up().id(), 0, "", &again);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(twice.error_message().find(applied.relief().id()), std::string::npos) << twice.error_message();

  const std::string id = applied.relief().id();
  hv1::RecordReliefPaidRequest pay;
  pay.set_request_id(NewRequestId());
  pay.set_relief_id(id);
  pay.set_transfer_reference("ICBC-20260901-0001");
  hv1::RecordReliefPaidResponse paid;
  EXPECT_EQ(stub_->RecordReliefPaid(Authorized(kAdmin).get(), pay, &paid).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION)
      << "paid before approval";
  hv1::ApproveReliefRequest approve;
  approve.set_request_id(NewRequestId());
  approve.set_relief_id(id);
  hv1::ApproveReliefResponse approved;
  EXPECT_EQ(stub_->ApproveRelief(Authorized(kClerk).get(), approve, &approved).error_code(),
            grpc::StatusCode::PERMISSION_DENIED)
      << "the applicant approved her own application";
  approve.set_request_id(NewRequestId());
  ASSERT_TRUE(stub_->ApproveRelief(Authorized(kAdmin).get(), approve, &approved).ok());
  EXPECT_EQ(approved.relief().decided_by(), "admin");
  pay.set_request_id(NewRequestId());
  ASSERT_TRUE(stub_->RecordReliefPaid(Authorized(kAdmin).get(), pay, &paid).ok());
  EXPECT_EQ(paid.relief().state(), hv1::RELIEF_STATE_PAID);

  // Children's relief: within the fund's cap, under 18.
  std::string child = Register(Today() - 365 * 9);
  grpc::Status above = apply(hv1::RELIEF_KIND_CHILD_SERIOUS_ILLNESS, child, "", 1000001, "儿童大病救助金", &applied);
  EXPECT_EQ(ViolatedFields(above), std::vector<std::string>{"amount_fen"});
  EXPECT_EQ(ViolatedFields(apply(hv1::RELIEF_KIND_CHILD_SERIOUS_ILLNESS, child, "", 0, "儿童大病救助金", &applied)),
            std::vector<std::string>{"amount_fen"});
  ASSERT_TRUE(apply(hv1::RELIEF_KIND_CHILD_SERIOUS_ILLNESS, child, "", 400000, "儿童大病救助金", &applied).ok());
  hv1::ListReliefsRequest list;
  list.set_beneficiary_id(woman);
  hv1::ListReliefsResponse reliefs;
  ASSERT_TRUE(stub_->ListReliefs(Authorized(kClerk).get(), list, &reliefs).ok());
  ASSERT_EQ(reliefs.reliefs_size(), 1);
  EXPECT_EQ(reliefs.reliefs(0).transfer_reference(), "ICBC-20260901-0001");
  tap_->WaitForAggregate(id, 3);
  EXPECT_EQ(EventTypes(id), (std::vector<std::string>{"ReliefApplied", "ReliefApproved", "ReliefPaid"}));
}

}  // namespace
}  // namespace jinguo::testing
