// The operators' tools (jinguoctl backup, restore, rebuild reporting, outbox status) against the real services and
// broker: a reporting backup restored over the live store ends, once the topics since are replayed, equal to the
// live projection; a registration backup holds exactly what was registered when it was taken; a rebuild is
// followed to SERVING; the outbox's depth and oldest record show while Kafka is away, and drain after.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/rpc/auth.h"
#include "gtest/gtest.h"
#include "jinguo/operations/v1/operations.grpc.pb.h"
#include "jinguo/reporting/v1/reporting.grpc.pb.h"
#include "tests/integration/harness.h"
#include "tests/integration/registration_client.h"
#include "tests/integration/reporting_client.h"

namespace jinguo::testing {
namespace {

namespace fs = std::filesystem;
namespace pv1 = ::jinguo::reporting::v1;
namespace ov1 = ::jinguo::operations::v1;

constexpr char kAdmin[] = "ops-admin-token";
constexpr char kViewer[] = "ops-viewer-token";
constexpr char kVillage[] = "130207104201";

// Runs jinguoctl with `args`; its exit code, and stdout+stderr in *out.
int Jinguoctl(const std::string& args, std::string* out) {
  return RunCommand(absl::StrCat(JINGUOCTL_BINARY, " ", args), out);
}

class OperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = KafkaBroker::Start();
    ASSERT_NE(broker_, nullptr);
    std::ofstream(dir_.path() + "/tokens") << rpc::HashToken(kAdmin) << " operator-on-call admin *\n"
                                           << rpc::HashToken(kViewer) << " onlooker viewer *\n";
    registration_port_ = FreePort();
    registration_ = StartRegistration(REGISTRATION_BINARY, registration_port_, dir_.path(), broker_->brokers());
    ASSERT_NE(registration_, nullptr);
    registry_ = rv1::RegistrationService::NewStub(registration_->channel());
    reporting_port_ = FreePort();
    StartReporting();
  }

  void StartReporting() {
    reporting_.reset();
    http_port_ = FreePort();
    auto args = ServiceArgs("reporting", reporting_port_, dir_.path(), broker_->brokers());
    args[3] = absl::StrCat("127.0.0.1:", http_port_);  // --http-listen
    reporting_ = ServiceProcess::Start(REPORTING_BINARY, args, reporting_port_, dir_.path() + "/reporting.log");
    ASSERT_NE(reporting_, nullptr);
    reports_ = pv1::ReportingService::NewStub(reporting_->channel());
  }

  std::string Reporting() const { return absl::StrCat("127.0.0.1:", reporting_port_); }
  std::string Registration() const { return absl::StrCat("127.0.0.1:", registration_port_); }

  bool AwaitRegistered(int64_t n) {
    return WaitFor([&] { return RegionCounts(*reports_, kAdmin, "")["beneficiaries_registered"] == n; },
                   absl::Seconds(30));
  }

  std::string Export(const std::string& region) { return ExportCsv(*reports_, kAdmin, region); }

  // The country's report once everything registration committed is in Kafka and reporting has applied it all
  // (registration publishes some events after the call that caused them, e.g. a suspected duplicate).
  std::string SettledExport() {
    auto registration_ops = ov1::OperationsService::NewStub(registration_->channel());
    auto reporting_ops = ov1::OperationsService::NewStub(reporting_->channel());
    std::string last;
    // Settled, with the same report, for longer than reporting takes to measure its lag again (a second).
    absl::Time quiet_since = absl::InfiniteFuture();
    WaitFor(
        [&] {
          ov1::GetOutboxStatusResponse outbox;
          ov1::GetProjectionStatusResponse projections;
          bool settled =
              registration_ops->GetOutboxStatus(Authorized(kAdmin).get(), ov1::GetOutboxStatusRequest(), &outbox)
                  .ok() &&
              outbox.depth() == 0 &&
              reporting_ops
                  ->GetProjectionStatus(Authorized(kAdmin).get(), ov1::GetProjectionStatusRequest(), &projections)
                  .ok() &&
              projections.serving();
          for (const auto& p : projections.projections()) settled = settled && p.lag_events() == 0;
          std::string now = Export("13");
          if (!settled || now != last) quiet_since = absl::InfiniteFuture();
          if (settled && now == last && quiet_since == absl::InfiniteFuture()) quiet_since = absl::Now();
          last = now;
          return absl::Now() - quiet_since > absl::Milliseconds(1500);
        },
        absl::Seconds(60));
    return last;
  }

  int64_t AppliedThisRun() { return testing::AppliedThisRun(http_port_); }

