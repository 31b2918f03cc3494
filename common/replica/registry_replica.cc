#include "common/replica/registry_replica.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/status.h"
#include "common/bus/kafka.h"
#include "common/validate/field_violations.h"
#include "jinguo/registration/v1/events.pb.h"

namespace jinguo::replica {

namespace reg = ::jinguo::registration::v1;

namespace {

// Merges are rare and short: a chain longer than this is a loop in the data, not a history.
constexpr int kMaxMergeHops = 8;

// Household rows share the family with beneficiaries' (whose keys are their ids, never this prefix).
constexpr absl::string_view kHouseholdPrefix = "household/";
std::string HouseholdKey(absl::string_view id) { return absl::StrCat(kHouseholdPrefix, id); }

void TakeFacts(v1::RegistryFacts& r, const reg::BeneficiaryFacts& f) {
  r.set_region_code(f.region_code());
  r.set_sex(f.sex());
  *r.mutable_birth_date() = f.birth_date();
  r.set_category(f.category());
  r.set_student(f.student());
  r.set_school_stage(f.school_stage());
  r.set_monitoring_status(f.monitoring_status());
  r.set_household_id(f.household_id());
  r.set_household_attribute(f.household_attribute());
}

// What a lookup answers when registration did not answer `what` ("household H"): NOT_FOUND naming `field`, or
// UNAVAILABLE saying why.
absl::Status RefusalOf(const grpc::Status& s, const std::string& what, absl::string_view field) {
  switch (s.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return validate::FieldError(absl::StatusCode::kNotFound, field, absl::StrCat("no ", what, " in the registry"));
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::UnavailableError(
          absl::StrCat("the registration service cannot be reached to look up ", what, "; retry shortly"));
    default:
      // A token registration refuses, or a record outside the service's scope: the operator's to fix.
      return absl::UnavailableError(absl::StrCat("the registration service refused to look up ", what, " (",
                                                 s.error_message(), "); check this service's token"));
  }
}

}  // namespace

v1::RegistryFacts FactsOf(const reg::Beneficiary& b) {
  v1::RegistryFacts r;
  r.set_beneficiary_id(b.id());
  r.set_region_code(b.region_code());
  r.set_sex(b.sex());
  *r.mutable_birth_date() = b.birth_date();
  r.set_category(b.category());
  r.set_student(b.student());
  r.set_school_stage(b.school_stage());
  r.set_monitoring_status(b.monitoring_status());
  r.set_household_id(b.household_id());
  r.set_household_attribute(b.household_attribute());
  r.set_version(b.version());
  return r;
}

RegistryReplica::RegistryReplica(store::Store* store, ReplicaOptions options)
    : store_(store), family_(store->Family(kReplicaFamily)), options_(std::move(options)) {
  if (!options_.registration_address.empty()) {
    registration_ =
        reg::RegistrationService::NewStub(grpc::CreateChannel(options_.registration_address, options_.credentials));
  }
  using Envelope = common::v1::EventEnvelope;
  using Tx = projection::ProjectionTx;
  auto facts = [this](const reg::BeneficiaryFacts& f, const Envelope& e, Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(outcome_, Update(tx, e, f.beneficiary_id(), true, [&](v1::RegistryFacts& r) { TakeFacts(r, f); }));
    return absl::OkStatus();
  };
  router_.On<reg::BeneficiaryRegistered>([facts](const reg::BeneficiaryRegistered& m, const Envelope& e, Tx& tx) {
    return facts(m.beneficiary(), e, tx);
  });
  router_.On<reg::BeneficiaryUpdated>(
      [facts](const reg::BeneficiaryUpdated& m, const Envelope& e, Tx& tx) { return facts(m.beneficiary(), e, tx); });
  router_.On<reg::MonitoringStatusChanged>(
      [this](const reg::MonitoringStatusChanged& m, const Envelope& e, Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(outcome_, Update(tx, e, m.beneficiary_id(), true,
                                          [&](v1::RegistryFacts& r) { r.set_monitoring_status(m.status()); }));
        return absl::OkStatus();
      });
  router_.On<reg::BeneficiariesMerged>(
      [this](const reg::BeneficiariesMerged& m, const Envelope& e, Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(
            outcome_, Update(tx, e, m.survivor_id(), true, [&](v1::RegistryFacts& r) { TakeFacts(r, m.survivor()); }));
        if (outcome_ == projection::Applied::kAlreadyProcessed) return absl::OkStatus();
        // The merged row is not the event's aggregate: marking it is the same write every time.
        return Update(tx, e, m.merged_id(), false,
                      [&](v1::RegistryFacts& r) {
                        if (r.region_code().empty()) r.set_region_code(m.merged_region_code());
                        r.set_merged_into(m.survivor_id());
                      })
            .status();
      });
  router_.On<reg::HouseholdRegistered>(
      [this](const reg::HouseholdRegistered& m, const Envelope& e, Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(outcome_, UpdateHousehold(tx, e, m.household_id(), m.region_code(), m.attribute()));
        return absl::OkStatus();
      });
  router_.On<reg::HouseholdUpdated>([this](const reg::HouseholdUpdated& m, const Envelope& e, Tx& tx) -> absl::Status {
    ASSIGN_OR_RETURN(outcome_, UpdateHousehold(tx, e, m.household_id(), m.region_code(), m.attribute()));
    return absl::OkStatus();
  });
  // Cadres, pairings, visits and duplicates change no fact the replica keeps (a household move comes with a
  // BeneficiaryUpdated for each member).
}

absl::StatusOr<projection::Applied> RegistryReplica::UpdateHousehold(projection::ProjectionTx& tx,
                                                                     const common::v1::EventEnvelope& event,
                                                                     const std::string& household_id,
                                                                     const std::string& region_code,
                                                                     reg::HouseholdAttribute attribute) {
  if (household_id.empty()) return absl::InvalidArgumentError(absl::StrCat(event.event_type(), ": no household id"));
  const std::string key = HouseholdKey(household_id);
  ASSIGN_OR_RETURN(auto stored, tx.Get(family_, key));
  v1::HouseholdFacts h;
  if (stored && !h.ParseFromString(*stored)) return absl::DataLossError(absl::StrCat("unreadable replica row ", key));
  if (tx.replaying() ? event.aggregate_version() < h.version() : event.aggregate_version() <= h.version()) {
    return projection::Applied::kAlreadyProcessed;
  }
  h.set_household_id(household_id);
  h.set_region_code(region_code);
  h.set_household_attribute(attribute);
  h.set_version(std::max(h.version(), event.aggregate_version()));
  tx.Put(family_, key, h.SerializeAsString());
  return projection::Applied::kApplied;
}

absl::StatusOr<v1::HouseholdFacts> RegistryReplica::LookupHousehold(absl::string_view household_id,
                                                                    absl::string_view field) const {
  if (household_id.empty()) return validate::FieldError(absl::StatusCode::kInvalidArgument, field, "is required");
  ASSIGN_OR_RETURN(auto stored, store_->Get(family_, HouseholdKey(household_id)));
  if (stored) {
    v1::HouseholdFacts h;
    if (!h.ParseFromString(*stored)) {
      return absl::DataLossError(absl::StrCat("unreadable replica row ", HouseholdKey(household_id)));
    }
    return h;
  }
  return AskForHousehold(household_id, field);
}

absl::StatusOr<v1::HouseholdFacts> RegistryReplica::AskForHousehold(absl::string_view household_id,
                                                                    absl::string_view field) const {
  ASSIGN_OR_RETURN(auto ctx, RegistrationCall(absl::StrCat("household ", household_id)));
  reg::GetHouseholdRequest req;
  req.set_household_id(std::string(household_id));
  reg::GetHouseholdResponse resp;
  grpc::Status s = registration_->GetHousehold(ctx.get(), req, &resp);
  if (s.ok()) {
    v1::HouseholdFacts h;
    h.set_household_id(resp.household().id());
    h.set_region_code(resp.household().region_code());
    h.set_household_attribute(resp.household().attribute());
    h.set_version(resp.household().version());
    return h;
  }
  return RefusalOf(s, absl::StrCat("household ", household_id), field);
}

projection::ProjectionOptions RegistryReplica::Feed(const std::string& service) {
  projection::ProjectionOptions options{absl::StrCat(service, "-registry-replica"), {bus::EventTopic("registration")}};
  return options;
}

absl::StatusOr<projection::Applied> RegistryReplica::Apply(const common::v1::EventEnvelope& event,
                                                           projection::ProjectionTx& tx) {
  outcome_ = projection::Applied::kApplied;
  RETURN_IF_ERROR(router_.Route(event, tx));
  return outcome_;
}

absl::StatusOr<projection::Applied> RegistryReplica::Update(projection::ProjectionTx& tx,
                                                            const common::v1::EventEnvelope& event,
                                                            const std::string& id, bool versioned,
                                                            const std::function<void(v1::RegistryFacts&)>& change) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(event.event_type(), ": no beneficiary id"));
  ASSIGN_OR_RETURN(auto stored, tx.Get(family_, id));
  v1::RegistryFacts r;
  if (stored && !r.ParseFromString(*stored)) return absl::DataLossError(absl::StrCat("unreadable replica row ", id));
  if (versioned && event.aggregate_id() == id) {
    // A replayed dead letter is the event of its version when nothing came after it (projection.h).
    if (tx.replaying() ? event.aggregate_version() < r.version() : event.aggregate_version() <= r.version()) {
      return projection::Applied::kAlreadyProcessed;
    }
    r.set_version(std::max(r.version(), event.aggregate_version()));
  }
  r.set_beneficiary_id(id);
  change(r);
  tx.Put(family_, id, r.SerializeAsString());
  return projection::Applied::kApplied;
}

