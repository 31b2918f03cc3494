#include "services/loans/api/loan_service.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/base/civil_date.h"
#include "common/base/csv.h"
#include "common/base/money.h"
#include "common/base/status.h"
#include "common/base/timestamp.h"
#include "common/rpc/status.h"
#include "common/validate/field_violations.h"
#include "common/validate/fields.h"
#include "common/validate/region_code.h"
#include "common/validate/text.h"
#include "jinguo/loans/v1/events.pb.h"
#include "spdlog/spdlog.h"

namespace jinguo::loans::api {

using rpc::Role;
using validate::FieldError;
using validate::FieldViolations;

namespace {

constexpr rpc::PageLimits kPageLimits{50, 500};
// Loans closed per committed chunk of the close (each chunk holds every lock while it is decided).
constexpr size_t kCloseChunk = 2000;

std::string LoanKey(const std::string& id) { return absl::StrCat("loan:", id); }

absl::CivilDay QuarterEnd(int year, int quarter) { return absl::CivilDay(absl::CivilMonth(year, quarter * 3) + 1) - 1; }

}  // namespace

LoanService::LoanService(Dependencies deps) : d_(deps), events_("loans", *deps.clock, *deps.ids) {}

LoanService::~LoanService() {
  {
    std::lock_guard<std::mutex> l(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (closer_.joinable()) closer_.join();
}

absl::CivilDay LoanService::Today() const { return ChinaDay(d_.clock->Now()); }

absl::StatusOr<replica::v1::RegistryFacts> LoanService::Person(const std::string& beneficiary_id) const {
  if (beneficiary_id.empty()) return FieldError(absl::StatusCode::kInvalidArgument, "beneficiary_id", "is required");
  return d_.registry->Lookup(beneficiary_id);
}

std::string LoanService::WomanKey(const std::string& beneficiary_id) const {
  auto facts = d_.registry->Lookup(beneficiary_id);
  return absl::StrCat("woman:", facts.ok() ? facts->beneficiary_id() : beneficiary_id);
}

absl::StatusOr<v1::Loan> LoanService::LoadLoan(const std::string& id) const {
  if (id.empty()) return FieldError(absl::StatusCode::kInvalidArgument, "loan_id", "is required");
  ASSIGN_OR_RETURN(auto loan, d_.loans->GetLoan(id));
  if (!loan) return FieldError(absl::StatusCode::kNotFound, "loan_id", absl::StrCat("no loan ", id));
  return *std::move(loan);
}

absl::StatusOr<v1::LoanProduct> LoanService::ProductOn(const std::string& id, absl::CivilDay on,
                                                       absl::string_view field) const {
  if (id.empty()) return FieldError(absl::StatusCode::kInvalidArgument, field, "is required");
  ASSIGN_OR_RETURN(std::vector<v1::LoanProduct> versions, d_.loans->ProductVersions(id));
  if (versions.empty()) return FieldError(absl::StatusCode::kNotFound, field, absl::StrCat("no loan product ", id));
  const v1::LoanProduct* in_force = nullptr;
  for (const auto& p : versions) {
    if (StoredDay(p.effective_on()) <= on) in_force = &p;
  }
  if (in_force == nullptr) {
    return FieldError(
        absl::StatusCode::kFailedPrecondition, field,
        absl::StrCat("product ", id, " takes effect on ", FormatCivilDate(StoredDay(versions[0].effective_on())),
                     ", after ", FormatCivilDate(on)));
  }
  return *in_force;
}

absl::Status LoanService::CountLoans(const std::string& beneficiary_id, const std::string& except, int* active,
                                     std::string* overdue) const {
  ASSIGN_OR_RETURN(std::vector<v1::Loan> loans, d_.loans->LoansOf(beneficiary_id));
  *active = 0;
  overdue->clear();
  for (const auto& l : loans) {
    if (l.id() == except) continue;
    bool open = l.status() == v1::LOAN_STATUS_ACTIVE || l.status() == v1::LOAN_STATUS_APPLIED ||
                l.status() == v1::LOAN_STATUS_REVIEWED || l.status() == v1::LOAN_STATUS_APPROVED;
    if (open) ++*active;
    if (l.status() == v1::LOAN_STATUS_ACTIVE && l.bucket() != v1::OVERDUE_BUCKET_CURRENT && overdue->empty()) {
      *overdue = l.id();
    }
  }
  return absl::OkStatus();
}

void LoanService::Emit(v1::Loan& loan, const google::protobuf::Message& payload, const std::string& request_id,
                       rpc::Tx& tx) {
  loan.set_version(loan.version() + 1);
  tx.events.push_back(
      events_.Make({loan.id(), loan.version(), loan.beneficiary_id(), loan.region_code()}, payload, request_id));
}

void LoanService::Store(v1::Loan& loan, bool first_write, const std::string& previous_agenda_key, rpc::Tx& tx) {
  std::optional<absl::CivilDay> next;
  if (loan.has_closed_through()) next = domain::NextCloseDate(loan, StoredDay(loan.closed_through()), d_.settings);
  if (next) {
    *loan.mutable_next_close_on() = ToProto(*next);
  } else {
    loan.clear_next_close_on();
  }
  d_.loans->PutLoan(&tx.batch, loan, first_write, previous_agenda_key);
}

void LoanService::Accrue(v1::Loan& loan, const domain::Accrual& a, absl::CivilDay accrued_on,
                         const std::string& request_id, rpc::Tx& tx) {
  domain::FundingSplit split = domain::SplitSubsidy(a.subsidy_fen, loan.subsidy(), loan.rounding());
  v1::SubsidyAccrued e;
  e.set_loan_id(loan.id());
  e.set_instalment(a.instalment);
  *e.mutable_due_on() = ToProto(a.due_on);
  e.set_interest_fen(a.interest_fen);
  e.set_subsidy_fen(a.subsidy_fen);
  e.set_central_fen(split.central_fen);
  e.set_province_fen(split.province_fen);
  e.set_city_fen(split.city_fen);
  *e.mutable_figures() = domain::FiguresOf(loan);
  Emit(loan, e, request_id, tx);
  v1::AccrualRecord r;
  r.set_loan_id(loan.id());
  r.set_beneficiary_id(loan.beneficiary_id());
  r.set_region_code(loan.region_code());
  r.set_instalment(a.instalment);
  *r.mutable_due_on() = ToProto(a.due_on);
  r.set_interest_fen(a.interest_fen);
  r.set_subsidy_fen(a.subsidy_fen);
  r.set_central_fen(split.central_fen);
  r.set_province_fen(split.province_fen);
  r.set_city_fen(split.city_fen);
  d_.loans->PutAccrual(&tx.batch, loan.lender_id(), accrued_on, r);
}

void LoanService::CloseLoanThrough(v1::Loan& loan, absl::CivilDay through, rpc::Tx& tx, CloseCounts* counts) {
  if (loan.status() != v1::LOAN_STATUS_ACTIVE || !loan.has_closed_through()) return;
  for (;;) {
    std::optional<absl::CivilDay> next = domain::NextCloseDate(loan, StoredDay(loan.closed_through()), d_.settings);
    if (!next || *next > through) break;
    domain::DayOutcome o = domain::CloseDay(loan, *next, d_.settings);
    for (const domain::Accrual& a : o.accruals) {
      Accrue(loan, a, *next, "", tx);
      counts->subsidy_fen += a.subsidy_fen;
    }
    for (const domain::Reminder& r : o.reminders) {
      v1::InstalmentDueReminder e;
      e.set_loan_id(loan.id());
      e.set_instalment(r.instalment);
      *e.mutable_due_on() = ToProto(r.due_on);
      e.set_amount_due_fen(r.amount_due_fen);
      *e.mutable_figures() = domain::FiguresOf(loan);
      Emit(loan, e, "", tx);
      ++counts->reminders;
    }
    if (o.maturity_warning) {
      v1::LoanMaturityWarning e;
      e.set_loan_id(loan.id());
      *e.mutable_maturity_on() = loan.maturity_on();
      e.set_days_left(static_cast<int32_t>(StoredDay(loan.maturity_on()) - *next));
      e.set_outstanding_principal_fen(loan.outstanding_principal_fen());
      *e.mutable_figures() = domain::FiguresOf(loan);
      Emit(loan, e, "", tx);
      ++counts->maturity_warnings;
    }
    if (o.bucket_change) {
      v1::LoanOverdue e;
      e.set_loan_id(loan.id());
      e.set_from(o.bucket_change->from);
      e.set_to(o.bucket_change->to);
      e.set_days_past_due(o.bucket_change->days_past_due);
      e.set_overdue_principal_fen(o.bucket_change->overdue_principal_fen);
      e.set_overdue_interest_fen(o.bucket_change->overdue_interest_fen);
      *e.mutable_business_date() = ToProto(*next);
      *e.mutable_figures() = domain::FiguresOf(loan);
      Emit(loan, e, "", tx);
      ++counts->overdue_changes;
    }
  }
  if (StoredDay(loan.closed_through()) < through) *loan.mutable_closed_through() = ToProto(through);
}

absl::Status LoanService::BankAction(const rpc::Principal& who, const std::string& loan_id, rpc::Tx& tx,
                                     absl::FunctionRef<absl::Status(v1::Loan& loan)> act, v1::Loan* out) {
  ASSIGN_OR_RETURN(v1::Loan loan, LoadLoan(loan_id));
  RETURN_IF_ERROR(rpc::AuthorizeLending(who, loan.region_code()));
  const std::string agenda_key = store::LoanStore::AgendaKeyOf(loan);
  CloseCounts ignored;
  CloseLoanThrough(loan, Today() - 1, tx, &ignored);
  RETURN_IF_ERROR(act(loan));
  Store(loan, false, agenda_key, tx);
  *out = std::move(loan);
  return absl::OkStatus();
}

// --- products, rates, lenders ---

grpc::ServerUnaryReactor* LoanService::CreateLoanProduct(grpc::CallbackServerContext* ctx,
                                                         const v1::CreateLoanProductRequest* req,
                                                         v1::CreateLoanProductResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"CreateLoanProduct", req->request_id(), *req, resp, Role::kAdmin},
      [&] { return rpc::LockScope::Keys({absl::StrCat("product:", req->product().id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kAdmin, ""));
        FieldViolations v;
        v1::LoanProduct p = domain::ProductFrom(req->product(), v);
        RETURN_IF_ERROR(v.ToStatus());
        ASSIGN_OR_RETURN(std::vector<v1::LoanProduct> versions, d_.loans->ProductVersions(p.id()));
        if (!versions.empty() && StoredDay(p.effective_on()) <= StoredDay(versions.back().effective_on())) {
          return FieldError(absl::StatusCode::kFailedPrecondition, "product.effective_on",
                            absl::StrCat("must be after ", FormatCivilDate(StoredDay(versions.back().effective_on())),
                                         ", when version ", versions.back().version(), " took effect"));
        }
        p.set_version(static_cast<int32_t>(versions.size()) + 1);
        *p.mutable_created_at() = ToTimestamp(d_.clock->Now());
        d_.loans->PutProduct(&tx.batch, p);
        v1::LoanProductCreated e;
        e.set_product_id(p.id());
        e.set_version(p.version());
        e.set_kind(p.kind());
        *e.mutable_effective_on() = p.effective_on();
        e.set_cap_fen(p.cap_fen());
        tx.events.push_back(
            events_.Make({absl::StrCat("product/", p.id()), p.version(), "", ""}, e, req->request_id()));
        *resp->mutable_product() = std::move(p);
        return absl::OkStatus();
      });
}

grpc::Status LoanService::ListLoanProducts(grpc::ServerContext* ctx, const v1::ListLoanProductsRequest*,
                                           v1::ListLoanProductsResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    RETURN_IF_ERROR(rpc::Authorize(who, Role::kViewer, who.region_scope));
    ASSIGN_OR_RETURN(auto all, d_.loans->AllProducts());
    for (auto& p : all) *resp->add_products() = std::move(p);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LoanService::SetReferenceRate(grpc::CallbackServerContext* ctx,
                                                        const v1::SetReferenceRateRequest* req,
                                                        v1::SetReferenceRateResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"SetReferenceRate", req->request_id(), *req, resp, Role::kAdmin},
      [&] { return rpc::LockScope::Keys({"reference-rates"}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kAdmin, ""));
        FieldViolations v;
        const v1::ReferenceRate& r = req->rate();
        if (!r.has_published_on() || !FromProto(r.published_on()).ok()) {
          v.Add("rate.published_on", "is required: the date the LPR was published");
        }
        if (r.one_year_bp() <= 0 || r.one_year_bp() > 2000) v.Add("rate.one_year_bp", "must be 1-2000 basis points");
        if (r.five_year_bp() <= 0 || r.five_year_bp() > 2000) v.Add("rate.five_year_bp", "must be 1-2000 basis points");
        RETURN_IF_ERROR(v.ToStatus());
        d_.loans->PutReferenceRate(&tx.batch, r);
        v1::ReferenceRateSet e;
        *e.mutable_rate() = r;
        tx.events.push_back(events_.Make(
            {absl::StrCat("lpr/", FormatCivilDate(StoredDay(r.published_on()))), 1, "", ""}, e, req->request_id()));
        *resp->mutable_rate() = r;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* LoanService::CreateLender(grpc::CallbackServerContext* ctx,
                                                    const v1::CreateLenderRequest* req,
                                                    v1::CreateLenderResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"CreateLender", req->request_id(), *req, resp}, [] { return rpc::LockScope(); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        FieldViolations v;
        v1::Lender l;
        l.set_bank(
            validate::CleanField(req->lender().bank(), "lender.bank", {.max_characters = 60, .required = true}, v));
        l.set_branch(
            validate::CleanField(req->lender().branch(), "lender.branch", {.max_characters = 60, .required = true}, v));
        if (req->lender().region_code().empty()) {
          v.Add("lender.region_code", "is required (the region the branch serves)");
        } else {
          v.Check("lender.region_code", validate::CheckRegionPrefix(*d_.regions, req->lender().region_code()));
        }
        RETURN_IF_ERROR(v.ToStatus());
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, req->lender().region_code()));
        l.set_region_code(req->lender().region_code());
        l.set_id(d_.ids->Next());
        d_.loans->PutLender(&tx.batch, l);
        v1::LenderCreated e;
        *e.mutable_lender() = l;
        tx.events.push_back(events_.Make({l.id(), 1, "", l.region_code()}, e, req->request_id()));
        *resp->mutable_lender() = std::move(l);
        return absl::OkStatus();
      });
}

