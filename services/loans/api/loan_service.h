// The loans service's gRPC adapter: proto in, caller and role, the borrower's registry facts from the replica, the
// domain's decision (domain/loan_rules.h, domain/schedule.h), one write batch (state, indexes, agenda, accruals,
// idempotency record, events, audit record) through the kit's write path, proto out.
//
// The close (日終) runs business dates one at a time through the agenda of loans that have something due that day,
// in chunks, each committed with its events and an audit record; a write to a loan the close has not reached yet
// closes that loan through yesterday first (an inline close), in the write's own batch. The service runs the close
// by itself each day at a configured China time.
//
// Thread-safety: handlers run on gRPC's threads. A mutating call holds the lock of its loan (and of the borrower on
// application) from its first read until its batch is on disk; the close holds every lock per chunk.
#pragma once

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
#include "jinguo/loans/v1/loans.grpc.pb.h"
#include "services/loans/domain/loan_rules.h"
#include "services/loans/store/loan_store.h"

namespace jinguo::loans::api {

namespace v1 = ::jinguo::loans::v1;

struct Dependencies {
  store::LoanStore* loans;
  replica::RegistryReplica* registry;
  rpc::WritePath* writes;
  const rpc::PageTokens* pages;
  const regions::RegionTable* regions;
  const Clock* clock;
  UuidV7Generator* ids;
  domain::Settings settings;
};

namespace internal {
using S = v1::LoanService;
using CallbackWrites = S::WithCallbackMethod_CreateLoanProduct<S::WithCallbackMethod_SetReferenceRate<
    S::WithCallbackMethod_CreateLender<S::WithCallbackMethod_ApplyForLoan<S::WithCallbackMethod_ReviewLoan<
        S::WithCallbackMethod_ApproveLoan<S::WithCallbackMethod_RejectLoan<S::WithCallbackMethod_DisburseLoan<
            S::WithCallbackMethod_RecordRepayment<S::WithCallbackMethod_RescheduleLoan<
                S::WithCallbackMethod_WriteOffLoan<S::WithCallbackMethod_GenerateSubsidyClaim<
                    S::WithCallbackMethod_AdvanceSubsidyClaim<S::Service>>>>>>>>>>>>>;
}  // namespace internal

class LoanService final : public internal::CallbackWrites {
 public:
  explicit LoanService(Dependencies deps);
  ~LoanService() override;

  using Reactor = grpc::ServerUnaryReactor;
  using Ctx = grpc::CallbackServerContext;
  Reactor* CreateLoanProduct(Ctx* ctx, const v1::CreateLoanProductRequest* req,
                             v1::CreateLoanProductResponse* resp) override;
  grpc::Status ListLoanProducts(grpc::ServerContext* ctx, const v1::ListLoanProductsRequest* req,
                                v1::ListLoanProductsResponse* resp) override;
  Reactor* SetReferenceRate(Ctx* ctx, const v1::SetReferenceRateRequest* req,
                            v1::SetReferenceRateResponse* resp) override;
  Reactor* CreateLender(Ctx* ctx, const v1::CreateLenderRequest* req, v1::CreateLenderResponse* resp) override;
  grpc::Status ListLenders(grpc::ServerContext* ctx, const v1::ListLendersRequest* req,
                           v1::ListLendersResponse* resp) override;
  grpc::Status PreviewSchedule(grpc::ServerContext* ctx, const v1::PreviewScheduleRequest* req,
                               v1::PreviewScheduleResponse* resp) override;

  Reactor* ApplyForLoan(Ctx* ctx, const v1::ApplyForLoanRequest* req, v1::ApplyForLoanResponse* resp) override;
  Reactor* ReviewLoan(Ctx* ctx, const v1::ReviewLoanRequest* req, v1::ReviewLoanResponse* resp) override;
  Reactor* ApproveLoan(Ctx* ctx, const v1::ApproveLoanRequest* req, v1::ApproveLoanResponse* resp) override;
  Reactor* RejectLoan(Ctx* ctx, const v1::RejectLoanRequest* req, v1::RejectLoanResponse* resp) override;
  Reactor* DisburseLoan(Ctx* ctx, const v1::DisburseLoanRequest* req, v1::DisburseLoanResponse* resp) override;
  Reactor* RecordRepayment(Ctx* ctx, const v1::RecordRepaymentRequest* req, v1::RecordRepaymentResponse* resp) override;
  Reactor* RescheduleLoan(Ctx* ctx, const v1::RescheduleLoanRequest* req, v1::RescheduleLoanResponse* resp) override;
  Reactor* WriteOffLoan(Ctx* ctx, const v1::WriteOffLoanRequest* req, v1::WriteOffLoanResponse* resp) override;
  grpc::Status GetLoan(grpc::ServerContext* ctx, const v1::GetLoanRequest* req, v1::GetLoanResponse* resp) override;
  grpc::Status ListLoans(grpc::ServerContext* ctx, const v1::ListLoansRequest* req,
                         v1::ListLoansResponse* resp) override;

