// A domain service's copy of the registry facts it needs (common/replica): every beneficiary's id, region, sex,
// birth date, category, student and school stage, monitoring status, household and its attribute, and whom she
// was merged into; every household's region and attribute (rows keyed "household/" + id in the same family). Fed from
// jinguo.registration.events.v1 through the projection runtime into the service's own column family, so the service's
// rules read them locally, in the same store as its own state.
//
// A beneficiary the replica has not seen yet (registered a moment ago; the replica is behind) is asked of
// registration's GetBeneficiary over gRPC with the service's own token, once per lookup, so a clerk who has just
// registered a woman can act on her at once. What registration answers is returned, not stored: the replica is
// written by its projection only, in topic order.
//
// A merged id resolves to the survivor, in the replica and in registration alike.
//
// Thread-safety: Lookup may be called from any thread; Apply runs on the projection's thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/projection/event_router.h"
#include "common/projection/projection.h"
#include "common/store/store.h"
#include "grpcpp/grpcpp.h"
#include "jinguo/registration/v1/registration.grpc.pb.h"
#include "jinguo/replica/v1/replica.pb.h"

namespace jinguo::replica {

inline constexpr char kReplicaFamily[] = "registry_replica";

struct ReplicaOptions {
  // registration's gRPC address ("host:port"); "" = no fallback (an unseen beneficiary is UNAVAILABLE).
  std::string registration_address;
  // The service's own bearer token (role `service`), sent with every fallback call.
  std::string token;
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  absl::Duration deadline = absl::Seconds(5);
};

// The facts of a registry record, as the replica keeps them (`version` is the record's).
v1::RegistryFacts FactsOf(const registration::v1::Beneficiary& b);

class RegistryReplica final : public projection::ProjectionHandler {
 public:
  // `store` must have been opened with kReplicaFamily (and the projection families).
  RegistryReplica(store::Store* store, ReplicaOptions options);

  // The projection that feeds the replica: registration's topic, in a consumer group named for `service`.
  static projection::ProjectionOptions Feed(const std::string& service);

  // The facts of `beneficiary_id`, a merged id resolved to its survivor: from the replica, else from registration
  // (asked once). NOT_FOUND naming `field` when registration knows no such beneficiary; UNAVAILABLE saying so when
  // registration cannot be reached; never a guess.
  absl::StatusOr<v1::RegistryFacts> Lookup(absl::string_view beneficiary_id,
                                           absl::string_view field = "beneficiary_id") const;
  // Only what the replica holds for `beneficiary_id` itself (merged ids not resolved).
  absl::StatusOr<std::optional<v1::RegistryFacts>> Stored(absl::string_view beneficiary_id) const;

  // Calls `visit` with every row the replica holds (merged records too, with merged_into set) whose region starts
  // with `region_prefix`, in id order, until it returns false. Reads the whole family: for bulk work (a region's
  // enrolment), not per call.
  absl::Status ForEach(absl::string_view region_prefix,
                       const std::function<bool(const v1::RegistryFacts&)>& visit) const;

  // The facts of household `household_id`: from the replica, else from registration's GetHousehold (asked once).
  // NOT_FOUND naming `field` when registration knows no such household; UNAVAILABLE as Lookup.
  absl::StatusOr<v1::HouseholdFacts> LookupHousehold(absl::string_view household_id,
                                                     absl::string_view field = "household_id") const;

  // Lookups answered by registration because the replica had not seen the beneficiary or household.
  int64_t fallbacks() const { return fallbacks_.load(); }

  // ProjectionHandler. Every row keeps its aggregate's version; events the replica does not read are no-ops.
  absl::StatusOr<projection::Applied> Apply(const common::v1::EventEnvelope& event,
                                            projection::ProjectionTx& tx) override;
  bool KeepsVersion(const common::v1::EventEnvelope& event) const override { return true; }

 private:
  // The context of one fallback call (counted), or UNAVAILABLE naming `what` when no address is configured.
  absl::StatusOr<std::unique_ptr<grpc::ClientContext>> RegistrationCall(const std::string& what) const;
  absl::StatusOr<v1::RegistryFacts> AskRegistration(absl::string_view beneficiary_id, absl::string_view field) const;
  absl::StatusOr<v1::HouseholdFacts> AskForHousehold(absl::string_view household_id, absl::string_view field) const;
  // Writes the household's row from `event` unless its version was applied already.
  absl::StatusOr<projection::Applied> UpdateHousehold(projection::ProjectionTx& tx,
                                                      const common::v1::EventEnvelope& event,
                                                      const std::string& household_id, const std::string& region_code,
                                                      registration::v1::HouseholdAttribute attribute);
  // Loads her row in `tx` (a new one when none), lets `change` edit it and writes it, unless `event`'s version of
  // her aggregate was applied already.
  absl::StatusOr<projection::Applied> Update(projection::ProjectionTx& tx, const common::v1::EventEnvelope& event,
                                             const std::string& id, bool versioned,
                                             const std::function<void(v1::RegistryFacts&)>& change);

  store::Store* store_;
  rocksdb::ColumnFamilyHandle* family_;
  ReplicaOptions options_;
  std::unique_ptr<registration::v1::RegistrationService::Stub> registration_;
  projection::EventRouter router_;
  // Set by the routed handler for the event being applied.
  projection::Applied outcome_ = projection::Applied::kApplied;
  mutable std::atomic<int64_t> fallbacks_{0};
};

}  // namespace jinguo::replica
