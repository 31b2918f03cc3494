// The registry replica (common/replica) against the real registration binary and a real broker: after 10,000
// registrations, household moves, status changes and merges, the replica equals the registry field by field; a
// replica held back answers through registration's GetBeneficiary; an unknown id is NOT_FOUND naming its field;
// registration down is UNAVAILABLE.
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/projection/projection.h"
#include "common/replica/registry_replica.h"
#include "common/rpc/auth.h"
#include "common/validate/field_violations.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "tests/integration/harness.h"
#include "tests/integration/registration_client.h"

namespace jinguo::testing {
namespace {

constexpr char kAdmin[] = "admin-token";
constexpr char kService[] = "service-token";
const char* const kVillages[] = {"130207104201", "130207104202", "130208100201", "130281100201"};
constexpr int kHouseholds = 200;
constexpr int kBeneficiaries = 10000;
constexpr int kDuplicates = 40;  // rows registered again under another ID number: flagged, then merged

class ReplicaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    broker_ = KafkaBroker::Start().release();
    ASSERT_NE(broker_, nullptr);
    dir_ = new TempDir();
    std::ofstream(dir_->path() + "/tokens") << rpc::HashToken(kAdmin) << " admin admin *\n"
                                            << rpc::HashToken(kService) << " health service *\n";
    port_ = FreePort();
    service_ = ServiceProcess::Start(
                   REGISTRATION_BINARY,
                   {"--data-key-file", WriteDataKeyFile(dir_->path()), "--grpc-listen",
                    absl::StrCat("127.0.0.1:", port_), "--http-listen", "127.0.0.1:0", "--data-dir",
                    dir_->path() + "/db", "--kafka-brokers", broker_->brokers(), "--tokens-file",
                    dir_->path() + "/tokens", "--regions-dir", SourceDir() + "/data/regions", "--log-level", "warn"},
                   port_, dir_->path() + "/service.log")
                   .release();
    ASSERT_NE(service_, nullptr);
    stub_ = rv1::RegistrationService::NewStub(service_->channel()).release();
    Populate();
  }
  static void TearDownTestSuite() {
    delete stub_;
    delete service_;
    delete broker_;
    delete dir_;
  }

