// The registration service under faults an operator meets: SIGTERM during load, a full disk, a read-only or
// missing data directory, a start from another working directory. Each test runs its own service process against
// one real broker.
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/audit/audit_chain.h"
#include "common/rpc/auth.h"
#include "common/store/store.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "rocksdb/db.h"
#include "tests/integration/harness.h"
#include "tests/integration/registration_client.h"

namespace jinguo::testing {
namespace {

constexpr char kAdmin[] = "admin-token";
constexpr char kVillage[] = "130207104201";
using HealthResponse = grpc::health::v1::HealthCheckResponse;

class RegistrationFaultsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    broker_ = KafkaBroker::Start().release();
    ASSERT_NE(broker_, nullptr);
  }
  static void TearDownTestSuite() { delete broker_; }

  void SetUp() override {
    dir_ = std::make_unique<TempDir>();
    std::ofstream(dir_->path() + "/tokens") << rpc::HashToken(kAdmin) << " admin admin *\n";
    WriteDataKeyFile(dir_->path());
  }

  std::vector<std::string> Args(const std::string& data_dir, int grpc_port, int http_port) const {
    return {"--data-key-file", dir_->path() + "/data-keys",
            "--grpc-listen",   absl::StrCat("127.0.0.1:", grpc_port),
            "--http-listen",   absl::StrCat("127.0.0.1:", http_port),
            "--data-dir",      data_dir,
            "--kafka-brokers", broker_->brokers(),
            "--tokens-file",   dir_->path() + "/tokens",
            "--regions-dir",   SourceDir() + "/data/regions",
            "--log-level",     "warn"};
  }

  std::unique_ptr<ServiceProcess> StartService(const std::string& data_dir, int* grpc_port = nullptr,
                                               int* http_port = nullptr) {
    int g = FreePort(), h = FreePort();
    if (grpc_port) *grpc_port = g;
    if (http_port) *http_port = h;
    return ServiceProcess::Start(REGISTRATION_BINARY, Args(data_dir, g, h), g, dir_->path() + "/service.log");
  }

  // A tmpfs of `mib` MiB at a new directory; empty when mounting is not permitted here.
  std::string MountTmpfs(int mib) {
    std::string at = dir_->path() + "/small";
    std::filesystem::create_directories(at);
    if (mount("tmpfs", at.c_str(), "tmpfs", 0, absl::StrCat("size=", mib, "m").c_str()) != 0) return "";
    mounted_ = at;
    return at;
  }
  void TearDown() override {
    if (!mounted_.empty()) umount2(mounted_.c_str(), MNT_DETACH);
  }