  std::string Register(const std::string& household) {
    auto req = BeneficiaryRequest(household, TestIdNumber(absl::CivilDay(1980, 3, 1), ++serial_), "王秀英");
    rv1::RegisterBeneficiaryResponse resp;
    grpc::Status s = registry_->RegisterBeneficiary(Authorized(kAdmin).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.beneficiary().id();
  }

  std::string NewHousehold() {
    rv1::RegisterHouseholdResponse resp;
    EXPECT_TRUE(registry_->RegisterHousehold(Authorized(kAdmin).get(), HouseholdRequest(kVillage), &resp).ok());
    return resp.household().id();
  }

  TempDir dir_;
  std::unique_ptr<KafkaBroker> broker_;
  int registration_port_ = 0, reporting_port_ = 0, http_port_ = 0;
  std::unique_ptr<ServiceProcess> registration_, reporting_;
  std::unique_ptr<rv1::RegistrationService::Stub> registry_;
  std::unique_ptr<pv1::ReportingService::Stub> reports_;
  int serial_ = 0;
};

TEST_F(OperationsTest, RestoredBackupThenReplayEqualsLiveAndARebuildIsFollowedToServing) {
  const std::string household = NewHousehold();
  std::vector<std::string> before;
  for (int i = 0; i < 3; ++i) before.push_back(Register(household));
  ASSERT_TRUE(AwaitRegistered(3));

  std::string out;
  const std::string rep_backup = dir_.path() + "/backups/reporting", reg_backup = dir_.path() + "/backups/registration";
  // Refused: a viewer; a directory that already holds something.
  EXPECT_EQ(Jinguoctl(absl::StrCat("backup --quiet --address ", Reporting(), " --token ", kViewer, " --out ",
                                   dir_.path(), "/backups/refused"),
                      &out),
            1);
  EXPECT_NE(out.find("onlooker is a viewer; this needs admin"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir_.path() + "/backups/refused")) << "a refused backup left a directory";
  EXPECT_EQ(
      Jinguoctl(absl::StrCat("backup --address ", Reporting(), " --token ", kAdmin, " --out ", dir_.path()), &out), 2);
  EXPECT_NE(out.find("is not empty"), std::string::npos) << out;

  ASSERT_EQ(Jinguoctl(absl::StrCat("backup --address ", Reporting(), " --token ", kAdmin, " --out ", rep_backup), &out),
            0)
      << out;
  EXPECT_NE(out.find("backup: reporting's store as of"), std::string::npos) << out;
  ASSERT_EQ(
      Jinguoctl(absl::StrCat("backup --address ", Registration(), " --token ", kAdmin, " --out ", reg_backup), &out), 0)
      << out;
  EXPECT_TRUE(fs::exists(rep_backup + "/jinguo-backup.json"));
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".checkpoint-"), std::string::npos)
        << "a checkpoint was left beside the store: " << entry.path();
  }

  // After the backups: two more women.
  std::vector<std::string> after = {Register(household), Register(household)};
  ASSERT_TRUE(AwaitRegistered(5));
  const std::string live = SettledExport();
  ASSERT_NE(live.find(kVillage), std::string::npos);

  // Restore refuses a running service's store, and a stopped one's without --force.
  const std::string rep_dir = dir_.path() + "/reporting";
  EXPECT_EQ(Jinguoctl(absl::StrCat("restore --from ", rep_backup, " --data-dir ", rep_dir, " --force"), &out), 2);
  EXPECT_NE(out.find("running service"), std::string::npos) << out;
  reporting_.reset();
  EXPECT_EQ(Jinguoctl(absl::StrCat("restore --from ", rep_backup, " --data-dir ", rep_dir), &out), 2);
  EXPECT_NE(out.find("already holds a store; add --force"), std::string::npos) << out;
  ASSERT_EQ(Jinguoctl(absl::StrCat("restore --quiet --from ", rep_backup, " --data-dir ", rep_dir, " --force"), &out),
            0)
      << out;
  EXPECT_NE(out.find("the store it replaced is in"), std::string::npos) << out;

  // Started on the restored store, reporting replays only what came after the backup, and ends equal to live.
  ASSERT_NO_FATAL_FAILURE(StartReporting());
  EXPECT_EQ(FirstDifference(SettledExport(), live), "");
  const int64_t replayed_since_backup = AppliedThisRun();
  EXPECT_GE(replayed_since_backup, 2);

  // Registration's backup holds the women registered before it was taken, and not those after.
  {
    const std::string restored_dir = dir_.path() + "/registration-restored";
    ASSERT_EQ(Jinguoctl(absl::StrCat("restore --quiet --from ", reg_backup, " --data-dir ", restored_dir), &out), 0)
        << out;
    int port = FreePort();
    auto args = ServiceArgs("registration-restored", port, dir_.path(), broker_->brokers());
    args.insert(args.end(), {"--data-key-file", dir_.path() + "/data-keys"});
    auto copy = ServiceProcess::Start(REGISTRATION_BINARY, args, port, dir_.path() + "/registration-restored.log");
    ASSERT_NE(copy, nullptr);
    auto stub = rv1::RegistrationService::NewStub(copy->channel());
    auto get = [&](const std::string& id) {
      rv1::GetBeneficiaryRequest req;
      req.set_beneficiary_id(id);
      rv1::GetBeneficiaryResponse resp;
      return stub->GetBeneficiary(Authorized(kAdmin).get(), req, &resp).error_code();
    };
    for (const std::string& id : before) EXPECT_EQ(get(id), grpc::StatusCode::OK) << id;
    for (const std::string& id : after) EXPECT_EQ(get(id), grpc::StatusCode::NOT_FOUND) << id;
  }

  // A rebuild: refused while reporting runs; then cleared, and followed until SERVING.
  EXPECT_EQ(Jinguoctl(absl::StrCat("rebuild reporting --data-dir ", rep_dir), &out), 2);
  EXPECT_NE(out.find("running service"), std::string::npos) << out;
  reporting_.reset();
  ASSERT_EQ(Jinguoctl(absl::StrCat("rebuild reporting --data-dir ", rep_dir), &out), 0) << out;
  EXPECT_NE(out.find("the read models in"), std::string::npos) << out;
  std::string followed;
  int followed_rc = -1;
  std::thread follower([&] {
    followed_rc = Jinguoctl(
        absl::StrCat("rebuild reporting --address ", Reporting(), " --token ", kAdmin, " --wait-minutes 2"), &followed);
  });
  ASSERT_NO_FATAL_FAILURE(StartReporting());
  follower.join();
  EXPECT_EQ(followed_rc, 0) << followed;
  EXPECT_NE(followed.find("rebuild: waiting for the service at"), std::string::npos) << followed;
  EXPECT_NE(followed.find("rebuild: reporting has caught up"), std::string::npos) << followed;
  EXPECT_EQ(FirstDifference(SettledExport(), live), "");
  EXPECT_GT(AppliedThisRun(), replayed_since_backup) << "the rebuild did not replay every topic from the beginning";
}