  // Households in four villages, 10,000 women and children imported into them, duplicates among them merged, a
  // quarter of the households moved to another village, and some statuses changed.
  static void Populate() {
    std::vector<rv1::Household> households;
    for (int i = 0; i < kHouseholds; ++i) {
      rv1::RegisterHouseholdResponse resp;
      grpc::Status s = stub_->RegisterHousehold(Authorized(kAdmin).get(), HouseholdRequest(kVillages[i % 2]), &resp);
      ASSERT_TRUE(s.ok()) << s.error_message();
      households.push_back(resp.household());
      household_regions_[resp.household().id()] = kVillages[i % 2];
    }
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kAdmin));
    rv1::ImportBeneficiariesResponse summary;
    auto writer = stub_->ImportBeneficiaries(&ctx, &summary);
    for (int i = 0; i < kBeneficiaries; ++i) {
      int person = i < kBeneficiaries - kDuplicates ? i : i - (kBeneficiaries - kDuplicates);
      // Every person her own birth date, so only the deliberate duplicates share name, birth and county.
      absl::CivilDay birth = absl::CivilDay(1960, 1, 1) + person;
      if (person % 5 == 0) birth = absl::CivilDay(2010, 1, 1) + person / 5;  // a child
      rv1::ImportBeneficiariesRequest row;
      row.set_request_id(NewRequestId());
      *row.mutable_beneficiary() =
          BeneficiaryRequest(households[person % kHouseholds].id(), TestIdNumber(birth, i), Name(person)).beneficiary();
      ASSERT_TRUE(writer->Write(row));
    }
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(summary.accepted(), kBeneficiaries) << summary.DebugString().substr(0, 2000);
    ASSERT_EQ(summary.duplicates_flagged(), kDuplicates);

    rv1::ListDuplicateCandidatesRequest list;
    list.mutable_page()->set_page_size(500);
    rv1::ListDuplicateCandidatesResponse candidates;
    ASSERT_TRUE(stub_->ListDuplicateCandidates(Authorized(kAdmin).get(), list, &candidates).ok());
    ASSERT_EQ(candidates.candidates_size(), kDuplicates);
    for (const auto& c : candidates.candidates()) {
      rv1::ResolveDuplicateCandidateRequest resolve;
      resolve.set_request_id(NewRequestId());
      resolve.set_candidate_id(c.id());
      resolve.set_resolution(rv1::DUPLICATE_STATE_CONFIRMED);
      rv1::ResolveDuplicateCandidateResponse resolved;
      grpc::Status r = stub_->ResolveDuplicateCandidate(Authorized(kAdmin).get(), resolve, &resolved);
      ASSERT_TRUE(r.ok()) << r.error_message();
      merged_[c.beneficiary_id()] = resolved.candidate().survivor_id();
    }
    for (int i = 0; i < kHouseholds; i += 4) {
      rv1::GetBeneficiaryResponse ignored;
      rv1::UpdateHouseholdRequest move;
      move.set_request_id(NewRequestId());
      move.set_household_id(households[i].id());
      move.set_region_code(kVillages[2 + (i / 4) % 2]);
      move.set_attribute(rv1::HOUSEHOLD_ATTRIBUTE_LOW_INCOME);
      move.set_head_name(households[i].head_name());
      move.set_expected_version(households[i].version());
      rv1::UpdateHouseholdResponse moved;
      grpc::Status m = stub_->UpdateHousehold(Authorized(kAdmin).get(), move, &moved);
      ASSERT_TRUE(m.ok()) << m.error_message();
      household_regions_[households[i].id()] = move.region_code();
    }
    std::vector<rv1::Beneficiary> all = Registry();
    int changed = 0;
    for (size_t i = 0; i < all.size() && changed < 100; i += 97, ++changed) {
      rv1::ChangeMonitoringStatusRequest change;
      change.set_request_id(NewRequestId());
      change.set_beneficiary_id(all[i].id());
      change.set_status(rv1::MONITORING_STATUS_LIFTED);
      change.set_reason("收入稳定");
      change.mutable_effective_on()->set_year(2026);
      change.mutable_effective_on()->set_month(1);
      change.mutable_effective_on()->set_day(15);
      change.set_expected_version(all[i].version());
      rv1::ChangeMonitoringStatusResponse resp;
      grpc::Status c = stub_->ChangeMonitoringStatus(Authorized(kAdmin).get(), change, &resp);
      ASSERT_TRUE(c.ok()) << c.error_message();
    }
  }

  static std::string Name(int person) {
    static const char* const kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄"};
    static const char* const kGiven[] = {"秀英", "桂英", "秀兰", "玉兰", "丽", "静", "敏", "艳", "娟", "霞"};
    return absl::StrCat(kSurnames[person % 8], kGiven[(person / 8) % 10], person / 80 == 0 ? "" : "子");
  }

  // Every beneficiary the registry lists (merged ones are not listed).
  static std::vector<rv1::Beneficiary> Registry() {
    std::vector<rv1::Beneficiary> out;
    rv1::ListBeneficiariesRequest list;
    list.mutable_page()->set_page_size(500);
    for (;;) {
      rv1::ListBeneficiariesResponse page;
      grpc::Status s = stub_->ListBeneficiaries(Authorized(kAdmin).get(), list, &page);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const auto& b : page.beneficiaries()) out.push_back(b);
      if (page.next_page_token().empty()) break;
      list.mutable_page()->set_page_token(page.next_page_token());
    }
    return out;
  }

  // A replica in a fresh store of its own.
  struct Replica {
    explicit Replica(const std::string& address) {
      store::StoreOptions options{dir.path() + "/replica", projection::ProjectionFamilies(), 8 << 20};
      options.column_families.push_back(replica::kReplicaFamily);
      auto db = store::Store::Open(std::move(options));
      EXPECT_TRUE(db.ok()) << db.status();
      store = *std::move(db);
      registry = std::make_unique<replica::RegistryReplica>(store.get(), replica::ReplicaOptions{address, kService});
    }
    void Follow(const std::string& brokers) {
      bus::KafkaOptions kafka;
      kafka.brokers = brokers;
      feed = std::make_unique<projection::Projection>(store.get(), kafka, registry.get(), &metrics,
                                                      replica::RegistryReplica::Feed("replica-test"));
      ASSERT_TRUE(feed->Start().ok());
    }
    ~Replica() {
      if (feed) feed->Stop();
    }
    TempDir dir;
    prometheus::Registry metrics;
    std::unique_ptr<store::Store> store;
    std::unique_ptr<replica::RegistryReplica> registry;
    std::unique_ptr<projection::Projection> feed;
  };

  static KafkaBroker* broker_;
  static TempDir* dir_;
  static int port_;
  static ServiceProcess* service_;
  static rv1::RegistrationService::Stub* stub_;
  static std::map<std::string, std::string> merged_;             // merged id → survivor id
  static std::map<std::string, std::string> household_regions_;  // household id → its region now
};

KafkaBroker* ReplicaTest::broker_ = nullptr;
TempDir* ReplicaTest::dir_ = nullptr;
int ReplicaTest::port_ = 0;
ServiceProcess* ReplicaTest::service_ = nullptr;
rv1::RegistrationService::Stub* ReplicaTest::stub_ = nullptr;
std::map<std::string, std::string> ReplicaTest::merged_;
std::map<std::string, std::string> ReplicaTest::household_regions_;