  grpc::Status CloseBusinessDay(grpc::ServerContext* ctx, const v1::CloseBusinessDayRequest* req,
                                v1::CloseBusinessDayResponse* resp) override;

  Reactor* GenerateSubsidyClaim(Ctx* ctx, const v1::GenerateSubsidyClaimRequest* req,
                                v1::GenerateSubsidyClaimResponse* resp) override;
  Reactor* AdvanceSubsidyClaim(Ctx* ctx, const v1::AdvanceSubsidyClaimRequest* req,
                               v1::AdvanceSubsidyClaimResponse* resp) override;
  grpc::Status GetSubsidyClaim(grpc::ServerContext* ctx, const v1::GetSubsidyClaimRequest* req,
                               v1::GetSubsidyClaimResponse* resp) override;
  grpc::Status ExportSubsidyClaim(grpc::ServerContext* ctx, const v1::ExportSubsidyClaimRequest* req,
                                  grpc::ServerWriter<v1::ExportSubsidyClaimResponse>* writer) override;

  // Closes every business date after the last one closed through `through`, one at a time; `principal` names who
  // asked in the audit records. FAILED_PRECONDITION when `through` has not ended yet (it is today or later).
  absl::StatusOr<v1::CloseBusinessDayResponse> Close(absl::CivilDay through, const std::string& principal,
                                                     const std::string& client_address);

  // Runs Close for yesterday by itself, once a day after `at` (minutes after midnight, China time), checking every
  // `period`. Stopped by the destructor.
  void StartDailyClose(int at_minute_of_day, absl::Duration period);

 private:
  absl::CivilDay Today() const;
  absl::StatusOr<replica::v1::RegistryFacts> Person(const std::string& beneficiary_id) const;
  std::string WomanKey(const std::string& beneficiary_id) const;
  // The loan named by `id`: INVALID_ARGUMENT when empty, NOT_FOUND naming loan_id when unknown.
  absl::StatusOr<v1::Loan> LoadLoan(const std::string& id) const;
  // The version of product `id` in force on `on`: NOT_FOUND or FAILED_PRECONDITION naming `field`.
  absl::StatusOr<v1::LoanProduct> ProductOn(const std::string& id, absl::CivilDay on, absl::string_view field) const;
  // Her other loans: how many are active, and one in arrears ("" if none).
  absl::Status CountLoans(const std::string& beneficiary_id, const std::string& except, int* active,
                          std::string* overdue) const;
  // The loan's event `payload` (its version advanced), into `tx`.
  void Emit(v1::Loan& loan, const google::protobuf::Message& payload, const std::string& request_id, rpc::Tx& tx);
  // Runs the close for `loan` through `through` (every agenda date up to it), its events and accruals into `tx`.
  struct CloseCounts {
    int64_t subsidy_fen = 0;
    int overdue_changes = 0;
    int maturity_warnings = 0;
    int reminders = 0;
  };
  void CloseLoanThrough(v1::Loan& loan, absl::CivilDay through, rpc::Tx& tx, CloseCounts* counts);
  // The subsidy of one period accrued on `accrued_on` (its event and its record for the lender's claim).
  void Accrue(v1::Loan& loan, const domain::Accrual& a, absl::CivilDay accrued_on, const std::string& request_id,
              rpc::Tx& tx);
  // Writes `loan` (with its next agenda date after its last closed date) into `tx`; `first_write` for a new loan,
  // `previous_agenda_key` its agenda key as stored.
  void Store(v1::Loan& loan, bool first_write, const std::string& previous_agenda_key, rpc::Tx& tx);
  // A bank's action on a loan: the loan loaded, the caller a lender (or admin) in its region, the loan closed
  // through yesterday, then `act`; the loan stored and moved into `out` (the response's loan).
  absl::Status BankAction(const rpc::Principal& who, const std::string& loan_id, rpc::Tx& tx,
                          absl::FunctionRef<absl::Status(v1::Loan& loan)> act, v1::Loan* out);
  void CloseLoop(int at_minute_of_day, absl::Duration period);

  Dependencies d_;
  outbox::EventFactory events_;
  std::mutex close_mu_;  // one close at a time
  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  std::thread closer_;
};

}  // namespace jinguo::loans::api
