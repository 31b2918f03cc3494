// The reporting service against the real registration service and a real broker: counts at every level after
// registrations, a status change, a region move, a merge and a duplicated event; a rebuild that replays every
// topic and ends with the same counters; region scope.
#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/clock.h"
#include "common/rpc/auth.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "jinguo/audit/v1/audit.grpc.pb.h"
#include "jinguo/reporting/v1/reporting.grpc.pb.h"
#include "rocksdb/db.h"
#include "services/reporting/store/read_model.h"
#include "tests/integration/harness.h"
#include "tests/integration/registration_client.h"
#include "tests/integration/reporting_client.h"

namespace jinguo::testing {
namespace {

namespace pv1 = ::jinguo::reporting::v1;

constexpr char kAdmin[] = "admin-token";
constexpr char kTangshan[] = "tangshan-token";
constexpr char kAuditor[] = "auditor-token";

class ReportingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = KafkaBroker::Start();
    ASSERT_NE(broker_, nullptr);
    std::ofstream(dir_.path() + "/tokens") << rpc::HashToken(kAdmin) << " admin admin *\n"
                                           << rpc::HashToken(kTangshan) << " tangshan viewer 1302\n"
                                           << rpc::HashToken(kAuditor) << " inspector auditor *\n";
    int port = FreePort();
    auto args = CommonArgs("registration", port);
    args.insert(args.end(), {"--data-key-file", WriteDataKeyFile(dir_.path())});
    registration_ = ServiceProcess::Start(REGISTRATION_BINARY, args, port, dir_.path() + "/registration.log");
    ASSERT_NE(registration_, nullptr);
    registry_ = rv1::RegistrationService::NewStub(registration_->channel());
    StartReporting({});
  }

  std::vector<std::string> CommonArgs(const std::string& name, int port) {
    return ServiceArgs(name, port, dir_.path(), broker_->brokers());
  }

  void StartReporting(const std::vector<std::string>& extra, int port = 0) {
    reporting_.reset();
    if (port == 0) port = FreePort();
    http_port_ = FreePort();
    auto args = CommonArgs("reporting", port);
    args[3] = absl::StrCat("127.0.0.1:", http_port_);  // --http-listen
    args.push_back("--dashboard-dir");
    args.push_back(SourceDir() + "/services/reporting/dashboard");
    args.insert(args.end(), extra.begin(), extra.end());
    reporting_ = ServiceProcess::Start(REPORTING_BINARY, args, port, dir_.path() + "/reporting.log");
    ASSERT_NE(reporting_, nullptr);
    reports_ = pv1::ReportingService::NewStub(reporting_->channel());
  }

  std::map<std::string, int64_t> Counts(const std::string& region) { return RegionCounts(*reports_, kAdmin, region); }

  // Waits until `indicator` at `region` reads `value`; returns the last value read.
  int64_t AwaitCount(const std::string& region, const std::string& indicator, int64_t value) {
    int64_t last = -1;
    WaitFor([&] { return (last = Counts(region)[indicator]) == value; }, absl::Seconds(30));
    return last;
  }

  std::string Export(const std::string& region) { return ExportCsv(*reports_, kAdmin, region); }

  rv1::Household Household(const std::string& region) {
    rv1::RegisterHouseholdResponse resp;
    EXPECT_TRUE(registry_->RegisterHousehold(Authorized(kAdmin).get(), HouseholdRequest(region), &resp).ok());
    return resp.household();
  }

