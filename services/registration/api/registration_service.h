// The registration service's gRPC adapter: proto in, authentication and validation, domain decision, one write
// batch (state, indexes, idempotency record, outbox events) committed with sync=true through the kit's write path
// (common/rpc/write_path.h), proto out. One file per aggregate: households.cc, beneficiaries.cc, cadres.cc
// (cadres, pairings, visits), duplicates.cc, import.cc.
//
// Thread-safety: handlers run on gRPC's threads. A mutating call holds, from its first read until its batch is on
// disk, the locks of the keys its decision depends on (the beneficiary, the ID number, the name a duplicate would
// share, the request id), so calls on different people decide concurrently and commit together in one write.
// Calls that touch many entities at once (household moves, merges, import batches) hold every key. Reads
// (Get/List) take no lock.
#pragma once

#include "common/base/clock.h"
#include "common/base/uuid.h"
#include "common/outbox/event_factory.h"
#include "common/regions/region_table.h"
#include "common/rpc/paging.h"
#include "common/rpc/write_path.h"
#include "jinguo/registration/v1/registration.grpc.pb.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"
#include "services/registration/store/registry_store.h"

namespace jinguo::registration::api {

namespace v1 = ::jinguo::registration::v1;

struct Dependencies {
  store::RegistryStore* registry;
  rpc::WritePath* writes;
  const rpc::PageTokens* pages;
  const regions::RegionTable* regions;
  const Clock* clock;
  UuidV7Generator* ids;
  prometheus::Registry* metrics;
};

namespace internal {
// The generated service with every mutating call on gRPC's callback API. Reads and the import stream stay
// synchronous.
using CallbackWrites = v1::RegistrationService::WithCallbackMethod_RegisterHousehold<
    v1::RegistrationService::WithCallbackMethod_UpdateHousehold<
        v1::RegistrationService::WithCallbackMethod_RegisterBeneficiary<
            v1::RegistrationService::WithCallbackMethod_UpdateBeneficiary<
                v1::RegistrationService::WithCallbackMethod_ChangeMonitoringStatus<
                    v1::RegistrationService::WithCallbackMethod_RegisterCadre<
                        v1::RegistrationService::WithCallbackMethod_PairCadre<
                            v1::RegistrationService::WithCallbackMethod_UnpairCadre<
                                v1::RegistrationService::WithCallbackMethod_RecordVisit<
                                    v1::RegistrationService::WithCallbackMethod_ResolveDuplicateCandidate<
                                        v1::RegistrationService::Service>>>>>>>>>>;
}  // namespace internal

// Mutating calls use gRPC's callback API: their thread decides, queues the write and moves on, and the commit
// thread finishes the call once the write is on disk, so no thread is parked per call in flight.
class RegistrationService final : public internal::CallbackWrites {
 public:
  explicit RegistrationService(Dependencies deps);

  grpc::ServerUnaryReactor* RegisterHousehold(grpc::CallbackServerContext* ctx, const v1::RegisterHouseholdRequest* req,
                                              v1::RegisterHouseholdResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateHousehold(grpc::CallbackServerContext* ctx, const v1::UpdateHouseholdRequest* req,
                                            v1::UpdateHouseholdResponse* resp) override;
  grpc::ServerUnaryReactor* RegisterBeneficiary(grpc::CallbackServerContext* ctx,
                                                const v1::RegisterBeneficiaryRequest* req,
                                                v1::RegisterBeneficiaryResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateBeneficiary(grpc::CallbackServerContext* ctx, const v1::UpdateBeneficiaryRequest* req,
                                              v1::UpdateBeneficiaryResponse* resp) override;
  grpc::Status GetHousehold(grpc::ServerContext* ctx, const v1::GetHouseholdRequest* req,
                            v1::GetHouseholdResponse* resp) override;
  grpc::Status GetBeneficiary(grpc::ServerContext* ctx, const v1::GetBeneficiaryRequest* req,
                              v1::GetBeneficiaryResponse* resp) override;
  grpc::Status ListBeneficiaries(grpc::ServerContext* ctx, const v1::ListBeneficiariesRequest* req,
                                 v1::ListBeneficiariesResponse* resp) override;
  grpc::ServerUnaryReactor* ChangeMonitoringStatus(grpc::CallbackServerContext* ctx,
                                                   const v1::ChangeMonitoringStatusRequest* req,
                                                   v1::ChangeMonitoringStatusResponse* resp) override;
  grpc::ServerUnaryReactor* RegisterCadre(grpc::CallbackServerContext* ctx, const v1::RegisterCadreRequest* req,
                                          v1::RegisterCadreResponse* resp) override;
  grpc::ServerUnaryReactor* PairCadre(grpc::CallbackServerContext* ctx, const v1::PairCadreRequest* req,
                                      v1::PairCadreResponse* resp) override;
  grpc::ServerUnaryReactor* UnpairCadre(grpc::CallbackServerContext* ctx, const v1::UnpairCadreRequest* req,
                                        v1::UnpairCadreResponse* resp) override;
  grpc::ServerUnaryReactor* RecordVisit(grpc::CallbackServerContext* ctx, const v1::RecordVisitRequest* req,
                                        v1::RecordVisitResponse* resp) override;
  grpc::Status ListDuplicateCandidates(grpc::ServerContext* ctx, const v1::ListDuplicateCandidatesRequest* req,
                                       v1::ListDuplicateCandidatesResponse* resp) override;
  grpc::ServerUnaryReactor* ResolveDuplicateCandidate(grpc::CallbackServerContext* ctx,
                                                      const v1::ResolveDuplicateCandidateRequest* req,
                                                      v1::ResolveDuplicateCandidateResponse* resp) override;
  grpc::Status ImportBeneficiaries(grpc::ServerContext* ctx, grpc::ServerReader<v1::ImportBeneficiariesRequest>* reader,
                                   v1::ImportBeneficiariesResponse* resp) override;

 private:
  // The lock key of a beneficiary, after resolving a merged id to the survivor.
  std::string BeneficiaryKey(const std::string& id) const;

  absl::StatusOr<v1::Beneficiary> LoadBeneficiary(const std::string& id, const char* field) const;
  absl::CivilDay Today() const;

  // Registers one beneficiary inside `tx` (used by RegisterBeneficiary and each import row). `pending` holds
  // the ID numbers and duplicate keys already taken by earlier rows of the same batch.
  struct PendingRows;
  absl::Status RegisterInto(const rpc::Principal& who, const v1::BeneficiaryInput& in, const std::string& prefix,
                            const std::string& correlation, rpc::Tx& tx, PendingRows* pending,
                            v1::RegisterBeneficiaryResponse* resp);

  Dependencies d_;
  outbox::EventFactory events_;
  prometheus::Counter* duplicates_flagged_total_;
  prometheus::Family<prometheus::Counter>* import_rows_;
};

}  // namespace jinguo::registration::api
