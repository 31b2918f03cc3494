// The training service as the federation's clerk and a viewer meet it: the real registration, training and
// reporting binaries on a real Kafka broker, women and children registered in the registry (training knows them
// through its replica), events read back from jinguo.training.events.v1 and counted by reporting. Dates are relative
// to today: a programme that ended yesterday has its sessions in the month before, and is completed today.
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/clock.h"
#include "common/rpc/auth.h"
#include "gtest/gtest.h"
#include "jinguo/reporting/v1/reporting.grpc.pb.h"
#include "jinguo/training/v1/events.pb.h"
#include "jinguo/training/v1/training.grpc.pb.h"
#include "tests/integration/harness.h"
#include "tests/integration/registration_client.h"

namespace jinguo::testing {
namespace {

namespace tv1 = ::jinguo::training::v1;
namespace pv1 = ::jinguo::reporting::v1;
using F = std::vector<std::string>;

constexpr char kAdmin[] = "admin-token";
constexpr char kClerk[] = "clerk-token";  // operator, 唐山市 1302
constexpr char kViewer[] = "viewer-token";
constexpr char kService[] = "service-token";
constexpr char kVillage[] = "130207104201";        // the programme, the jobs and the aid of the first three tests
constexpr char kReportVillage[] = "130207104203";  // only the reporting test's people live here
constexpr char kBadVillage[] = "130207104205";     // only the bad-input test's people and records
constexpr char kUnknownId[] = "0190f3a2-0000-7000-8000-000000000000";

absl::CivilDay Today() { return ChinaDay(absl::Now()); }
absl::CivilDay Day(const common::v1::CivilDate& d) { return *FromProto(d); }

// The school year today falls in, by the year it starts (September starts one), and as the service writes it.
int CurrentSchoolYear() {
  absl::CivilDay t = Today();
  return static_cast<int>(t.month() >= 9 ? t.year() : t.year() - 1);
}
std::string SchoolYearText(int first) { return absl::StrCat(first, "-", first + 1); }

class TrainingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    broker_ = KafkaBroker::Start().release();
    ASSERT_NE(broker_, nullptr);
    dir_ = new TempDir();
    std::ofstream(dir_->path() + "/tokens") << rpc::HashToken(kAdmin) << " admin admin *\n"
                                            << rpc::HashToken(kClerk) << " clerk operator 1302\n"
                                            << rpc::HashToken(kViewer) << " viewer viewer *\n"
                                            << rpc::HashToken(kService) << " services service *\n";
    int reg_port = FreePort(), training_port = FreePort(), reporting_port = FreePort();
    registration_ = StartRegistration(REGISTRATION_BINARY, reg_port, dir_->path(), broker_->brokers()).release();
    ASSERT_NE(registration_, nullptr);
    auto training_args = ReplicaArgs(reg_port, dir_->path(), kService);
    training_args.insert(training_args.end(), {"--job-categories", SourceDir() + "/data/job_categories.csv"});
    training_ =
        StartService(TRAINING_BINARY, "training", training_port, dir_->path(), broker_->brokers(), training_args)
            .release();
    ASSERT_NE(training_, nullptr);
    reporting_ =
        StartService(REPORTING_BINARY, "reporting", reporting_port, dir_->path(), broker_->brokers()).release();
    ASSERT_NE(reporting_, nullptr);
    registry_ = rv1::RegistrationService::NewStub(registration_->channel()).release();
    stub_ = tv1::TrainingService::NewStub(training_->channel()).release();
    reports_ = pv1::ReportingService::NewStub(reporting_->channel()).release();
    tap_ = new EventTap(broker_->brokers(), "jinguo.training.events.v1");
    id_numbers_ = new std::vector<std::string>();
  }
  static void TearDownTestSuite() {
    delete tap_;
    delete stub_;
    delete registry_;
    delete reports_;
    delete id_numbers_;
    EXPECT_EQ(StopAll({{"reporting", reporting_}, {"training", training_}, {"registration", registration_}}),
              std::vector<std::string>{})
        << "did not shut down cleanly";
    delete broker_;
    delete dir_;
  }

  // A beneficiary of a household of her own in `region`, born on `birth`; her id. Every ID number is kept, to look
  // for on the topic.
  static std::string Register(const std::string& region, absl::CivilDay birth, const std::string& name,
                              bool male = false, bool student = false,
                              rv1::SchoolStage stage = rv1::SCHOOL_STAGE_UNSPECIFIED) {
    rv1::RegisterHouseholdResponse h;
    grpc::Status s = registry_->RegisterHousehold(Authorized(kAdmin).get(), HouseholdRequest(region), &h);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::string id_number = TestIdNumber(birth, ++serial_, male);
    id_numbers_->push_back(id_number);
    rv1::RegisterBeneficiaryRequest r = BeneficiaryRequest(h.household().id(), id_number, name);
    r.mutable_beneficiary()->set_student(student);
    r.mutable_beneficiary()->set_school_stage(stage);
    rv1::RegisterBeneficiaryResponse b;
    s = registry_->RegisterBeneficiary(Authorized(kAdmin).get(), r, &b);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return b.beneficiary().id();
  }
  // Birth dates differ by a day per person, so that nobody is a duplicate candidate of anybody.
  static absl::CivilDay Born(int age) { return Today() - 365 * age - 100 - serial_; }
  static std::string Woman(int age, const std::string& region = kVillage) {
    return Register(region, Born(age), "李桂兰");
  }
  // A girl of 10: a primary-school student unless `student` is false.
  static std::string Girl(const std::string& region = kVillage, bool student = true) {
    return Register(region, Born(10), "王小花", false, student,
                    student ? rv1::SCHOOL_STAGE_PRIMARY : rv1::SCHOOL_STAGE_UNSPECIFIED);
  }
  // A registered male: the registry takes men only as children (a man of 16 or over is refused), so a boy of 14.
  static std::string Boy(const std::string& region = kVillage) { return Register(region, Born(14), "王小军", true); }

