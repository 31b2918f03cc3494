// The registration service as a client sees it: the real binary, a real Kafka broker, calls over gRPC, and the
// events read back from jinguo.registration.events.v1.
#include <fstream>
#include <functional>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/rpc/auth.h"
#include "gtest/gtest.h"
#include "jinguo/registration/v1/events.pb.h"
#include "tests/integration/harness.h"
#include "tests/integration/registration_client.h"

namespace jinguo::testing {
namespace {

constexpr char kAdmin[] = "admin-token";
constexpr char kTangshan[] = "tangshan-token";  // operator, 唐山市 1302
constexpr char kViewer[] = "viewer-token";
constexpr char kVillage[] = "130207104201";      // 丰南区 黄各庄镇
constexpr char kOtherCounty[] = "130208100201";  // 丰润区 丰润镇
constexpr char kShijiazhuang[] = "130102001001";

class RegistrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    broker_ = KafkaBroker::Start().release();
    ASSERT_NE(broker_, nullptr);
    dir_ = new TempDir();
    std::ofstream(dir_->path() + "/tokens") << rpc::HashToken(kAdmin) << " admin admin *\n"
                                            << rpc::HashToken(kTangshan) << " tangshan operator 1302\n"
                                            << rpc::HashToken(kViewer) << " viewer viewer *\n";
    int port = FreePort();
    service_ = ServiceProcess::Start(
                   REGISTRATION_BINARY,
                   {"--data-key-file", WriteDataKeyFile(dir_->path()), "--grpc-listen",
                    absl::StrCat("127.0.0.1:", port), "--http-listen", "127.0.0.1:0", "--data-dir",
                    dir_->path() + "/db", "--kafka-brokers", broker_->brokers(), "--tokens-file",
                    dir_->path() + "/tokens", "--regions-dir", SourceDir() + "/data/regions", "--log-level", "warn"},
                   port, dir_->path() + "/service.log")
                   .release();
    ASSERT_NE(service_, nullptr);
    stub_ = rv1::RegistrationService::NewStub(service_->channel()).release();
    tap_ = new EventTap(broker_->brokers(), "jinguo.registration.events.v1");
  }
  static void TearDownTestSuite() {
    delete tap_;
    delete stub_;
    if (service_) {
      EXPECT_EQ(service_->Stop(), 0) << "the service did not shut down cleanly";
    }
    delete service_;
    delete broker_;
    delete dir_;
  }