  rv1::RegisterBeneficiaryResponse Person(const std::string& household, absl::CivilDay birth, const std::string& name,
                                          bool student = false) {
    auto req = BeneficiaryRequest(household, TestIdNumber(birth, ++serial_), name);
    if (student) {
      req.mutable_beneficiary()->set_student(true);
      req.mutable_beneficiary()->set_school_stage(rv1::SCHOOL_STAGE_PRIMARY);
    }
    rv1::RegisterBeneficiaryResponse resp;
    grpc::Status s = registry_->RegisterBeneficiary(Authorized(kAdmin).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  TempDir dir_;
  std::unique_ptr<KafkaBroker> broker_;
  std::unique_ptr<ServiceProcess> registration_, reporting_;
  std::unique_ptr<rv1::RegistrationService::Stub> registry_;
  std::unique_ptr<pv1::ReportingService::Stub> reports_;
  // Events the reporting process has applied since it started (from its /metrics).
  int64_t AppliedThisRun() { return testing::AppliedThisRun(http_port_); }

  int serial_ = 0;
  int http_port_ = 0;
};

TEST_F(ReportingTest, CountsAtEveryLevelFollowRegistrationsMovesStatusMergesAndRepeats) {
  const std::string village_a = "130207104201", village_b = "130207104202", other_county = "130208100201";
  rv1::Household h1 = Household(village_a);
  rv1::Household h2 = Household(village_b);
  auto w1 = Person(h1.id(), absl::CivilDay(1980, 5, 1), "甲");
  Person(h1.id(), absl::CivilDay(1990, 6, 1), "乙");
  Person(h1.id(), absl::CivilDay(2016, 1, 1), "丙", /*student=*/true);
  auto w3 = Person(h2.id(), absl::CivilDay(1970, 7, 1), "丁");

  ASSERT_EQ(AwaitCount("", "beneficiaries_registered", 4), 4);
  for (const std::string& node :
       {std::string(""), std::string("13"), std::string("1302"), std::string("130207"), std::string("130207104")}) {
    auto c = Counts(node);
    EXPECT_EQ(c["women_registered"], 3) << node;
    EXPECT_EQ(c["children_registered"], 1) << node;
    EXPECT_EQ(c["households"], 2) << node;
    EXPECT_EQ(c["school_age_students"], 1) << node;
    EXPECT_EQ(c["status_not_lifted"], 4) << node;
    EXPECT_EQ(c["eligible_women"], 3) << node;  // aged 46, 36 and 56 this year: all within 35-64
  }
  EXPECT_EQ(Counts(village_a)["women_registered"], 2);
  EXPECT_EQ(Counts(village_b)["women_registered"], 1);
  EXPECT_EQ(Counts("130208")["women_registered"], 0);

  // A cadre pairs with w1; a status change moves one count.
  rv1::RegisterCadreResponse cadre;
  ASSERT_TRUE(registry_->RegisterCadre(Authorized(kAdmin).get(), CadreRequest("干部", "130207"), &cadre).ok());
  rv1::PairCadreResponse paired;
  ASSERT_TRUE(
      registry_->PairCadre(Authorized(kAdmin).get(), PairRequest(cadre.cadre().id(), w1.beneficiary().id()), &paired)
          .ok());
  rv1::ChangeMonitoringStatusRequest status;
  status.set_request_id(NewRequestId());
  status.set_beneficiary_id(w1.beneficiary().id());
  status.set_expected_version(1);
  status.set_status(rv1::MONITORING_STATUS_LIFTED);
  status.set_reason("核查");
  *status.mutable_effective_on() = ToProto(absl::CivilDay(2026, 1, 1));
  rv1::ChangeMonitoringStatusResponse changed;
  ASSERT_TRUE(registry_->ChangeMonitoringStatus(Authorized(kAdmin).get(), status, &changed).ok());
  ASSERT_EQ(AwaitCount("1302", "status_lifted", 1), 1);
  EXPECT_EQ(Counts("1302")["status_not_lifted"], 3);
  EXPECT_EQ(AwaitCount(village_a, "paired", 1), 1);

  pv1::GetCoverageRequest cov;
  cov.set_region_code("130207");
  pv1::GetCoverageResponse coverage;
  ASSERT_TRUE(reports_->GetCoverage(Authorized(kAdmin).get(), cov, &coverage).ok());
  ASSERT_EQ(coverage.items_size(), 5);
  EXPECT_EQ(coverage.items(1).name(), "paired");
  EXPECT_EQ(coverage.items(1).numerator(), 1);
  EXPECT_EQ(coverage.items(1).denominator(), 4);
  EXPECT_EQ(coverage.items(1).basis_points(), 2500);
  EXPECT_EQ(coverage.items(0).numerator(), 0);  // publicity comes with its service: 0 of N households
  EXPECT_EQ(coverage.items(0).denominator(), 2);

  // Household h2 moves to another county: w3 and the household move, the city's totals stay.
  rv1::UpdateHouseholdRequest move;
  move.set_request_id(NewRequestId());
  move.set_household_id(h2.id());
  move.set_expected_version(1);
  move.set_region_code(other_county);
  move.set_attribute(h2.attribute());
  move.set_head_name(h2.head_name());
  rv1::UpdateHouseholdResponse moved;
  ASSERT_TRUE(registry_->UpdateHousehold(Authorized(kAdmin).get(), move, &moved).ok());
  ASSERT_EQ(AwaitCount("130208", "women_registered", 1), 1);
  EXPECT_EQ(AwaitCount("130208", "households", 1), 1);
  EXPECT_EQ(Counts("130207")["women_registered"], 2);
  EXPECT_EQ(Counts("130207")["households"], 1);
  EXPECT_EQ(Counts(village_b)["women_registered"], 0);
  EXPECT_EQ(Counts("1302")["women_registered"], 3);
  EXPECT_EQ(Counts("1302")["households"], 2);

  // A duplicate of w1 registered and confirmed: counts go up by one, then back; w1 stays paired.
  auto dup = Person(h1.id(), absl::CivilDay(1980, 5, 1), "甲");
  ASSERT_FALSE(dup.duplicate_candidate_id().empty());
  ASSERT_EQ(AwaitCount(village_a, "women_registered", 3), 3);
  EXPECT_EQ(AwaitCount("130207", "duplicates_open", 1), 1);
  rv1::ResolveDuplicateCandidateRequest resolve;
  resolve.set_request_id(NewRequestId());
  resolve.set_candidate_id(dup.duplicate_candidate_id());
  resolve.set_resolution(rv1::DUPLICATE_STATE_CONFIRMED);
  rv1::ResolveDuplicateCandidateResponse resolved;
  ASSERT_TRUE(registry_->ResolveDuplicateCandidate(Authorized(kAdmin).get(), resolve, &resolved).ok());
  ASSERT_EQ(AwaitCount(village_a, "women_registered", 2), 2);
  EXPECT_EQ(AwaitCount("130207", "duplicates_open", 0), 0);
  EXPECT_EQ(Counts("")["women_registered"], 3);
  EXPECT_EQ(Counts("")["paired"], 1);

  // Repeated events (as a relay republishing after a crash would send) change nothing: not the counts, and not her
  // profile. Sent newest first, so that applying them again would move her back to her first village.
  std::string before = Export("1302");
  auto profile = [&](const std::string& id) {
    pv1::GetBeneficiaryProfileRequest req;
    req.set_beneficiary_id(id);
    pv1::GetBeneficiaryProfileResponse resp;
    grpc::Status s = reports_->GetBeneficiaryProfile(Authorized(kAdmin).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.profile();
  };
  const pv1::BeneficiaryProfile profile_before = profile(w3.beneficiary().id());
  ASSERT_EQ(profile_before.region_code(), other_county);
  {
    EventTap tap(broker_->brokers(), "jinguo.registration.events.v1");
    tap.WaitForAggregate(w3.beneficiary().id(), 2);
    bus::KafkaOptions kafka;
    kafka.brokers = broker_->brokers();
    auto producer = bus::Producer::Create(kafka, [](uint64_t, RdKafka::ErrorCode, int32_t, int64_t) {});
    ASSERT_TRUE(producer.ok());
    int republished = 0;
    const auto& events = tap.Settle();
    for (auto e = events.rbegin(); e != events.rend(); ++e) {
      if (e->beneficiary_id() != w3.beneficiary().id()) continue;
      ASSERT_TRUE(
          (*producer)->Produce("jinguo.registration.events.v1", e->aggregate_id(), e->SerializeAsString(), 0).ok());
      ++republished;
    }
    ASSERT_GE(republished, 2);
    ASSERT_TRUE((*producer)->Flush(absl::Seconds(10)).ok());
  }
  absl::SleepFor(absl::Seconds(2));
  EXPECT_EQ(FirstDifference(Export("1302"), before), "") << "a repeated event changed the counts";
  const pv1::BeneficiaryProfile profile_after = profile(w3.beneficiary().id());
  EXPECT_EQ(profile_after.region_code(), other_county);
  EXPECT_EQ(profile_after.timeline_size(), profile_before.timeline_size()) << "a repeated event joined her timeline";

  // As of yesterday nothing had been registered.
  pv1::GetRegionSummaryRequest past;
  past.set_region_code("1302");
  *past.mutable_as_of() = ToProto(ChinaDay(absl::Now()) - 1);
  pv1::GetRegionSummaryResponse then;
  ASSERT_TRUE(reports_->GetRegionSummary(Authorized(kAdmin).get(), past, &then).ok());
  for (const auto& i : then.summary().indicators()) EXPECT_EQ(i.value(), 0) << i.name();

  // Rebuild: clear the read models, replay every topic; the result equals the live projection counter for counter.
  std::string live = Export("13");
  ASSERT_NE(live.find("130207104201"), std::string::npos);
  StartReporting({"--rebuild"});
  std::string rebuilt;
  WaitFor([&] { return (rebuilt = Export("13")) == live; }, absl::Seconds(60));
  EXPECT_EQ(FirstDifference(rebuilt, live), "");
  EXPECT_GE(AppliedThisRun(), 14) << "the rebuild did not replay the topics";  // about 16 events were published

  // Read models an earlier version of the service wrote in another layout (here: none recorded) are rebuilt at
  // start, without --rebuild: the same counts, from every event again.
  reporting_.reset();
  {
    // Every family the service keeps (its read models, and the kit's outbox, request log and audit trail).
    auto options = reporting::store::ReadModel::StoreOptions(dir_.path() + "/reporting", 8 << 20);
    std::vector<std::string> present;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), options.path, &present).ok());
    for (const std::string& f : present) {
      if (f != rocksdb::kDefaultColumnFamilyName &&
          std::find(options.column_families.begin(), options.column_families.end(), f) ==
              options.column_families.end()) {
        options.column_families.push_back(f);
      }
    }
    auto db = store::Store::Open(std::move(options));
    ASSERT_TRUE(db.ok()) << db.status();
    rocksdb::WriteBatch batch;
    batch.Delete((*db)->Family("meta"), "layout");
    ASSERT_TRUE((*db)->Write(&batch).ok());
  }
  StartReporting({});
  WaitFor([&] { return (rebuilt = Export("13")) == live; }, absl::Seconds(60));
  EXPECT_EQ(FirstDifference(rebuilt, live), "");
  EXPECT_GE(AppliedThisRun(), 14) << "read models of another layout were kept, not rebuilt";
}

