// The health service's gRPC adapter: proto in, caller and role, the woman's registry facts from the replica,
// the domain's decision (domain/screening_rules.h), one write batch (state, indexes, idempotency record, events,
// audit record) through the kit's write path, proto out. Results are read and recorded by the health role and
// admins in their region only (every such read audited); operators see that a screening happened, without its
// result; viewers see counts in reporting only.
//
// The daily sweep marks stages overdue in chunks, each committed with its events and an audit record; the service
// runs it by itself when the business date (China time, from the injected clock) passes the last date swept.
//
// Thread-safety: handlers run on gRPC's threads. A mutating call holds the lock of the woman (a screening) or the
// case (a follow-up) from its first read until its batch is on disk; the sweep holds every lock per chunk.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/base/clock.h"
#include "common/base/uuid.h"
#include "common/outbox/event_factory.h"
#include "common/regions/region_table.h"
#include "common/replica/registry_replica.h"
#include "common/rpc/paging.h"
#include "common/rpc/write_path.h"
#include "jinguo/health/v1/health.grpc.pb.h"
#include "services/health/domain/screening_rules.h"
#include "services/health/store/health_store.h"

namespace jinguo::health::api {

namespace v1 = ::jinguo::health::v1;

struct Dependencies {
  store::HealthStore* health;
  replica::RegistryReplica* registry;
  rpc::WritePath* writes;
  const rpc::PageTokens* pages;
  const regions::RegionTable* regions;
  const Clock* clock;
  UuidV7Generator* ids;
  domain::Settings settings;
};

namespace internal {
using CallbackWrites = v1::HealthService::WithCallbackMethod_RecordScreening<
    v1::HealthService::WithCallbackMethod_RecordFollowUp<v1::HealthService::WithCallbackMethod_CreateInsurancePolicy<
        v1::HealthService::WithCallbackMethod_EnrollInsurance<
            v1::HealthService::WithCallbackMethod_RecordClaim<v1::HealthService::WithCallbackMethod_ApplyRelief<
                v1::HealthService::WithCallbackMethod_ApproveRelief<v1::HealthService::WithCallbackMethod_RejectRelief<
                    v1::HealthService::WithCallbackMethod_RecordReliefPaid<v1::HealthService::Service>>>>>>>>>;
}  // namespace internal

class HealthService final : public internal::CallbackWrites {
 public:
  explicit HealthService(Dependencies deps);
  ~HealthService() override;

  grpc::ServerUnaryReactor* RecordScreening(grpc::CallbackServerContext* ctx, const v1::RecordScreeningRequest* req,
                                            v1::RecordScreeningResponse* resp) override;
  grpc::Status ListScreenings(grpc::ServerContext* ctx, const v1::ListScreeningsRequest* req,
                              v1::ListScreeningsResponse* resp) override;
  grpc::ServerUnaryReactor* RecordFollowUp(grpc::CallbackServerContext* ctx, const v1::RecordFollowUpRequest* req,
                                           v1::RecordFollowUpResponse* resp) override;
  grpc::Status GetFollowUp(grpc::ServerContext* ctx, const v1::GetFollowUpRequest* req,
                           v1::GetFollowUpResponse* resp) override;
  grpc::Status ListFollowUps(grpc::ServerContext* ctx, const v1::ListFollowUpsRequest* req,
                             v1::ListFollowUpsResponse* resp) override;
  grpc::Status RunDailySweep(grpc::ServerContext* ctx, const v1::RunDailySweepRequest* req,
                             v1::RunDailySweepResponse* resp) override;

  grpc::ServerUnaryReactor* CreateInsurancePolicy(grpc::CallbackServerContext* ctx,
                                                  const v1::CreateInsurancePolicyRequest* req,
                                                  v1::CreateInsurancePolicyResponse* resp) override;
  grpc::ServerUnaryReactor* EnrollInsurance(grpc::CallbackServerContext* ctx, const v1::EnrollInsuranceRequest* req,
                                            v1::EnrollInsuranceResponse* resp) override;
  grpc::Status EnrollEligible(grpc::ServerContext* ctx, const v1::EnrollEligibleRequest* req,
                              v1::EnrollEligibleResponse* resp) override;
  grpc::ServerUnaryReactor* RecordClaim(grpc::CallbackServerContext* ctx, const v1::RecordClaimRequest* req,
                                        v1::RecordClaimResponse* resp) override;

  grpc::ServerUnaryReactor* ApplyRelief(grpc::CallbackServerContext* ctx, const v1::ApplyReliefRequest* req,
                                        v1::ApplyReliefResponse* resp) override;
  grpc::ServerUnaryReactor* ApproveRelief(grpc::CallbackServerContext* ctx, const v1::ApproveReliefRequest* req,
                                          v1::ApproveReliefResponse* resp) override;
  grpc::ServerUnaryReactor* RejectRelief(grpc::CallbackServerContext* ctx, const v1::RejectReliefRequest* req,
                                         v1::RejectReliefResponse* resp) override;
  grpc::ServerUnaryReactor* RecordReliefPaid(grpc::CallbackServerContext* ctx, const v1::RecordReliefPaidRequest* req,
                                             v1::RecordReliefPaidResponse* resp) override;
  grpc::Status ListReliefs(grpc::ServerContext* ctx, const v1::ListReliefsRequest* req,
                           v1::ListReliefsResponse* resp) override;

  // Marks every scheduled stage due before `business_date` overdue, in chunks; `principal` names who asked in the
  // audit records. Returns how many were marked. Idempotent for a date; a later date catches up.
  absl::StatusOr<int64_t> Sweep(absl::CivilDay business_date, const std::string& principal,
                                const std::string& client_address);

  // Runs Sweep by itself once a day: whenever the business date has passed the last date swept (checked every
  // `period`). Stopped by the destructor.
  void StartDailySweeps(absl::Duration period);

 private:
  absl::CivilDay Today() const;
  // Her registry facts (a merged id resolved to the survivor); INVALID_ARGUMENT on beneficiary_id when empty.
  absl::StatusOr<replica::v1::RegistryFacts> Person(const std::string& beneficiary_id) const;
  // The policy named by a request's policy_id: INVALID_ARGUMENT when empty, NOT_FOUND naming it when unknown.
  absl::StatusOr<v1::InsurancePolicy> LoadPolicy(const std::string& policy_id) const;
  // The lock key of a woman: her survivor's id when she was merged.
  std::string WomanKey(const std::string& beneficiary_id) const;
  void SweepLoop(absl::Duration period);
  // Approves or rejects relief `id` as `who`.
  absl::Status Decide(const rpc::Principal& who, const std::string& id, bool approve, const std::string& reason,
                      const std::string& request_id, rpc::Tx& tx, v1::Relief* out);
  // The relief named by `id` (NOT_FOUND naming relief_id), which `who` must hold the operator role over.
  absl::StatusOr<v1::Relief> LoadRelief(const rpc::Principal& who, const std::string& id);
  // The event of relief `r`'s change, into `tx`.
  void ReliefEvent(const v1::Relief& r, const google::protobuf::Message& payload, const std::string& request_id,
                   rpc::Tx& tx);
  // The enrolment of `woman` under `policy` on `on`, into `tx`.
  v1::Enrollment Enroll(const replica::v1::RegistryFacts& woman, const v1::InsurancePolicy& policy, absl::CivilDay on,
                        const std::string& correlation, rpc::Tx& tx);

  Dependencies d_;
  outbox::EventFactory events_;
  std::mutex sweep_mu_;  // one sweep at a time
  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace jinguo::health::api