  rv1::Household NewHousehold(const std::string& region = kVillage, const std::string& token = kAdmin) {
    rv1::RegisterHouseholdResponse resp;
    grpc::Status s = stub_->RegisterHousehold(Authorized(token).get(), HouseholdRequest(region), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.household();
  }

  rv1::Beneficiary NewWoman(const std::string& household_id, const std::string& name = "李秀英",
                            absl::CivilDay birth = absl::CivilDay(1980, 5, 1)) {
    rv1::RegisterBeneficiaryResponse resp;
    grpc::Status s = stub_->RegisterBeneficiary(
        Authorized(kAdmin).get(), BeneficiaryRequest(household_id, TestIdNumber(birth, ++serial_), name), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.beneficiary();
  }

  // Events whose aggregate is `aggregate`, in topic order: waits for at least `expected`, then for quiet.
  static std::vector<common::v1::EventEnvelope> EventsOf(const std::string& aggregate, size_t expected = 1) {
    tap_->WaitForAggregate(aggregate, expected);
    std::vector<common::v1::EventEnvelope> out;
    for (const auto& e : tap_->Settle()) {
      if (e.aggregate_id() == aggregate) out.push_back(e);
    }
    return out;
  }

  static KafkaBroker* broker_;
  static TempDir* dir_;
  static ServiceProcess* service_;
  static rv1::RegistrationService::Stub* stub_;
  static EventTap* tap_;
  static int serial_;
};
KafkaBroker* RegistrationTest::broker_ = nullptr;
TempDir* RegistrationTest::dir_ = nullptr;
ServiceProcess* RegistrationTest::service_ = nullptr;
rv1::RegistrationService::Stub* RegistrationTest::stub_ = nullptr;
EventTap* RegistrationTest::tap_ = nullptr;
int RegistrationTest::serial_ = 0;

TEST_F(RegistrationTest, RegistrationIsStoredAndPublishedWithoutIdentifiers) {
  rv1::Household h = NewHousehold();
  std::string id_number = TestIdNumber(absl::CivilDay(1975, 3, 8), ++serial_);
  auto req = BeneficiaryRequest(h.id(), id_number, "张桂兰");
  req.mutable_beneficiary()->set_mobile("13812345678");
  rv1::RegisterBeneficiaryResponse reg;
  ASSERT_TRUE(stub_->RegisterBeneficiary(Authorized(kAdmin).get(), req, &reg).ok());
  EXPECT_EQ(reg.beneficiary().category(), rv1::CATEGORY_WOMAN);
  EXPECT_EQ(reg.beneficiary().sex(), rv1::SEX_FEMALE);
  EXPECT_EQ(reg.beneficiary().region_code(), kVillage);

  rv1::GetBeneficiaryRequest get;
  get.set_beneficiary_id(reg.beneficiary().id());
  rv1::GetBeneficiaryResponse got;
  ASSERT_TRUE(stub_->GetBeneficiary(Authorized(kAdmin).get(), get, &got).ok());
  EXPECT_EQ(got.beneficiary().id_number(), id_number);
  EXPECT_EQ(got.beneficiary().mobile(), "13812345678");

  auto events = EventsOf(reg.beneficiary().id());
  ASSERT_EQ(events.size(), 1u);
  const auto& e = events[0];
  EXPECT_EQ(e.event_type(), "BeneficiaryRegistered");
  EXPECT_EQ(e.aggregate_version(), 1);
  EXPECT_EQ(e.region_code(), kVillage);
  EXPECT_EQ(e.beneficiary_id(), reg.beneficiary().id());
  EXPECT_EQ(e.producer(), "registration");
  EXPECT_EQ(e.correlation_id(), req.request_id());
  rv1::BeneficiaryRegistered payload;
  ASSERT_TRUE(e.payload().UnpackTo(&payload));
  EXPECT_EQ(payload.beneficiary().category(), rv1::CATEGORY_WOMAN);
  EXPECT_EQ(payload.beneficiary().household_attribute(), rv1::HOUSEHOLD_ATTRIBUTE_GENERAL);
  EXPECT_EQ(payload.beneficiary().monitoring_status(), rv1::MONITORING_STATUS_NOT_LIFTED);
  EXPECT_EQ(tap_->raw().find(id_number), std::string::npos) << "an unmasked ID number is on the topic";
  EXPECT_EQ(tap_->raw().find("13812345678"), std::string::npos) << "an unmasked phone number is on the topic";
  ASSERT_EQ(EventsOf(h.id()).size(), 1u);
  EXPECT_EQ(EventsOf(h.id())[0].event_type(), "HouseholdRegistered");
}

TEST_F(RegistrationTest, RetryWithTheSameRequestIdReturnsTheFirstAnswerAndWritesOnce) {
  rv1::Household h = NewHousehold();
  auto req = BeneficiaryRequest(h.id(), TestIdNumber(absl::CivilDay(1990, 1, 2), ++serial_), "刘芳");
  rv1::RegisterBeneficiaryResponse first, second;
  ASSERT_TRUE(stub_->RegisterBeneficiary(Authorized(kAdmin).get(), req, &first).ok());
  ASSERT_TRUE(stub_->RegisterBeneficiary(Authorized(kAdmin).get(), req, &second).ok());
  EXPECT_EQ(first.beneficiary().id(), second.beneficiary().id());
  EXPECT_EQ(EventsOf(first.beneficiary().id()).size(), 1u);
  // The same id for a different request is refused rather than answered wrongly.
  auto changed = req;
  changed.mutable_beneficiary()->set_name("刘芬");
  rv1::RegisterBeneficiaryResponse third;
  EXPECT_EQ(stub_->RegisterBeneficiary(Authorized(kAdmin).get(), changed, &third).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(RegistrationTest, SecondRegistrationOfAnIdNumberNamesTheExistingBeneficiary) {
  rv1::Household h = NewHousehold();
  std::string id_number = TestIdNumber(absl::CivilDay(1985, 7, 7), ++serial_);
  rv1::RegisterBeneficiaryResponse first, again;
  ASSERT_TRUE(
      stub_->RegisterBeneficiary(Authorized(kAdmin).get(), BeneficiaryRequest(h.id(), id_number, "陈静"), &first).ok());
  grpc::Status s =
      stub_->RegisterBeneficiary(Authorized(kAdmin).get(), BeneficiaryRequest(h.id(), id_number, "陈静"), &again);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_NE(s.error_message().find(first.beneficiary().id()), std::string::npos) << s.error_message();
  EXPECT_EQ(s.error_message().find(id_number), std::string::npos) << "the error repeats the ID number";
}

TEST_F(RegistrationTest, DuplicateCandidateIsFlaggedAndConfirmedIntoOneBeneficiary) {
  rv1::Household h1 = NewHousehold();
  rv1::Household h2 = NewHousehold("130207104202");  // another village of the same county
  absl::CivilDay birth(1979, 9, 9);
  rv1::Beneficiary first = NewWoman(h1.id(), "赵淑珍", birth);
  auto req = BeneficiaryRequest(h2.id(), TestIdNumber(birth, ++serial_), "赵淑珍");
  req.mutable_beneficiary()->set_mobile("13900001111");
  req.mutable_beneficiary()->add_poverty_causes(rv1::POVERTY_CAUSE_LACK_OF_SKILLS);
  rv1::RegisterBeneficiaryResponse second;
  ASSERT_TRUE(stub_->RegisterBeneficiary(Authorized(kAdmin).get(), req, &second).ok());
  ASSERT_FALSE(second.duplicate_candidate_id().empty()) << "same name, birth date and county was not flagged";

  rv1::ListDuplicateCandidatesRequest list;
  list.set_region_prefix("130207");
  list.set_state(rv1::DUPLICATE_STATE_OPEN);
  rv1::ListDuplicateCandidatesResponse open;
  ASSERT_TRUE(stub_->ListDuplicateCandidates(Authorized(kAdmin).get(), list, &open).ok());
  bool listed = false;
  for (const auto& c : open.candidates()) listed |= c.id() == second.duplicate_candidate_id();
  EXPECT_TRUE(listed);

  rv1::ResolveDuplicateCandidateRequest resolve;
  resolve.set_request_id(NewRequestId());
  resolve.set_candidate_id(second.duplicate_candidate_id());
  resolve.set_resolution(rv1::DUPLICATE_STATE_CONFIRMED);
  rv1::ResolveDuplicateCandidateResponse resolved;
  ASSERT_TRUE(stub_->ResolveDuplicateCandidate(Authorized(kAdmin).get(), resolve, &resolved).ok());
  EXPECT_EQ(resolved.candidate().state(), rv1::DUPLICATE_STATE_CONFIRMED);
  EXPECT_EQ(resolved.candidate().survivor_id(), first.id());
  ASSERT_FALSE(resolved.candidate().conflicts().empty());

  // The merged id resolves to the survivor, who kept her fields and gained the ones she lacked.
  rv1::GetBeneficiaryRequest get;
  get.set_beneficiary_id(second.beneficiary().id());
  rv1::GetBeneficiaryResponse got;
  ASSERT_TRUE(stub_->GetBeneficiary(Authorized(kAdmin).get(), get, &got).ok());
  EXPECT_EQ(got.beneficiary().id(), first.id());
  EXPECT_EQ(got.beneficiary().id_number(), first.id_number());
  EXPECT_EQ(got.beneficiary().mobile(), "13900001111");
  EXPECT_EQ(got.beneficiary().poverty_causes_size(), 2);
  EXPECT_EQ(got.beneficiary().merged_ids(0), second.beneficiary().id());

  auto merged = EventsOf(first.id(), 2);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[1].event_type(), "BeneficiariesMerged");
  EXPECT_EQ(merged[1].aggregate_version(), 2);
  rv1::BeneficiariesMerged payload;
  ASSERT_TRUE(merged[1].payload().UnpackTo(&payload));
  EXPECT_EQ(payload.merged_id(), second.beneficiary().id());
  EXPECT_EQ(payload.merged_region_code(), "130207104202");

  // Resolving twice is refused.
  resolve.set_request_id(NewRequestId());
  EXPECT_EQ(stub_->ResolveDuplicateCandidate(Authorized(kAdmin).get(), resolve, &resolved).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(RegistrationTest, CadresPairVisitAndOnlyPairedCadresRecordVisits) {
  rv1::Household h = NewHousehold();
  rv1::Beneficiary b = NewWoman(h.id(), "孙丽");
  auto cadre = [&](const std::string& region) {
    rv1::RegisterCadreRequest r = CadreRequest("周干部", region);
    r.set_mobile("13700001234");
    rv1::RegisterCadreResponse resp;
    EXPECT_TRUE(stub_->RegisterCadre(Authorized(kAdmin).get(), r, &resp).ok());
    return resp.cadre();
  };
  rv1::Cadre township = cadre("130207104");
  rv1::Cadre elsewhere = cadre("130208");

  rv1::PairCadreRequest pair = PairRequest(elsewhere.id(), b.id());
  rv1::PairCadreResponse paired;
  EXPECT_EQ(stub_->PairCadre(Authorized(kAdmin).get(), pair, &paired).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  pair.set_request_id(NewRequestId());
  pair.set_cadre_id(township.id());
  ASSERT_TRUE(stub_->PairCadre(Authorized(kAdmin).get(), pair, &paired).ok());
  EXPECT_EQ(paired.beneficiary().cadre_ids_size(), 1);

  rv1::RecordVisitRequest visit;
  visit.set_request_id(NewRequestId());
  visit.set_cadre_id(elsewhere.id());
  visit.set_beneficiary_id(b.id());
  *visit.mutable_visited_on() = ToProto(absl::CivilDay(2026, 11, 1));
  visit.set_notes("入户走访");
  rv1::RecordVisitResponse visited;
  EXPECT_EQ(stub_->RecordVisit(Authorized(kAdmin).get(), visit, &visited).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  visit.set_request_id(NewRequestId());
  visit.set_cadre_id(township.id());
  ASSERT_TRUE(stub_->RecordVisit(Authorized(kAdmin).get(), visit, &visited).ok());

  auto pairing_events = EventsOf(township.id() + "/" + b.id());
  ASSERT_EQ(pairing_events.size(), 1u);
  EXPECT_EQ(pairing_events[0].event_type(), "CadrePaired");
  EXPECT_EQ(pairing_events[0].beneficiary_id(), b.id());
  auto visit_events = EventsOf(visited.visit().id());
  ASSERT_EQ(visit_events.size(), 1u);
  EXPECT_EQ(visit_events[0].event_type(), "VisitRecorded");
  EXPECT_EQ(visit_events[0].region_code(), kVillage);

  rv1::UnpairCadreRequest unpair;
  unpair.set_request_id(NewRequestId());
  unpair.set_cadre_id(township.id());
  unpair.set_beneficiary_id(b.id());
  unpair.set_reason("干部调动");
  rv1::UnpairCadreResponse unpaired;
  ASSERT_TRUE(stub_->UnpairCadre(Authorized(kAdmin).get(), unpair, &unpaired).ok());
  EXPECT_EQ(unpaired.beneficiary().cadre_ids_size(), 0);
  pairing_events = EventsOf(township.id() + "/" + b.id(), 2);
  ASSERT_EQ(pairing_events.size(), 2u);
  EXPECT_EQ(pairing_events[1].event_type(), "CadreUnpaired");
  EXPECT_EQ(pairing_events[1].aggregate_version(), 2);
}

TEST_F(RegistrationTest, MonitoringStatusMovesOnlyAlongAllowedPathsWithVersions) {
  rv1::Household h = NewHousehold();
  rv1::Beneficiary b = NewWoman(h.id(), "吴霞");
  rv1::ChangeMonitoringStatusRequest change;
  change.set_request_id(NewRequestId());
  change.set_beneficiary_id(b.id());
  change.set_expected_version(1);
  change.set_status(rv1::MONITORING_STATUS_RISK_ELIMINATED);
  change.set_reason("核查");
  *change.mutable_effective_on() = ToProto(absl::CivilDay(2026, 6, 30));
  rv1::ChangeMonitoringStatusResponse changed;
  grpc::Status s = stub_->ChangeMonitoringStatus(Authorized(kAdmin).get(), change, &changed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("已脱贫"), std::string::npos) << s.error_message();

  change.set_request_id(NewRequestId());
  change.set_status(rv1::MONITORING_STATUS_LIFTED);
  ASSERT_TRUE(stub_->ChangeMonitoringStatus(Authorized(kAdmin).get(), change, &changed).ok());
  EXPECT_EQ(changed.beneficiary().version(), 2);
  // A writer who read version 1 is told to read again.
  change.set_request_id(NewRequestId());
  change.set_status(rv1::MONITORING_STATUS_UNSTABLE);
  EXPECT_EQ(stub_->ChangeMonitoringStatus(Authorized(kAdmin).get(), change, &changed).error_code(),
            grpc::StatusCode::ABORTED);
  auto events = EventsOf(b.id(), 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].event_type(), "MonitoringStatusChanged");
  rv1::MonitoringStatusChanged payload;
  ASSERT_TRUE(events[1].payload().UnpackTo(&payload));
  EXPECT_EQ(payload.previous_status(), rv1::MONITORING_STATUS_NOT_LIFTED);
  EXPECT_EQ(payload.status(), rv1::MONITORING_STATUS_LIFTED);
}

TEST_F(RegistrationTest, MovingAHouseholdMovesItsMembersWithThePreviousRegion) {
  rv1::Household h = NewHousehold();
  rv1::Beneficiary b = NewWoman(h.id(), "郑红");
  rv1::UpdateHouseholdRequest move;
  move.set_request_id(NewRequestId());
  move.set_household_id(h.id());
  move.set_expected_version(1);
  move.set_region_code(kOtherCounty);
  move.set_attribute(rv1::HOUSEHOLD_ATTRIBUTE_LOW_INCOME);
  move.set_head_name(h.head_name());
  rv1::UpdateHouseholdResponse moved;
  ASSERT_TRUE(stub_->UpdateHousehold(Authorized(kAdmin).get(), move, &moved).ok());
  EXPECT_EQ(moved.household().member_ids_size(), 1);
  auto events = EventsOf(b.id(), 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].event_type(), "BeneficiaryUpdated");
  EXPECT_EQ(events[1].region_code(), kOtherCounty);
  rv1::BeneficiaryUpdated payload;
  ASSERT_TRUE(events[1].payload().UnpackTo(&payload));
  EXPECT_EQ(payload.previous_region_code(), kVillage);
  EXPECT_EQ(payload.beneficiary().household_attribute(), rv1::HOUSEHOLD_ATTRIBUTE_LOW_INCOME);
}

TEST_F(RegistrationTest, CallersActOnlyWithinTheirRoleAndRegion) {
  rv1::RegisterHouseholdResponse resp;
  EXPECT_EQ(stub_->RegisterHousehold(Authorized("").get(), HouseholdRequest(kVillage), &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub_->RegisterHousehold(Authorized("wrong").get(), HouseholdRequest(kVillage), &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub_->RegisterHousehold(Authorized(kTangshan).get(), HouseholdRequest(kShijiazhuang), &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->RegisterHousehold(Authorized(kViewer).get(), HouseholdRequest(kVillage), &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(stub_->RegisterHousehold(Authorized(kTangshan).get(), HouseholdRequest(kVillage), &resp).ok());

  rv1::Beneficiary b = NewWoman(resp.household().id(), "冯梅");
  rv1::GetBeneficiaryRequest get;
  get.set_beneficiary_id(b.id());
  rv1::GetBeneficiaryResponse seen;
  ASSERT_TRUE(stub_->GetBeneficiary(Authorized(kViewer).get(), get, &seen).ok());
  EXPECT_EQ(seen.beneficiary().id_number(), b.id_number().substr(0, 3) + "***********" + b.id_number().substr(14));
  rv1::ListBeneficiariesRequest list;
  list.set_region_prefix("1301");
  rv1::ListBeneficiariesResponse listed;
  EXPECT_EQ(stub_->ListBeneficiaries(Authorized(kTangshan).get(), list, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(RegistrationTest, ListingPagesInStableRegionOrderWithFilters) {
  rv1::Household h = NewHousehold("130207104203");
  std::set<std::string> registered;
  for (int i = 0; i < 5; ++i) registered.insert(NewWoman(h.id(), absl::StrCat("列表", i)).id());
  rv1::BeneficiaryInput child;
  rv1::RegisterBeneficiaryResponse c;
  auto req = BeneficiaryRequest(h.id(), TestIdNumber(absl::CivilDay(2016, 2, 2), ++serial_), "小红");
  req.mutable_beneficiary()->set_student(true);
  req.mutable_beneficiary()->set_school_stage(rv1::SCHOOL_STAGE_PRIMARY);
  ASSERT_TRUE(stub_->RegisterBeneficiary(Authorized(kAdmin).get(), req, &c).ok());
  EXPECT_EQ(c.beneficiary().category(), rv1::CATEGORY_CHILD);

  rv1::ListBeneficiariesRequest list;
  list.set_region_prefix("130207104203");
  list.set_category(rv1::CATEGORY_WOMAN);
  list.mutable_page()->set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    rv1::ListBeneficiariesResponse resp;
    ASSERT_TRUE(stub_->ListBeneficiaries(Authorized(kAdmin).get(), list, &resp).ok());
    for (const auto& b : resp.beneficiaries()) seen.push_back(b.id());
    if (resp.next_page_token().empty()) break;
    list.mutable_page()->set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), registered);
  EXPECT_EQ(seen.size(), registered.size());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));  // one village: ordered by id (UUIDv7, time order)
}

// Page tokens are bound to the query and the caller that received them, and scans never leave the caller's scope:
// whatever token an operator of 唐山市 (1302) sends, no row outside 1302 comes back.
TEST_F(RegistrationTest, PageTokensCannotWidenACallersScopeOrFilter) {
  // People and duplicate candidates in 北京 110101, 石家庄 130102 and 唐山 130203/130207.
  std::vector<std::string> regions = {"110101001001", kShijiazhuang, "130203001001", "130207104207"};
  for (const std::string& region : regions) {
    rv1::Household h = NewHousehold(region);
    for (int i = 0; i < 3; ++i) NewWoman(h.id(), absl::StrCat("翻页", i));
    NewWoman(h.id(), "翻页重", absl::CivilDay(1979, 9, 9));
    NewWoman(h.id(), "翻页重", absl::CivilDay(1979, 9, 9));  // flagged: same name, birth date and county
  }
  std::string deadbeef;
  for (int i = 0; i < 16; ++i) deadbeef += "deadbeef";
  std::string huge;
  for (int i = 0; i < 100000; ++i) huge += "ab";
  const std::vector<std::string> forged = {
      "3131",
      "30",
      "00",
      deadbeef,
      huge,
      "AQ",
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};

  auto list = [&](const std::string& token, const std::string& prefix, const std::string& page_token, int size,
                  rv1::ListBeneficiariesResponse* resp, rv1::Category category = rv1::CATEGORY_UNSPECIFIED) {
    rv1::ListBeneficiariesRequest r;
    r.set_region_prefix(prefix);
    r.set_category(category);
    r.mutable_page()->set_page_size(size);
    r.mutable_page()->set_page_token(page_token);
    return stub_->ListBeneficiaries(Authorized(token).get(), r, resp);
  };
  auto candidates = [&](const std::string& token, const std::string& prefix, const std::string& page_token, int size,
                        rv1::ListDuplicateCandidatesResponse* resp) {
    rv1::ListDuplicateCandidatesRequest r;
    r.set_region_prefix(prefix);
    r.mutable_page()->set_page_size(size);
    r.mutable_page()->set_page_token(page_token);
    return stub_->ListDuplicateCandidates(Authorized(token).get(), r, resp);
  };
  auto expect_refused = [](const grpc::Status& s, const std::string& what) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << what << ": " << s.error_message();
    auto fields = ViolatedFields(s);
    EXPECT_NE(std::find(fields.begin(), fields.end(), "page.page_token"), fields.end()) << what;
  };

  // Forged tokens: refused for both listings, with and without a prefix.
  for (const std::string& token : forged) {
    for (const std::string& prefix : {std::string(), std::string("1302")}) {
      rv1::ListBeneficiariesResponse b;
      expect_refused(list(kTangshan, prefix, token, 50, &b), "ListBeneficiaries " + token.substr(0, 16));
      EXPECT_EQ(b.beneficiaries_size(), 0);
      rv1::ListDuplicateCandidatesResponse c;
      expect_refused(candidates(kTangshan, prefix, token, 50, &c), "ListDuplicateCandidates " + token.substr(0, 16));
      EXPECT_EQ(c.candidates_size(), 0);
    }
  }

  // Walking every page one row at a time never leaves 1302, for either listing.
  std::string page_token;
  int rows = 0;
  for (int page = 0; page < 100000; ++page) {
    rv1::ListBeneficiariesResponse resp;
    grpc::Status s = list(kTangshan, "", page_token, 1, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (const auto& b : resp.beneficiaries()) {
      EXPECT_EQ(b.region_code().rfind("1302", 0), 0u) << b.region_code();
      ++rows;
    }
    if (resp.next_page_token().empty()) break;
    page_token = resp.next_page_token();
  }
  EXPECT_GE(rows, 10);
  page_token.clear();
  int flagged = 0;
  for (int page = 0; page < 100000; ++page) {
    rv1::ListDuplicateCandidatesResponse resp;
    grpc::Status s = candidates(kTangshan, "", page_token, 1, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (const auto& c : resp.candidates()) {
      EXPECT_EQ(c.region_code().rfind("1302", 0), 0u) << c.region_code();
      ++flagged;
    }
    if (resp.next_page_token().empty()) break;
    page_token = resp.next_page_token();
  }
  EXPECT_GE(flagged, 2);

  // A token is bound to its prefix, its filters and its caller.
  rv1::ListBeneficiariesResponse first;
  ASSERT_TRUE(list(kAdmin, "130203", "", 1, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());
  rv1::ListBeneficiariesResponse other;
  expect_refused(list(kAdmin, "130207", first.next_page_token(), 1, &other), "token of 130203 sent for 130207");
  expect_refused(list(kAdmin, "130203", first.next_page_token(), 1, &other, rv1::CATEGORY_WOMAN),
                 "token sent with another category");
  expect_refused(list(kTangshan, "130203", first.next_page_token(), 1, &other), "admin's token sent by an operator");
  rv1::ListBeneficiariesResponse admin_wide;
  ASSERT_TRUE(list(kAdmin, "", "", 1, &admin_wide).ok());
  expect_refused(list(kTangshan, "", admin_wide.next_page_token(), 1, &other), "a country-wide token");
  rv1::ListDuplicateCandidatesResponse admin_candidates;
  ASSERT_TRUE(candidates(kAdmin, "", "", 1, &admin_candidates).ok());
  ASSERT_FALSE(admin_candidates.next_page_token().empty());
  rv1::ListDuplicateCandidatesResponse stolen;
  expect_refused(candidates(kTangshan, "", admin_candidates.next_page_token(), 1, &stolen), "admin's candidate token");
  expect_refused(list(kAdmin, "", admin_candidates.next_page_token(), 1, &other), "another listing's token");
  // The same token, sent as issued, goes on.
  ASSERT_TRUE(list(kAdmin, "130203", first.next_page_token(), 1, &other).ok());
  EXPECT_EQ(other.beneficiaries(0).region_code().rfind("130203", 0), 0u);
  EXPECT_NE(other.beneficiaries(0).id(), first.beneficiaries(0).id());
}

TEST_F(RegistrationTest, NamesAreStoredTrimmed) {
  rv1::Household h = NewHousehold("130207104208");
  rv1::Beneficiary b = NewWoman(h.id(), " 王丽 ");
  EXPECT_EQ(b.name(), "王丽");
  rv1::Beneficiary minority = NewWoman(h.id(), "阿依古丽·买买提");
  EXPECT_EQ(minority.name(), "阿依古丽·买买提");
  rv1::GetBeneficiaryRequest get;
  get.set_beneficiary_id(b.id());
  rv1::GetBeneficiaryResponse stored;
  ASSERT_TRUE(stub_->GetBeneficiary(Authorized(kAdmin).get(), get, &stored).ok());
  EXPECT_EQ(stored.beneficiary().name(), "王丽");
}

// Authorization comes before the body is checked wherever the target is known: an operator outside the target's
// region learns only that it is not hers to change.
TEST_F(RegistrationTest, OutOfScopeCallersArePermissionDeniedBeforeTheirInputIsChecked) {
  rv1::Household h = NewHousehold(kShijiazhuang);
  rv1::Beneficiary b = NewWoman(h.id(), "范围");
  rv1::ChangeMonitoringStatusRequest change;
  change.set_request_id(NewRequestId());
  change.set_beneficiary_id(b.id());  // no status, reason, version or effective_on
  rv1::ChangeMonitoringStatusResponse changed;
  EXPECT_EQ(stub_->ChangeMonitoringStatus(Authorized(kTangshan).get(), change, &changed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  rv1::RecordVisitRequest visit;
  visit.set_request_id(NewRequestId());
  visit.set_beneficiary_id(b.id());
  rv1::RecordVisitResponse visited;
  EXPECT_EQ(stub_->RecordVisit(Authorized(kTangshan).get(), visit, &visited).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  rv1::PairCadreRequest pair;
  pair.set_request_id(NewRequestId());
  pair.set_beneficiary_id(b.id());
  rv1::PairCadreResponse paired;
  EXPECT_EQ(stub_->PairCadre(Authorized(kTangshan).get(), pair, &paired).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  rv1::UpdateHouseholdRequest move;
  move.set_request_id(NewRequestId());
  move.set_household_id(h.id());
  rv1::UpdateHouseholdResponse moved;
  EXPECT_EQ(stub_->UpdateHousehold(Authorized(kTangshan).get(), move, &moved).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(RegistrationTest, EveryRejectedImportRowNamesItsField) {
  rv1::Household mine = NewHousehold("130207104209", kTangshan);
  rv1::Household elsewhere = NewHousehold(kShijiazhuang);
  std::vector<rv1::ImportBeneficiariesRequest> rows;
  for (int i = 0; i < 3; ++i) {
    rv1::ImportBeneficiariesRequest row;
    row.set_row_number(i + 2);
    *row.mutable_beneficiary() =
        BeneficiaryRequest(mine.id(), TestIdNumber(absl::CivilDay(1972, 1, 1) + i, ++serial_), absl::StrCat("字段", i))
            .beneficiary();
    row.set_request_id(absl::StrCat("fields-", serial_));
    rows.push_back(row);
  }
  rows[1].set_request_id(rows[0].request_id());                     // the same request id, another person
  rows[2].mutable_beneficiary()->set_household_id(elsewhere.id());  // outside 唐山
  rv1::ImportBeneficiariesResponse summary;
  auto ctx = Authorized(kTangshan);
  auto writer = stub_->ImportBeneficiaries(ctx.get(), &summary);
  for (const auto& r : rows) writer->Write(r);
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(summary.accepted(), 1);
  ASSERT_EQ(summary.rejected_size(), 2);
  EXPECT_EQ(summary.rejected(0).row_number(), 3);
  EXPECT_EQ(summary.rejected(0).field(), "request_id");
  EXPECT_EQ(summary.rejected(1).row_number(), 4);
  EXPECT_EQ(summary.rejected(1).field(), "beneficiary.household_id");
}

TEST_F(RegistrationTest, ImportAcceptsGoodRowsReportsBadOnesAndIgnoresARepeat) {
  rv1::Household h = NewHousehold("130207104204");
  std::vector<rv1::ImportBeneficiariesRequest> rows;
  for (int i = 0; i < 20; ++i) {
    rv1::ImportBeneficiariesRequest row;
    row.set_row_number(i + 2);  // a spreadsheet's rows start under its header
    *row.mutable_beneficiary() =
        BeneficiaryRequest(h.id(), TestIdNumber(absl::CivilDay(1970, 1, 1) + i, ++serial_), absl::StrCat("导入", i))
            .beneficiary();
    row.set_request_id(absl::StrCat("import-", serial_));
    rows.push_back(row);
  }
  rows[3].mutable_beneficiary()->set_id_number("36042619910101007");  // 17 characters
  rows[7].mutable_beneficiary()->clear_poverty_causes();
  rows[11].mutable_beneficiary()->set_id_number(rows[10].beneficiary().id_number());  // twice in one file
  auto send = [&](rv1::ImportBeneficiariesResponse* summary) {
    auto ctx = Authorized(kAdmin);
    auto writer = stub_->ImportBeneficiaries(ctx.get(), summary);
    for (const auto& r : rows) writer->Write(r);
    writer->WritesDone();
    return writer->Finish();
  };
  size_t events_before = tap_->Settle().size();
  rv1::ImportBeneficiariesResponse summary;
  ASSERT_TRUE(send(&summary).ok());
  EXPECT_EQ(summary.rows(), 20);
  EXPECT_EQ(summary.accepted(), 17);
  ASSERT_EQ(summary.rejected_size(), 3);
  EXPECT_EQ(summary.rejected(0).row_number(), 5);
  EXPECT_EQ(summary.rejected(0).field(), "beneficiary.id_number");
  EXPECT_EQ(summary.rejected(1).row_number(), 9);
  EXPECT_EQ(summary.rejected(1).field(), "beneficiary.poverty_causes");
  EXPECT_EQ(summary.rejected(2).row_number(), 13);
  EXPECT_EQ(summary.rejected(2).field(), "beneficiary.id_number");
  tap_->WaitForCount(events_before + 17, absl::Seconds(30));
  size_t events_after = tap_->Settle().size();
  EXPECT_EQ(events_after - events_before, 17u);

  rv1::ImportBeneficiariesResponse again;
  ASSERT_TRUE(send(&again).ok());
  EXPECT_EQ(again.accepted(), 0);
  EXPECT_EQ(again.repeated_rows(), 17);
  EXPECT_EQ(tap_->Settle().size(), events_after) << "re-sending the batch changed something";
}

// An import is checked in chunks of 2,000 rows, each checked while the one before is still being committed: a
// row must still be checked against the rows of that chunk (ID numbers, duplicate keys, request ids).
TEST_F(RegistrationTest, ImportChecksEachRowAgainstEarlierChunksNotYetCommitted) {
  rv1::Household h = NewHousehold("130207104206");
  std::vector<rv1::ImportBeneficiariesRequest> rows;
  for (int i = 0; i < 4500; ++i) {
    rv1::ImportBeneficiariesRequest row;
    row.set_row_number(i + 2);
    *row.mutable_beneficiary() =
        BeneficiaryRequest(h.id(), TestIdNumber(absl::CivilDay(1970, 1, 1) + i, ++serial_), absl::StrCat("分块", i))
            .beneficiary();
    row.set_request_id(absl::StrCat("chunked-", serial_));
    rows.push_back(row);
  }
  // Second chunk, first rows: the last row of the first chunk sent again (a repeat), and another row under the
  // request id of the row before it (refused). Then an ID number from the end of the first chunk.
  rows[2000] = rows[1999];
  rows[2000].set_row_number(2002);
  rows[2001].set_request_id(rows[1998].request_id());
  rows[2100].mutable_beneficiary()->set_id_number(rows[1990].beneficiary().id_number());
  // Third chunk: same name, birth date and county as a row of the second, another ID number.
  rows[4100].mutable_beneficiary()->set_name(rows[2050].beneficiary().name());
  rows[4100].mutable_beneficiary()->set_id_number(TestIdNumber(absl::CivilDay(1970, 1, 1) + 2050, ++serial_));

  size_t events_before = tap_->Settle().size();
  auto ctx = Authorized(kAdmin);
  rv1::ImportBeneficiariesResponse summary;
  auto writer = stub_->ImportBeneficiaries(ctx.get(), &summary);
  for (const auto& r : rows) ASSERT_TRUE(writer->Write(r));
  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(summary.rows(), 4500);
  EXPECT_EQ(summary.accepted(), 4497);
  EXPECT_EQ(summary.repeated_rows(), 1);
  ASSERT_EQ(summary.rejected_size(), 2);
  EXPECT_EQ(summary.rejected(0).row_number(), 2003);
  EXPECT_NE(summary.rejected(0).reason().find("already used for a different request"), std::string::npos)
      << summary.rejected(0).reason();
  EXPECT_EQ(summary.rejected(1).row_number(), 2102);
  EXPECT_EQ(summary.rejected(1).field(), "beneficiary.id_number");
  EXPECT_EQ(summary.duplicates_flagged(), 1);
  // 4,497 registrations and one duplicate candidate flagged.
  tap_->WaitForCount(events_before + 4498, absl::Seconds(60));
  EXPECT_EQ(tap_->Settle().size() - events_before, 4498u);

  rv1::ListDuplicateCandidatesRequest list;
  list.set_region_prefix("130207104206");
  rv1::ListDuplicateCandidatesResponse candidates;
  ASSERT_TRUE(stub_->ListDuplicateCandidates(Authorized(kAdmin).get(), list, &candidates).ok());
  int open_for_row = 0;
  for (const auto& c : candidates.candidates()) {
    rv1::GetBeneficiaryRequest get;
    get.set_beneficiary_id(c.beneficiary_id());
    rv1::GetBeneficiaryResponse b;
    ASSERT_TRUE(stub_->GetBeneficiary(Authorized(kAdmin).get(), get, &b).ok());
    if (b.beneficiary().name() == rows[2050].beneficiary().name()) ++open_for_row;
  }
  EXPECT_EQ(open_for_row, 1);
}

// ---- Bad input: every field of every RPC gets the right status naming the field; nothing is written. ----

struct BadCase {
  std::string name;
  std::function<grpc::Status()> call;
  grpc::StatusCode code;
  std::string field;  // for INVALID_ARGUMENT: a field the BadRequest must name
};

TEST_F(RegistrationTest, BadInputIsRefusedNamingTheFieldAndWritesNothing) {
  rv1::Household h = NewHousehold("130207104205");
  rv1::Beneficiary woman = NewWoman(h.id(), "表测");
  // An open duplicate candidate (same name, birth date and county, another ID number), for checks of a resolution.
  NewWoman(h.id(), "表重", absl::CivilDay(1981, 2, 3));
  rv1::RegisterBeneficiaryResponse twin;
  ASSERT_TRUE(stub_
                  ->RegisterBeneficiary(
                      Authorized(kAdmin).get(),
                      BeneficiaryRequest(h.id(), TestIdNumber(absl::CivilDay(1981, 2, 3), ++serial_), "表重"), &twin)
                  .ok());
  ASSERT_FALSE(twin.duplicate_candidate_id().empty());
  const std::string open_candidate = twin.duplicate_candidate_id();
  std::string fifty_one_characters;
  for (int i = 0; i < 51; ++i) fifty_one_characters += "丽";
  rv1::RegisterCadreResponse cadre;
  ASSERT_TRUE(stub_->RegisterCadre(Authorized(kAdmin).get(), CadreRequest("表干部", "130207"), &cadre).ok());
  tap_->WaitForAggregate(cadre.cadre().id(), 1);
  size_t events_before = tap_->Settle().size();
  rv1::ListBeneficiariesRequest count_req;
  count_req.set_region_prefix("130207104205");
  rv1::ListBeneficiariesResponse before_list;
  ASSERT_TRUE(stub_->ListBeneficiaries(Authorized(kAdmin).get(), count_req, &before_list).ok());

  auto household = [&](std::function<void(rv1::RegisterHouseholdRequest&)> edit) {
    return [=] {
      auto r = HouseholdRequest(kVillage);
      edit(r);
      rv1::RegisterHouseholdResponse resp;
      return stub_->RegisterHousehold(Authorized(kAdmin).get(), r, &resp);
    };
  };
  auto update_household = [&](std::function<void(rv1::UpdateHouseholdRequest&)> edit) {
    return [=] {
      rv1::UpdateHouseholdRequest r;
      r.set_request_id(NewRequestId());
      r.set_household_id(h.id());
      r.set_expected_version(1);
      r.set_region_code(h.region_code());
      r.set_attribute(h.attribute());
      r.set_head_name(h.head_name());
      edit(r);
      rv1::UpdateHouseholdResponse resp;
      return stub_->UpdateHousehold(Authorized(kAdmin).get(), r, &resp);
    };
  };
  auto beneficiary = [&](std::function<void(rv1::RegisterBeneficiaryRequest&)> edit) {
    return [=] {
      auto r = BeneficiaryRequest(h.id(), TestIdNumber(absl::CivilDay(1988, 8, 8), 900000), "表新");
      edit(r);
      rv1::RegisterBeneficiaryResponse resp;
      return stub_->RegisterBeneficiary(Authorized(kAdmin).get(), r, &resp);
    };
  };
  auto update = [&](std::function<void(rv1::UpdateBeneficiaryRequest&)> edit) {
    return [=] {
      rv1::UpdateBeneficiaryRequest r;
      r.set_request_id(NewRequestId());
      r.set_beneficiary_id(woman.id());
      r.set_expected_version(1);
      auto* in = r.mutable_beneficiary();
      in->set_name(woman.name());
      in->set_household_id(h.id());
      in->add_poverty_causes(rv1::POVERTY_CAUSE_ILLNESS);
      edit(r);
      rv1::UpdateBeneficiaryResponse resp;
      return stub_->UpdateBeneficiary(Authorized(kAdmin).get(), r, &resp);
    };
  };
  auto get = [&](const std::string& id) {
    return [=] {
      rv1::GetBeneficiaryRequest r;
      r.set_beneficiary_id(id);
      rv1::GetBeneficiaryResponse resp;
      return stub_->GetBeneficiary(Authorized(kAdmin).get(), r, &resp);
    };
  };
  auto list = [&](std::function<void(rv1::ListBeneficiariesRequest&)> edit) {
    return [=] {
      rv1::ListBeneficiariesRequest r;
      edit(r);
      rv1::ListBeneficiariesResponse resp;
      return stub_->ListBeneficiaries(Authorized(kAdmin).get(), r, &resp);
    };
  };
  auto status = [&](std::function<void(rv1::ChangeMonitoringStatusRequest&)> edit) {
    return [=] {
      rv1::ChangeMonitoringStatusRequest r;
      r.set_request_id(NewRequestId());
      r.set_beneficiary_id(woman.id());
      r.set_expected_version(1);
      r.set_status(rv1::MONITORING_STATUS_LIFTED);
      r.set_reason("核查");
      *r.mutable_effective_on() = ToProto(absl::CivilDay(2026, 1, 1));
      edit(r);
      rv1::ChangeMonitoringStatusResponse resp;
      return stub_->ChangeMonitoringStatus(Authorized(kAdmin).get(), r, &resp);
    };
  };
  auto new_cadre = [&](std::function<void(rv1::RegisterCadreRequest&)> edit) {
    return [=] {
      rv1::RegisterCadreRequest r;
      r.set_request_id(NewRequestId());
      r.set_name("表干部二");
      r.set_region_code("130207");
      edit(r);
      rv1::RegisterCadreResponse resp;
      return stub_->RegisterCadre(Authorized(kAdmin).get(), r, &resp);
    };
  };
  auto pair = [&](std::function<void(rv1::PairCadreRequest&)> edit) {
    return [=] {
      rv1::PairCadreRequest r;
      r.set_request_id(NewRequestId());
      r.set_cadre_id(cadre.cadre().id());
      r.set_beneficiary_id(woman.id());
      edit(r);
      rv1::PairCadreResponse resp;
      return stub_->PairCadre(Authorized(kAdmin).get(), r, &resp);
    };
  };
  auto unpair = [&](std::function<void(rv1::UnpairCadreRequest&)> edit) {
    return [=] {
      rv1::UnpairCadreRequest r;
      r.set_request_id(NewRequestId());
      r.set_cadre_id(cadre.cadre().id());
      r.set_beneficiary_id(woman.id());
      r.set_reason("调动");
      edit(r);
      rv1::UnpairCadreResponse resp;
      return stub_->UnpairCadre(Authorized(kAdmin).get(), r, &resp);
    };
  };
  auto visit = [&](std::function<void(rv1::RecordVisitRequest&)> edit) {
    return [=] {
      rv1::RecordVisitRequest r;
      r.set_request_id(NewRequestId());
      r.set_cadre_id(cadre.cadre().id());
      r.set_beneficiary_id(woman.id());
      *r.mutable_visited_on() = ToProto(absl::CivilDay(2026, 11, 1));
      edit(r);
      rv1::RecordVisitResponse resp;
      return stub_->RecordVisit(Authorized(kAdmin).get(), r, &resp);
    };
  };
  auto candidates = [&](std::function<void(rv1::ListDuplicateCandidatesRequest&)> edit) {
    return [=] {
      rv1::ListDuplicateCandidatesRequest r;
      edit(r);
      rv1::ListDuplicateCandidatesResponse resp;
      return stub_->ListDuplicateCandidates(Authorized(kAdmin).get(), r, &resp);
    };
  };
  auto resolve = [&](std::function<void(rv1::ResolveDuplicateCandidateRequest&)> edit) {
    return [=] {
      rv1::ResolveDuplicateCandidateRequest r;
      r.set_request_id(NewRequestId());
      r.set_candidate_id("no-such-candidate");
      r.set_resolution(rv1::DUPLICATE_STATE_DISMISSED);
      edit(r);
      rv1::ResolveDuplicateCandidateResponse resp;
      return stub_->ResolveDuplicateCandidate(Authorized(kAdmin).get(), r, &resp);
    };
  };
  const auto kInvalid = grpc::StatusCode::INVALID_ARGUMENT;
  const auto future = ToProto(absl::CivilDay(2030, 1, 1));
  common::v1::CivilDate feb31;
  feb31.set_year(2024);
  feb31.set_month(2);
  feb31.set_day(31);

  std::vector<BadCase> cases = {
      {"RegisterHousehold.request_id", household([](auto& r) { r.clear_request_id(); }), kInvalid, "request_id"},
      {"RegisterHousehold.region_code.short", household([](auto& r) { r.set_region_code("13020710420"); }), kInvalid,
       "region_code"},
      {"RegisterHousehold.region_code.county", household([](auto& r) { r.set_region_code("130299104201"); }), kInvalid,
       "region_code"},
      {"RegisterHousehold.region_code.village", household([](auto& r) { r.set_region_code("130207104400"); }), kInvalid,
       "region_code"},
      {"RegisterHousehold.attribute", household([](auto& r) { r.clear_attribute(); }), kInvalid, "attribute"},
      {"RegisterHousehold.head_name", household([](auto& r) { r.clear_head_name(); }), kInvalid, "head_name"},
      {"RegisterHousehold.registered_on", household([=](auto& r) { *r.mutable_registered_on() = future; }), kInvalid,
       "registered_on"},
      {"UpdateHousehold.request_id", update_household([](auto& r) { r.clear_request_id(); }), kInvalid, "request_id"},
      {"UpdateHousehold.household_id", update_household([](auto& r) { r.clear_household_id(); }), kInvalid,
       "household_id"},
      {"UpdateHousehold.household_id.unknown", update_household([](auto& r) { r.set_household_id("nope"); }),
       grpc::StatusCode::NOT_FOUND, ""},
      {"UpdateHousehold.expected_version", update_household([](auto& r) { r.clear_expected_version(); }), kInvalid,
       "expected_version"},
      {"UpdateHousehold.expected_version.stale", update_household([](auto& r) { r.set_expected_version(7); }),
       grpc::StatusCode::ABORTED, ""},
      {"UpdateHousehold.region_code", update_household([](auto& r) { r.set_region_code("13a207104201"); }), kInvalid,
       "region_code"},
      {"UpdateHousehold.attribute",
       update_household([](auto& r) { r.set_attribute(static_cast<rv1::HouseholdAttribute>(9)); }), kInvalid,
       "attribute"},
      {"UpdateHousehold.head_name", update_household([](auto& r) { r.clear_head_name(); }), kInvalid, "head_name"},
      {"RegisterBeneficiary.request_id", beneficiary([](auto& r) { r.set_request_id("has space"); }), kInvalid,
       "request_id"},
      {"RegisterBeneficiary.id_number.check",
       beneficiary([](auto& r) { r.mutable_beneficiary()->set_id_number("360426199101010072"); }), kInvalid,
       "beneficiary.id_number"},
      {"RegisterBeneficiary.id_number.length",
       beneficiary([](auto& r) { r.mutable_beneficiary()->set_id_number("36042619910101007"); }), kInvalid,
       "beneficiary.id_number"},
      {"RegisterBeneficiary.id_number.man",
       beneficiary([](auto& r) { r.mutable_beneficiary()->set_id_number("360426199101010071"); }), kInvalid,
       "beneficiary.id_number"},
      {"RegisterBeneficiary.id_number.taken",
       beneficiary([=](auto& r) { r.mutable_beneficiary()->set_id_number(woman.id_number()); }),
       grpc::StatusCode::ALREADY_EXISTS, ""},
      {"RegisterBeneficiary.name", beneficiary([](auto& r) { r.mutable_beneficiary()->clear_name(); }), kInvalid,
       "beneficiary.name"},
      {"RegisterBeneficiary.sex", beneficiary([](auto& r) { r.mutable_beneficiary()->set_sex(rv1::SEX_MALE); }),
       kInvalid, "beneficiary.sex"},
      {"RegisterBeneficiary.birth_date", beneficiary([](auto& r) {
         *r.mutable_beneficiary()->mutable_birth_date() = ToProto(absl::CivilDay(1988, 8, 9));
       }),
       kInvalid, "beneficiary.birth_date"},
      {"RegisterBeneficiary.birth_date.unreal",
       beneficiary([=](auto& r) { *r.mutable_beneficiary()->mutable_birth_date() = feb31; }), kInvalid,
       "beneficiary.birth_date"},
      {"RegisterBeneficiary.household_id", beneficiary([](auto& r) { r.mutable_beneficiary()->clear_household_id(); }),
       kInvalid, "beneficiary.household_id"},
      {"RegisterBeneficiary.household_id.unknown",
       beneficiary([](auto& r) { r.mutable_beneficiary()->set_household_id("nope"); }), kInvalid,
       "beneficiary.household_id"},
      {"RegisterBeneficiary.poverty_causes",
       beneficiary([](auto& r) { r.mutable_beneficiary()->clear_poverty_causes(); }), kInvalid,
       "beneficiary.poverty_causes"},
      {"RegisterBeneficiary.poverty_causes.unknown",
       beneficiary([](auto& r) { r.mutable_beneficiary()->add_poverty_causes(static_cast<rv1::PovertyCause>(42)); }),
       kInvalid, "beneficiary.poverty_causes"},
      {"RegisterBeneficiary.student", beneficiary([](auto& r) {
         r.mutable_beneficiary()->set_student(true);
         r.mutable_beneficiary()->set_school_stage(rv1::SCHOOL_STAGE_PRIMARY);
       }),
       kInvalid, "beneficiary.student"},
      {"RegisterBeneficiary.school_stage",
       beneficiary([](auto& r) { r.mutable_beneficiary()->set_school_stage(rv1::SCHOOL_STAGE_PRIMARY); }), kInvalid,
       "beneficiary.school_stage"},
      {"RegisterBeneficiary.left_behind.child_stage", beneficiary([](auto& r) {
         r.mutable_beneficiary()->set_id_number(TestIdNumber(absl::CivilDay(2015, 5, 5), 900001));
         r.mutable_beneficiary()->set_left_behind(true);
         r.mutable_beneficiary()->set_student(true);
       }),
       kInvalid, "beneficiary.school_stage"},
      {"RegisterBeneficiary.mobile", beneficiary([](auto& r) { r.mutable_beneficiary()->set_mobile("1381234567"); }),
       kInvalid, "beneficiary.mobile"},
      {"RegisterBeneficiary.monitoring_status", beneficiary([](auto& r) {
         r.mutable_beneficiary()->set_monitoring_status(static_cast<rv1::MonitoringStatus>(99));
       }),
       kInvalid, "beneficiary.monitoring_status"},
      {"RegisterBeneficiary.registered_on",
       beneficiary([=](auto& r) { *r.mutable_beneficiary()->mutable_registered_on() = future; }), kInvalid,
       "beneficiary.registered_on"},
      {"UpdateBeneficiary.request_id", update([](auto& r) { r.clear_request_id(); }), kInvalid, "request_id"},
      {"UpdateBeneficiary.beneficiary_id", update([](auto& r) { r.clear_beneficiary_id(); }), kInvalid,
       "beneficiary_id"},
      {"UpdateBeneficiary.beneficiary_id.unknown", update([](auto& r) { r.set_beneficiary_id("nope"); }),
       grpc::StatusCode::NOT_FOUND, ""},
      {"UpdateBeneficiary.expected_version", update([](auto& r) { r.clear_expected_version(); }), kInvalid,
       "expected_version"},
      {"UpdateBeneficiary.expected_version.stale", update([](auto& r) { r.set_expected_version(5); }),
       grpc::StatusCode::ABORTED, ""},
      {"UpdateBeneficiary.id_number",
       update([](auto& r) { r.mutable_beneficiary()->set_id_number("11010519491231002X"); }), kInvalid,
       "beneficiary.id_number"},
      {"UpdateBeneficiary.name", update([](auto& r) { r.mutable_beneficiary()->clear_name(); }), kInvalid,
       "beneficiary.name"},
      {"UpdateBeneficiary.household_id", update([](auto& r) { r.mutable_beneficiary()->set_household_id("nope"); }),
       kInvalid, "beneficiary.household_id"},
      {"UpdateBeneficiary.poverty_causes", update([](auto& r) { r.mutable_beneficiary()->clear_poverty_causes(); }),
       kInvalid, "beneficiary.poverty_causes"},
      {"UpdateBeneficiary.mobile", update([](auto& r) { r.mutable_beneficiary()->set_mobile("abc"); }), kInvalid,
       "beneficiary.mobile"},
      {"UpdateBeneficiary.monitoring_status",
       update([](auto& r) { r.mutable_beneficiary()->set_monitoring_status(rv1::MONITORING_STATUS_LIFTED); }), kInvalid,
       "beneficiary.monitoring_status"},
      {"UpdateBeneficiary.registered_on",
       update([](auto& r) { *r.mutable_beneficiary()->mutable_registered_on() = ToProto(absl::CivilDay(2001, 1, 1)); }),
       kInvalid, "beneficiary.registered_on"},
      {"UpdateBeneficiary.sex", update([](auto& r) { r.mutable_beneficiary()->set_sex(rv1::SEX_MALE); }), kInvalid,
       "beneficiary.sex"},
      {"GetBeneficiary.beneficiary_id", get(""), kInvalid, "beneficiary_id"},
      {"GetBeneficiary.beneficiary_id.unknown", get("nope"), grpc::StatusCode::NOT_FOUND, ""},
      {"ListBeneficiaries.region_prefix", list([](auto& r) { r.set_region_prefix("1399"); }), kInvalid,
       "region_prefix"},
      {"ListBeneficiaries.category", list([](auto& r) { r.set_category(static_cast<rv1::Category>(7)); }), kInvalid,
       "category"},
      {"ListBeneficiaries.monitoring_status",
       list([](auto& r) { r.set_monitoring_status(static_cast<rv1::MonitoringStatus>(77)); }), kInvalid,
       "monitoring_status"},
      {"ListBeneficiaries.page_token", list([](auto& r) { r.mutable_page()->set_page_token("zz"); }), kInvalid,
       "page.page_token"},
      {"ChangeMonitoringStatus.request_id", status([](auto& r) { r.clear_request_id(); }), kInvalid, "request_id"},
      {"ChangeMonitoringStatus.beneficiary_id", status([](auto& r) { r.clear_beneficiary_id(); }), kInvalid,
       "beneficiary_id"},
      {"ChangeMonitoringStatus.expected_version", status([](auto& r) { r.clear_expected_version(); }), kInvalid,
       "expected_version"},
      {"ChangeMonitoringStatus.status", status([](auto& r) { r.clear_status(); }), kInvalid, "status"},
      {"ChangeMonitoringStatus.status.transition",
       status([](auto& r) { r.set_status(rv1::MONITORING_STATUS_MARGINAL); }), grpc::StatusCode::FAILED_PRECONDITION,
       ""},
      {"ChangeMonitoringStatus.reason", status([](auto& r) { r.clear_reason(); }), kInvalid, "reason"},
      {"ChangeMonitoringStatus.effective_on", status([](auto& r) { r.clear_effective_on(); }), kInvalid,
       "effective_on"},
      {"ChangeMonitoringStatus.effective_on.future", status([=](auto& r) { *r.mutable_effective_on() = future; }),
       kInvalid, "effective_on"},
      {"RegisterCadre.request_id", new_cadre([](auto& r) { r.clear_request_id(); }), kInvalid, "request_id"},
      {"RegisterCadre.name", new_cadre([](auto& r) { r.clear_name(); }), kInvalid, "name"},
      {"RegisterCadre.mobile", new_cadre([](auto& r) { r.set_mobile("02212345678"); }), kInvalid, "mobile"},
      {"RegisterCadre.region_code", new_cadre([](auto& r) { r.clear_region_code(); }), kInvalid, "region_code"},
      {"RegisterCadre.region_code.unknown", new_cadre([](auto& r) { r.set_region_code("130299"); }), kInvalid,
       "region_code"},
      {"PairCadre.request_id", pair([](auto& r) { r.clear_request_id(); }), kInvalid, "request_id"},
      {"PairCadre.cadre_id", pair([](auto& r) { r.clear_cadre_id(); }), kInvalid, "cadre_id"},
      {"PairCadre.cadre_id.unknown", pair([](auto& r) { r.set_cadre_id("nope"); }), grpc::StatusCode::NOT_FOUND, ""},
      {"PairCadre.beneficiary_id", pair([](auto& r) { r.clear_beneficiary_id(); }), kInvalid, "beneficiary_id"},
      {"PairCadre.paired_on", pair([=](auto& r) { *r.mutable_paired_on() = future; }), kInvalid, "paired_on"},
      {"UnpairCadre.request_id", unpair([](auto& r) { r.clear_request_id(); }), kInvalid, "request_id"},
      {"UnpairCadre.cadre_id", unpair([](auto& r) { r.clear_cadre_id(); }), kInvalid, "cadre_id"},
      {"UnpairCadre.beneficiary_id", unpair([](auto& r) { r.clear_beneficiary_id(); }), kInvalid, "beneficiary_id"},
      {"UnpairCadre.reason", unpair([](auto& r) { r.clear_reason(); }), kInvalid, "reason"},
      {"UnpairCadre.not_paired", unpair([](auto&) {}), grpc::StatusCode::FAILED_PRECONDITION, ""},
      {"RecordVisit.request_id", visit([](auto& r) { r.clear_request_id(); }), kInvalid, "request_id"},
      {"RecordVisit.cadre_id", visit([](auto& r) { r.clear_cadre_id(); }), kInvalid, "cadre_id"},
      {"RecordVisit.beneficiary_id", visit([](auto& r) { r.clear_beneficiary_id(); }), kInvalid, "beneficiary_id"},
      {"RecordVisit.visited_on", visit([](auto& r) { r.clear_visited_on(); }), kInvalid, "visited_on"},
      {"RecordVisit.visited_on.future", visit([=](auto& r) { *r.mutable_visited_on() = future; }), kInvalid,
       "visited_on"},
      {"RecordVisit.notes", visit([](auto& r) { r.set_notes(std::string(7000, 'a')); }), kInvalid, "notes"},
      {"RecordVisit.not_paired", visit([](auto&) {}), grpc::StatusCode::FAILED_PRECONDITION, ""},
      {"ListDuplicateCandidates.region_prefix", candidates([](auto& r) { r.set_region_prefix("x"); }), kInvalid,
       "region_prefix"},
      {"ListDuplicateCandidates.state", candidates([](auto& r) { r.set_state(static_cast<rv1::DuplicateState>(8)); }),
       kInvalid, "state"},
      {"ListDuplicateCandidates.page_token", candidates([](auto& r) { r.mutable_page()->set_page_token("g1"); }),
       kInvalid, "page.page_token"},
      {"ResolveDuplicateCandidate.request_id", resolve([](auto& r) { r.clear_request_id(); }), kInvalid, "request_id"},
      {"ResolveDuplicateCandidate.candidate_id", resolve([](auto& r) { r.clear_candidate_id(); }), kInvalid,
       "candidate_id"},
      {"ResolveDuplicateCandidate.candidate_id.unknown", resolve([](auto&) {}), grpc::StatusCode::NOT_FOUND, ""},
      {"ResolveDuplicateCandidate.resolution", resolve([=](auto& r) {
         r.set_candidate_id(open_candidate);
         r.set_resolution(rv1::DUPLICATE_STATE_OPEN);
       }),
       kInvalid, "resolution"},
      {"RegisterBeneficiary.name.rtl_override",
       beneficiary([](auto& r) { r.mutable_beneficiary()->set_name("王\u202E丽"); }), kInvalid, "beneficiary.name"},
      {"RegisterBeneficiary.name.zero_width_joiner",
       beneficiary([](auto& r) { r.mutable_beneficiary()->set_name("王\u200D丽"); }), kInvalid, "beneficiary.name"},
      {"RegisterBeneficiary.name.del", beneficiary([](auto& r) { r.mutable_beneficiary()->set_name("王\x7F丽"); }),
       kInvalid, "beneficiary.name"},
      {"RegisterBeneficiary.name.next_line",
       beneficiary([](auto& r) { r.mutable_beneficiary()->set_name("王\u0085丽"); }), kInvalid, "beneficiary.name"},
      {"RegisterBeneficiary.name.blank", beneficiary([](auto& r) { r.mutable_beneficiary()->set_name("   "); }),
       kInvalid, "beneficiary.name"},
      {"RegisterBeneficiary.name.fifty_one_characters",
       beneficiary([=](auto& r) { r.mutable_beneficiary()->set_name(fifty_one_characters); }), kInvalid,
       "beneficiary.name"},
      {"RegisterBeneficiary.name.hundred_ascii",
       beneficiary([](auto& r) { r.mutable_beneficiary()->set_name(std::string(100, 'a')); }), kInvalid,
       "beneficiary.name"},
      {"RegisterBeneficiary.id_number.full_width", beneficiary([](auto& r) {
         r.mutable_beneficiary()->set_id_number(
             "\uff13\uff16\uff10\uff14\uff12\uff16\uff11\uff19\uff19\uff11\uff10\uff11\uff10\uff11\uff10\uff10\uff17"
             "\uff11");
       }),
       kInvalid, "beneficiary.id_number"},
      {"RegisterHousehold.head_name.rtl_override", household([](auto& r) { r.set_head_name("\u202E王"); }), kInvalid,
       "head_name"},
      {"RegisterCadre.name.blank", new_cadre([](auto& r) { r.set_name("\u3000 "); }), kInvalid, "name"},
      {"ListBeneficiaries.page_size.negative", list([](auto& r) { r.mutable_page()->set_page_size(-1); }), kInvalid,
       "page.page_size"},
      {"ListDuplicateCandidates.page_size.negative", candidates([](auto& r) { r.mutable_page()->set_page_size(-5); }),
       kInvalid, "page.page_size"},
  };
  for (const BadCase& c : cases) {
    grpc::Status s = c.call();
    EXPECT_EQ(s.error_code(), c.code) << c.name << ": " << s.error_message();
    EXPECT_EQ(s.error_message().find("/tmp"), std::string::npos) << c.name << ": " << s.error_message();
    if (c.code == kInvalid) {
      auto fields = ViolatedFields(s);
      EXPECT_NE(std::find(fields.begin(), fields.end(), c.field), fields.end())
          << c.name << ": the error does not name " << c.field << " (" << s.error_message() << ")";
      EXPECT_NE(s.error_message().find(c.field), std::string::npos) << c.name << ": " << s.error_message();
    }
  }

  // Nothing was written: no event, no new beneficiary, the household and the woman unchanged.
  EXPECT_EQ(tap_->Settle().size(), events_before) << "a refused request published an event";
  rv1::ListBeneficiariesResponse after_list;
  ASSERT_TRUE(stub_->ListBeneficiaries(Authorized(kAdmin).get(), count_req, &after_list).ok());
  EXPECT_EQ(after_list.beneficiaries_size(), before_list.beneficiaries_size());
  rv1::GetBeneficiaryRequest g;
  g.set_beneficiary_id(woman.id());
  rv1::GetBeneficiaryResponse now;
  ASSERT_TRUE(stub_->GetBeneficiary(Authorized(kAdmin).get(), g, &now).ok());
  EXPECT_EQ(now.beneficiary().version(), 1);
  EXPECT_EQ(now.beneficiary().monitoring_status(), rv1::MONITORING_STATUS_NOT_LIFTED);
}

}  // namespace
}  // namespace jinguo::testing
