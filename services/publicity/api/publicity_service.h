// The publicity service's gRPC adapter: proto in, caller and role, the household's registry facts from the replica,
// the domain's decision (domain/publicity_rules.h), one write batch (state, indexes, idempotency record, events,
// audit record) through the kit's write path, proto out.
//
// A household's events (HouseholdReached, HomeCleaningRecorded, InspectionRecorded) carry "household/<id>" as their
// aggregate with its version here, and its region in the envelope. A day sheet of reaches commits its good rows in
// one batch; a bad row is rolled back to its save point and named in the answer.
//
// Thread-safety: handlers run on gRPC's threads. A mutating call holds the locks of the households, volunteers or
// venue it changes from its first read until its batch is on disk.
#pragma once

#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/base/uuid.h"
#include "common/outbox/event_factory.h"
#include "common/regions/region_table.h"
#include "common/replica/registry_replica.h"
#include "common/rpc/paging.h"
#include "common/rpc/write_path.h"
#include "jinguo/publicity/v1/publicity.grpc.pb.h"
#include "services/publicity/domain/publicity_rules.h"
#include "services/publicity/store/publicity_store.h"

namespace jinguo::publicity::api {

namespace v1 = ::jinguo::publicity::v1;

struct Dependencies {
  store::PublicityStore* publicity;
  replica::RegistryReplica* registry;
  rpc::WritePath* writes;
  const rpc::PageTokens* pages;
  const regions::RegionTable* regions;
  const Clock* clock;
  UuidV7Generator* ids;
};

namespace internal {
using S = v1::PublicityService;
using CallbackWrites = S::WithCallbackMethod_CreateCampaign<S::WithCallbackMethod_RecordPublicityEvent<
    S::WithCallbackMethod_RecordHouseholdReached<S::WithCallbackMethod_RecordHouseholdsReached<
        S::WithCallbackMethod_RecordHomeCleaning<S::WithCallbackMethod_RecordInspection<
            S::WithCallbackMethod_RegisterVolunteer<S::WithCallbackMethod_RegisterVenue<S::Service>>>>>>>>;
}  // namespace internal

class PublicityService final : public internal::CallbackWrites {
 public:
  explicit PublicityService(Dependencies deps);

  using Reactor = grpc::ServerUnaryReactor;
  using Ctx = grpc::CallbackServerContext;
  Reactor* CreateCampaign(Ctx* ctx, const v1::CreateCampaignRequest* req, v1::CreateCampaignResponse* resp) override;
  grpc::Status ListCampaigns(grpc::ServerContext* ctx, const v1::ListCampaignsRequest* req,
                             v1::ListCampaignsResponse* resp) override;
  Reactor* RecordPublicityEvent(Ctx* ctx, const v1::RecordPublicityEventRequest* req,
                                v1::RecordPublicityEventResponse* resp) override;
  Reactor* RecordHouseholdReached(Ctx* ctx, const v1::RecordHouseholdReachedRequest* req,
                                  v1::RecordHouseholdReachedResponse* resp) override;
  Reactor* RecordHouseholdsReached(Ctx* ctx, const v1::RecordHouseholdsReachedRequest* req,
                                   v1::RecordHouseholdsReachedResponse* resp) override;
  Reactor* RecordHomeCleaning(Ctx* ctx, const v1::RecordHomeCleaningRequest* req,
                              v1::RecordHomeCleaningResponse* resp) override;
  Reactor* RecordInspection(Ctx* ctx, const v1::RecordInspectionRequest* req,
                            v1::RecordInspectionResponse* resp) override;
  grpc::Status GetHouseholdRecord(grpc::ServerContext* ctx, const v1::GetHouseholdRecordRequest* req,
                                  v1::GetHouseholdRecordResponse* resp) override;
  Reactor* RegisterVolunteer(Ctx* ctx, const v1::RegisterVolunteerRequest* req,
                             v1::RegisterVolunteerResponse* resp) override;
  grpc::Status ListVolunteers(grpc::ServerContext* ctx, const v1::ListVolunteersRequest* req,
                              v1::ListVolunteersResponse* resp) override;
  Reactor* RegisterVenue(Ctx* ctx, const v1::RegisterVenueRequest* req, v1::RegisterVenueResponse* resp) override;
  grpc::Status ListVenues(grpc::ServerContext* ctx, const v1::ListVenuesRequest* req,
                          v1::ListVenuesResponse* resp) override;

 private:
  absl::CivilDay Today() const;
  absl::StatusOr<v1::Campaign> LoadCampaign(const std::string& id, absl::string_view field) const;
  // The household named by `field`, its region in the caller's scope (operator role).
  absl::StatusOr<replica::v1::HouseholdFacts> Household(const rpc::Principal& who, const std::string& id,
                                                        absl::string_view field) const;
  // One household reached in `campaign` on `on`, into `tx`: false when it was reached in the campaign before.
  absl::StatusOr<bool> Reach(const rpc::Principal& who, const v1::Campaign& campaign, v1::HouseholdReach reach,
                             absl::CivilDay on, const std::string& prefix, const std::string& request_id, rpc::Tx& tx);
  // The household's event `payload`, its status's version advanced and the status stored, into `tx`.
  void HouseholdEvent(v1::HouseholdStatus& status, const google::protobuf::Message& payload,
                      const std::string& request_id, rpc::Tx& tx);
  // What `who` sees of a volunteer: her mobile masked unless the role sees identifiers.
  static v1::Volunteer Shown(const rpc::Principal& who, v1::Volunteer v);

  Dependencies d_;
  outbox::EventFactory events_;
};

}  // namespace jinguo::publicity::api