  static rv1::Household NewHousehold(rv1::RegistrationService::Stub& stub) {
    rv1::RegisterHouseholdResponse resp;
    grpc::Status s = stub.RegisterHousehold(Authorized(kAdmin).get(), HouseholdRequest(kVillage), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.household();
  }

  static KafkaBroker* broker_;
  std::unique_ptr<TempDir> dir_;
  std::string mounted_;
};
KafkaBroker* RegistrationFaultsTest::broker_ = nullptr;

// SIGTERM while calls are in flight: every call is answered OK (and its registration is on disk) or UNAVAILABLE
// (which clients retry); none is CANCELLED.
TEST_F(RegistrationFaultsTest, SigtermFinishesCallsInFlightAndRefusesLaterOnesAsUnavailable) {
  std::string data = dir_->path() + "/db";
  auto service = StartService(data);
  ASSERT_NE(service, nullptr);
  auto stub = rv1::RegistrationService::NewStub(service->channel());
  rv1::Household h = NewHousehold(*stub);

  std::mutex mu;
  std::map<int, int> codes;  // status code → calls
  std::vector<std::string> registered;
  std::atomic<int> serial{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 24; ++t) {
    clients.emplace_back([&] {
      while (!stop) {
        int n = ++serial;
        rv1::RegisterBeneficiaryResponse resp;
        auto ctx = Authorized(kAdmin);
        ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
        grpc::Status s = stub->RegisterBeneficiary(
            ctx.get(), BeneficiaryRequest(h.id(), TestIdNumber(absl::CivilDay(1970, 1, 1) + n % 9000, n), "停机"),
            &resp);
        std::lock_guard<std::mutex> lock(mu);
        ++codes[s.error_code()];
        if (s.ok()) registered.push_back(resp.beneficiary().id());
        if (!s.ok()) return;
      }
    });
  }
  ASSERT_TRUE(WaitFor([&] { return serial.load() > 300; }, absl::Seconds(30)));
  service->Signal(SIGTERM);
  EXPECT_EQ(service->Wait(), 0) << "the service did not shut down cleanly";
  stop = true;
  for (auto& c : clients) c.join();

  EXPECT_EQ(codes[grpc::StatusCode::CANCELLED], 0) << "calls in flight at SIGTERM were cancelled";
  for (const auto& [code, n] : codes) {
    EXPECT_TRUE(n == 0 || code == grpc::StatusCode::OK || code == grpc::StatusCode::UNAVAILABLE)
        << n << " calls answered with code " << code;
  }
  EXPECT_GT(codes[grpc::StatusCode::OK], 200);

  // Every call answered OK is on disk.
  auto again = StartService(data);
  ASSERT_NE(again, nullptr);
  auto stub2 = rv1::RegistrationService::NewStub(again->channel());
  for (const std::string& id : registered) {
    rv1::GetBeneficiaryRequest get;
    get.set_beneficiary_id(id);
    rv1::GetBeneficiaryResponse resp;
    ASSERT_TRUE(stub2->GetBeneficiary(Authorized(kAdmin).get(), get, &resp).ok()) << "acknowledged " << id << " lost";
  }
}

// A full disk: writes are refused as RESOURCE_EXHAUSTED "the server's disk is full" (no server path), readiness
// is NOT_SERVING and a metric counts it; once space is freed, writes resume without a restart.
TEST_F(RegistrationFaultsTest, AFullDiskIsReportedPlainlyAndWritesResumeOnceSpaceIsFreed) {
  std::string small = MountTmpfs(256);
  if (small.empty()) GTEST_SKIP() << "mounting a tmpfs is not permitted here";
  int http_port = 0;
  auto service = StartService(small + "/db", nullptr, &http_port);
  ASSERT_NE(service, nullptr);
  auto stub = rv1::RegistrationService::NewStub(service->channel());
  rv1::Household h = NewHousehold(*stub);

  ASSERT_NE(Shell("dd if=/dev/zero of=" + small + "/filler bs=1M count=400 2>/dev/null"), 0)  // dd: no space
      << "the filler should fill the disk";
  // RocksDB reserves its write-ahead log ahead of use, so the disk refuses writes only once that space is spent:
  // imports of 3,000 rows each get there in seconds.
  grpc::Status refused;
  int serial = 0;
  for (int import = 0; import < 40 && refused.ok(); ++import) {
    rv1::ImportBeneficiariesResponse summary;
    auto ctx = Authorized(kAdmin);
    auto writer = stub->ImportBeneficiaries(ctx.get(), &summary);
    for (int i = 0; i < 3000; ++i) {
      rv1::ImportBeneficiariesRequest row;
      ++serial;
      *row.mutable_beneficiary() =
          BeneficiaryRequest(h.id(), TestIdNumber(absl::CivilDay(1960, 1, 1) + serial % 15000, serial), "满盘")
              .beneficiary();
      row.set_request_id(absl::StrCat("full-", serial));
      writer->Write(row);
    }
    writer->WritesDone();
    refused = writer->Finish();
  }
  rv1::RegisterBeneficiaryRequest refused_request =
      BeneficiaryRequest(h.id(), TestIdNumber(absl::CivilDay(1959, 1, 1), ++serial), "满盘后");
  {
    rv1::RegisterBeneficiaryResponse resp;
    grpc::Status s = stub->RegisterBeneficiary(Authorized(kAdmin).get(), refused_request, &resp);
    EXPECT_FALSE(s.ok()) << "a registration on a full disk was accepted";
  }
  ASSERT_FALSE(refused.ok()) << "no write failed on a full disk";
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_NE(refused.error_message().find("disk is full"), std::string::npos) << refused.error_message();
  EXPECT_EQ(refused.error_message().find('/'), std::string::npos) << refused.error_message();
  EXPECT_TRUE(WaitFor([&] { return service->HealthStatus() == HealthResponse::NOT_SERVING; }, absl::Seconds(5)));
  httplib::Client http("127.0.0.1", http_port);
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("jinguo_store_write_errors_total{reason=\"disk_full\"}"), std::string::npos);
  EXPECT_NE(metrics->body.find("jinguo_store_writable 0"), std::string::npos);
  auto healthz = http.Get("/healthz");
  ASSERT_TRUE(healthz);
  EXPECT_NE(healthz->status, 200);

  std::filesystem::remove(small + "/filler");
  EXPECT_TRUE(WaitFor([&] { return service->HealthStatus() == HealthResponse::SERVING; }, absl::Seconds(20)))
      << "the service did not recover once space was freed; its log:\n"
      << (Shell("tail -n 20 " + dir_->path() + "/service.log >&2"), "");
  rv1::RegisterBeneficiaryResponse resp;
  grpc::Status retried = stub->RegisterBeneficiary(Authorized(kAdmin).get(), refused_request, &resp);
  EXPECT_TRUE(retried.ok()) << retried.error_message();
  EXPECT_NE(http.Get("/metrics")->body.find("jinguo_store_writable 1"), std::string::npos);
  EXPECT_EQ(service->Stop(), 0);
}