  // A programme in `region` of `capacity` places from `starts` to `ends`, three sessions planned.
  static grpc::Status CreateProgramme(const std::string& region, int capacity, absl::CivilDay starts,
                                      absl::CivilDay ends, tv1::Programme* out) {
    tv1::CreateProgrammeRequest r;
    r.set_request_id(NewRequestId());
    tv1::Programme* p = r.mutable_programme();
    p->set_title("巾帼手工编织技能培训班");
    p->set_kind(tv1::PROGRAMME_KIND_HANDICRAFT);
    p->set_provider("丰南区妇联");
    p->set_region_code(region);
    p->set_capacity(capacity);
    *p->mutable_starts_on() = ToProto(starts);
    *p->mutable_ends_on() = ToProto(ends);
    p->set_planned_sessions(3);
    p->set_planned_hours(9);
    p->set_funding_fen(1200000);
    p->set_funder("唐山市妇联");
    p->set_federation_run(true);
    tv1::CreateProgrammeResponse resp;
    grpc::Status s = stub_->CreateProgramme(Authorized(kClerk).get(), r, &resp);
    *out = resp.programme();
    return s;
  }
  // One that ended yesterday, begun thirty days ago.
  static tv1::Programme EndedProgramme(const std::string& region, int capacity) {
    tv1::Programme p;
    grpc::Status s = CreateProgramme(region, capacity, Today() - 30, Today() - 1, &p);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return p;
  }
  static grpc::Status Schedule(const std::string& programme, absl::CivilDay on, tv1::Session* out) {
    tv1::ScheduleSessionRequest r;
    r.set_request_id(NewRequestId());
    r.mutable_session()->set_programme_id(programme);
    *r.mutable_session()->mutable_held_on() = ToProto(on);
    r.mutable_session()->set_hours(3);
    r.mutable_session()->set_place("黄各庄镇妇女之家");
    r.mutable_session()->set_trainer("刘秀英");
    tv1::ScheduleSessionResponse resp;
    grpc::Status s = stub_->ScheduleSession(Authorized(kClerk).get(), r, &resp);
    *out = resp.session();
    return s;
  }
  static std::string Session(const std::string& programme, absl::CivilDay on) {
    tv1::Session s;
    grpc::Status st = Schedule(programme, on, &s);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return s.id();
  }
  // Enrols a registered woman (`beneficiary`) or, when it is empty, a participant by `name`.
  static grpc::Status Enrol(const std::string& programme, const std::string& beneficiary, tv1::Participant* out,
                            const std::string& name = "") {
    tv1::EnrolRequest r;
    r.set_request_id(NewRequestId());
    r.set_programme_id(programme);
    r.set_beneficiary_id(beneficiary);
    r.set_name(name);
    tv1::EnrolResponse resp;
    grpc::Status s = stub_->Enrol(Authorized(kClerk).get(), r, &resp);
    *out = resp.participant();
    return s;
  }
  static tv1::Participant Enrolled(const std::string& programme, const std::string& beneficiary,
                                   const std::string& name = "") {
    tv1::Participant x;
    grpc::Status s = Enrol(programme, beneficiary, &x, name);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return x;
  }
  struct Mark {
    int number;
    tv1::Attendance attendance;
    std::string reason = "";
  };
  static grpc::Status Sheet(const std::string& programme, const std::string& session, const std::vector<Mark>& marks,
                            tv1::RecordAttendanceResponse* out) {
    tv1::RecordAttendanceRequest r;
    r.set_request_id(NewRequestId());
    r.set_programme_id(programme);
    r.set_session_id(session);
    for (const Mark& m : marks) {
      tv1::AttendanceMark* a = r.add_marks();
      a->set_number(m.number);
      a->set_attendance(m.attendance);
      a->set_reason(m.reason);
    }
    return stub_->RecordAttendance(Authorized(kClerk).get(), r, out);
  }
  static grpc::Status Complete(const std::string& programme, tv1::CompleteProgrammeResponse* out) {
    tv1::CompleteProgrammeRequest r;
    r.set_request_id(NewRequestId());
    r.set_programme_id(programme);
    return stub_->CompleteProgramme(Authorized(kClerk).get(), r, out);
  }
  static tv1::GetProgrammeResponse GetProgramme(const std::string& id) {
    tv1::GetProgrammeRequest r;
    r.set_programme_id(id);
    tv1::GetProgrammeResponse resp;
    grpc::Status s = stub_->GetProgramme(Authorized(kViewer).get(), r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  static const tv1::Participant* Number(const google::protobuf::RepeatedPtrField<tv1::Participant>& all, int n) {
    for (const auto& x : all) {
      if (x.number() == n) return &x;
    }
    return nullptr;
  }
  static int ProgrammesIn(const std::string& region) {
    tv1::ListProgrammesRequest r;
    r.set_region_prefix(region);
    tv1::ListProgrammesResponse resp;
    EXPECT_TRUE(stub_->ListProgrammes(Authorized(kViewer).get(), r, &resp).ok());
    return resp.programmes_size();
  }

  static tv1::PostJobRequest Posting(const std::string& region, int positions,
                                     tv1::JobKind kind = tv1::JOB_KIND_HOME_HANDICRAFT) {
    tv1::PostJobRequest r;
    r.set_request_id(NewRequestId());
    tv1::JobPosting* p = r.mutable_posting();
    p->set_employer("丰南区巧手编织专业合作社");
    p->set_category("HC01");
    p->set_positions(positions);
    p->set_region_code(region);
    p->set_wage_min_fen(150000);
    p->set_wage_max_fen(300000);
    p->set_kind(kind);
    return r;
  }
  static grpc::Status Post(const tv1::PostJobRequest& r, tv1::JobPosting* out) {
    tv1::PostJobResponse resp;
    grpc::Status s = stub_->PostJob(Authorized(kClerk).get(), r, &resp);
    *out = resp.posting();
    return s;
  }
  static tv1::JobPosting Posted(const std::string& region, int positions,
                                tv1::JobKind kind = tv1::JOB_KIND_HOME_HANDICRAFT) {
    tv1::JobPosting p;
    grpc::Status s = Post(Posting(region, positions, kind), &p);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return p;
  }
  static grpc::Status Place(const std::string& posting, const std::string& woman, tv1::Placement* out) {
    tv1::RecordPlacementRequest r;
    r.set_request_id(NewRequestId());
    r.set_posting_id(posting);
    r.set_beneficiary_id(woman);
    tv1::RecordPlacementResponse resp;
    grpc::Status s = stub_->RecordPlacement(Authorized(kClerk).get(), r, &resp);
    *out = resp.placement();
    return s;
  }
  static tv1::Placement Placed(const std::string& posting, const std::string& woman) {
    tv1::Placement pl;
    grpc::Status s = Place(posting, woman, &pl);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return pl;
  }
  static grpc::Status EndPlacement(const std::string& placement, tv1::Placement* out) {
    tv1::EndPlacementRequest r;
    r.set_request_id(NewRequestId());
    r.set_placement_id(placement);
    r.set_reason("家中老人需要照顾");
    tv1::EndPlacementResponse resp;
    grpc::Status s = stub_->EndPlacement(Authorized(kClerk).get(), r, &resp);
    *out = resp.placement();
    return s;
  }
  static grpc::Status Close(const std::string& posting, tv1::JobPosting* out) {
    tv1::ClosePostingRequest r;
    r.set_request_id(NewRequestId());
    r.set_posting_id(posting);
    r.set_reason("订单已结束");
    tv1::ClosePostingResponse resp;
    grpc::Status s = stub_->ClosePosting(Authorized(kClerk).get(), r, &resp);
    *out = resp.posting();
    return s;
  }
  // The postings of `region` (open ones only when `open_only`), by id.
  static std::map<std::string, tv1::JobPosting> Jobs(const std::string& region, bool open_only) {
    tv1::ListJobsRequest r;
    r.set_region_prefix(region);
    r.set_open_only(open_only);
    tv1::ListJobsResponse resp;
    grpc::Status s = stub_->ListJobs(Authorized(kViewer).get(), r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::map<std::string, tv1::JobPosting> out;
    for (const auto& p : resp.postings()) out[p.id()] = p;
    return out;
  }

  static tv1::AidFund Fund(const std::string& region, int64_t raised_fen) {
    tv1::CreateAidFundRequest r;
    r.set_request_id(NewRequestId());
    r.mutable_fund()->set_name("春蕾计划唐山专项");
    r.mutable_fund()->set_donor("唐山市爱心企业家协会");
    r.mutable_fund()->set_raised_fen(raised_fen);
    r.mutable_fund()->set_region_code(region);
    tv1::CreateAidFundResponse resp;
    grpc::Status s = stub_->CreateAidFund(Authorized(kClerk).get(), r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.fund();
  }
  static grpc::Status Grant(const std::string& fund, const std::string& child, const std::string& school_year,
                            int64_t fen, tv1::AidGrant* out = nullptr) {
    tv1::GrantStudentAidRequest r;
    r.set_request_id(NewRequestId());
    r.set_fund_id(fund);
    r.set_beneficiary_id(child);
    r.set_school_year(school_year);
    r.set_amount_fen(fen);
    tv1::GrantStudentAidResponse resp;
    grpc::Status s = stub_->GrantStudentAid(Authorized(kClerk).get(), r, &resp);
    if (out) *out = resp.grant();
    return s;
  }
  static std::vector<tv1::AidGrant> AidOf(const std::string& child) {
    tv1::ListStudentAidRequest r;
    r.set_beneficiary_id(child);
    tv1::ListStudentAidResponse resp;
    grpc::Status s = stub_->ListStudentAid(Authorized(kViewer).get(), r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.grants().begin(), resp.grants().end()};
  }
  static grpc::Status Paid(const std::string& grant, tv1::AidGrant* out) {
    tv1::RecordAidPaidRequest r;
    r.set_request_id(NewRequestId());
    r.set_grant_id(grant);
    tv1::RecordAidPaidResponse resp;
    grpc::Status s = stub_->RecordAidPaid(Authorized(kClerk).get(), r, &resp);
    *out = resp.grant();
    return s;
  }
  static grpc::Status Pair(const std::string& fund, const std::string& child) {
    tv1::PairDonorRequest r;
    r.set_request_id(NewRequestId());
    r.set_fund_id(fund);
    r.set_beneficiary_id(child);
    tv1::PairDonorResponse resp;
    grpc::Status s = stub_->PairDonor(Authorized(kClerk).get(), r, &resp);
    if (s.ok()) {
      EXPECT_EQ(resp.fund_id(), fund);
      EXPECT_EQ(resp.beneficiary_id(), child);
    }
    return s;
  }

  // The events of `aggregate`, once at least `count` of them arrived, in topic order.
  static std::vector<common::v1::EventEnvelope> EventsOf(const std::string& aggregate, size_t count) {
    tap_->WaitForAggregate(aggregate, count);
    std::vector<common::v1::EventEnvelope> out;
    for (const auto& e : tap_->Settle()) {
      if (e.aggregate_id() == aggregate) out.push_back(e);
    }
    return out;
  }
  static std::vector<std::string> Types(const std::vector<common::v1::EventEnvelope>& events) {
    std::vector<std::string> types;
    for (const auto& e : events) types.push_back(e.event_type());
    return types;
  }
  // No ID number of anyone registered so far is on the training topic (read up to now).
  static void ExpectNoIdNumbers() {
    tap_->Settle();
    ASSERT_FALSE(tap_->raw().empty());
    for (const std::string& n : *id_numbers_) {
      EXPECT_EQ(tap_->raw().find(n), std::string::npos) << "an ID number on jinguo.training.events.v1";
    }
  }

  static KafkaBroker* broker_;
  static TempDir* dir_;
  static ServiceProcess* registration_;
  static ServiceProcess* training_;
  static ServiceProcess* reporting_;
  static rv1::RegistrationService::Stub* registry_;
  static tv1::TrainingService::Stub* stub_;
  static pv1::ReportingService::Stub* reports_;
  static EventTap* tap_;
  static std::vector<std::string>* id_numbers_;
  static int serial_;
};

KafkaBroker* TrainingTest::broker_ = nullptr;
TempDir* TrainingTest::dir_ = nullptr;
ServiceProcess* TrainingTest::registration_ = nullptr;
ServiceProcess* TrainingTest::training_ = nullptr;
ServiceProcess* TrainingTest::reporting_ = nullptr;
rv1::RegistrationService::Stub* TrainingTest::registry_ = nullptr;
tv1::TrainingService::Stub* TrainingTest::stub_ = nullptr;
pv1::ReportingService::Stub* TrainingTest::reports_ = nullptr;
EventTap* TrainingTest::tap_ = nullptr;
std::vector<std::string>* TrainingTest::id_numbers_ = nullptr;
int TrainingTest::serial_ = 0;

// A programme's whole life: two places, three enrolments (the third waits), a withdrawal that promotes her, three
// sessions' sheets (one replaced), and completion at 80% of the sessions held: a certificate for the participant
// who came to every session, her rate for the one who did not. The programme's events come in that order, and
// none carries an ID number.
TEST_F(TrainingTest, AProgrammeFromEnrolmentToCertificates) {
  const std::string first = Woman(35), second = Woman(42);
  tv1::Programme p = EndedProgramme(kVillage, 2);
  ASSERT_FALSE(p.id().empty());
  EXPECT_EQ(p.completion_threshold_bp(), 8000) << "80% unless told";
  EXPECT_EQ(p.capacity(), 2);
  EXPECT_FALSE(p.completed());
  std::vector<std::string> sessions;
  for (int days_ago : {25, 18, 11}) sessions.push_back(Session(p.id(), Today() - days_ago));
  ASSERT_EQ(sessions.size(), 3u);

  tv1::Participant one = Enrolled(p.id(), first);
  tv1::Participant two = Enrolled(p.id(), second);
  tv1::Participant three = Enrolled(p.id(), "", "张小燕");
  EXPECT_EQ(one.number(), 1);
  EXPECT_EQ(one.state(), tv1::PARTICIPANT_STATE_ENROLLED);
  EXPECT_EQ(one.beneficiary_id(), first);
  EXPECT_EQ(two.number(), 2);
  EXPECT_EQ(two.state(), tv1::PARTICIPANT_STATE_ENROLLED);
  EXPECT_EQ(three.number(), 3);
  EXPECT_EQ(three.state(), tv1::PARTICIPANT_STATE_WAITLISTED) << "two places, both taken";
  EXPECT_TRUE(three.beneficiary_id().empty());
  tv1::GetProgrammeResponse got = GetProgramme(p.id());
  EXPECT_EQ(got.programme().enrolled(), 2);
  EXPECT_EQ(got.programme().waitlisted(), 1);
  EXPECT_EQ(got.registered_women(), 2);
  EXPECT_EQ(got.share_bp(), 10000) << "both places held by registered women; the waitlist does not count";
  ASSERT_EQ(got.sessions_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got.sessions(i).id(), sessions[i]) << "sessions by date";
    EXPECT_FALSE(got.sessions(i).attendance_recorded());
  }

  // The first withdraws: the waiting participant takes her place.
  tv1::WithdrawRequest withdraw;
  withdraw.set_request_id(NewRequestId());
  withdraw.set_programme_id(p.id());
  withdraw.set_number(1);
  tv1::WithdrawResponse withdrawn;
  grpc::Status s = stub_->Withdraw(Authorized(kClerk).get(), withdraw, &withdrawn);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(withdrawn.participant().number(), 1);
  EXPECT_EQ(withdrawn.participant().state(), tv1::PARTICIPANT_STATE_WITHDRAWN);
  ASSERT_TRUE(withdrawn.has_promoted());
  EXPECT_EQ(withdrawn.promoted().number(), 3);
  EXPECT_EQ(withdrawn.promoted().state(), tv1::PARTICIPANT_STATE_ENROLLED);
  got = GetProgramme(p.id());
  EXPECT_EQ(got.programme().enrolled(), 2);
  EXPECT_EQ(got.programme().waitlisted(), 0);
  EXPECT_EQ(got.registered_women(), 1);
  EXPECT_EQ(got.share_bp(), 5000) << "one registered woman of the two holding a place";

  // Session 1: the sheet first had them the wrong way round; the second sheet replaces it.
  tv1::RecordAttendanceResponse sheet;
  s = Sheet(p.id(), sessions[0], {{2, tv1::ATTENDANCE_ABSENT}, {3, tv1::ATTENDANCE_PRESENT}}, &sheet);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(sheet.present(), 1);
  EXPECT_EQ(sheet.absent(), 1);
  EXPECT_FALSE(sheet.replaced());
  s = Sheet(p.id(), sessions[0], {{2, tv1::ATTENDANCE_PRESENT}, {3, tv1::ATTENDANCE_ABSENT}}, &sheet);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(sheet.replaced());
  EXPECT_EQ(sheet.present(), 1);
  EXPECT_EQ(sheet.absent(), 1);
  s = Sheet(p.id(), sessions[1], {{2, tv1::ATTENDANCE_PRESENT}, {3, tv1::ATTENDANCE_EXCUSED, "孩子发烧"}}, &sheet);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(sheet.present(), 1);
  EXPECT_EQ(sheet.excused(), 1);
  EXPECT_EQ(sheet.absent(), 0);
  EXPECT_FALSE(sheet.replaced());
  s = Sheet(p.id(), sessions[2], {{2, tv1::ATTENDANCE_PRESENT}, {3, tv1::ATTENDANCE_PRESENT}}, &sheet);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(sheet.present(), 2);
  got = GetProgramme(p.id());
  for (const auto& session : got.sessions()) EXPECT_TRUE(session.attendance_recorded());
  const tv1::Participant* marked = Number(got.participants(), 2);
  ASSERT_NE(marked, nullptr);
  ASSERT_EQ(marked->attendance().count(sessions[0]), 1u);
  EXPECT_EQ(marked->attendance().at(sessions[0]), tv1::ATTENDANCE_PRESENT) << "the second sheet's mark";

  // Number 2 came to all three sessions: 100%. Number 3 to one of three (excused is not present): 33.33%.
  tv1::CompleteProgrammeResponse done;
  s = Complete(p.id(), &done);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(done.completed(), 1);
  EXPECT_EQ(done.not_completed(), 1);
  const tv1::Participant* passed = Number(done.participants(), 2);
  const tv1::Participant* failed = Number(done.participants(), 3);
  ASSERT_NE(passed, nullptr);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(Number(done.participants(), 1), nullptr) << "she withdrew: no completion decided";
  EXPECT_EQ(passed->state(), tv1::PARTICIPANT_STATE_COMPLETED);
  EXPECT_EQ(passed->attendance_rate_bp(), 10000);
  EXPECT_FALSE(passed->certificate_number().empty());
  EXPECT_EQ(failed->state(), tv1::PARTICIPANT_STATE_NOT_COMPLETED);
  EXPECT_EQ(failed->attendance_rate_bp(), 3333);
  EXPECT_TRUE(failed->certificate_number().empty());
  const std::string certificate = passed->certificate_number();

  got = GetProgramme(p.id());
  EXPECT_TRUE(got.programme().completed());
  EXPECT_EQ(got.share_bp(), 5000) << "completed and not completed still hold their places";
  ASSERT_NE(Number(got.participants(), 2), nullptr);
  EXPECT_EQ(Number(got.participants(), 2)->certificate_number(), certificate);
  ASSERT_NE(Number(got.participants(), 3), nullptr);
  EXPECT_EQ(Number(got.participants(), 3)->name(), "张小燕");
  ASSERT_NE(Number(got.participants(), 1), nullptr);
  EXPECT_EQ(Number(got.participants(), 1)->state(), tv1::PARTICIPANT_STATE_WITHDRAWN);
  // A completed programme takes no more changes.
  grpc::Status again = Complete(p.id(), &done);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  tv1::Participant late;
  EXPECT_EQ(Enrol(p.id(), Woman(30), &late).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  const F expected = {"ProgrammeCreated",   "SessionScheduled",   "SessionScheduled",   "SessionScheduled",
                      "Enrolled",           "Enrolled",           "Waitlisted",         "Withdrawn",
                      "Enrolled",           "AttendanceRecorded", "AttendanceRecorded", "AttendanceRecorded",
                      "AttendanceRecorded", "TrainingCompleted",  "TrainingCompleted"};
  std::vector<common::v1::EventEnvelope> events = EventsOf(p.id(), expected.size());
  ASSERT_EQ(Types(events), expected);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].aggregate_version(), static_cast<int64_t>(i + 1)) << events[i].event_type();
    EXPECT_EQ(events[i].producer(), "training");
  }
  EXPECT_EQ(events[4].beneficiary_id(), first);
  EXPECT_EQ(events[4].region_code(), kVillage);
  EXPECT_EQ(events[5].beneficiary_id(), second);
  EXPECT_TRUE(events[6].beneficiary_id().empty()) << "a participant by name only is nobody's record";
  tv1::Enrolled promoted;
  ASSERT_TRUE(events[8].payload().UnpackTo(&promoted));
  EXPECT_TRUE(promoted.promoted());
  EXPECT_EQ(promoted.number(), 3);
  EXPECT_FALSE(promoted.registered());
  tv1::AttendanceRecorded replaced;
  ASSERT_TRUE(events[10].payload().UnpackTo(&replaced));
  EXPECT_TRUE(replaced.replaced());
  EXPECT_EQ(replaced.session_id(), sessions[0]);
  int certified = 0;
  for (size_t i = 13; i < events.size(); ++i) {
    tv1::TrainingCompleted c;
    ASSERT_TRUE(events[i].payload().UnpackTo(&c));
    if (c.completed()) {
      ++certified;
      EXPECT_EQ(c.certificate_number(), certificate);
      EXPECT_EQ(events[i].beneficiary_id(), second);
      EXPECT_TRUE(c.registered());
    } else {
      EXPECT_EQ(c.attendance_rate_bp(), 3333);
    }
  }
  EXPECT_EQ(certified, 1);
  EXPECT_EQ(tap_->raw().find("张小燕"), std::string::npos) << "an unregistered participant's name stays in training";
  ExpectNoIdNumbers();
}

// Jobs: a posting of two home-handicraft positions fills up, refuses a third woman and the same woman twice, opens
// again when a placement ends, and once closed takes nobody. ListJobs' open_only follows it.
TEST_F(TrainingTest, APostingFillsFreesAndCloses) {
  const std::string a = Woman(33), b = Woman(38), c = Woman(45);
  tv1::PostJobRequest request = Posting(kVillage, 2);
  tv1::JobPosting posting;
  grpc::Status s = Post(request, &posting);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_FALSE(posting.id().empty());
  EXPECT_EQ(posting.category(), "HC01");
  EXPECT_EQ(posting.positions(), 2);
  EXPECT_EQ(posting.kind(), tv1::JOB_KIND_HOME_HANDICRAFT);
  EXPECT_EQ(posting.wage_min_fen(), 150000);
  EXPECT_EQ(posting.wage_max_fen(), 300000);
  EXPECT_EQ(posting.placed(), 0);
  EXPECT_FALSE(posting.closed());
  const std::string id = posting.id();
  EXPECT_TRUE(Jobs(kVillage, true).count(id));

  tv1::Placement pa = Placed(id, a);
  EXPECT_EQ(pa.posting_id(), id);
  EXPECT_EQ(pa.beneficiary_id(), a);
  EXPECT_EQ(Day(pa.starts_on()), Today()) << "unset: today";
  tv1::Placement twice;
  grpc::Status same = Place(id, a, &twice);
  EXPECT_EQ(same.error_code(), grpc::StatusCode::ALREADY_EXISTS) << same.error_message();
  EXPECT_EQ(ViolatedFields(same), F{"beneficiary_id"});
  EXPECT_EQ(Jobs(kVillage, false)[id].placed(), 1) << "the refusal placed nobody";
  tv1::Placement pb = Placed(id, b);

  auto all = Jobs(kVillage, false);
  ASSERT_TRUE(all.count(id));
  EXPECT_EQ(all[id].placed(), 2);
  EXPECT_FALSE(Jobs(kVillage, true).count(id)) << "full: not open";
  tv1::Placement refused;
  grpc::Status full = Place(id, c, &refused);
  EXPECT_EQ(full.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ViolatedFields(full), F{"posting_id"});
  EXPECT_NE(full.error_message().find(id), std::string::npos) << full.error_message();
  EXPECT_NE(full.error_message().find("full"), std::string::npos) << full.error_message();
  EXPECT_EQ(Jobs(kVillage, false)[id].placed(), 2);

  // The second woman leaves: her position is open again and the third takes it.
  tv1::Placement ended;
  s = EndPlacement(pb.id(), &ended);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Day(ended.ended_on()), Today());
  EXPECT_EQ(ended.end_reason(), "家中老人需要照顾");
  EXPECT_EQ(EndPlacement(pb.id(), &ended).error_code(), grpc::StatusCode::FAILED_PRECONDITION) << "ended already";
  auto open = Jobs(kVillage, true);
  ASSERT_TRUE(open.count(id)) << "a position freed";
  EXPECT_EQ(open[id].placed(), 1);
  tv1::Placement pc = Placed(id, c);
  EXPECT_EQ(pc.beneficiary_id(), c);