TEST_F(ReplicaTest, EqualsTheRegistryFieldByFieldAfterMovesStatusChangesAndMerges) {
  std::vector<rv1::Beneficiary> registry = Registry();
  ASSERT_EQ(registry.size(), static_cast<size_t>(kBeneficiaries - kDuplicates));
  Replica replica(absl::StrCat("127.0.0.1:", port_));
  replica.Follow(broker_->brokers());

  std::string first_difference;
  auto equal = [&] {
    for (const auto& b : registry) {
      auto stored = replica.registry->Stored(b.id());
      if (!stored.ok() || !stored->has_value()) {
        first_difference = absl::StrCat(b.id(), ": not in the replica");
        return false;
      }
      replica::v1::RegistryFacts expected = replica::FactsOf(b);
      std::string diff;
      google::protobuf::util::MessageDifferencer d;
      d.ReportDifferencesToString(&diff);
      if (!d.Compare(expected, **stored)) {
        first_difference = absl::StrCat(b.id(), ": ", diff);
        return false;
      }
    }
    return true;
  };
  EXPECT_TRUE(WaitFor(equal, absl::Seconds(60))) << first_difference;
  // Moves and status changes reached it.
  std::set<std::string> regions, statuses;
  for (const auto& b : registry) {
    regions.insert(b.region_code());
    statuses.insert(rv1::MonitoringStatus_Name(b.monitoring_status()));
  }
  EXPECT_EQ(regions.size(), 4u);
  EXPECT_EQ(statuses.size(), 2u);

  // A merged id resolves to its survivor, from the replica alone.
  ASSERT_EQ(merged_.size(), static_cast<size_t>(kDuplicates));
  for (const auto& [merged, survivor] : merged_) {
    auto facts = replica.registry->Lookup(merged);
    ASSERT_TRUE(facts.ok()) << facts.status();
    EXPECT_EQ(facts->beneficiary_id(), survivor);
  }
  // Every household where it is now (a quarter moved), from the replica alone.
  auto households_equal = [&] {
    for (const auto& [id, region] : household_regions_) {
      auto h = replica.registry->LookupHousehold(id);
      if (!h.ok() || h->region_code() != region) {
        first_difference = absl::StrCat("household ", id, ": ", h.ok() ? h->region_code() : h.status().ToString());
        return false;
      }
    }
    return true;
  };
  EXPECT_TRUE(WaitFor(households_equal, absl::Seconds(30))) << first_difference;
  EXPECT_EQ(replica.registry->fallbacks(), 0);
  // A bulk scan sees the beneficiaries' rows (merged ones too), never the households'.
  int rows = 0;
  ASSERT_TRUE(replica.registry->ForEach("", [&](const replica::v1::RegistryFacts&) { return ++rows > 0; }).ok());
  EXPECT_EQ(rows, kBeneficiaries);
}

TEST_F(ReplicaTest, AReplicaHeldBackAsksRegistrationOnceAndNeverGuesses) {
  Replica held_back(absl::StrCat("127.0.0.1:", port_));  // its feed never started
  std::vector<rv1::Beneficiary> registry = Registry();
  const rv1::Beneficiary& b = registry[registry.size() / 2];
  auto facts = held_back.registry->Lookup(b.id());
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*facts, replica::FactsOf(b)));
  EXPECT_EQ(held_back.registry->fallbacks(), 1);

  auto merged = held_back.registry->Lookup(merged_.begin()->first);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->beneficiary_id(), merged_.begin()->second);

  const auto& [household, region] = *household_regions_.begin();
  auto h = held_back.registry->LookupHousehold(household);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->region_code(), region);
  EXPECT_EQ(held_back.registry->fallbacks(), 3);
  auto no_household = held_back.registry->LookupHousehold("0190d4c2-0000-7000-8000-00000000000f");
  EXPECT_EQ(no_household.status().code(), absl::StatusCode::kNotFound) << no_household.status();
  EXPECT_NE(no_household.status().message().find("no household"), std::string::npos) << no_household.status();

  auto unknown = held_back.registry->Lookup("0190d4c2-0000-7000-8000-000000000000", "woman_id");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound) << unknown.status();
  ASSERT_EQ(validate::BadRequestOf(unknown.status()).field_violations_size(), 1);
  EXPECT_EQ(validate::BadRequestOf(unknown.status()).field_violations(0).field(), "woman_id");
  EXPECT_EQ(held_back.registry->fallbacks(), 5);

  Replica unreachable(absl::StrCat("127.0.0.1:", FreePort()));
  auto down = unreachable.registry->Lookup(b.id());
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable) << down.status();
  EXPECT_NE(down.status().message().find("cannot be reached"), absl::string_view::npos) << down.status();
}

}  // namespace
}  // namespace jinguo::testing