absl::Status RegistryReplica::ForEach(absl::string_view region_prefix,
                                      const std::function<bool(const v1::RegistryFacts&)>& visit) const {
  auto it = store_->Scan(family_, "");
  v1::RegistryFacts row;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().starts_with(rocksdb::Slice(kHouseholdPrefix.data(), kHouseholdPrefix.size()))) continue;
    if (!row.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("registry replica: unreadable row ", it->key().ToString()));
    }
    if (!absl::StartsWith(row.region_code(), region_prefix)) continue;
    if (!visit(row)) break;
  }
  return store::FromRocks(it->status(), "scan the registry replica");
}

absl::StatusOr<std::optional<v1::RegistryFacts>> RegistryReplica::Stored(absl::string_view beneficiary_id) const {
  ASSIGN_OR_RETURN(auto stored, store_->Get(family_, beneficiary_id));
  if (!stored) return std::optional<v1::RegistryFacts>();
  v1::RegistryFacts r;
  if (!r.ParseFromString(*stored)) {
    return absl::DataLossError(absl::StrCat("unreadable replica row ", beneficiary_id));
  }
  return std::optional<v1::RegistryFacts>(std::move(r));
}

absl::StatusOr<v1::RegistryFacts> RegistryReplica::Lookup(absl::string_view beneficiary_id,
                                                          absl::string_view field) const {
  if (beneficiary_id.empty()) return validate::FieldError(absl::StatusCode::kInvalidArgument, field, "is required");
  std::string id(beneficiary_id);
  for (int hop = 0; hop <= kMaxMergeHops; ++hop) {
    ASSIGN_OR_RETURN(auto row, Stored(id));
    // A row made only by a merge (her registration not applied yet) has no facts of its own: follow it all the
    // same, for the survivor's are hers now.
    if (!row) break;
    if (row->merged_into().empty()) {
      if (row->version() > 0) return *std::move(row);
      break;
    }
    id = row->merged_into();
  }
  return AskRegistration(id, field);
}