  tv1::JobPosting closed;
  s = Close(id, &closed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(closed.closed());
  EXPECT_EQ(closed.closed_reason(), "订单已结束");
  EXPECT_EQ(Close(id, &closed).error_code(), grpc::StatusCode::FAILED_PRECONDITION) << "closed already";
  s = EndPlacement(pc.id(), &ended);  // room again, but the posting is closed
  ASSERT_TRUE(s.ok()) << s.error_message();
  grpc::Status after_close = Place(id, b, &refused);
  EXPECT_EQ(after_close.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ViolatedFields(after_close), F{"posting_id"});
  EXPECT_NE(after_close.error_message().find("closed"), std::string::npos) << after_close.error_message();
  all = Jobs(kVillage, false);
  ASSERT_TRUE(all.count(id)) << "a closed posting is still listed without open_only";
  EXPECT_TRUE(all[id].closed());
  EXPECT_EQ(all[id].placed(), 1) << "the first woman is still at work";
  EXPECT_FALSE(Jobs(kVillage, true).count(id)) << "closed: not open";

  const F expected = {"JobPosted",         "PlacementRecorded", "PlacementRecorded", "PlacementEnded",
                      "PlacementRecorded", "JobPostingClosed",  "PlacementEnded"};
  std::vector<common::v1::EventEnvelope> events = EventsOf(id, expected.size());
  EXPECT_EQ(Types(events), expected);
  if (events.size() == expected.size()) {
    EXPECT_EQ(events[1].beneficiary_id(), a);
    tv1::PlacementRecorded recorded;
    ASSERT_TRUE(events[1].payload().UnpackTo(&recorded));
    EXPECT_EQ(recorded.kind(), tv1::JOB_KIND_HOME_HANDICRAFT);
    EXPECT_EQ(recorded.category(), "HC01");
  }
}

// 春蕾 aid: a fund of 1000.00 元 for 唐山, a grant to a registered primary-school girl for this school year (her school
// stage from the registry is on it), paid, her donor paired with her; her aid lists the grant.
TEST_F(TrainingTest, StudentAidIsGrantedPaidAndListed) {
  const std::string child = Girl();
  tv1::AidFund fund = Fund("1302", 100000);
  ASSERT_FALSE(fund.id().empty());
  EXPECT_EQ(fund.raised_fen(), 100000);
  EXPECT_EQ(fund.granted_fen(), 0);
  const int year = CurrentSchoolYear();
  tv1::AidGrant grant;
  grpc::Status s = Grant(fund.id(), child, SchoolYearText(year), 60000, &grant);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_FALSE(grant.id().empty());
  EXPECT_EQ(grant.fund_id(), fund.id());
  EXPECT_EQ(grant.beneficiary_id(), child);
  EXPECT_EQ(grant.school_year(), year);
  EXPECT_EQ(grant.school_stage(), rv1::SCHOOL_STAGE_PRIMARY) << "from the registry";
  EXPECT_EQ(grant.amount_fen(), 60000);
  EXPECT_FALSE(grant.paid());

  tv1::AidGrant paid;
  s = Paid(grant.id(), &paid);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(paid.paid());
  EXPECT_EQ(Day(paid.paid_on()), Today());
  EXPECT_EQ(Paid(grant.id(), &paid).error_code(), grpc::StatusCode::FAILED_PRECONDITION) << "paid already";

  s = Pair(fund.id(), child);
  ASSERT_TRUE(s.ok()) << s.error_message();
  grpc::Status paired_twice = Pair(fund.id(), child);
  EXPECT_EQ(paired_twice.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(ViolatedFields(paired_twice), F{"beneficiary_id"});

  std::vector<tv1::AidGrant> listed = AidOf(child);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id(), grant.id());
  EXPECT_EQ(listed[0].school_year(), year);
  EXPECT_EQ(listed[0].amount_fen(), 60000);
  EXPECT_TRUE(listed[0].paid());
  EXPECT_EQ(listed[0].school_stage(), rv1::SCHOOL_STAGE_PRIMARY);

  std::vector<common::v1::EventEnvelope> events = EventsOf(fund.id(), 4);
  ASSERT_EQ(Types(events), (F{"AidFundCreated", "StudentAidGranted", "StudentAidPaid", "DonorPaired"}));
  EXPECT_TRUE(events[0].beneficiary_id().empty());
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_EQ(events[i].beneficiary_id(), child) << events[i].event_type();
    EXPECT_EQ(events[i].region_code(), kVillage) << events[i].event_type();
  }
  tv1::StudentAidGranted granted;
  ASSERT_TRUE(events[1].payload().UnpackTo(&granted));
  EXPECT_EQ(granted.school_year(), year);
  EXPECT_EQ(granted.amount_fen(), 60000);
  EXPECT_EQ(granted.school_stage(), rv1::SCHOOL_STAGE_PRIMARY);
  ExpectNoIdNumbers();
}