grpc::Status LoanService::ListLenders(grpc::ServerContext* ctx, const v1::ListLendersRequest* req,
                                      v1::ListLendersResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    auto scope = rpc::ReadScope(who, *d_.regions, req->region_prefix());
    if (!scope.ok()) return scope.status();
    ASSIGN_OR_RETURN(auto lenders, d_.loans->Lenders(*scope));
    for (auto& l : lenders) *resp->add_lenders() = std::move(l);
    return absl::OkStatus();
  });
}

grpc::Status LoanService::PreviewSchedule(grpc::ServerContext* ctx, const v1::PreviewScheduleRequest* req,
                                          v1::PreviewScheduleResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    RETURN_IF_ERROR(rpc::Authorize(who, Role::kViewer, who.region_scope));
    FieldViolations v;
    absl::CivilDay on = req->has_disbursed_on() ? StoredDay(req->disbursed_on()) : Today();
    if (req->has_disbursed_on() && !FromProto(req->disbursed_on()).ok()) v.Add("disbursed_on", "is not a real day");
    RETURN_IF_ERROR(v.ToStatus());
    ASSIGN_OR_RETURN(v1::LoanProduct product, ProductOn(req->product_id(), on, "product_id"));
    domain::CheckLoanTerms(product, req->amount_fen(), req->term_months(), req->method(), v);
    RETURN_IF_ERROR(v.ToStatus());
    ASSIGN_OR_RETURN(auto rates, d_.loans->ReferenceRates());
    ASSIGN_OR_RETURN(domain::Pricing price,
                     domain::PriceLoan(product, domain::RateInForce(rates, on), req->term_months(),
                                       req->annual_rate_bp(), "annual_rate_bp"));
    v1::Loan loan;
    loan.set_term_months(req->term_months());
    loan.set_method(req->method());
    loan.set_day_count(product.day_count());
    loan.set_rounding(product.rounding());
    loan.set_annual_rate_bp(price.annual_rate_bp);
    loan.set_borrower_rate_bp(price.borrower_rate_bp);
    if (product.has_subsidy()) *loan.mutable_subsidy() = product.subsidy();
    ASSIGN_OR_RETURN(auto schedule, domain::DisbursementSchedule(loan, req->amount_fen(), on));
    int64_t interest = 0, subsidy = 0;
    for (auto& i : schedule) {
      interest += i.interest_fen();
      subsidy += i.subsidy_fen();
      *resp->add_schedule() = std::move(i);
    }
    resp->set_annual_rate_bp(price.annual_rate_bp);
    resp->set_borrower_rate_bp(price.borrower_rate_bp);
    resp->set_total_interest_fen(interest);
    resp->set_total_subsidy_fen(subsidy);
    return absl::OkStatus();
  });
}