absl::StatusOr<std::unique_ptr<grpc::ClientContext>> RegistryReplica::RegistrationCall(const std::string& what) const {
  if (registration_ == nullptr) {
    return absl::UnavailableError(absl::StrCat(what,
                                               " is not in this service's copy of the registry yet, and no "
                                               "registration address is configured to ask; retry shortly"));
  }
  fallbacks_.fetch_add(1);
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", absl::StrCat("Bearer ", options_.token));
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(absl::ToInt64Milliseconds(options_.deadline)));
  return ctx;
}

absl::StatusOr<v1::RegistryFacts> RegistryReplica::AskRegistration(absl::string_view beneficiary_id,
                                                                   absl::string_view field) const {
  ASSIGN_OR_RETURN(auto ctx, RegistrationCall(absl::StrCat("beneficiary ", beneficiary_id)));
  reg::GetBeneficiaryRequest req;
  req.set_beneficiary_id(std::string(beneficiary_id));
  reg::GetBeneficiaryResponse resp;
  grpc::Status s = registration_->GetBeneficiary(ctx.get(), req, &resp);
  if (s.ok()) return FactsOf(resp.beneficiary());
  return RefusalOf(s, absl::StrCat("beneficiary ", beneficiary_id), field);
}

}  // namespace jinguo::replica