// Reporting counts training, jobs and aid from the training topic, in a village where only this test's people live:
// women trained (holding a place) and completed, postings and open positions (a closed posting's count none),
// women in work and by job kind, this school year's aid (a grant for last school year does not count), and the
// students_aided coverage over the village's students.
TEST_F(TrainingTest, ReportingCountsTrainingJobsAndAid) {
  const std::string village = kReportVillage;
  const std::string a = Woman(31, village), b = Woman(36, village), c = Woman(44, village);
  const std::string aided = Girl(village), other = Girl(village);

  // Training: a and b hold the two places, c waits; a comes to the one session, b does not.
  tv1::Programme p = EndedProgramme(village, 2);
  const std::string session = Session(p.id(), Today() - 10);
  EXPECT_EQ(Enrolled(p.id(), a).state(), tv1::PARTICIPANT_STATE_ENROLLED);
  EXPECT_EQ(Enrolled(p.id(), b).state(), tv1::PARTICIPANT_STATE_ENROLLED);
  EXPECT_EQ(Enrolled(p.id(), c).state(), tv1::PARTICIPANT_STATE_WAITLISTED);
  tv1::RecordAttendanceResponse sheet;
  grpc::Status s = Sheet(p.id(), session, {{1, tv1::ATTENDANCE_PRESENT}, {2, tv1::ATTENDANCE_ABSENT}}, &sheet);
  ASSERT_TRUE(s.ok()) << s.error_message();
  tv1::CompleteProgrammeResponse done;
  s = Complete(p.id(), &done);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(done.completed(), 1);
  ASSERT_EQ(done.not_completed(), 1);

  // Jobs: three home-handicraft positions, a placed and b placed then gone; a workshop posting with c in it, closed
  // with its other position unfilled.
  tv1::JobPosting handicraft = Posted(village, 3);
  Placed(handicraft.id(), a);
  tv1::Placement gone = Placed(handicraft.id(), b), ended;
  ASSERT_TRUE(EndPlacement(gone.id(), &ended).ok());
  tv1::JobPosting workshop = Posted(village, 2, tv1::JOB_KIND_WORKSHOP);
  Placed(workshop.id(), c);
  tv1::JobPosting closed;
  ASSERT_TRUE(Close(workshop.id(), &closed).ok());

  // Aid: this school year for one girl, last school year for the other.
  tv1::AidFund fund = Fund("130207", 200000);
  s = Grant(fund.id(), aided, SchoolYearText(CurrentSchoolYear()), 50000);
  ASSERT_TRUE(s.ok()) << s.error_message();
  s = Grant(fund.id(), other, SchoolYearText(CurrentSchoolYear() - 1), 40000);
  ASSERT_TRUE(s.ok()) << s.error_message();

  pv1::GetRegionSummaryResponse summary;
  auto indicator = [&](const std::string& name) -> int64_t {
    for (const auto& i : summary.summary().indicators()) {
      if (i.name() == name) return i.value();
    }
    return -1;
  };
  auto coverage = [&](const std::string& name) -> const pv1::CoverageItem* {
    for (const auto& i : summary.summary().coverage()) {
      if (i.name() == name) return &i;
    }
    return nullptr;
  };
  // Waits for the last of each stream's events: the completion, the closing and the second grant.
  bool counted = WaitFor(
      [&] {
        pv1::GetRegionSummaryRequest req;
        req.set_region_code(village);
        summary.Clear();
        return reports_->GetRegionSummary(Authorized(kViewer).get(), req, &summary).ok() &&
               indicator("women_training_completed") == 1 && indicator("women_placed") == 2 &&
               indicator("job_positions_open") == 2 && indicator("aid_grants") == 1 &&
               indicator("children_registered") == 2;
      },
      absl::Seconds(30));
  EXPECT_TRUE(counted) << summary.DebugString();
  EXPECT_EQ(indicator("women_trained"), 2) << "a and b held places; c only waited";
  EXPECT_EQ(indicator("women_training_completed"), 1);
  EXPECT_EQ(indicator("job_postings"), 2);
  EXPECT_EQ(indicator("job_positions_open"), 2) << "two of the three handicraft positions; none of the closed posting";
  EXPECT_EQ(indicator("women_placed"), 2) << "a and c; b's placement ended";
  EXPECT_EQ(indicator("placed_home_handicraft"), 1) << "c works in a workshop";
  EXPECT_EQ(indicator("aid_grants"), 1) << "last school year's grant is not this year's";
  EXPECT_EQ(indicator("aid_granted_fen"), 50000);
  const pv1::CoverageItem* students = coverage("students_aided");
  ASSERT_NE(students, nullptr) << summary.DebugString();
  EXPECT_EQ(students->numerator(), 1) << "aided in " << SchoolYearText(CurrentSchoolYear());
  EXPECT_EQ(students->denominator(), 2) << "the village's two students";
  EXPECT_EQ(students->basis_points(), 5000);

  // Her profile shows her training, its certificate, and her job.
  pv1::GetBeneficiaryProfileRequest req;
  req.set_beneficiary_id(a);
  pv1::GetBeneficiaryProfileResponse profile;
  s = reports_->GetBeneficiaryProfile(Authorized(kViewer).get(), req, &profile);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::string timeline;
  for (const auto& t : profile.profile().timeline()) absl::StrAppend(&timeline, t.summary(), "\n");
  EXPECT_NE(timeline.find("报名参加培训：《"), std::string::npos) << timeline;
  EXPECT_NE(
      timeline.find(absl::StrCat("完成培训《", p.title(), "》，证书 ", done.participants(0).certificate_number())),
      std::string::npos)
      << timeline;
  EXPECT_NE(timeline.find(absl::StrCat("就业：", handicraft.employer(), "（居家手工）")), std::string::npos)
      << timeline;
}

