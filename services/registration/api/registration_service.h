// The registration service's gRPC adapter: proto in, authentication and validation, domain decision, one write
// batch (state, indexes, idempotency record, outbox events) committed with sync=true through the commit queue,
// proto out.
//
// Thread-safety: handlers run on gRPC's threads. A mutating call holds, from its first read until its batch is on
// disk, the locks of the keys its decision depends on (the beneficiary, the ID number, the name a duplicate would
// share, the request id), so calls on different people decide concurrently and commit together in one write.
// Calls that touch many entities at once (household moves, merges, import batches) hold every key. Reads
// (Get/List) take no lock.
#pragma once

#include "common/base/clock.h"
#include "common/base/keyed_mutex.h"
#include "common/base/uuid.h"
#include "common/outbox/commit_queue.h"
#include "common/outbox/event_factory.h"
#include "common/regions/region_table.h"
#include "common/rpc/auth.h"
#include "common/rpc/paging.h"
#include "common/rpc/request_log.h"
#include "common/rpc/server.h"
#include "jinguo/registration/v1/registration.grpc.pb.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"
#include "services/registration/store/registry_store.h"

namespace jinguo::registration::api {

namespace v1 = ::jinguo::registration::v1;

struct Dependencies {
  store::RegistryStore* registry;
  outbox::CommitQueue* commits;
  rpc::RequestLog* requests;
  const rpc::Authenticator* auth;
  const rpc::PageTokens* pages;
  const rpc::DrainGate* gate;
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
  grpc::Status ImportBeneficiaries(grpc::ServerContext* ctx,
                                   grpc::ServerReader<v1::ImportBeneficiariesRequest>* reader,
                                   v1::ImportBeneficiariesResponse* resp) override;

 private:
  // What one mutating call writes: state and indexes into `batch`, events into `events`.
  struct Tx {
    rocksdb::WriteBatch batch;
    std::vector<common::v1::OutboxRecord> events;
  };
  using Decide = std::function<absl::Status(const rpc::Principal&, Tx&)>;
  // The keys a decision depends on; may read the store (e.g. to resolve a merged id).
  using LockKeys = std::function<std::vector<std::string>()>;
  enum class Scope { kKeys, kExclusive };

  // The shape of every mutating call: authenticate; check the request id; take the locks; return the recorded
  // answer of a retry, or decide, record the answer and queue state + events as one batch for the commit queue.
  // The call is finished at once for an answer that writes nothing, by the commit thread otherwise.
  grpc::ServerUnaryReactor* Mutate(grpc::CallbackServerContext* ctx, const char* method, const std::string& request_id,
                                   const google::protobuf::Message& request, google::protobuf::Message* response,
                                   Scope scope, const LockKeys& keys, const Decide& decide);

  // The lock key of a beneficiary, after resolving a merged id to the survivor.
  std::string BeneficiaryKey(const std::string& id) const;

  absl::StatusOr<v1::Beneficiary> LoadBeneficiary(const std::string& id, const char* field) const;
  absl::CivilDay Today() const;

  // Registers one beneficiary inside `tx` (used by RegisterBeneficiary and each import row). `pending` holds
  // the ID numbers and duplicate keys already taken by earlier rows of the same batch.
  struct PendingRows;
  absl::Status RegisterInto(const rpc::Principal& who, const v1::BeneficiaryInput& in, const std::string& prefix,
                            const std::string& correlation, Tx& tx, PendingRows* pending,
                            v1::RegisterBeneficiaryResponse* resp);

  Dependencies d_;
  outbox::EventFactory events_;
  // Mutating calls hold the stripes of their keys; calls that touch many entities hold every stripe.
  KeyedMutex key_locks_;
  prometheus::Counter* replays_total_;
  prometheus::Counter* duplicates_flagged_total_;
  prometheus::Family<prometheus::Counter>* import_rows_;
};

}  // namespace jinguo::registration::api