// kill -9 during load, twice: the restarted replica rejoins its group at once (static membership), answers
// UNAVAILABLE while it catches up, and no read it answers ever shows fewer people than one answered before.
TEST_F(ReportingTest, AfterACrashNoReadShowsLessThanBeforeAndTheReplicaRejoinsAtOnce) {
  rv1::Household h = Household("130207104201");
  std::atomic<bool> stop{false};
  std::atomic<int64_t> registered{0};
  std::atomic<int> serial{100000};
  std::thread load([&] {
    while (!stop) {
      auto req = BeneficiaryRequest(h.id(), TestIdNumber(absl::CivilDay(1971, 1, 1) + serial % 9000, ++serial), "崩溃");
      rv1::RegisterBeneficiaryResponse resp;
      if (registry_->RegisterBeneficiary(Authorized(kAdmin).get(), req, &resp).ok()) ++registered;
    }
  });
  // Reads of the country's registered count on `port` until `done`; the highest value read goes to `*highest`.
  auto poll = [&](int port, std::atomic<bool>* done, int64_t floor, int64_t* highest, int* lower, int* unavailable) {
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    auto stub = pv1::ReportingService::NewStub(channel);
    while (!*done) {
      pv1::GetRegionSummaryRequest req;
      req.set_region_code("");
      pv1::GetRegionSummaryResponse resp;
      auto ctx = Authorized(kAdmin);
      ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      grpc::Status st = stub->GetRegionSummary(ctx.get(), req, &resp);
      if (st.error_code() == grpc::StatusCode::UNAVAILABLE) ++*unavailable;
      if (!st.ok()) continue;
      for (const auto& i : resp.summary().indicators()) {
        if (i.name() != "beneficiaries_registered") continue;
        if (i.value() < floor) ++*lower;
        *highest = std::max(*highest, i.value());
      }
    }
  };
  int64_t highest = 0;
  int lower = 0, unavailable = 0;
  for (int kill = 0; kill < 2; ++kill) {
    // Reads climb while the load runs.
    int64_t before = highest;
    ASSERT_TRUE(
        WaitFor([&] { return (highest = std::max(highest, Counts("")["beneficiaries_registered"])) > before + 200; },
                absl::Seconds(60)));
    reporting_->Signal(SIGKILL);
    reporting_->Wait();
    int port = FreePort();
    std::atomic<bool> restarted{false};
    int64_t after = 0;
    std::thread reader([&] { poll(port, &restarted, highest, &after, &lower, &unavailable); });
    absl::Time start = absl::Now();
    StartReporting({}, port);
    absl::Duration took = absl::Now() - start;
    restarted = true;
    reader.join();
    // The killed member's session (45 s) would otherwise be waited out before the partitions came back.
    EXPECT_LT(took, absl::Seconds(25)) << "restart " << kill + 1 << " took " << took;
    int64_t now = Counts("")["beneficiaries_registered"];
    EXPECT_GE(now, highest) << "restart " << kill + 1;
    highest = std::max({highest, now, after});
  }
  stop = true;
  load.join();
  EXPECT_EQ(lower, 0) << "reads after a restart showed fewer people than one before it";
  EXPECT_EQ(AwaitCount("", "beneficiaries_registered", registered), registered.load());
  // Reporting said UNAVAILABLE while it caught up rather than a low figure (some reads may have come before it
  // listened at all, which also reads as UNAVAILABLE).
  EXPECT_GT(unavailable, 0);
}

