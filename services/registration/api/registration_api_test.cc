// The registration API in-process: every RPC over gRPC against a store in a temporary directory, no broker. What a
// client is answered, what is stored and which events are committed to the outbox.
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/audit/audit_chain.h"
#include "common/service/test_service.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jinguo/audit/v1/audit.grpc.pb.h"
#include "services/registration/api/registration_service.h"
#include "services/registration/store/registry_store.h"
#include "tests/integration/registration_client.h"

namespace jinguo::registration::api {
namespace {

using ::jinguo::testing::BeneficiaryRequest;
using ::jinguo::testing::CadreRequest;
using ::jinguo::testing::HouseholdRequest;
using ::jinguo::testing::NewRequestId;
using ::jinguo::testing::PairRequest;
using ::jinguo::testing::TestIdNumber;
using ::jinguo::testing::ViolatedFields;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr char kOperator[] = "operator-token";  // 唐山市 1302
constexpr char kViewer[] = "viewer-token";
constexpr char kAuditor[] = "auditor-token";
constexpr char kAdmin[] = "admin-token";
constexpr char kVillage[] = "130207104201";
constexpr char kOtherVillage[] = "130208100201";

service::TestServiceOptions Options() {
  return {"registration",
          store::RegistryStore::Families(),
          store::RegistryStore::ScannedByFirstPart(),
          {{kOperator, {"tangshan", rpc::Role::kOperator, "1302"}},
           {kViewer, {"viewer", rpc::Role::kViewer, ""}},
           {kAuditor, {"auditor", rpc::Role::kAuditor, ""}},
           {kAdmin, {"admin", rpc::Role::kAdmin, ""}}}};
}

common::v1::CivilDate Date(int y, int m, int d) {
  common::v1::CivilDate out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

class RegistrationApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_unique<store::RegistryStore>(&svc_.store(), &cipher_);
    api_ = std::make_unique<RegistrationService>(Dependencies{
        registry_.get(), &svc_.writes(), &svc_.pages(), &svc_.regions(), &svc_.clock(), &svc_.ids(), &svc_.metrics()});
    ASSERT_TRUE(svc_.Serve(api_.get()));
    stub_ = v1::RegistrationService::NewStub(svc_.channel());
    audit_ = audit::v1::AuditService::NewStub(svc_.channel());
  }

  // The audit trail as an auditor lists it, filtered by `method` when given.
  std::vector<audit::v1::AuditRecord> Audit(const std::string& method = "") {
    audit::v1::ListAuditRecordsRequest req;
    req.set_method(method);
    audit::v1::ListAuditRecordsResponse resp;
    grpc::Status s = audit_->ListAuditRecords(As(kAuditor).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.records().begin(), resp.records().end()};
  }