TEST_F(RegistrationFaultsTest, AReadOnlyDataDirectoryIsNamedAtStart) {
  std::string small = MountTmpfs(16);
  if (small.empty()) GTEST_SKIP() << "mounting a tmpfs is not permitted here";
  {
    auto service = StartService(small + "/db");
    ASSERT_NE(service, nullptr);
    EXPECT_EQ(service->Stop(), 0);
  }
  ASSERT_EQ(mount("tmpfs", small.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr), 0);
  std::string command = REGISTRATION_BINARY;
  for (const std::string& a : Args(small + "/db", FreePort(), FreePort())) command += " '" + a + "'";
  std::string log = dir_->path() + "/readonly.log";
  EXPECT_NE(Shell(command + " > " + log + " 2>&1"), 0);
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("data directory is not writable: " + small + "/db"), std::string::npos) << text;
}

TEST_F(RegistrationFaultsTest, StartsWithAMissingDataDirectoryParentAndFromAnotherWorkingDirectory) {
  std::string data = dir_->path() + "/not/yet/there/db";
  int g = FreePort(), h = FreePort();
  std::vector<std::string> args = Args(data, g, h);
  args.erase(args.end() - 4, args.end() - 2);  // no --regions-dir: found beside the binary
  std::string cwd = std::filesystem::current_path();
  std::filesystem::current_path("/");
  auto service = ServiceProcess::Start(REGISTRATION_BINARY, args, g, dir_->path() + "/service.log");
  std::filesystem::current_path(cwd);
  ASSERT_NE(service, nullptr);
  EXPECT_TRUE(std::filesystem::exists(data));
  EXPECT_EQ(service->Stop(), 0);
}

// The audit trail as an operator checks it: every write is on jinguo.audit.v1, `jinguoctl audit verify` passes on
// the stopped service's store, and names the record an intruder edited by hand.
TEST_F(RegistrationFaultsTest, JinguoctlVerifiesTheAuditChainAndNamesAnEditedRecord) {
  std::string data_dir = dir_->path() + "/db";
  int port = 0;
  auto service = StartService(data_dir, &port);
  ASSERT_NE(service, nullptr);
  EventTap audit_topic(broker_->brokers(), "jinguo.audit.v1");
  auto stub = rv1::RegistrationService::NewStub(service->channel());
  std::set<std::string> request_ids;  // the broker is shared: other tests' services publish here too
  rv1::RegisterHouseholdResponse household;
  rv1::RegisterHouseholdRequest household_request = HouseholdRequest(kVillage);
  request_ids.insert(household_request.request_id());
  ASSERT_TRUE(stub->RegisterHousehold(Authorized(kAdmin).get(), household_request, &household).ok());
  for (int i = 0; i < 3; ++i) {
    rv1::RegisterBeneficiaryResponse b;
    rv1::RegisterBeneficiaryRequest request =
        BeneficiaryRequest(household.household().id(), TestIdNumber(absl::CivilDay(1980, 1, 1), 700 + i), "李秀英");
    request_ids.insert(request.request_id());
    ASSERT_TRUE(stub->RegisterBeneficiary(Authorized(kAdmin).get(), request, &b).ok());
  }
  // Published: the four records, in messages of one or more.
  size_t published = 0;
  WaitFor(
      [&] {
        published = 0;
        for (const auto& e : audit_topic.Settle(absl::Milliseconds(300))) {
          audit::v1::AuditRecords records;
          if (!e.payload().UnpackTo(&records)) continue;
          for (const auto& r : records.records()) published += request_ids.count(r.request_id());
        }
        return published >= 4;
      },
      absl::Seconds(30));
  EXPECT_EQ(published, 4u);
  ASSERT_EQ(service->Stop(), 0);

  auto verify = [&](std::string* output) {
    std::string out_path = dir_->path() + "/verify.txt";
    int rc = Shell(absl::StrCat(JINGUOCTL_BINARY, " audit verify --data-dir ", data_dir, " >", out_path, " 2>&1"));
    std::ifstream in(out_path);
    output->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return rc;
  };
  std::string out;
  EXPECT_EQ(verify(&out), 0) << out;
  EXPECT_NE(out.find("verified: 4 records"), std::string::npos) << out;

  {
    std::vector<std::string> families;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), data_dir, &families).ok());
    families.erase(std::remove(families.begin(), families.end(), rocksdb::kDefaultColumnFamilyName), families.end());
    auto db = store::Store::Open({data_dir, families, 8 << 20});
    ASSERT_TRUE(db.ok()) << db.status();
    rocksdb::ColumnFamilyHandle* family = (*db)->Family(audit::kAuditFamily);
    std::string key(8, '\0');
    key[7] = 2;
    auto stored = (*db)->Get(family, key);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    audit::v1::AuditRecord r;
    ASSERT_TRUE(r.ParseFromString(**stored));
    r.set_outcome(7);  // "it was refused", written over the record of a registration that happened
    rocksdb::WriteBatch edit;
    edit.Put(family, key, r.SerializeAsString());
    ASSERT_TRUE((*db)->Write(&edit).ok());
  }
  EXPECT_EQ(verify(&out), 1) << out;
  EXPECT_NE(out.find("audit record 2 was changed after it was written"), std::string::npos) << out;
}

}  // namespace
}  // namespace jinguo::testing