TEST_F(ReportingTest, CallersSeeOnlyTheirRegionScope) {
  pv1::GetRegionSummaryRequest req;
  pv1::GetRegionSummaryResponse resp;
  req.set_region_code("13");
  EXPECT_EQ(reports_->GetRegionSummary(Authorized(kTangshan).get(), req, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  req.set_region_code("1302");
  EXPECT_TRUE(reports_->GetRegionSummary(Authorized(kTangshan).get(), req, &resp).ok());
  req.set_region_code("1399");
  grpc::Status bad = reports_->GetRegionSummary(Authorized(kAdmin).get(), req, &resp);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(bad), std::vector<std::string>{"region_code"});
  req.set_region_code("1302");
  EXPECT_EQ(reports_->GetRegionSummary(Authorized("").get(), req, &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  *req.mutable_as_of() = ToProto(absl::CivilDay(2099, 1, 1));
  EXPECT_EQ(ViolatedFields(reports_->GetRegionSummary(Authorized(kAdmin).get(), req, &resp)),
            std::vector<std::string>{"as_of"});
}

// A child's profile and an export are sensitive reads: each leaves a record in the reporting service's own audit
// trail, which an auditor lists and an administrator may not. A woman's profile leaves none.
TEST_F(ReportingTest, ChildProfileReadsAndExportsAreAudited) {
  const std::string village = "130207104201";
  rv1::Household h = Household(village);
  auto child = Person(h.id(), absl::CivilDay(2016, 1, 1), "丙", /*student=*/true);
  auto woman = Person(h.id(), absl::CivilDay(1980, 5, 1), "甲");
  ASSERT_EQ(AwaitCount("", "beneficiaries_registered", 2), 2);
  for (const auto& who : {child, woman}) {
    pv1::GetBeneficiaryProfileRequest req;
    req.set_beneficiary_id(who.beneficiary().id());
    pv1::GetBeneficiaryProfileResponse resp;
    grpc::Status s = reports_->GetBeneficiaryProfile(Authorized(kTangshan).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  Export("1302");

  auto audit = audit::v1::AuditService::NewStub(reporting_->channel());
  auto list = [&](const std::string& method, const std::string& token, grpc::Status* status = nullptr) {
    audit::v1::ListAuditRecordsRequest req;
    req.set_method(method);
    audit::v1::ListAuditRecordsResponse resp;
    grpc::Status s = audit->ListAuditRecords(Authorized(token).get(), req, &resp);
    if (status != nullptr) *status = s;
    return std::vector<audit::v1::AuditRecord>(resp.records().begin(), resp.records().end());
  };
  // Reads are recorded without waiting for the disk: the records follow shortly.
  ASSERT_TRUE(WaitFor([&] { return !list("ExportReport", kAuditor).empty(); }, absl::Seconds(10)));
  std::vector<audit::v1::AuditRecord> profiles = list("GetBeneficiaryProfile", kAuditor);
  ASSERT_EQ(profiles.size(), 1u) << "only the child's profile read is audited";
  EXPECT_EQ(profiles[0].principal(), "tangshan");
  EXPECT_EQ(profiles[0].role(), "viewer");
  EXPECT_EQ(profiles[0].service(), "reporting");
  EXPECT_EQ(std::vector<std::string>(profiles[0].target_ids().begin(), profiles[0].target_ids().end()),
            std::vector<std::string>{child.beneficiary().id()});
  EXPECT_EQ(profiles[0].region_code(), village);
  std::vector<audit::v1::AuditRecord> exports = list("ExportReport", kAuditor);
  ASSERT_EQ(exports.size(), 1u);
  EXPECT_EQ(exports[0].principal(), "admin");
  EXPECT_EQ(exports[0].region_code(), "1302");

  grpc::Status denied;
  list("", kAdmin, &denied);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED) << "an administrator read the audit trail";
}

}  // namespace
}  // namespace jinguo::testing
