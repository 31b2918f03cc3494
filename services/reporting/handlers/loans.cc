// jinguo.loans.events.v1 into reporting's read models. Every loan event carries the loan's figures after it; the
// borrower's profile keeps them per loan (LoanSnapshot) and her contributions follow (domain/indicators.cc). Flows
// that are not a loan's state: accrued subsidy (added to the loan's snapshot), claims paid (by region).
#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/money.h"
#include "common/base/status.h"
#include "jinguo/loans/v1/events.pb.h"
#include "services/reporting/handlers/handlers.h"
#include "services/reporting/store/event_projector.h"

namespace jinguo::reporting::store {

namespace lv1 = ::jinguo::loans::v1;

namespace {

using Envelope = common::v1::EventEnvelope;
using Tx = projection::ProjectionTx;

void Snapshot(v1::ProfileState& state, const std::string& loan_id, const lv1::LoanFigures& f) {
  v1::LoanSnapshot& s = (*state.mutable_loans())[loan_id];
  s.set_status(f.status());
  s.set_disbursed_fen(f.disbursed_fen());
  s.set_outstanding_principal_fen(f.outstanding_principal_fen());
  s.set_bucket(f.bucket());
  s.set_maturity_warned(f.maturity_warned());
  s.set_days_past_due(f.days_past_due());
  auto maturity = FromProto(f.maturity_on());
  s.set_maturity_day(maturity.ok() ? static_cast<int32_t>(DayNumber(*maturity)) : 0);
}

// Routes loan event `M` to her profile: the figures, and a timeline line when `line` says one.
template <typename M>
void OnLoan(projection::EventRouter& router, EventProjector& p, std::string (*line)(const M&)) {
  router.On<M>([&p, line](const M& m, const Envelope& e, Tx& tx) {
    return p.UpdateProfile(tx, e, e.beneficiary_id(), [&](v1::ProfileState& state) {
      Snapshot(state, m.loan_id(), m.figures());
      std::string text = line ? line(m) : "";
      if (!text.empty()) EventProjector::AddTimeline(state, e, text);
    });
  });
}

}  // namespace

void RouteLoanEvents(projection::EventRouter& router, EventProjector& projector) {
  EventProjector& p = projector;
  OnLoan<lv1::LoanApplied>(router, p, [](const lv1::LoanApplied& a) {
    return absl::StrCat("申请贷款 ", YuanText(Fen{a.amount_fen()}), "，", a.term_months(), " 个月（", a.project(),
                        "）");
  });
  OnLoan<lv1::LoanReviewed>(router, p, nullptr);
  OnLoan<lv1::LoanApproved>(router, p, [](const lv1::LoanApproved& a) {
    return absl::StrCat("银行审批贷款 ", YuanText(Fen{a.approved_fen()}));
  });
  OnLoan<lv1::LoanRejected>(router, p, [](const lv1::LoanRejected&) { return std::string("贷款申请未获批准"); });
  OnLoan<lv1::LoanDisbursed>(router, p, [](const lv1::LoanDisbursed& d) {
    auto on = FromProto(d.disbursed_on());
    return absl::StrCat("贷款发放 ", YuanText(Fen{d.amount_fen()}),
                        on.ok() ? absl::StrCat(" ", FormatCivilDate(*on)) : "");
  });
  OnLoan<lv1::RepaymentRecorded>(router, p, nullptr);
  OnLoan<lv1::LoanRescheduled>(
      router, p, [](const lv1::LoanRescheduled& r) { return absl::StrCat("贷款展期 ", r.extra_months(), " 个月"); });
  OnLoan<lv1::LoanOverdue>(router, p, nullptr);
  OnLoan<lv1::LoanMaturityWarning>(router, p, nullptr);
  OnLoan<lv1::InstalmentDueReminder>(router, p, nullptr);
  OnLoan<lv1::LoanClosed>(router, p, [](const lv1::LoanClosed&) { return std::string("贷款结清"); });
  OnLoan<lv1::LoanWrittenOff>(router, p, [](const lv1::LoanWrittenOff&) { return std::string("贷款核销"); });
  router.On<lv1::SubsidyAccrued>([&p](const lv1::SubsidyAccrued& a, const Envelope& e, Tx& tx) {
    return p.UpdateProfile(tx, e, e.beneficiary_id(), [&](v1::ProfileState& state) {
      Snapshot(state, a.loan_id(), a.figures());
      v1::LoanSnapshot& s = (*state.mutable_loans())[a.loan_id()];
      s.set_subsidy_accrued_fen(s.subsidy_accrued_fen() + a.subsidy_fen());
    });
  });
  router.On<lv1::SubsidyClaimPaid>([&p](const lv1::SubsidyClaimPaid& paid, const Envelope& e, Tx& tx) -> absl::Status {
    for (const auto& r : paid.regions()) {
      RETURN_IF_ERROR(p.AddEverywhere(tx, e, r.region_code(), domain::kSubsidyPaidFen, r.subsidy_fen()));
    }
    return absl::OkStatus();
  });
  auto nothing = [](const auto&, const Envelope&, Tx&) { return absl::OkStatus(); };
  router.On<lv1::LoanProductCreated>(nothing);
  router.On<lv1::ReferenceRateSet>(nothing);
  router.On<lv1::LenderCreated>(nothing);
  router.On<lv1::SubsidyClaimGenerated>(nothing);
}

}  // namespace jinguo::reporting::store