TEST_F(OperationsTest, OutboxStatusShowsWhatWaitsWhileKafkaIsAwayAndItDrains) {
  const std::string household = NewHousehold();
  ASSERT_TRUE(AwaitRegistered(0));
  std::string out;
  const std::string status =
      absl::StrCat("outbox status --address ", Registration(), " --address ", Reporting(), " --token ", kAdmin);
  ASSERT_EQ(Jinguoctl(status, &out), 0) << out;
  EXPECT_NE(out.find("jinguo.registration.events.v1"), std::string::npos) << out;
  EXPECT_NE(out.find("(audit only)"), std::string::npos) << out;  // reporting publishes no events of its own
  EXPECT_EQ(Jinguoctl(absl::StrCat("outbox status --address ", Registration(), " --token ", kViewer), &out), 1);
  EXPECT_NE(out.find("needs admin"), std::string::npos) << out;

  auto ops = ov1::OperationsService::NewStub(registration_->channel());
  auto depth = [&](ov1::GetOutboxStatusResponse* r) {
    return ops->GetOutboxStatus(Authorized(kAdmin).get(), ov1::GetOutboxStatusRequest(), r).ok() ? r->depth() : -1;
  };
  ASSERT_TRUE(broker_->Stop());
  Register(household);  // acknowledged: it waits in the outbox
  ov1::GetOutboxStatusResponse r;
  EXPECT_GE(depth(&r), 1);
  ASSERT_TRUE(r.has_oldest_committed_at());
  ASSERT_EQ(Jinguoctl(absl::StrCat("outbox status --address ", Registration(), " --token ", kAdmin), &out), 0) << out;
  EXPECT_NE(out.find(" ago)"), std::string::npos) << out;
  ASSERT_TRUE(broker_->Restart());
  EXPECT_TRUE(WaitFor([&] { return depth(&r) == 0; }, absl::Seconds(60))) << "still waiting: " << r.depth();
  EXPECT_FALSE(r.has_oldest_committed_at());
  EXPECT_GE(r.published_since_start(), 2);
  EXPECT_TRUE(AwaitRegistered(1));
}

}  // namespace
}  // namespace jinguo::testing