  v1::Household NewHousehold(const std::string& region = kVillage) {
    v1::RegisterHouseholdResponse resp;
    grpc::Status s = stub_->RegisterHousehold(As(kOperator).get(), HouseholdRequest(region), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.household();
  }
  v1::RegisterBeneficiaryResponse Register(const std::string& household_id, const std::string& name = "李秀英",
                                           absl::CivilDay birth = absl::CivilDay(1980, 5, 1)) {
    v1::RegisterBeneficiaryResponse resp;
    grpc::Status s = stub_->RegisterBeneficiary(
        As(kOperator).get(), BeneficiaryRequest(household_id, TestIdNumber(birth, ++serial_), name), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  std::vector<std::string> EventTypes() {
    std::vector<std::string> out;
    for (const auto& e : svc_.Events()) out.push_back(e.event_type());
    return out;
  }
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token) { return service::TestService::As(token); }

  service::TestService svc_{Options()};
  crypto::FieldCipher cipher_ =
      *crypto::FieldCipher::FromKeys({{"k1", std::string(crypto::FieldCipher::kKeyBytes, '\x11')}},
                                     std::string(crypto::FieldCipher::kKeyBytes, '\x22'));
  std::unique_ptr<store::RegistryStore> registry_;
  std::unique_ptr<RegistrationService> api_;
  std::unique_ptr<v1::RegistrationService::Stub> stub_;
  std::unique_ptr<audit::v1::AuditService::Stub> audit_;
  int serial_ = 0;
};

TEST_F(RegistrationApiTest, HouseholdsAreRegisteredAndMovedWithTheirMembers) {
  v1::Household h = NewHousehold();
  EXPECT_EQ(h.version(), 1);
  std::string woman = Register(h.id()).beneficiary().id();

  v1::UpdateHouseholdRequest move;
  move.set_request_id(NewRequestId());
  move.set_household_id(h.id());
  move.set_region_code(kOtherVillage);
  move.set_attribute(h.attribute());
  move.set_head_name(h.head_name());
  move.set_expected_version(1);
  v1::UpdateHouseholdResponse moved;
  ASSERT_TRUE(stub_->UpdateHousehold(As(kOperator).get(), move, &moved).ok());
  EXPECT_EQ(moved.household().version(), 2);
  auto member = registry_->GetBeneficiary(woman);
  ASSERT_TRUE(member.ok() && member->has_value());
  EXPECT_EQ((*member)->region_code(), kOtherVillage);
  EXPECT_THAT(EventTypes(),
              ElementsAre("HouseholdRegistered", "BeneficiaryRegistered", "HouseholdUpdated", "BeneficiaryUpdated"));

  // The same version again: someone else's change is not overwritten.
  move.set_request_id(NewRequestId());
  grpc::Status stale = stub_->UpdateHousehold(As(kOperator).get(), move, &moved);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED) << stale.error_message();
  // A region outside the table names the field and writes nothing.
  v1::RegisterHouseholdResponse resp;
  grpc::Status bad = stub_->RegisterHousehold(As(kOperator).get(), HouseholdRequest("130299999999"), &resp);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(bad), ElementsAre("region_code"));
  EXPECT_EQ(svc_.KeyCount("households"), 1);
}

TEST_F(RegistrationApiTest, BeneficiariesAreRegisteredReadMaskedAndUpdated) {
  v1::Household h = NewHousehold();
  v1::Beneficiary b = Register(h.id()).beneficiary();

  v1::GetBeneficiaryRequest get;
  get.set_beneficiary_id(b.id());
  v1::GetBeneficiaryResponse seen;
  ASSERT_TRUE(stub_->GetBeneficiary(As(kViewer).get(), get, &seen).ok());
  EXPECT_NE(seen.beneficiary().id_number(), b.id_number());
  EXPECT_NE(seen.beneficiary().id_number().find('*'), std::string::npos);
  get.set_beneficiary_id("no-such-id");
  EXPECT_EQ(stub_->GetBeneficiary(As(kViewer).get(), get, &seen).error_code(), grpc::StatusCode::NOT_FOUND);

  // Her ID number again: refused, naming the field.
  v1::RegisterBeneficiaryRequest again = BeneficiaryRequest(h.id(), b.id_number(), "王桂英");
  v1::RegisterBeneficiaryResponse resp;
  grpc::Status dup = stub_->RegisterBeneficiary(As(kOperator).get(), again, &resp);
  EXPECT_EQ(dup.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(ViolatedFields(dup), ElementsAre("beneficiary.id_number"));

  v1::UpdateBeneficiaryRequest update;
  update.set_request_id(NewRequestId());
  update.set_beneficiary_id(b.id());
  *update.mutable_beneficiary() = BeneficiaryRequest(h.id(), b.id_number(), "李秀英").beneficiary();
  update.mutable_beneficiary()->set_name("李秀兰");
  v1::UpdateBeneficiaryResponse updated;
  grpc::Status unversioned = stub_->UpdateBeneficiary(As(kOperator).get(), update, &updated);
  EXPECT_THAT(ViolatedFields(unversioned), ElementsAre("expected_version"));
  update.set_expected_version(1);
  ASSERT_TRUE(stub_->UpdateBeneficiary(As(kOperator).get(), update, &updated).ok());
  EXPECT_EQ(updated.beneficiary().name(), "李秀兰");
  EXPECT_EQ(updated.beneficiary().version(), 2);
  EXPECT_EQ(svc_.KeyCount("beneficiaries"), 1);
}

TEST_F(RegistrationApiTest, ListingsPageWithinTheCallersScope) {
  v1::Household h = NewHousehold();
  for (int i = 0; i < 5; ++i) Register(h.id(), "张丽", absl::CivilDay(1970 + i, 1, 1));
  v1::ListBeneficiariesRequest list;
  list.mutable_page()->set_page_size(2);
  std::vector<std::string> ids;
  for (int pages = 0; pages < 10; ++pages) {
    v1::ListBeneficiariesResponse page;
    ASSERT_TRUE(stub_->ListBeneficiaries(As(kOperator).get(), list, &page).ok());
    for (const auto& b : page.beneficiaries()) ids.push_back(b.id());
    if (page.next_page_token().empty()) break;
    list.mutable_page()->set_page_token(page.next_page_token());
  }
  EXPECT_EQ(ids.size(), 5u);
  list.mutable_page()->set_page_size(-1);
  v1::ListBeneficiariesResponse page;
  EXPECT_THAT(ViolatedFields(stub_->ListBeneficiaries(As(kOperator).get(), list, &page)),
              UnorderedElementsAre("page.page_size"));
  v1::ListBeneficiariesRequest outside;
  outside.set_region_prefix("1301");
  EXPECT_EQ(stub_->ListBeneficiaries(As(kOperator).get(), outside, &page).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(RegistrationApiTest, MonitoringStatusChangesNeedAReasonAndADate) {
  v1::Beneficiary b = Register(NewHousehold().id()).beneficiary();
  v1::ChangeMonitoringStatusRequest change;
  change.set_request_id(NewRequestId());
  change.set_beneficiary_id(b.id());
  change.set_status(v1::MONITORING_STATUS_LIFTED);
  change.set_expected_version(1);
  v1::ChangeMonitoringStatusResponse resp;
  EXPECT_THAT(ViolatedFields(stub_->ChangeMonitoringStatus(As(kOperator).get(), change, &resp)),
              UnorderedElementsAre("reason", "effective_on"));
  change.set_reason("收入稳定");
  *change.mutable_effective_on() = Date(2026, 5, 20);
  grpc::Status s = stub_->ChangeMonitoringStatus(As(kOperator).get(), change, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.beneficiary().monitoring_status(), v1::MONITORING_STATUS_LIFTED);
  EXPECT_EQ(EventTypes().back(), "MonitoringStatusChanged");
}

TEST_F(RegistrationApiTest, CadresPairVisitAndUnpair) {
  v1::Beneficiary b = Register(NewHousehold().id()).beneficiary();
  v1::RegisterCadreResponse cadre;
  v1::RegisterCadreRequest nameless = CadreRequest(" ", "");
  nameless.set_mobile("12345");
  EXPECT_THAT(ViolatedFields(stub_->RegisterCadre(As(kOperator).get(), nameless, &cadre)),
              UnorderedElementsAre("name", "mobile", "region_code"));
  ASSERT_TRUE(stub_->RegisterCadre(As(kOperator).get(), CadreRequest("王干部", "130207104"), &cadre).ok());
  v1::RecordVisitRequest visit;
  visit.set_request_id(NewRequestId());
  visit.set_beneficiary_id(b.id());
  visit.set_cadre_id(cadre.cadre().id());
  *visit.mutable_visited_on() = Date(2026, 5, 30);
  v1::RecordVisitResponse visited;
  EXPECT_EQ(stub_->RecordVisit(As(kOperator).get(), visit, &visited).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);  // not paired yet
  v1::PairCadreResponse paired;
  ASSERT_TRUE(stub_->PairCadre(As(kOperator).get(), PairRequest(cadre.cadre().id(), b.id()), &paired).ok());
  EXPECT_EQ(stub_->PairCadre(As(kOperator).get(), PairRequest(cadre.cadre().id(), b.id()), &paired).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  visit.set_request_id(NewRequestId());
  ASSERT_TRUE(stub_->RecordVisit(As(kOperator).get(), visit, &visited).ok());
  v1::UnpairCadreRequest unpair;
  unpair.set_request_id(NewRequestId());
  unpair.set_beneficiary_id(b.id());
  unpair.set_cadre_id(cadre.cadre().id());
  v1::UnpairCadreResponse unpaired;
  EXPECT_THAT(ViolatedFields(stub_->UnpairCadre(As(kOperator).get(), unpair, &unpaired)), ElementsAre("reason"));
  unpair.set_reason("调岗");
  ASSERT_TRUE(stub_->UnpairCadre(As(kOperator).get(), unpair, &unpaired).ok());
  EXPECT_TRUE(unpaired.beneficiary().cadre_ids().empty());
  EXPECT_THAT(EventTypes(), ElementsAre("HouseholdRegistered", "BeneficiaryRegistered", "CadreRegistered",
                                        "CadrePaired", "VisitRecorded", "CadreUnpaired"));
}

TEST_F(RegistrationApiTest, DuplicatesAreFlaggedListedAndDismissed) {
  v1::Household h = NewHousehold();
  Register(h.id(), "赵红", absl::CivilDay(1985, 3, 3));
  v1::RegisterBeneficiaryResponse second = Register(h.id(), "赵红", absl::CivilDay(1985, 3, 3));
  ASSERT_FALSE(second.duplicate_candidate_id().empty());
  v1::ListDuplicateCandidatesRequest list;
  v1::ListDuplicateCandidatesResponse candidates;
  ASSERT_TRUE(stub_->ListDuplicateCandidates(As(kOperator).get(), list, &candidates).ok());
  ASSERT_EQ(candidates.candidates_size(), 1);
  v1::ListDuplicateCandidatesRequest forged = list;
  forged.mutable_page()->set_page_token("not-a-token");
  EXPECT_THAT(ViolatedFields(stub_->ListDuplicateCandidates(As(kOperator).get(), forged, &candidates)),
              ElementsAre("page.page_token"));
  v1::ResolveDuplicateCandidateRequest resolve;
  resolve.set_request_id(NewRequestId());
  resolve.set_candidate_id(second.duplicate_candidate_id());
  v1::ResolveDuplicateCandidateResponse resolved;
  EXPECT_THAT(ViolatedFields(stub_->ResolveDuplicateCandidate(As(kOperator).get(), resolve, &resolved)),
              ElementsAre("resolution"));
  resolve.set_resolution(v1::DUPLICATE_STATE_DISMISSED);
  ASSERT_TRUE(stub_->ResolveDuplicateCandidate(As(kOperator).get(), resolve, &resolved).ok());
  EXPECT_EQ(resolved.candidate().state(), v1::DUPLICATE_STATE_DISMISSED);
  EXPECT_EQ(EventTypes().back(), "DuplicateCandidateResolved");
}

TEST_F(RegistrationApiTest, WritesNeedAnOperatorAndAToken) {
  v1::RegisterHouseholdResponse resp;
  // An auditor reads audit records only: no business call, not even a read.
  EXPECT_EQ(stub_->RegisterHousehold(As(kAuditor).get(), HouseholdRequest(kVillage), &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListBeneficiariesResponse listed;
  EXPECT_EQ(stub_->ListBeneficiaries(As(kAuditor).get(), v1::ListBeneficiariesRequest(), &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->RegisterHousehold(As("").get(), HouseholdRequest(kVillage), &resp).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub_->RegisterHousehold(As(kViewer).get(), HouseholdRequest(kVillage), &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(svc_.Events().empty());
}

// One chunk of an import mixes accepted rows with rows refused at each check; what is stored and published is
// exactly the accepted rows, and a refused row takes nothing a later row needs (its ID number, its duplicate key).
TEST_F(RegistrationApiTest, RejectedImportRowsLeaveNothingBehind) {
  v1::Household h = NewHousehold();
  std::string existing_number = Register(h.id(), "孙燕", absl::CivilDay(1975, 7, 7)).beneficiary().id_number();
  size_t events_before = svc_.Events().size();

  auto row = [&](const std::string& id_number, const std::string& name, const std::string& household_id) {
    v1::ImportBeneficiariesRequest r;
    r.set_request_id(NewRequestId());
    *r.mutable_beneficiary() = BeneficiaryRequest(household_id, id_number, name).beneficiary();
    return r;
  };
  std::string a = TestIdNumber(absl::CivilDay(1981, 1, 1), 901);
  std::string b = TestIdNumber(absl::CivilDay(1982, 2, 2), 902);
  std::vector<v1::ImportBeneficiariesRequest> rows = {
      row(a, "周梅", h.id()),                                              // 1 accepted
      row(existing_number, "吴婷", h.id()),                                // 2 refused: registered before
      row(a, "郭欣", h.id()),                                              // 3 refused: row 1's number
      row(b, "", h.id()),                                                  // 4 refused: no name
      row(b, "马悦", "no-such-household"),                                 // 5 refused: no household
      row(b, "马悦", h.id()),                                              // 6 accepted: rows 4 and 5 took nothing
      row(TestIdNumber(absl::CivilDay(1981, 1, 1), 903), "周梅", h.id()),  // 7 accepted, flagged against row 1
  };
  rows.push_back(rows[0]);  // 8: row 1 again, same request id: repeated
  v1::ImportBeneficiariesRequest reused = rows[5];
  reused.mutable_beneficiary()->set_name("马悦悦");  // 9 refused: row 6's request id with other content
  rows.push_back(reused);

  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kOperator));
  v1::ImportBeneficiariesResponse summary;
  auto writer = stub_->ImportBeneficiaries(&ctx, &summary);
  for (auto& r : rows) ASSERT_TRUE(writer->Write(r));
  writer->WritesDone();
  grpc::Status s = writer->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();

  EXPECT_EQ(summary.rows(), 9);
  EXPECT_EQ(summary.accepted(), 3);
  EXPECT_EQ(summary.repeated_rows(), 1);
  EXPECT_EQ(summary.duplicates_flagged(), 1);
  std::vector<std::pair<int64_t, std::string>> rejected;
  for (const auto& r : summary.rejected()) rejected.emplace_back(r.row_number(), r.field());
  EXPECT_THAT(rejected, ElementsAre(std::pair<int64_t, std::string>{2, "beneficiary.id_number"},
                                    std::pair<int64_t, std::string>{3, "beneficiary.id_number"},
                                    std::pair<int64_t, std::string>{4, "beneficiary.name"},
                                    std::pair<int64_t, std::string>{5, "beneficiary.household_id"},
                                    std::pair<int64_t, std::string>{9, "request_id"}));

  // Stored: the one registered before and the three accepted, each with her ID number, nothing of the others.
  EXPECT_EQ(svc_.KeyCount("beneficiaries"), 4);
  EXPECT_EQ(svc_.KeyCount("id_numbers"), 4);
  EXPECT_EQ(svc_.KeyCount("duplicates"), 1);
  std::vector<std::string> published;
  auto events = svc_.Events();
  for (size_t i = events_before; i < events.size(); ++i) published.push_back(events[i].event_type());
  EXPECT_THAT(published, ElementsAre("BeneficiaryRegistered", "BeneficiaryRegistered", "BeneficiaryRegistered",
                                     "DuplicateCandidateFlagged"));
  // The chunk's audit record names what it registered: the three women and the duplicate candidate.
  std::vector<audit::v1::AuditRecord> imports = Audit("ImportBeneficiaries");
  ASSERT_EQ(imports.size(), 1u);
  EXPECT_EQ(imports[0].target_ids_size(), 4);
  EXPECT_EQ(imports[0].principal(), "tangshan");
}

// Every write leaves an audit record, refused ones too; unmasked reads are recorded; auditors alone list them.
TEST_F(RegistrationApiTest, WritesRefusalsAndUnmaskedReadsAreAudited) {
  v1::Household h = NewHousehold();
  v1::RegisterHouseholdResponse resp;
  ASSERT_FALSE(stub_->RegisterHousehold(As(kOperator).get(), HouseholdRequest("130299999999"), &resp).ok());
  ASSERT_FALSE(stub_->RegisterHousehold(As("").get(), HouseholdRequest(kVillage), &resp).ok());
  std::vector<audit::v1::AuditRecord> writes = Audit("RegisterHousehold");
  ASSERT_EQ(writes.size(), 3u);
  EXPECT_EQ(writes[0].principal(), "tangshan");
  EXPECT_EQ(writes[0].role(), "operator");
  EXPECT_EQ(writes[0].outcome(), 0);
  EXPECT_EQ(writes[0].region_code(), kVillage);
  EXPECT_EQ(writes[0].target_ids(0), h.id());
  EXPECT_FALSE(writes[0].client_address().empty());
  EXPECT_FALSE(writes[0].request_id().empty());
  EXPECT_EQ(writes[1].outcome(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(writes[2].outcome(), static_cast<int>(grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(writes[2].principal(), "");

  v1::Beneficiary b = Register(h.id()).beneficiary();
  v1::GetBeneficiaryRequest get;
  get.set_beneficiary_id(b.id());
  v1::GetBeneficiaryResponse seen;
  ASSERT_TRUE(stub_->GetBeneficiary(As(kViewer).get(), get, &seen).ok());    // masked: not a sensitive read
  ASSERT_TRUE(stub_->GetBeneficiary(As(kOperator).get(), get, &seen).ok());  // unmasked
  // A read's record is written without holding up the answer: wait for it.
  for (int i = 0; i < 200 && Audit("GetBeneficiary").empty(); ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_EQ(Audit("GetBeneficiary").size(), 1u);
  audit::v1::AuditRecord read = Audit("GetBeneficiary")[0];
  EXPECT_EQ(read.kind(), audit::v1::AUDIT_KIND_READ);
  EXPECT_EQ(read.principal(), "tangshan");
  EXPECT_EQ(read.target_ids(0), b.id());
  // The trail holds no identifier in clear.
  for (const auto& r : Audit()) EXPECT_EQ(r.DebugString().find(b.id_number()), std::string::npos);

  audit::v1::ListAuditRecordsResponse denied;
  EXPECT_EQ(audit_->ListAuditRecords(As(kAdmin).get(), {}, &denied).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(audit_->ListAuditRecords(As(kOperator).get(), {}, &denied).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  audit::v1::ListAuditRecordsRequest by_target;
  by_target.set_target_id(b.id());
  audit::v1::ListAuditRecordsResponse about_her;
  ASSERT_TRUE(audit_->ListAuditRecords(As(kAuditor).get(), by_target, &about_her).ok());
  EXPECT_EQ(about_her.records_size(), 2);  // her registration and the unmasked read
}

// One stored record edited by hand: verification names it.
TEST_F(RegistrationApiTest, AnEditedAuditRecordIsCaught) {
  v1::Household h = NewHousehold();
  for (int i = 0; i < 4; ++i) Register(h.id(), "张丽", absl::CivilDay(1970 + i, 1, 1));
  int64_t checked = 0;
  ASSERT_TRUE(audit::AuditChain::Verify(svc_.store(), &checked).ok());
  EXPECT_EQ(checked, 5);
  rocksdb::ColumnFamilyHandle* family = svc_.store().Family(audit::kAuditFamily);
  std::string key(8, '\0');
  key[7] = 3;
  auto stored = svc_.store().Get(family, key);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  audit::v1::AuditRecord r;
  ASSERT_TRUE(r.ParseFromString(**stored));
  r.set_principal("nobody");
  rocksdb::WriteBatch edit;
  edit.Put(family, key, r.SerializeAsString());
  ASSERT_TRUE(svc_.store().Write(&edit).ok());
  absl::Status broken = audit::AuditChain::Verify(svc_.store());
  EXPECT_EQ(broken.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(broken.message(), "audit record 3 was changed after it was written");
}

}  // namespace
}  // namespace jinguo::registration::api