// Every bad input: the status, the field named, and nothing written.
TEST_F(TrainingTest, BadInputIsRefusedNamingTheFieldAndWritesNothing) {
  const std::string village = kBadVillage;
  const std::string woman = Woman(40, village), other = Woman(41, village), third = Woman(29, village);
  const std::string girl = Girl(village), boy = Boy(village), pupil = Girl(village);
  const std::string not_at_school = Girl(village, false);

  // A woman registered twice, the second record merged into the first (or the first into the second).
  absl::CivilDay birth = Born(39);
  rv1::RegisterHouseholdResponse h1, h2;
  ASSERT_TRUE(registry_->RegisterHousehold(Authorized(kAdmin).get(), HouseholdRequest(village), &h1).ok());
  ASSERT_TRUE(registry_->RegisterHousehold(Authorized(kAdmin).get(), HouseholdRequest(village), &h2).ok());
  rv1::RegisterBeneficiaryResponse r1, r2;
  for (auto [h, r] : {std::pair{&h1, &r1}, std::pair{&h2, &r2}}) {
    std::string id_number = TestIdNumber(birth, ++serial_);
    id_numbers_->push_back(id_number);
    grpc::Status s = registry_->RegisterBeneficiary(Authorized(kAdmin).get(),
                                                    BeneficiaryRequest(h->household().id(), id_number, "钱玉梅"), r);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  ASSERT_FALSE(r2.duplicate_candidate_id().empty());
  rv1::ResolveDuplicateCandidateRequest resolve;
  resolve.set_request_id(NewRequestId());
  resolve.set_candidate_id(r2.duplicate_candidate_id());
  resolve.set_resolution(rv1::DUPLICATE_STATE_CONFIRMED);
  rv1::ResolveDuplicateCandidateResponse resolved;
  ASSERT_TRUE(registry_->ResolveDuplicateCandidate(Authorized(kAdmin).get(), resolve, &resolved).ok());
  const std::string survivor = resolved.candidate().survivor_id();
  const std::string merged = survivor == r1.beneficiary().id() ? r2.beneficiary().id() : r1.beneficiary().id();

  // --- programmes ---
  const int programmes_before = ProgrammesIn(village);
  tv1::Programme none;
  grpc::Status zero = CreateProgramme(village, 0, Today() - 30, Today() - 1, &none);
  EXPECT_EQ(zero.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(zero), F{"programme.capacity"});
  EXPECT_EQ(ProgrammesIn(village), programmes_before) << "no programme of no places";

  tv1::Programme p = EndedProgramme(village, 2);
  const std::string session = Session(p.id(), Today() - 20);
  tv1::Session outside;
  for (absl::CivilDay day : {Today() - 31, Today()}) {
    grpc::Status s = Schedule(p.id(), day, &outside);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << FormatCivilDate(day);
    EXPECT_EQ(ViolatedFields(s), F{"session.held_on"}) << FormatCivilDate(day);
  }
  EXPECT_EQ(GetProgramme(p.id()).sessions_size(), 1) << "no session outside the programme's dates";

  tv1::Participant x;
  ASSERT_EQ(Enrolled(p.id(), woman).number(), 1);
  ASSERT_EQ(Enrolled(p.id(), other).number(), 2);
  ASSERT_EQ(Enrolled(p.id(), third).state(), tv1::PARTICIPANT_STATE_WAITLISTED);
  auto unchanged = [&](const std::string& what) {
    tv1::GetProgrammeResponse got = GetProgramme(p.id());
    EXPECT_EQ(got.participants_size(), 3) << what;
    EXPECT_EQ(got.programme().next_number(), 4) << what;
    EXPECT_EQ(got.programme().enrolled(), 2) << what;
    EXPECT_EQ(got.programme().waitlisted(), 1) << what;
  };
  grpc::Status boy_refused = Enrol(p.id(), boy, &x);
  EXPECT_EQ(boy_refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ViolatedFields(boy_refused), F{"beneficiary_id"});
  EXPECT_NE(boy_refused.error_message().find("not a woman"), std::string::npos) << boy_refused.error_message();
  unchanged("a male");
  grpc::Status girl_refused = Enrol(p.id(), girl, &x);
  EXPECT_EQ(girl_refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ViolatedFields(girl_refused), F{"beneficiary_id"});
  EXPECT_NE(girl_refused.error_message().find("child"), std::string::npos) << girl_refused.error_message();
  unchanged("a child");
  grpc::Status unknown = Enrol(p.id(), kUnknownId, &x);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ViolatedFields(unknown), F{"beneficiary_id"});
  unchanged("an unknown id");
  grpc::Status twice = Enrol(p.id(), woman, &x);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(ViolatedFields(twice), F{"beneficiary_id"});
  unchanged("twice");

  // The merged id: training's replica learns of the merge from registration's topic. Until it has, a grant of
  // 0 fen to her is refused for its amount (INVALID_ARGUMENT); once it has, for her id. Neither writes anything.
  tv1::AidFund probe = Fund(village.substr(0, 6), 100);
  grpc::Status merged_probe;
  ASSERT_TRUE(WaitFor(
      [&] {
        merged_probe = Grant(probe.id(), merged, SchoolYearText(CurrentSchoolYear()), 0);
        return merged_probe.error_code() == grpc::StatusCode::FAILED_PRECONDITION;
      },
      absl::Seconds(30)))
      << merged_probe.error_message();
  grpc::Status merged_refused = Enrol(p.id(), merged, &x);
  EXPECT_EQ(merged_refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ViolatedFields(merged_refused), F{"beneficiary_id"});
  EXPECT_NE(merged_refused.error_message().find(absl::StrCat("was merged into ", survivor)), std::string::npos)
      << merged_refused.error_message();
  unchanged("a merged id");

  // Attendance: a number nobody has, a waitlisted participant, a session of another programme.
  tv1::RecordAttendanceResponse sheet;
  auto no_sheet = [&](const std::string& what) {
    tv1::GetProgrammeResponse got = GetProgramme(p.id());
    ASSERT_EQ(got.sessions_size(), 1);
    EXPECT_FALSE(got.sessions(0).attendance_recorded()) << what;
    for (const auto& y : got.participants()) EXPECT_TRUE(y.attendance().empty()) << what;
  };
  for (int number : {99, 3}) {
    grpc::Status s =
        Sheet(p.id(), session,
              {{number, tv1::ATTENDANCE_PRESENT}, {1, tv1::ATTENDANCE_PRESENT}, {2, tv1::ATTENDANCE_ABSENT}}, &sheet);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << number;
    EXPECT_EQ(ViolatedFields(s), F{"marks[0].number"}) << number << ": " << s.error_message();
    no_sheet(absl::StrCat("participant ", number));
  }
  tv1::Programme elsewhere = EndedProgramme(village, 5);
  const std::string foreign = Session(elsewhere.id(), Today() - 20);
  grpc::Status foreign_session =
      Sheet(p.id(), foreign, {{1, tv1::ATTENDANCE_PRESENT}, {2, tv1::ATTENDANCE_PRESENT}}, &sheet);
  EXPECT_EQ(foreign_session.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ViolatedFields(foreign_session), F{"session_id"});
  no_sheet("another programme's session");
  EXPECT_FALSE(GetProgramme(elsewhere.id()).sessions(0).attendance_recorded());

  // Completion before the programme's end: with participants, and with none enrolled yet.
  tv1::Programme running;
  ASSERT_TRUE(CreateProgramme(village, 2, Today() - 5, Today() + 10, &running).ok());
  Enrolled(running.id(), woman);
  tv1::CompleteProgrammeResponse done;
  grpc::Status early = Complete(running.id(), &done);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(early.error_message().find("ends on"), std::string::npos) << early.error_message();
  tv1::GetProgrammeResponse still = GetProgramme(running.id());
  EXPECT_FALSE(still.programme().completed());
  ASSERT_EQ(still.participants_size(), 1);
  EXPECT_EQ(still.participants(0).state(), tv1::PARTICIPANT_STATE_ENROLLED);
  // Attendance for a session still to come.
  const std::string coming = Session(running.id(), Today() + 2);
  grpc::Status future = Sheet(running.id(), coming, {{1, tv1::ATTENDANCE_PRESENT}}, &sheet);
  EXPECT_EQ(future.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << future.error_message();
  EXPECT_EQ(ViolatedFields(future), F{"session_id"});
  still = GetProgramme(running.id());
  ASSERT_EQ(still.sessions_size(), 1);
  EXPECT_FALSE(still.sessions(0).attendance_recorded());
  EXPECT_TRUE(still.participants(0).attendance().empty());
  tv1::Programme empty;
  ASSERT_TRUE(CreateProgramme(village, 2, Today() - 5, Today() + 10, &empty).ok());
  grpc::Status early_empty = Complete(empty.id(), &done);
  EXPECT_EQ(early_empty.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << "a programme that has not ended is not completed, whoever has enrolled yet";
  EXPECT_FALSE(GetProgramme(empty.id()).programme().completed());
  EXPECT_TRUE(Enrol(empty.id(), woman, &x).ok()) << "it still takes enrolments";

  // --- jobs ---
  const size_t postings_before = Jobs(village, false).size();
  auto posting_refused = [&](tv1::PostJobRequest r, const std::string& field, const std::string& what) {
    tv1::JobPosting out;
    grpc::Status s = Post(r, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << what;
    EXPECT_EQ(ViolatedFields(s), F{field}) << what << ": " << s.error_message();
    EXPECT_EQ(Jobs(village, false).size(), postings_before) << what;
  };
  tv1::PostJobRequest bad = Posting(village, 0);
  posting_refused(bad, "posting.positions", "no positions");
  bad = Posting(village, 2);
  bad.mutable_posting()->set_wage_min_fen(300001);
  posting_refused(bad, "posting.wage_min_fen", "min above max");
  bad = Posting(village, 2);
  bad.mutable_posting()->set_wage_min_fen(-100);
  posting_refused(bad, "posting.wage_min_fen", "a negative wage");
  bad = Posting(village, 2);
  bad.mutable_posting()->set_category("XX99");
  posting_refused(bad, "posting.category", "not a category");

  tv1::JobPosting one_place = Posted(village, 1);
  Placed(one_place.id(), woman);
  tv1::Placement pl;
  grpc::Status full = Place(one_place.id(), other, &pl);
  EXPECT_EQ(full.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ViolatedFields(full), F{"posting_id"});
  EXPECT_NE(full.error_message().find("full"), std::string::npos) << full.error_message();
  tv1::JobPosting to_close = Posted(village, 3), closed;
  ASSERT_TRUE(Close(to_close.id(), &closed).ok());
  grpc::Status shut = Place(to_close.id(), other, &pl);
  EXPECT_EQ(shut.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ViolatedFields(shut), F{"posting_id"});
  EXPECT_NE(shut.error_message().find("closed"), std::string::npos) << shut.error_message();
  auto jobs = Jobs(village, false);
  EXPECT_EQ(jobs[one_place.id()].placed(), 1) << "only the first woman";
  EXPECT_EQ(jobs[to_close.id()].placed(), 0);

  // --- 春蕾 aid: a fund of 1000.00 元 ---
  tv1::AidFund fund = Fund("1302", 100000);
  const std::string year = SchoolYearText(CurrentSchoolYear());
  auto aid_refused = [&](const std::string& child, const std::string& school_year, int64_t fen, grpc::StatusCode code,
                         const std::string& field, const std::string& what) {
    tv1::AidGrant g;
    grpc::Status s = Grant(fund.id(), child, school_year, fen, &g);
    EXPECT_EQ(s.error_code(), code) << what << ": " << s.error_message();
    EXPECT_EQ(ViolatedFields(s), F{field}) << what << ": " << s.error_message();
    return s;
  };
  aid_refused(woman, year, 10000, grpc::StatusCode::FAILED_PRECONDITION, "beneficiary_id", "a woman");
  EXPECT_TRUE(AidOf(woman).empty());
  aid_refused(not_at_school, year, 10000, grpc::StatusCode::FAILED_PRECONDITION, "beneficiary_id",
              "a child not at school");
  EXPECT_TRUE(AidOf(not_at_school).empty());
  for (const char* y : {"2025-2027", "2025"}) {
    aid_refused(pupil, y, 10000, grpc::StatusCode::INVALID_ARGUMENT, "school_year", y);
  }
  EXPECT_TRUE(AidOf(pupil).empty());
  ASSERT_TRUE(Grant(fund.id(), pupil, year, 60000).ok());
  aid_refused(pupil, year, 10000, grpc::StatusCode::ALREADY_EXISTS, "beneficiary_id", "twice in a school year");
  EXPECT_EQ(AidOf(pupil).size(), 1u);
  grpc::Status overdrawn =
      aid_refused(girl, year, 40001, grpc::StatusCode::FAILED_PRECONDITION, "amount_fen", "more than is left");
  EXPECT_NE(overdrawn.error_message().find("400.00"), std::string::npos) << overdrawn.error_message();
  EXPECT_TRUE(AidOf(girl).empty());
  // Nothing but the one grant was taken from the fund: exactly what is left may still be granted, then nothing.
  EXPECT_TRUE(Grant(fund.id(), girl, year, 40000).ok());
  aid_refused(pupil, SchoolYearText(CurrentSchoolYear() - 1), 1, grpc::StatusCode::FAILED_PRECONDITION, "amount_fen",
              "an empty fund");
}

}  // namespace
}  // namespace jinguo::testing
