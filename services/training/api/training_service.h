// The training service's gRPC adapter: proto in, caller and role, the person's registry facts from the replica, the
// domain's decision (domain/training_rules.h), one write batch (state, indexes, idempotency record, events, audit
// record) through the kit's write path, proto out.
//
// Events: a programme's events (its sessions, every participant's enrolment, attendance and completion) carry the
// programme as their aggregate and its version, so they stay in order on one partition; placements carry their
// posting, grants and payments their fund. An event about a registered person names her and her region in the
// envelope; the programme's or posting's region travels in the payload, where participants and positions count.
//
// Thread-safety: handlers run on gRPC's threads. A mutating call holds the lock of the programme, posting or fund
// it changes from its first read until its batch is on disk.
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
#include "jinguo/training/v1/training.grpc.pb.h"
#include "services/training/domain/training_rules.h"
#include "services/training/store/training_store.h"

namespace jinguo::training::api {

namespace v1 = ::jinguo::training::v1;

struct Dependencies {
  store::TrainingStore* training;
  replica::RegistryReplica* registry;
  rpc::WritePath* writes;
  const rpc::PageTokens* pages;
  const regions::RegionTable* regions;
  const Clock* clock;
  UuidV7Generator* ids;
  // The job category codes a posting may name (data/job_categories.csv).
  std::vector<std::string> job_categories;
};

namespace internal {
using S = v1::TrainingService;
using CallbackWrites = S::WithCallbackMethod_CreateProgramme<
    S::WithCallbackMethod_ScheduleSession<S::WithCallbackMethod_Enrol<S::WithCallbackMethod_Withdraw<
        S::WithCallbackMethod_RecordAttendance<S::WithCallbackMethod_CompleteProgramme<S::WithCallbackMethod_PostJob<
            S::WithCallbackMethod_ClosePosting<S::WithCallbackMethod_RecordPlacement<S::WithCallbackMethod_EndPlacement<
                S::WithCallbackMethod_CreateAidFund<S::WithCallbackMethod_GrantStudentAid<
                    S::WithCallbackMethod_RecordAidPaid<S::WithCallbackMethod_PairDonor<S::Service>>>>>>>>>>>>>>;
}  // namespace internal

class TrainingService final : public internal::CallbackWrites {
 public:
  explicit TrainingService(Dependencies deps);

  using Reactor = grpc::ServerUnaryReactor;
  using Ctx = grpc::CallbackServerContext;
  Reactor* CreateProgramme(Ctx* ctx, const v1::CreateProgrammeRequest* req, v1::CreateProgrammeResponse* resp) override;
  grpc::Status GetProgramme(grpc::ServerContext* ctx, const v1::GetProgrammeRequest* req,
                            v1::GetProgrammeResponse* resp) override;
  grpc::Status ListProgrammes(grpc::ServerContext* ctx, const v1::ListProgrammesRequest* req,
                              v1::ListProgrammesResponse* resp) override;
  Reactor* ScheduleSession(Ctx* ctx, const v1::ScheduleSessionRequest* req, v1::ScheduleSessionResponse* resp) override;
  Reactor* Enrol(Ctx* ctx, const v1::EnrolRequest* req, v1::EnrolResponse* resp) override;
  Reactor* Withdraw(Ctx* ctx, const v1::WithdrawRequest* req, v1::WithdrawResponse* resp) override;
  Reactor* RecordAttendance(Ctx* ctx, const v1::RecordAttendanceRequest* req,
                            v1::RecordAttendanceResponse* resp) override;
  Reactor* CompleteProgramme(Ctx* ctx, const v1::CompleteProgrammeRequest* req,
                             v1::CompleteProgrammeResponse* resp) override;

  Reactor* PostJob(Ctx* ctx, const v1::PostJobRequest* req, v1::PostJobResponse* resp) override;
  grpc::Status ListJobs(grpc::ServerContext* ctx, const v1::ListJobsRequest* req, v1::ListJobsResponse* resp) override;
  Reactor* ClosePosting(Ctx* ctx, const v1::ClosePostingRequest* req, v1::ClosePostingResponse* resp) override;
  Reactor* RecordPlacement(Ctx* ctx, const v1::RecordPlacementRequest* req, v1::RecordPlacementResponse* resp) override;
  Reactor* EndPlacement(Ctx* ctx, const v1::EndPlacementRequest* req, v1::EndPlacementResponse* resp) override;

  Reactor* CreateAidFund(Ctx* ctx, const v1::CreateAidFundRequest* req, v1::CreateAidFundResponse* resp) override;
  Reactor* GrantStudentAid(Ctx* ctx, const v1::GrantStudentAidRequest* req, v1::GrantStudentAidResponse* resp) override;
  Reactor* RecordAidPaid(Ctx* ctx, const v1::RecordAidPaidRequest* req, v1::RecordAidPaidResponse* resp) override;
  Reactor* PairDonor(Ctx* ctx, const v1::PairDonorRequest* req, v1::PairDonorResponse* resp) override;
  grpc::Status ListStudentAid(grpc::ServerContext* ctx, const v1::ListStudentAidRequest* req,
                              v1::ListStudentAidResponse* resp) override;

 private:
  absl::CivilDay Today() const;
  // Her registry facts: INVALID_ARGUMENT on `field` when empty, NOT_FOUND when unknown, FAILED_PRECONDITION naming
  // the survivor when she was merged (a record names a person as the registry now does).
  absl::StatusOr<replica::v1::RegistryFacts> Registered(const std::string& beneficiary_id,
                                                        absl::string_view field = "beneficiary_id") const;
  // The stored programme, posting or fund named by a request's field: INVALID_ARGUMENT when empty, NOT_FOUND.
  absl::StatusOr<v1::Programme> LoadProgramme(const std::string& id) const;
  absl::StatusOr<v1::JobPosting> LoadPosting(const std::string& id) const;
  absl::StatusOr<v1::AidFund> LoadFund(const std::string& id) const;
  // FAILED_PRECONDITION once the programme's completion was decided.
  static absl::Status CheckOpen(const v1::Programme& p);
  // The event `payload` about programme `p` (its version advanced) and, when `beneficiary_id` is set, her.
  void ProgrammeEvent(v1::Programme& p, const google::protobuf::Message& payload, const std::string& beneficiary_id,
                      const std::string& region, const std::string& request_id, rpc::Tx& tx);
  // The Enrolled event of participant `x` of `p`.
  void EnrolledEvent(v1::Programme& p, const v1::Participant& x, const std::string& region, bool promoted,
                     const std::string& request_id, rpc::Tx& tx);
  // Her region, or the programme's for a participant known by name only.
  std::string RegionOf(const v1::Programme& p, const v1::Participant& x) const;

  Dependencies d_;
  outbox::EventFactory events_;
};

}  // namespace jinguo::training::api