// --- the lifecycle ---

grpc::ServerUnaryReactor* LoanService::ApplyForLoan(grpc::CallbackServerContext* ctx,
                                                    const v1::ApplyForLoanRequest* req,
                                                    v1::ApplyForLoanResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"ApplyForLoan", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({WomanKey(req->beneficiary_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(replica::v1::RegistryFacts woman, Person(req->beneficiary_id()));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, woman.region_code()));
        // A merged id is refused rather than resolved: the contract must name the woman as the registry now does.
        ASSIGN_OR_RETURN(auto stored, d_.registry->Stored(req->beneficiary_id()));
        if (stored && !stored->merged_into().empty()) {
          return FieldError(absl::StatusCode::kFailedPrecondition, "beneficiary_id",
                            absl::StrCat("was merged into ", stored->merged_into(), "; apply under that id"));
        }
        FieldViolations v;
        absl::CivilDay on = validate::DateOrToday(req->applied_on(), req->has_applied_on(), Today(), "applied_on", v);
        std::string project =
            validate::CleanField(req->project(), "project", {.max_characters = 200, .required = true}, v);
        if (req->lender_id().empty()) v.Add("lender_id", "is required");
        RETURN_IF_ERROR(v.ToStatus());
        ASSIGN_OR_RETURN(v1::LoanProduct product, ProductOn(req->product_id(), on, "product_id"));
        ASSIGN_OR_RETURN(auto lender, d_.loans->GetLender(req->lender_id()));
        if (!lender)
          return FieldError(absl::StatusCode::kNotFound, "lender_id", absl::StrCat("no lender ", req->lender_id()));
        domain::CheckLoanTerms(product, req->amount_fen(), req->term_months(), req->method(), v);
        RETURN_IF_ERROR(v.ToStatus());
        int active = 0;
        std::string overdue;
        RETURN_IF_ERROR(CountLoans(woman.beneficiary_id(), "", &active, &overdue));
        RETURN_IF_ERROR(domain::CheckBorrower(product, woman, on, active, overdue, "beneficiary_id"));

        v1::Loan loan;
        loan.set_id(d_.ids->Next());
        loan.set_product_id(product.id());
        loan.set_product_version(product.version());
        loan.set_kind(product.kind());
        loan.set_lender_id(lender->id());
        loan.set_beneficiary_id(woman.beneficiary_id());
        loan.set_region_code(woman.region_code());
        loan.set_status(v1::LOAN_STATUS_APPLIED);
        loan.set_project(project);
        loan.set_applied_fen(req->amount_fen());
        loan.set_term_months(req->term_months());
        loan.set_total_months(req->term_months());
        loan.set_method(req->method());
        loan.set_day_count(product.day_count());
        loan.set_rounding(product.rounding());
        if (product.has_subsidy()) *loan.mutable_subsidy() = product.subsidy();
        *loan.mutable_applied_on() = ToProto(on);
        loan.set_applied_by(who.name);
        v1::LoanApplied e;
        e.set_loan_id(loan.id());
        e.set_product_id(product.id());
        e.set_product_version(product.version());
        e.set_lender_id(lender->id());
        e.set_amount_fen(req->amount_fen());
        e.set_term_months(req->term_months());
        e.set_method(req->method());
        e.set_project(project);
        *e.mutable_figures() = domain::FiguresOf(loan);
        Emit(loan, e, req->request_id(), tx);
        Store(loan, true, "", tx);
        *resp->mutable_loan() = std::move(loan);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* LoanService::ReviewLoan(grpc::CallbackServerContext* ctx, const v1::ReviewLoanRequest* req,
                                                  v1::ReviewLoanResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"ReviewLoan", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({LoanKey(req->loan_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(v1::Loan loan, LoadLoan(req->loan_id()));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, loan.region_code()));
        if (loan.status() != v1::LOAN_STATUS_APPLIED) {
          return absl::FailedPreconditionError(absl::StrCat(
              "loan ", loan.id(), " is ", v1::LoanStatus_Name(loan.status()), "; only an application is reviewed"));
        }
        const std::string agenda_key = store::LoanStore::AgendaKeyOf(loan);
        if (req->reject()) {
          FieldViolations v;
          std::string reason =
              validate::CleanField(req->reason(), "reason", {.max_characters = 200, .required = true}, v);
          RETURN_IF_ERROR(v.ToStatus());
          loan.set_status(v1::LOAN_STATUS_REJECTED);
          loan.set_reason(reason);
          loan.set_reviewed_by(who.name);
          v1::LoanRejected e;
          e.set_loan_id(loan.id());
          e.set_reason(reason);
          e.set_by_federation(true);
          *e.mutable_figures() = domain::FiguresOf(loan);
          Emit(loan, e, req->request_id(), tx);
        } else {
          // Eligibility again, as of today: her facts or her other loans may have changed since she applied.
          ASSIGN_OR_RETURN(replica::v1::RegistryFacts woman, Person(loan.beneficiary_id()));
          ASSIGN_OR_RETURN(v1::LoanProduct product,
                           ProductOn(loan.product_id(), StoredDay(loan.applied_on()), "loan_id"));
          int active = 0;
          std::string overdue;
          RETURN_IF_ERROR(CountLoans(woman.beneficiary_id(), loan.id(), &active, &overdue));
          RETURN_IF_ERROR(domain::CheckBorrower(product, woman, Today(), active, overdue, "loan_id"));
          loan.set_status(v1::LOAN_STATUS_REVIEWED);
          loan.set_reviewed_by(who.name);
          v1::LoanReviewed e;
          e.set_loan_id(loan.id());
          *e.mutable_figures() = domain::FiguresOf(loan);
          Emit(loan, e, req->request_id(), tx);
        }
        Store(loan, false, agenda_key, tx);
        *resp->mutable_loan() = std::move(loan);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* LoanService::ApproveLoan(grpc::CallbackServerContext* ctx, const v1::ApproveLoanRequest* req,
                                                   v1::ApproveLoanResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"ApproveLoan", req->request_id(), *req, resp, Role::kViewer},
      [&] { return rpc::LockScope::Keys({LoanKey(req->loan_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        return BankAction(
            who, req->loan_id(), tx,
            [&](v1::Loan& loan) -> absl::Status {
              if (loan.status() != v1::LOAN_STATUS_REVIEWED) {
                return absl::FailedPreconditionError(
                    absl::StrCat("loan ", loan.id(), " is ", v1::LoanStatus_Name(loan.status()),
                                 "; the bank approves a loan the federation reviewed"));
              }
              if (who.name == loan.applied_by()) {
                return absl::PermissionDeniedError(
                    absl::StrCat(who.name, " took this application; another person approves it"));
              }
              FieldViolations v;
              absl::CivilDay on =
                  validate::DateOrToday(req->contract_on(), req->has_contract_on(), Today(), "contract_on", v);
              if (req->approved_fen() <= 0) {
                v.Add("approved_fen", "must be more than 0 fen");
              } else if (req->approved_fen() > loan.applied_fen()) {
                v.Add("approved_fen", absl::StrCat(YuanText(Fen{req->approved_fen()}), " is more than the ",
                                                   YuanText(Fen{loan.applied_fen()}), " applied for"));
              }
              RETURN_IF_ERROR(v.ToStatus());
              ASSIGN_OR_RETURN(v1::LoanProduct product,
                               ProductOn(loan.product_id(), StoredDay(loan.applied_on()), "loan_id"));
              ASSIGN_OR_RETURN(auto rates, d_.loans->ReferenceRates());
              ASSIGN_OR_RETURN(domain::Pricing price,
                               domain::PriceLoan(product, domain::RateInForce(rates, on), loan.term_months(),
                                                 req->annual_rate_bp(), "annual_rate_bp"));
              loan.set_status(v1::LOAN_STATUS_APPROVED);
              loan.set_approved_fen(req->approved_fen());
              *loan.mutable_contract_on() = ToProto(on);
              loan.set_annual_rate_bp(price.annual_rate_bp);
              loan.set_lpr_bp(price.lpr_bp);
              loan.set_borrower_rate_bp(price.borrower_rate_bp);
              loan.set_approved_by(who.name);
              v1::LoanApproved e;
              e.set_loan_id(loan.id());
              e.set_approved_fen(loan.approved_fen());
              e.set_annual_rate_bp(loan.annual_rate_bp());
              e.set_borrower_rate_bp(loan.borrower_rate_bp());
              *e.mutable_contract_on() = loan.contract_on();
              *e.mutable_figures() = domain::FiguresOf(loan);
              Emit(loan, e, req->request_id(), tx);
              return absl::OkStatus();
            },
            resp->mutable_loan());
      });
}

grpc::ServerUnaryReactor* LoanService::RejectLoan(grpc::CallbackServerContext* ctx, const v1::RejectLoanRequest* req,
                                                  v1::RejectLoanResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RejectLoan", req->request_id(), *req, resp, Role::kViewer},
      [&] { return rpc::LockScope::Keys({LoanKey(req->loan_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        return BankAction(
            who, req->loan_id(), tx,
            [&](v1::Loan& loan) -> absl::Status {
              if (loan.status() != v1::LOAN_STATUS_REVIEWED && loan.status() != v1::LOAN_STATUS_APPROVED) {
                return absl::FailedPreconditionError(absl::StrCat(
                    "loan ", loan.id(), " is ", v1::LoanStatus_Name(loan.status()), "; nothing to reject"));
              }
              FieldViolations v;
              std::string reason =
                  validate::CleanField(req->reason(), "reason", {.max_characters = 200, .required = true}, v);
              RETURN_IF_ERROR(v.ToStatus());
              loan.set_status(v1::LOAN_STATUS_REJECTED);
              loan.set_reason(reason);
              v1::LoanRejected e;
              e.set_loan_id(loan.id());
              e.set_reason(reason);
              *e.mutable_figures() = domain::FiguresOf(loan);
              Emit(loan, e, req->request_id(), tx);
              return absl::OkStatus();
            },
            resp->mutable_loan());
      });
}

grpc::ServerUnaryReactor* LoanService::DisburseLoan(grpc::CallbackServerContext* ctx,
                                                    const v1::DisburseLoanRequest* req,
                                                    v1::DisburseLoanResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"DisburseLoan", req->request_id(), *req, resp, Role::kViewer},
      [&] { return rpc::LockScope::Keys({LoanKey(req->loan_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        return BankAction(
            who, req->loan_id(), tx,
            [&](v1::Loan& loan) -> absl::Status {
              if (loan.status() != v1::LOAN_STATUS_APPROVED) {
                return absl::FailedPreconditionError(absl::StrCat("loan ", loan.id(), " is ",
                                                                  v1::LoanStatus_Name(loan.status()),
                                                                  "; a loan is disbursed once approved"));
              }
              if (who.name == loan.applied_by()) {
                return absl::PermissionDeniedError(
                    absl::StrCat(who.name, " took this application; another person disburses it"));
              }
              FieldViolations v;
              absl::CivilDay on =
                  validate::DateOrToday(req->disbursed_on(), req->has_disbursed_on(), Today(), "disbursed_on", v);
              if (on < StoredDay(loan.contract_on())) {
                v.Add("disbursed_on",
                      absl::StrCat("is before the contract date ", FormatCivilDate(StoredDay(loan.contract_on()))));
              }
              if (req->amount_fen() <= 0) {
                v.Add("amount_fen", "must be more than 0 fen");
              } else if (req->amount_fen() > loan.approved_fen()) {
                v.Add("amount_fen", absl::StrCat(YuanText(Fen{req->amount_fen()}), " is more than the ",
                                                 YuanText(Fen{loan.approved_fen()}), " approved"));
              }
              RETURN_IF_ERROR(v.ToStatus());
              ASSIGN_OR_RETURN(auto schedule, domain::DisbursementSchedule(loan, req->amount_fen(), on));
              int64_t interest = 0;
              for (auto& i : schedule) {
                interest += i.interest_fen();
                *loan.add_schedule() = std::move(i);
              }
              loan.set_status(v1::LOAN_STATUS_ACTIVE);
              loan.set_disbursed_fen(req->amount_fen());
              loan.set_outstanding_principal_fen(req->amount_fen());
              *loan.mutable_disbursed_on() = ToProto(on);
              *loan.mutable_maturity_on() = loan.schedule(loan.schedule_size() - 1).due_on();
              *loan.mutable_original_maturity_on() = loan.maturity_on();
              *loan.mutable_closed_through() = ToProto(on - 1);
              v1::LoanDisbursed e;
              e.set_loan_id(loan.id());
              e.set_amount_fen(req->amount_fen());
              *e.mutable_disbursed_on() = loan.disbursed_on();
              e.set_instalments(loan.schedule_size());
              e.set_total_interest_fen(interest);
              *e.mutable_figures() = domain::FiguresOf(loan);
              Emit(loan, e, req->request_id(), tx);
              // Disbursed in the past: the days since are closed now.
              CloseCounts ignored;
              CloseLoanThrough(loan, Today() - 1, tx, &ignored);
              return absl::OkStatus();
            },
            resp->mutable_loan());
      });
}

grpc::ServerUnaryReactor* LoanService::RecordRepayment(grpc::CallbackServerContext* ctx,
                                                       const v1::RecordRepaymentRequest* req,
                                                       v1::RecordRepaymentResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RecordRepayment", req->request_id(), *req, resp, Role::kViewer},
      [&] { return rpc::LockScope::Keys({LoanKey(req->loan_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        RETURN_IF_ERROR(BankAction(
            who, req->loan_id(), tx,
            [&](v1::Loan& loan) -> absl::Status {
              if (loan.status() != v1::LOAN_STATUS_ACTIVE) {
                return absl::FailedPreconditionError(
                    absl::StrCat("loan ", loan.id(), " is ", v1::LoanStatus_Name(loan.status()),
                                 loan.status() == v1::LOAN_STATUS_CLOSED || loan.status() == v1::LOAN_STATUS_WRITTEN_OFF
                                     ? "; nothing is owed"
                                     : "; repayments start once it is disbursed"));
              }
              FieldViolations v;
              absl::CivilDay on = validate::DateOrToday(req->paid_on(), req->has_paid_on(), Today(), "paid_on", v);
              if (req->has_paid_on() && on < StoredDay(loan.disbursed_on())) {
                v.Add("paid_on", absl::StrCat("is before the loan was disbursed on ",
                                              FormatCivilDate(StoredDay(loan.disbursed_on()))));
              } else if (loan.has_last_repaid_on() && on < StoredDay(loan.last_repaid_on())) {
                v.Add("paid_on", absl::StrCat("is before the last repayment, on ",
                                              FormatCivilDate(StoredDay(loan.last_repaid_on()))));
              }
              if (!v1::Prepayment_IsValid(req->prepayment())) v.Add("prepayment", "is not a prepayment kind");
              // The bank's transaction reference is checked as text; the loan and its events do not keep it.
              validate::CleanField(req->reference(), "reference", {.max_characters = 60, .required = false}, v);
              RETURN_IF_ERROR(v.ToStatus());
              std::vector<bool> forfeited;
              for (const auto& i : loan.schedule()) forfeited.push_back(i.subsidy_forfeited());
              const int before_size = loan.schedule_size();
              ASSIGN_OR_RETURN(v1::Allocation a,
                               domain::ApplyRepayment(loan, req->amount_fen(), on, req->prepayment()));
              v1::RepaymentRecorded e;
              e.set_loan_id(loan.id());
              e.set_amount_fen(req->amount_fen());
              *e.mutable_paid_on() = ToProto(on);
              e.set_interest_fen(a.overdue_interest_fen() + a.current_interest_fen());
              e.set_principal_fen(a.overdue_principal_fen() + a.current_principal_fen());
              e.set_prepaid_principal_fen(a.prepaid_principal_fen());
              *e.mutable_figures() = domain::FiguresOf(loan);
              Emit(loan, e, req->request_id(), tx);
              // Paid by its due date, recorded after the close forfeited its subsidy: the subsidy accrues after all.
              for (int k = 0; k < std::min(before_size, loan.schedule_size()); ++k) {
                v1::Instalment* i = loan.mutable_schedule(k);
                if (!forfeited[k] || !i->has_paid_on() || StoredDay(i->paid_on()) > StoredDay(i->due_on()) ||
                    i->extended())
                  continue;
                i->set_subsidy_forfeited(false);
                i->set_subsidy_accrued_fen(i->subsidy_fen());
                // Claimed in its due date's quarter unless that quarter's claim is made already; then in today's.
                absl::CivilDay due = StoredDay(i->due_on());
                ASSIGN_OR_RETURN(
                    std::optional<std::string> claimed,
                    d_.loans->ClaimOf(loan.lender_id(), static_cast<int>(due.year()), (due.month() - 1) / 3 + 1));
                Accrue(loan, {i->number(), due, i->interest_fen(), i->subsidy_fen()}, claimed ? Today() : due,
                       req->request_id(), tx);
              }
              if (auto change = domain::AgeArrears(loan, StoredDay(loan.closed_through()), d_.settings)) {
                v1::LoanOverdue o;
                o.set_loan_id(loan.id());
                o.set_from(change->from);
                o.set_to(change->to);
                o.set_days_past_due(change->days_past_due);
                o.set_overdue_principal_fen(change->overdue_principal_fen);
                o.set_overdue_interest_fen(change->overdue_interest_fen);
                *o.mutable_business_date() = loan.closed_through();
                *o.mutable_figures() = domain::FiguresOf(loan);
                Emit(loan, o, req->request_id(), tx);
              }
              if (loan.status() == v1::LOAN_STATUS_CLOSED) {
                v1::LoanClosed c;
                c.set_loan_id(loan.id());
                *c.mutable_closed_on() = ToProto(on);
                c.set_prepaid(req->prepayment() != v1::PREPAYMENT_NONE);
                *c.mutable_figures() = domain::FiguresOf(loan);
                Emit(loan, c, req->request_id(), tx);
              }
              *resp->mutable_allocation() = a;
              return absl::OkStatus();
            },
            resp->mutable_loan()));
        // The schedule only when a prepayment rebuilt it: a plain repayment changes paid amounts, which GetLoan shows.
        if (req->prepayment() == v1::PREPAYMENT_NONE) resp->mutable_loan()->clear_schedule();
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* LoanService::RescheduleLoan(grpc::CallbackServerContext* ctx,
                                                      const v1::RescheduleLoanRequest* req,
                                                      v1::RescheduleLoanResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RescheduleLoan", req->request_id(), *req, resp, Role::kViewer},
      [&] { return rpc::LockScope::Keys({LoanKey(req->loan_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        return BankAction(
            who, req->loan_id(), tx,
            [&](v1::Loan& loan) -> absl::Status {
              FieldViolations v;
              std::string reason =
                  validate::CleanField(req->reason(), "reason", {.max_characters = 200, .required = true}, v);
              RETURN_IF_ERROR(v.ToStatus());
              RETURN_IF_ERROR(domain::Reschedule(loan, req->extra_months(), Today()));
              loan.set_reason(reason);
              v1::LoanRescheduled e;
              e.set_loan_id(loan.id());
              e.set_extra_months(req->extra_months());
              *e.mutable_maturity_on() = loan.maturity_on();
              *e.mutable_figures() = domain::FiguresOf(loan);
              Emit(loan, e, req->request_id(), tx);
              return absl::OkStatus();
            },
            resp->mutable_loan());
      });
}

grpc::ServerUnaryReactor* LoanService::WriteOffLoan(grpc::CallbackServerContext* ctx,
                                                    const v1::WriteOffLoanRequest* req,
                                                    v1::WriteOffLoanResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"WriteOffLoan", req->request_id(), *req, resp, Role::kViewer},
      [&] { return rpc::LockScope::Keys({LoanKey(req->loan_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        return BankAction(
            who, req->loan_id(), tx,
            [&](v1::Loan& loan) -> absl::Status {
              FieldViolations v;
              std::string reason =
                  validate::CleanField(req->reason(), "reason", {.max_characters = 200, .required = true}, v);
              RETURN_IF_ERROR(v.ToStatus());
              RETURN_IF_ERROR(domain::CheckWriteOff(loan, d_.settings));
              int64_t principal = loan.outstanding_principal_fen();
              loan.set_status(v1::LOAN_STATUS_WRITTEN_OFF);
              loan.set_reason(reason);
              v1::LoanWrittenOff e;
              e.set_loan_id(loan.id());
              e.set_principal_fen(principal);
              e.set_reason(reason);
              *e.mutable_figures() = domain::FiguresOf(loan);
              Emit(loan, e, req->request_id(), tx);
              return absl::OkStatus();
            },
            resp->mutable_loan());
      });
}

grpc::Status LoanService::GetLoan(grpc::ServerContext* ctx, const v1::GetLoanRequest* req, v1::GetLoanResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    ASSIGN_OR_RETURN(v1::Loan loan, LoadLoan(req->loan_id()));
    RETURN_IF_ERROR(rpc::Authorize(who, Role::kViewer, loan.region_code()));
    *resp->mutable_loan() = std::move(loan);
    return absl::OkStatus();
  });
}

grpc::Status LoanService::ListLoans(grpc::ServerContext* ctx, const v1::ListLoansRequest* req,
                                    v1::ListLoansResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    FieldViolations v;
    if (!v1::LoanStatus_IsValid(req->status())) v.Add("status", "is not a loan status");
    if (req->maturing_within_days() < 0 || req->maturing_within_days() > 3660) {
      v.Add("maturing_within_days", "must be 0-3660");
    }
    int page_size = rpc::PageSize(req->page().page_size(), kPageLimits, "page.page_size", v);
    RETURN_IF_ERROR(v.ToStatus());
    absl::CivilDay today = Today();
    auto keep = [&](const v1::Loan& l) {
      if (!who.Covers(l.region_code())) return false;
      if (req->status() != v1::LOAN_STATUS_UNSPECIFIED && l.status() != req->status()) return false;
      if (req->overdue_only() && (l.status() != v1::LOAN_STATUS_ACTIVE || l.bucket() == v1::OVERDUE_BUCKET_CURRENT)) {
        return false;
      }
      if (req->maturing_within_days() > 0 &&
          (l.status() != v1::LOAN_STATUS_ACTIVE || StoredDay(l.maturity_on()) > today + req->maturing_within_days())) {
        return false;
      }
      return true;
    };
    if (!req->beneficiary_id().empty()) {
      ASSIGN_OR_RETURN(replica::v1::RegistryFacts woman, Person(req->beneficiary_id()));
      RETURN_IF_ERROR(rpc::Authorize(who, Role::kViewer, woman.region_code()));
      ASSIGN_OR_RETURN(auto loans, d_.loans->LoansOf(woman.beneficiary_id()));
      for (auto& l : loans) {
        if (keep(l)) *resp->add_loans() = std::move(l);
      }
      return absl::OkStatus();
    }
    auto scope = rpc::ReadScope(who, *d_.regions, req->region_prefix());
    if (!scope.ok()) return scope.status();
    rpc::PageQuery query{"ListLoans",
                         who.region_scope,
                         *scope,
                         {absl::StrCat("status=", req->status()), absl::StrCat("overdue=", req->overdue_only()),
                          absl::StrCat("maturing=", req->maturing_within_days())}};
    auto after = d_.pages->Resume(query, req->page().page_token(), "page.page_token");
    if (!after.ok()) return after.status();
    auto it = d_.loans->ScanLoans(*scope, *after);
    std::string last;
    for (; it->Valid(); it->Next()) {
      std::string key = it->key().ToString();
      if (resp->loans_size() >= page_size) {
        resp->set_next_page_token(d_.pages->Issue(query, last));
        break;
      }
      last = key;
      ASSIGN_OR_RETURN(auto loan, d_.loans->GetLoan(store::LoanStore::LoanIdOf(key)));
      if (loan && keep(*loan)) *resp->add_loans() = *std::move(loan);
    }
    return jinguo::store::FromRocks(it->status(), "list loans");
  });
}

// --- the close ---

grpc::Status LoanService::CloseBusinessDay(grpc::ServerContext* ctx, const v1::CloseBusinessDayRequest* req,
                                           v1::CloseBusinessDayResponse* resp) {
  auto who = d_.writes->Admit(*ctx, Role::kAdmin);
  if (!who.ok()) return rpc::ToGrpcStatus(who.status());
  absl::CivilDay date = Today() - 1;
  if (req->has_business_date()) {
    auto d = FromProto(req->business_date());
    if (!d.ok()) {
      return rpc::ToGrpcStatus(FieldError(absl::StatusCode::kInvalidArgument, "business_date", "is not a real day"));
    }
    date = *d;
  }
  auto result = Close(date, who->name, ctx->peer());
  if (!result.ok()) return rpc::ToGrpcStatus(result.status());
  *resp = *std::move(result);
  return grpc::Status::OK;
}

absl::StatusOr<v1::CloseBusinessDayResponse> LoanService::Close(absl::CivilDay through, const std::string& principal,
                                                                const std::string& client_address) {
  absl::CivilDay today = Today();
  if (through >= today) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "business_date",
                      absl::StrCat(FormatCivilDate(through), " has not ended yet (today is ", FormatCivilDate(today),
                                   " in China); a business date is closed once it is over"));
  }
  std::lock_guard<std::mutex> one_at_a_time(close_mu_);
  v1::CloseBusinessDayResponse out;
  ASSIGN_OR_RETURN(std::optional<absl::CivilDay> closed, d_.loans->ClosedThrough());
  if (closed && *closed >= through) {
    *out.mutable_closed_through() = ToProto(*closed);
    return out;
  }
  for (absl::CivilDay day = closed ? *closed + 1 : through; day <= through; ++day) {
    std::string resume;
    for (;;) {
      KeyedMutex::Held everything = d_.writes->locks().LockEverything();
      ASSIGN_OR_RETURN(std::vector<store::LoanStore::Due> due, d_.loans->AgendaThrough(day, kCloseChunk, resume));
      if (!due.empty()) resume = due.back().key;
      rpc::Tx tx;
      CloseCounts counts;
      for (const store::LoanStore::Due& entry : due) {
        ASSIGN_OR_RETURN(auto stored, d_.loans->GetLoan(entry.loan_id));
        if (!stored || stored->status() != v1::LOAN_STATUS_ACTIVE) {
          d_.loans->DropAgenda(&tx.batch, entry.key);
          continue;
        }
        v1::Loan loan = *std::move(stored);
        const std::string agenda_key = store::LoanStore::AgendaKeyOf(loan);
        CloseLoanThrough(loan, day, tx, &counts);
        Store(loan, false, agenda_key, tx);
        out.set_loans_processed(out.loans_processed() + 1);
      }
      out.set_subsidy_accrued_fen(out.subsidy_accrued_fen() + counts.subsidy_fen);
      out.set_overdue_changes(out.overdue_changes() + counts.overdue_changes);
      out.set_maturity_warnings(out.maturity_warnings() + counts.maturity_warnings);
      out.set_reminders(out.reminders() + counts.reminders);
      bool last = due.size() < kCloseChunk;
      if (last) d_.loans->PutClosedThrough(&tx.batch, day);
      RETURN_IF_ERROR(d_.writes->CommitBulk(std::move(tx), principal, client_address, "CloseBusinessDay"));
      if (last) break;
    }
    out.set_days_closed(out.days_closed() + 1);
    *out.mutable_closed_through() = ToProto(day);
  }
  return out;
}

void LoanService::StartDailyClose(int at_minute_of_day, absl::Duration period) {
  closer_ = std::thread([this, at_minute_of_day, period] { CloseLoop(at_minute_of_day, period); });
}

void LoanService::CloseLoop(int at_minute_of_day, absl::Duration period) {
  std::unique_lock<std::mutex> l(loop_mu_);
  while (!stopping_) {
    l.unlock();
    absl::CivilSecond now = absl::ToCivilSecond(d_.clock->Now(), ChinaTimeZone());
    absl::CivilDay yesterday = absl::CivilDay(now) - 1;
    auto closed = d_.loans->ClosedThrough();
    bool due = now.hour() * 60 + now.minute() >= at_minute_of_day;
    if (!closed.ok()) {
      spdlog::warn("loans: the daily close cannot read the date it last closed: {}", closed.status().ToString());
    } else if (due && (!*closed || **closed < yesterday)) {
      auto result = Close(yesterday, "loans (daily close)", "");
      if (!result.ok()) {
        spdlog::warn("loans: daily close through {} failed: {}", FormatCivilDate(yesterday),
                     result.status().ToString());
      } else {
        spdlog::info("loans: closed {} day(s) through {}: {} loans, {} arrears changes, {} maturity warnings",
                     result->days_closed(), FormatCivilDate(yesterday), result->loans_processed(),
                     result->overdue_changes(), result->maturity_warnings());
      }
    }
    l.lock();
    loop_cv_.wait_for(l, absl::ToChronoMilliseconds(period), [this] { return stopping_; });
  }
}

// --- subsidy claims ---

grpc::ServerUnaryReactor* LoanService::GenerateSubsidyClaim(grpc::CallbackServerContext* ctx,
                                                            const v1::GenerateSubsidyClaimRequest* req,
                                                            v1::GenerateSubsidyClaimResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"GenerateSubsidyClaim", req->request_id(), *req, resp, Role::kViewer},
      [&] { return rpc::LockScope::Keys({absl::StrCat("claims:", req->lender_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        if (req->lender_id().empty()) return FieldError(absl::StatusCode::kInvalidArgument, "lender_id", "is required");
        ASSIGN_OR_RETURN(auto lender, d_.loans->GetLender(req->lender_id()));
        if (!lender) {
          return FieldError(absl::StatusCode::kNotFound, "lender_id", absl::StrCat("no lender ", req->lender_id()));
        }
        RETURN_IF_ERROR(rpc::AuthorizeLending(who, lender->region_code()));
        FieldViolations v;
        if (req->quarter() < 1 || req->quarter() > 4) v.Add("quarter", "must be 1-4");
        if (req->year() < 2000 || req->year() > 2100) v.Add("year", "must be a year such as 2026");
        RETURN_IF_ERROR(v.ToStatus());
        absl::CivilDay end = QuarterEnd(req->year(), req->quarter());
        if (end >= Today()) {
          return FieldError(absl::StatusCode::kFailedPrecondition, "quarter",
                            absl::StrCat(req->year(), " Q", req->quarter(), " ends on ", FormatCivilDate(end),
                                         "; a quarter is claimed once it is over"));
        }
        ASSIGN_OR_RETURN(std::optional<absl::CivilDay> closed, d_.loans->ClosedThrough());
        if (!closed || *closed < end) {
          return FieldError(absl::StatusCode::kFailedPrecondition, "quarter",
                            absl::StrCat("the daily close has not reached ", FormatCivilDate(end),
                                         " yet (closed through ", closed ? FormatCivilDate(*closed) : "none", ")"));
        }
        ASSIGN_OR_RETURN(std::optional<std::string> existing,
                         d_.loans->ClaimOf(lender->id(), req->year(), req->quarter()));
        if (existing) {
          return FieldError(
              absl::StatusCode::kAlreadyExists, "quarter",
              absl::StrCat(req->year(), " Q", req->quarter(), " of this lender is claimed already: ", *existing));
        }
        ASSIGN_OR_RETURN(auto accruals, d_.loans->Accruals(lender->id(), req->year(), req->quarter()));
        v1::SubsidyClaim c;
        c.set_id(d_.ids->Next());
        c.set_lender_id(lender->id());
        c.set_year(req->year());
        c.set_quarter(req->quarter());
        c.set_status(v1::CLAIM_STATUS_DRAFT);
        std::map<std::string, v1::ClaimLine> lines;
        for (auto& [key, a] : accruals) {
          if (!a.claim_id().empty()) continue;
          v1::ClaimLine& l = lines[a.loan_id()];
          l.set_loan_id(a.loan_id());
          l.set_beneficiary_id(a.beneficiary_id());
          l.set_region_code(a.region_code());
          l.set_interest_paid_fen(l.interest_paid_fen() + a.interest_fen());
          l.set_subsidy_fen(l.subsidy_fen() + a.subsidy_fen());
          l.set_central_fen(l.central_fen() + a.central_fen());
          l.set_province_fen(l.province_fen() + a.province_fen());
          l.set_city_fen(l.city_fen() + a.city_fen());
          l.set_periods(l.periods() + 1);
          a.set_claim_id(c.id());
          d_.loans->UpdateAccrual(&tx.batch, key, a);
        }
        for (auto& [id, l] : lines) {
          c.set_interest_paid_fen(c.interest_paid_fen() + l.interest_paid_fen());
          c.set_subsidy_fen(c.subsidy_fen() + l.subsidy_fen());
          c.set_central_fen(c.central_fen() + l.central_fen());
          c.set_province_fen(c.province_fen() + l.province_fen());
          c.set_city_fen(c.city_fen() + l.city_fen());
          *c.add_lines() = std::move(l);
        }
        c.set_version(1);
        d_.loans->PutClaim(&tx.batch, c);
        v1::SubsidyClaimGenerated e;
        e.set_claim_id(c.id());
        e.set_lender_id(c.lender_id());
        e.set_year(c.year());
        e.set_quarter(c.quarter());
        e.set_loans(c.lines_size());
        e.set_subsidy_fen(c.subsidy_fen());
        tx.events.push_back(events_.Make({c.id(), c.version(), "", lender->region_code()}, e, req->request_id()));
        *resp->mutable_claim() = std::move(c);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* LoanService::AdvanceSubsidyClaim(grpc::CallbackServerContext* ctx,
                                                           const v1::AdvanceSubsidyClaimRequest* req,
                                                           v1::AdvanceSubsidyClaimResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"AdvanceSubsidyClaim", req->request_id(), *req, resp, Role::kViewer},
      [&] { return rpc::LockScope::Keys({absl::StrCat("claim:", req->claim_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        if (req->claim_id().empty()) return FieldError(absl::StatusCode::kInvalidArgument, "claim_id", "is required");
        ASSIGN_OR_RETURN(auto claim, d_.loans->GetClaim(req->claim_id()));
        if (!claim) {
          return FieldError(absl::StatusCode::kNotFound, "claim_id",
                            absl::StrCat("no subsidy claim ", req->claim_id()));
        }
        ASSIGN_OR_RETURN(auto lender, d_.loans->GetLender(claim->lender_id()));
        std::string region = lender ? lender->region_code() : "";
        v1::SubsidyClaim c = *std::move(claim);
        if (req->to() != c.status() + 1) {
          return FieldError(absl::StatusCode::kFailedPrecondition, "to",
                            absl::StrCat("claim ", c.id(), " is ", v1::ClaimStatus_Name(c.status()), "; it moves to ",
                                         v1::ClaimStatus_Name(static_cast<v1::ClaimStatus>(
                                             std::min<int>(c.status() + 1, v1::CLAIM_STATUS_PAID))),
                                         " next"));
        }
        // The bank submits; the federation's finance side (operators, admins) approves and records the payment.
        if (req->to() == v1::CLAIM_STATUS_SUBMITTED) {
          RETURN_IF_ERROR(rpc::AuthorizeLending(who, region));
        } else {
          RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, region));
        }
        c.set_status(req->to());
        c.set_version(c.version() + 1);
        if (req->to() == v1::CLAIM_STATUS_PAID) {
          FieldViolations v;
          std::string reference = validate::CleanField(req->paid_reference(), "paid_reference",
                                                       {.max_characters = 60, .required = true}, v);
          absl::CivilDay on = validate::DateOrToday(req->paid_on(), req->has_paid_on(), Today(), "paid_on", v);
          RETURN_IF_ERROR(v.ToStatus());
          c.set_paid_reference(reference);
          *c.mutable_paid_on() = ToProto(on);
          v1::SubsidyClaimPaid e;
          e.set_claim_id(c.id());
          e.set_lender_id(c.lender_id());
          e.set_subsidy_fen(c.subsidy_fen());
          *e.mutable_paid_on() = c.paid_on();
          std::map<std::string, int64_t> by_region;
          for (const auto& l : c.lines()) by_region[l.region_code()] += l.subsidy_fen();
          for (const auto& [r, fen] : by_region) {
            v1::RegionAmount* a = e.add_regions();
            a->set_region_code(r);
            a->set_subsidy_fen(fen);
          }
          tx.events.push_back(events_.Make({c.id(), c.version(), "", region}, e, req->request_id()));
        }
        d_.loans->PutClaim(&tx.batch, c);
        *resp->mutable_claim() = std::move(c);
        return absl::OkStatus();
      });
}

grpc::Status LoanService::GetSubsidyClaim(grpc::ServerContext* ctx, const v1::GetSubsidyClaimRequest* req,
                                          v1::GetSubsidyClaimResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    ASSIGN_OR_RETURN(auto claim, d_.loans->GetClaim(req->claim_id()));
    if (!claim) {
      return FieldError(absl::StatusCode::kNotFound, "claim_id", absl::StrCat("no subsidy claim ", req->claim_id()));
    }
    ASSIGN_OR_RETURN(auto lender, d_.loans->GetLender(claim->lender_id()));
    RETURN_IF_ERROR(rpc::Authorize(who, Role::kViewer, lender ? lender->region_code() : ""));
    *resp->mutable_claim() = *std::move(claim);
    return absl::OkStatus();
  });
}

grpc::Status LoanService::ExportSubsidyClaim(grpc::ServerContext* ctx, const v1::ExportSubsidyClaimRequest* req,
                                             grpc::ServerWriter<v1::ExportSubsidyClaimResponse>* writer) {
  auto who = d_.writes->Admit(*ctx, Role::kViewer);
  if (!who.ok()) return rpc::ToGrpcStatus(who.status());
  auto claim = d_.loans->GetClaim(req->claim_id());
  if (!claim.ok()) return rpc::ToGrpcStatus(claim.status());
  if (!*claim) {
    return rpc::ToGrpcStatus(
        FieldError(absl::StatusCode::kNotFound, "claim_id", absl::StrCat("no subsidy claim ", req->claim_id())));
  }
  auto lender = d_.loans->GetLender((*claim)->lender_id());
  if (!lender.ok()) return rpc::ToGrpcStatus(lender.status());
  std::string region = *lender ? (*lender)->region_code() : "";
  if (absl::Status s = rpc::Authorize(*who, Role::kViewer, region); !s.ok()) return rpc::ToGrpcStatus(s);
  const v1::SubsidyClaim& c = **claim;
  auto region_name = [&](const std::string& code) {
    const regions::Region* r = d_.regions->Find(code);
    return r ? r->name : std::string();
  };
  std::string out = "\xEF\xBB\xBF";  // BOM: spreadsheets then read the file as UTF-8
  out += "序号,贷款编号,借款人编号,地区代码,地区,贴息期数,利息(元),贴息(元),中央财政(元),省级财政(元),市县财政(元)\n";
  int n = 0;
  for (const auto& l : c.lines()) {
    std::string line = absl::StrCat(++n, ",");
    for (const std::string& field : {l.loan_id(), l.beneficiary_id(), l.region_code(), region_name(l.region_code())}) {
      AppendCsvField(&line, field);
      line += ",";
    }
    absl::StrAppend(&line, l.periods(), ",", FormatYuan(Fen{l.interest_paid_fen()}), ",",
                    FormatYuan(Fen{l.subsidy_fen()}), ",", FormatYuan(Fen{l.central_fen()}), ",",
                    FormatYuan(Fen{l.province_fen()}), ",", FormatYuan(Fen{l.city_fen()}), "\n");
    out += line;
  }
  absl::StrAppend(&out, "合计,,,,,,", FormatYuan(Fen{c.interest_paid_fen()}), ",", FormatYuan(Fen{c.subsidy_fen()}),
                  ",", FormatYuan(Fen{c.central_fen()}), ",", FormatYuan(Fen{c.province_fen()}), ",",
                  FormatYuan(Fen{c.city_fen()}), "\n");
  d_.writes->AuditRead(*ctx, *who, "ExportSubsidyClaim", {c.id()}, region);
  for (size_t at = 0; at < out.size(); at += 64 * 1024) {
    v1::ExportSubsidyClaimResponse piece;
    piece.set_data(out.substr(at, 64 * 1024));
    if (!writer->Write(piece)) break;
  }
  return grpc::Status::OK;
}

}  // namespace jinguo::loans::api
