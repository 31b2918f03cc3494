#include "services/loans/domain/loan_rules.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/money.h"
#include "common/validate/text.h"

namespace jinguo::loans::domain {

namespace reg = ::jinguo::registration::v1;
using validate::FieldError;
using validate::FieldViolations;

namespace {

constexpr int kDefaultMinAge = 18;
constexpr int kDefaultMaxAge = 60;

// Statutory limits per kind: cap and term.
struct KindLimits {
  int64_t cap_fen;
  int max_term_months;
  const char* name;
};
std::optional<KindLimits> LimitsOf(v1::LoanKind kind) {
  switch (kind) {
    case v1::LOAN_KIND_BUSINESS_GUARANTEED:
      return KindLimits{20000000, 36, "创业担保贷款"};
    case v1::LOAN_KIND_POVERTY_MICROCREDIT:
      return KindLimits{5000000, 36, "脱贫人口小额信贷"};
    case v1::LOAN_KIND_WOMEN_GUARANTEED:
      return KindLimits{10000000, 36, "妇女小额担保贷款"};
    default:
      return std::nullopt;
  }
}

int LprTerm(int term_months) { return term_months > 60 ? v1::RATE_TERM_FIVE_YEAR : v1::RATE_TERM_ONE_YEAR; }

int32_t LprOf(const v1::ReferenceRate& r, int term_months) {
  return LprTerm(term_months) == v1::RATE_TERM_FIVE_YEAR ? r.five_year_bp() : r.one_year_bp();
}

SubsidyTerms SubsidyOf(const v1::Loan& loan) {
  SubsidyTerms s;
  if (!loan.has_subsidy()) return s;
  switch (loan.subsidy().rule_case()) {
    case v1::SubsidyRule::kBorrowerPaysLprMinusBp:
      s.kind = SubsidyTerms::Kind::kBorrowerRate;
      s.borrower_rate_bp = loan.borrower_rate_bp();
      break;
    case v1::SubsidyRule::kInterestShareBp:
      s.kind = SubsidyTerms::Kind::kShare;
      s.share_bp = loan.subsidy().interest_share_bp();
      break;
    default:
      break;
  }
  return s;
}

// The schedule terms of `loan` (rate, method, day count, rounding, subsidy, counted from its disbursement date) for
// `principal_fen`; the caller sets the months it covers.
ScheduleTerms TermsOf(const v1::Loan& loan, int64_t principal_fen) {
  ScheduleTerms t;
  t.principal_fen = principal_fen;
  t.annual_rate_bp = loan.annual_rate_bp();
  t.method = loan.method();
  t.day_count = loan.day_count();
  t.rounding = loan.rounding();
  t.subsidy = SubsidyOf(loan);
  t.anchor = StoredDay(loan.disbursed_on());
  if (loan.has_original_maturity_on()) t.extended_after = StoredDay(loan.original_maturity_on());
  return t;
}

int64_t OutstandingPrincipal(const v1::Loan& loan) {
  int64_t sum = 0;
  for (const auto& i : loan.schedule()) sum += i.principal_fen() - i.paid_principal_fen();
  return sum;
}

// Marks `i` paid in full on `on` when it is.
void SettleIfPaid(v1::Instalment& i, absl::CivilDay on) {
  if (!i.has_paid_on() && PaidInFull(i, on)) *i.mutable_paid_on() = ToProto(on);
}

}  // namespace

v1::LoanProduct ProductFrom(const v1::LoanProduct& in, FieldViolations& v) {
  v1::LoanProduct p = in;
  p.set_version(0);
  p.clear_created_at();
  const std::string& id = in.id();
  if (id.empty()) {
    v.Add("product.id", "is required: a code such as cydb-tangshan that every version shares");
  } else if (id.size() > 40 || id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
    v.Add("product.id", "must be up to 40 lower-case letters, digits and hyphens");
  }
  if (!in.has_effective_on() || !FromProto(in.effective_on()).ok()) {
    v.Add("product.effective_on", "is required: the first day this version applies to applications");
  }
  auto name = validate::CleanText(in.name(), {.max_characters = 60, .required = true});
  if (v.Check("product.name", name.status())) p.set_name(*name);
  auto limits = LimitsOf(in.kind());
  if (!limits) v.Add("product.kind", "must be 创业担保贷款, 脱贫人口小额信贷 or 妇女小额担保贷款");
  if (in.cap_fen() <= 0) {
    v.Add("product.cap_fen", "must be more than 0 (the most one borrower may owe, in fen)");
  } else if (limits && in.cap_fen() > limits->cap_fen) {
    v.Add("product.cap_fen",
          absl::StrCat("is above the ", YuanText(Fen{limits->cap_fen}), " a ", limits->name, " may lend"));
  }
  if (in.max_term_months() <= 0) {
    v.Add("product.max_term_months", "must be at least 1");
  } else if (limits && in.max_term_months() > limits->max_term_months) {
    v.Add("product.max_term_months",
          absl::StrCat("is above the ", limits->max_term_months, " months a ", limits->name, " may run"));
  }
  switch (in.rate().base_case()) {
    case v1::RateRule::kFixedBp:
      if (in.rate().fixed_bp() < 0 || in.rate().fixed_bp() > 2400) {
        v.Add("product.rate.fixed_bp", "must be 0-2400 basis points a year");
      }
      break;
    case v1::RateRule::kLprSpreadBp:
      if (in.rate().lpr_spread_bp() < -500 || in.rate().lpr_spread_bp() > 1000) {
        v.Add("product.rate.lpr_spread_bp", "must be -500 to 1000 basis points over the LPR");
      }
      break;
    default:
      v.Add("product.rate", "needs fixed_bp or lpr_spread_bp");
  }
  if (in.rate().cap_case() == v1::RateRule::kCapBp && in.rate().cap_bp() <= 0) {
    v.Add("product.rate.cap_bp", "must be more than 0");
  }
  if (in.methods().empty()) v.Add("product.methods", "needs at least one repayment method");
  for (int i = 0; i < in.methods_size(); ++i) {
    if (in.methods(i) < v1::REPAYMENT_METHOD_EQUAL_INSTALMENT ||
        in.methods(i) > v1::REPAYMENT_METHOD_QUARTERLY_INTEREST) {
      v.Add(absl::StrCat("product.methods[", i, "]"), "is not a repayment method");
    }
  }
  if (in.day_count() == v1::DAY_COUNT_UNSPECIFIED) p.set_day_count(v1::DAY_COUNT_ACT_360);
  if (in.rounding() == v1::ROUNDING_UNSPECIFIED) p.set_rounding(v1::ROUNDING_HALF_EVEN);
  if (in.has_subsidy()) {
    const v1::SubsidyRule& s = in.subsidy();
    switch (s.rule_case()) {
      case v1::SubsidyRule::kBorrowerPaysLprMinusBp:
        if (s.borrower_pays_lpr_minus_bp() < 0 || s.borrower_pays_lpr_minus_bp() > 1000) {
          v.Add("product.subsidy.borrower_pays_lpr_minus_bp", "must be 0-1000 basis points");
        }
        break;
      case v1::SubsidyRule::kInterestShareBp:
        if (s.interest_share_bp() <= 0 || s.interest_share_bp() > 10000) {
          v.Add("product.subsidy.interest_share_bp", "must be 1-10000 basis points of the interest");
        }
        break;
      default:
        v.Add("product.subsidy", "needs borrower_pays_lpr_minus_bp or interest_share_bp");
    }
    if (s.central_bp() < 0 || s.province_bp() < 0 || s.city_bp() < 0 ||
        s.central_bp() + s.province_bp() + s.city_bp() != 10000) {
      v.Add("product.subsidy.central_bp",
            "central_bp, province_bp and city_bp must be 0 or more and add up to 10000 (the whole subsidy)");
    }
  }
  v1::Eligibility* e = p.mutable_eligibility();
  if (e->min_age() == 0) e->set_min_age(kDefaultMinAge);
  if (e->max_age() == 0) e->set_max_age(kDefaultMaxAge);
  if (e->max_active_loans() == 0) e->set_max_active_loans(1);
  if (e->min_age() < 16 || e->max_age() < e->min_age() || e->max_age() > 100) {
    v.Add("product.eligibility.min_age", "needs 16 <= min_age <= max_age <= 100 (0 for 18 and 60)");
  }
  if (e->max_active_loans() < 0) v.Add("product.eligibility.max_active_loans", "must not be negative");
  return p;
}

std::optional<v1::ReferenceRate> RateInForce(const std::vector<v1::ReferenceRate>& table, absl::CivilDay on) {
  std::optional<v1::ReferenceRate> best;
  for (const auto& r : table) {
    absl::CivilDay published = StoredDay(r.published_on());
    if (published > on) continue;
    if (!best || published > StoredDay(best->published_on())) best = r;
  }
  return best;
}

absl::StatusOr<Pricing> PriceLoan(const v1::LoanProduct& product, const std::optional<v1::ReferenceRate>& lpr,
                                  int term_months, int32_t requested_bp, absl::string_view rate_field) {
  const v1::RateRule& rule = product.rate();
  bool needs_lpr = rule.base_case() == v1::RateRule::kLprSpreadBp || rule.cap_case() == v1::RateRule::kCapLprSpreadBp ||
                   product.subsidy().rule_case() == v1::SubsidyRule::kBorrowerPaysLprMinusBp;
  if (needs_lpr && !lpr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "product ", product.id(), " prices from the LPR and no LPR is set for that date (SetReferenceRate)"));
  }
  Pricing p;
  if (lpr) p.lpr_bp = LprOf(*lpr, term_months);
  if (requested_bp > 0) {
    p.annual_rate_bp = requested_bp;
  } else if (rule.base_case() == v1::RateRule::kFixedBp) {
    p.annual_rate_bp = rule.fixed_bp();
  } else {
    p.annual_rate_bp = std::max(0, p.lpr_bp + rule.lpr_spread_bp());
  }
  if (requested_bp < 0) return FieldError(absl::StatusCode::kInvalidArgument, rate_field, "must not be negative");
  std::optional<int32_t> cap;
  if (rule.cap_case() == v1::RateRule::kCapBp) cap = rule.cap_bp();
  if (rule.cap_case() == v1::RateRule::kCapLprSpreadBp) cap = p.lpr_bp + rule.cap_lpr_spread_bp();
  if (cap && p.annual_rate_bp > *cap) {
    return FieldError(absl::StatusCode::kInvalidArgument, rate_field,
                      absl::StrCat(p.annual_rate_bp, " BP is above product ", product.id(), "'s cap of ", *cap, " BP"));
  }
  p.borrower_rate_bp = p.annual_rate_bp;
  switch (product.subsidy().rule_case()) {
    case v1::SubsidyRule::kBorrowerPaysLprMinusBp:
      p.borrower_rate_bp = BorrowerRate(p.annual_rate_bp, p.lpr_bp, product.subsidy().borrower_pays_lpr_minus_bp());
      p.subsidy = {SubsidyTerms::Kind::kBorrowerRate, p.borrower_rate_bp, 0};
      break;
    case v1::SubsidyRule::kInterestShareBp:
      p.subsidy = {SubsidyTerms::Kind::kShare, 0, product.subsidy().interest_share_bp()};
      p.borrower_rate_bp = static_cast<int32_t>(RoundDiv(
          absl::int128(p.annual_rate_bp) * (10000 - product.subsidy().interest_share_bp()), 10000, product.rounding()));
      break;
    default:
      break;
  }
  return p;
}

void CheckLoanTerms(const v1::LoanProduct& product, int64_t amount_fen, int term_months, v1::RepaymentMethod method,
                    FieldViolations& v) {
  if (amount_fen <= 0) {
    v.Add("amount_fen", "must be more than 0 fen");
  } else if (amount_fen > product.cap_fen()) {
    v.Add("amount_fen", absl::StrCat(YuanText(Fen{amount_fen}), " is above product ", product.id(), "'s cap of ",
                                     YuanText(Fen{product.cap_fen()}), " per borrower"));
  }
  if (term_months <= 0) {
    v.Add("term_months", "must be at least 1");
  } else if (term_months > product.max_term_months()) {
    v.Add("term_months", absl::StrCat(term_months, " months is above product ", product.id(), "'s maximum of ",
                                      product.max_term_months()));
  }
  if (std::find(product.methods().begin(), product.methods().end(), method) == product.methods().end()) {
    v.Add("method",
          absl::StrCat(v1::RepaymentMethod_Name(method), " is not a method product ", product.id(), " allows"));
  }
}

absl::Status CheckBorrower(const v1::LoanProduct& product, const replica::v1::RegistryFacts& person, absl::CivilDay on,
                           int active_loans, const std::string& overdue_loan, absl::string_view field) {
  auto refuse = [&](absl::string_view why) { return FieldError(absl::StatusCode::kFailedPrecondition, field, why); };
  if (!person.merged_into().empty()) return refuse(absl::StrCat("was merged into ", person.merged_into()));
  if (person.category() != reg::CATEGORY_WOMAN) {
    return refuse("is not a registered woman; these loans are for registered women");
  }
  auto born = FromProto(person.birth_date());
  if (born.ok()) {
    int age = AgeInYears(*born, on);
    const v1::Eligibility& e = product.eligibility();
    if (age < e.min_age() || age > e.max_age()) {
      return refuse(absl::StrCat("is ", age, " on ", FormatCivilDate(on), "; product ", product.id(),
                                 " lends to women aged ", e.min_age(), "-", e.max_age()));
    }
  }
  const auto& statuses = product.eligibility().monitoring_statuses();
  if (!statuses.empty() &&
      std::find(statuses.begin(), statuses.end(), static_cast<int>(person.monitoring_status())) == statuses.end()) {
    return refuse(absl::StrCat("has monitoring status ", reg::MonitoringStatus_Name(person.monitoring_status()),
                               ", which product ", product.id(), " does not lend to"));
  }
  if (!overdue_loan.empty()) return refuse(absl::StrCat("has loan ", overdue_loan, " in arrears"));
  if (active_loans >= product.eligibility().max_active_loans()) {
    return refuse(absl::StrCat("already has ", active_loans, " active loan", active_loans == 1 ? "" : "s", "; product ",
                               product.id(), " allows ", product.eligibility().max_active_loans()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Instalment>> DisbursementSchedule(const v1::Loan& loan, int64_t amount_fen,
                                                                 absl::CivilDay on) {
  ScheduleTerms t = TermsOf(loan, amount_fen);
  t.anchor = on;
  t.months = loan.term_months();
  return BuildSchedule(t);
}

int64_t InterestDue(const v1::Instalment& i, absl::CivilDay on) {
  bool on_time = on <= StoredDay(i.due_on()) && !i.extended();
  return i.interest_fen() - (on_time ? i.subsidy_fen() : 0);
}

bool PaidInFull(const v1::Instalment& i, absl::CivilDay on) {
  return i.paid_principal_fen() >= i.principal_fen() && i.paid_interest_fen() >= InterestDue(i, on);
}

Dues DuesOn(const v1::Loan& loan, absl::CivilDay on) {
  Dues d;
  for (int k = 0; k < loan.schedule_size(); ++k) {
    const v1::Instalment& i = loan.schedule(k);
    if (i.has_paid_on()) continue;
    int64_t interest = std::max<int64_t>(0, InterestDue(i, on) - i.paid_interest_fen());
    int64_t principal = i.principal_fen() - i.paid_principal_fen();
    if (StoredDay(i.due_on()) < on) {
      d.overdue_interest_fen += interest;
      d.overdue_principal_fen += principal;
    } else {
      d.current_interest_fen = interest;
      d.current_principal_fen = principal;
      d.current_index = k;
      break;
    }
  }
  return d;
}

absl::StatusOr<v1::Allocation> ApplyRepayment(v1::Loan& loan, int64_t amount_fen, absl::CivilDay on,
                                              v1::Prepayment prepayment) {
  if (amount_fen <= 0) return FieldError(absl::StatusCode::kInvalidArgument, "amount_fen", "must be more than 0 fen");
  Dues d = DuesOn(loan, on);
  int64_t after_current = 0;  // principal of the instalments after the current one
  if (d.current_index >= 0) {
    for (int k = d.current_index + 1; k < loan.schedule_size(); ++k) {
      after_current += loan.schedule(k).principal_fen() - loan.schedule(k).paid_principal_fen();
    }
  }
  const int64_t everything = d.total() + after_current;
  const std::string owed =
      absl::StrCat(YuanText(Fen{d.total()}), " is owed on ", FormatCivilDate(on), " (overdue ",
                   YuanText(Fen{d.overdue_interest_fen + d.overdue_principal_fen}), ", current instalment ",
                   YuanText(Fen{d.current_interest_fen + d.current_principal_fen}), ")");
  if (prepayment == v1::PREPAYMENT_NONE && amount_fen > d.total()) {
    return FieldError(absl::StatusCode::kInvalidArgument, "amount_fen",
                      absl::StrCat(YuanText(Fen{amount_fen}), " is more than is owed: ", owed,
                                   "; mark it as a prepayment to pay more"));
  }
  if (prepayment == v1::PREPAYMENT_FULL && amount_fen != everything) {
    return FieldError(absl::StatusCode::kInvalidArgument, "amount_fen",
                      absl::StrCat("a full prepayment on ", FormatCivilDate(on), " is ", YuanText(Fen{everything}),
                                   ", not ", YuanText(Fen{amount_fen})));
  }
  if (amount_fen > everything) {
    return FieldError(
        absl::StatusCode::kInvalidArgument, "amount_fen",
        absl::StrCat(YuanText(Fen{amount_fen}), " is more than everything outstanding, ", YuanText(Fen{everything})));
  }

  v1::Allocation a;
  int64_t left = amount_fen;
  auto take = [&left](int64_t want) {
    int64_t t = std::min(left, std::max<int64_t>(0, want));
    left -= t;
    return t;
  };
  const int overdue_end = d.current_index >= 0 ? d.current_index : loan.schedule_size();
  // Overdue interest, oldest first; then overdue principal, oldest first.
  for (int k = 0; k < overdue_end && left > 0; ++k) {
    v1::Instalment* i = loan.mutable_schedule(k);
    if (i->has_paid_on()) continue;
    int64_t t = take(InterestDue(*i, on) - i->paid_interest_fen());
    i->set_paid_interest_fen(i->paid_interest_fen() + t);
    a.set_overdue_interest_fen(a.overdue_interest_fen() + t);
  }
  for (int k = 0; k < overdue_end && left > 0; ++k) {
    v1::Instalment* i = loan.mutable_schedule(k);
    if (i->has_paid_on()) continue;
    int64_t t = take(i->principal_fen() - i->paid_principal_fen());
    i->set_paid_principal_fen(i->paid_principal_fen() + t);
    a.set_overdue_principal_fen(a.overdue_principal_fen() + t);
  }
  for (int k = 0; k < overdue_end; ++k) SettleIfPaid(*loan.mutable_schedule(k), on);
  if (d.current_index >= 0 && left > 0) {
    v1::Instalment* i = loan.mutable_schedule(d.current_index);
    int64_t t = take(InterestDue(*i, on) - i->paid_interest_fen());
    i->set_paid_interest_fen(i->paid_interest_fen() + t);
    a.set_current_interest_fen(t);
    t = take(i->principal_fen() - i->paid_principal_fen());
    i->set_paid_principal_fen(i->paid_principal_fen() + t);
    a.set_current_principal_fen(t);
    SettleIfPaid(*i, on);
  }
  if (left > 0) {
    // A prepayment: the rest goes on the principal after the current instalment, which is paid in full by now.
    const v1::Instalment current = loan.schedule(d.current_index);
    const int64_t remaining = after_current - left;
    a.set_prepaid_principal_fen(left);
    loan.set_prepaid_principal_fen(loan.prepaid_principal_fen() + left);
    left = 0;
    v1::Loan rebuilt = loan;
    rebuilt.mutable_schedule()->DeleteSubrange(d.current_index + 1, loan.schedule_size() - d.current_index - 1);
    if (remaining > 0) {
      ScheduleTerms t = TermsOf(loan, remaining);
      t.start_month = current.month();
      t.months = loan.total_months() - current.month();
      t.first_number = current.number() + 1;
      if (prepayment == v1::PREPAYMENT_SHORTEN_TERM) {
        const v1::Instalment& next = loan.schedule(d.current_index + 1);
        if (loan.method() == v1::REPAYMENT_METHOD_EQUAL_INSTALMENT) {
          t.fixed_payment_fen = next.principal_fen() + next.interest_fen();
        } else if (loan.method() == v1::REPAYMENT_METHOD_EQUAL_PRINCIPAL) {
          t.fixed_payment_fen = next.principal_fen();
        }
      }
      auto tail = BuildSchedule(t);
      if (!tail.ok()) return tail.status();
      for (auto& i : *tail) *rebuilt.add_schedule() = std::move(i);
    }
    loan = std::move(rebuilt);
  }
  loan.set_outstanding_principal_fen(OutstandingPrincipal(loan));
  *loan.mutable_last_repaid_on() = ToProto(on);
  *loan.mutable_maturity_on() = loan.schedule(loan.schedule_size() - 1).due_on();
  bool all_paid = std::all_of(loan.schedule().begin(), loan.schedule().end(),
                              [](const v1::Instalment& i) { return i.has_paid_on(); });
  if (all_paid) loan.set_status(v1::LOAN_STATUS_CLOSED);
  return a;
}

absl::Status Reschedule(v1::Loan& loan, int extra_months, absl::CivilDay on) {
  if (loan.status() != v1::LOAN_STATUS_ACTIVE) {
    return absl::FailedPreconditionError(absl::StrCat("loan ", loan.id(), " is not active"));
  }
  if (extra_months <= 0) return FieldError(absl::StatusCode::kInvalidArgument, "extra_months", "must be at least 1");
  // 展期 limits: up to the original term for a loan of a year or less, half of it for a longer one.
  int original = loan.term_months();
  int limit = original <= 12 ? original : original / 2;
  if (extra_months > limit) {
    return FieldError(absl::StatusCode::kInvalidArgument, "extra_months",
                      absl::StrCat("a loan of ", original, " months may be extended by at most ", limit));
  }
  if (loan.total_months() != original) {
    return absl::FailedPreconditionError(absl::StrCat("loan ", loan.id(), " was extended already; once only"));
  }
  Dues d = DuesOn(loan, on);
  if (d.overdue_interest_fen + d.overdue_principal_fen > 0) {
    return absl::FailedPreconditionError(absl::StrCat("loan ", loan.id(), " is in arrears: pay the ",
                                                      YuanText(Fen{d.overdue_interest_fen + d.overdue_principal_fen}),
                                                      " overdue first"));
  }
  if (d.current_index < 0) return absl::FailedPreconditionError(absl::StrCat("loan ", loan.id(), " has nothing left"));
  const v1::Instalment& current = loan.schedule(d.current_index);
  if (current.paid_principal_fen() > 0 || current.paid_interest_fen() > 0) {
    return absl::FailedPreconditionError(absl::StrCat("instalment ", current.number(), " of loan ", loan.id(),
                                                      " is partly paid; pay it in full before extending"));
  }
  int previous_month = d.current_index > 0 ? loan.schedule(d.current_index - 1).month() : 0;
  ScheduleTerms t = TermsOf(loan, OutstandingPrincipal(loan));
  t.start_month = previous_month;
  t.months = loan.total_months() + extra_months - previous_month;
  t.first_number = current.number();
  auto tail = BuildSchedule(t);
  if (!tail.ok()) return tail.status();
  loan.mutable_schedule()->DeleteSubrange(d.current_index, loan.schedule_size() - d.current_index);
  for (auto& i : *tail) *loan.add_schedule() = std::move(i);
  loan.set_total_months(loan.total_months() + extra_months);
  *loan.mutable_maturity_on() = loan.schedule(loan.schedule_size() - 1).due_on();
  loan.set_maturity_warned(false);
  return absl::OkStatus();
}

v1::OverdueBucket BucketOf(int days_past_due, const Settings& settings) {
  if (days_past_due <= 0) return v1::OVERDUE_BUCKET_CURRENT;
  int bucket = 1;
  for (int upper : settings.bucket_upper_days) {
    if (days_past_due <= upper) return static_cast<v1::OverdueBucket>(bucket);
    ++bucket;
  }
  return static_cast<v1::OverdueBucket>(std::min(bucket, static_cast<int>(v1::OVERDUE_BUCKET_OVER_180)));
}

std::optional<BucketChange> AgeArrears(v1::Loan& loan, absl::CivilDay as_of, const Settings& settings) {
  BucketChange c;
  c.from = loan.bucket();
  for (const auto& i : loan.schedule()) {
    if (i.has_paid_on() || StoredDay(i.due_on()) > as_of) continue;
    if (c.days_past_due == 0) c.days_past_due = static_cast<int>(as_of - StoredDay(i.due_on())) + 1;
    c.overdue_principal_fen += i.principal_fen() - i.paid_principal_fen();
    c.overdue_interest_fen += std::max<int64_t>(0, InterestDue(i, as_of + 1) - i.paid_interest_fen());
  }
  c.to = BucketOf(c.days_past_due, settings);
  loan.set_days_past_due(c.days_past_due);
  loan.set_bucket(c.to);
  if (c.to == c.from) return std::nullopt;
  return c;
}

DayOutcome CloseDay(v1::Loan& loan, absl::CivilDay date, const Settings& settings) {
  DayOutcome out;
  if (loan.status() != v1::LOAN_STATUS_ACTIVE) return out;
  if (loan.has_closed_through() && StoredDay(loan.closed_through()) >= date) return out;
  for (auto& i : *loan.mutable_schedule()) {
    absl::CivilDay due = StoredDay(i.due_on());
    if (i.accrued() || due > date) continue;
    // An instalment the borrower owes nothing of on time (interest wholly subsidised, no principal) is paid.
    SettleIfPaid(i, due);
    i.set_accrued(true);
    bool on_time = i.has_paid_on() && StoredDay(i.paid_on()) <= due && !i.extended();
    if (on_time) {
      i.set_subsidy_accrued_fen(i.subsidy_fen());
      if (i.subsidy_fen() > 0) out.accruals.push_back({i.number(), due, i.interest_fen(), i.subsidy_fen()});
    } else if (i.subsidy_fen() > 0) {
      i.set_subsidy_forfeited(true);
    }
  }
  for (auto& i : *loan.mutable_schedule()) {
    absl::CivilDay due = StoredDay(i.due_on());
    if (i.reminded() || i.has_paid_on() || due <= date || date < due - settings.reminder_days) continue;
    i.set_reminded(true);
    int64_t owed =
        i.principal_fen() - i.paid_principal_fen() + std::max<int64_t>(0, InterestDue(i, due) - i.paid_interest_fen());
    out.reminders.push_back({i.number(), due, owed});
  }
  absl::CivilDay maturity = StoredDay(loan.maturity_on());
  if (!loan.maturity_warned() && loan.outstanding_principal_fen() > 0 && date < maturity &&
      date >= maturity - settings.maturity_warning_days) {
    loan.set_maturity_warned(true);
    out.maturity_warning = true;
  }
  out.bucket_change = AgeArrears(loan, date, settings);
  *loan.mutable_closed_through() = ToProto(date);
  return out;
}

std::optional<absl::CivilDay> NextCloseDate(const v1::Loan& loan, absl::CivilDay after, const Settings& settings) {
  if (loan.status() != v1::LOAN_STATUS_ACTIVE) return std::nullopt;
  std::optional<absl::CivilDay> next;
  auto consider = [&](absl::CivilDay d) {
    d = std::max(d, after + 1);
    if (!next || d < *next) next = d;
  };
  std::optional<absl::CivilDay> oldest_unpaid;
  for (const auto& i : loan.schedule()) {
    absl::CivilDay due = StoredDay(i.due_on());
    if (!i.accrued()) consider(due);
    if (!i.reminded() && !i.has_paid_on() && due > after + 1) consider(due - settings.reminder_days);
    if (!i.has_paid_on() && due <= after && !oldest_unpaid) oldest_unpaid = due;
  }
  absl::CivilDay maturity = StoredDay(loan.maturity_on());
  if (!loan.maturity_warned() && loan.outstanding_principal_fen() > 0 && maturity > after + 1) {
    consider(maturity - settings.maturity_warning_days);
  }
  if (oldest_unpaid) {
    // The next day the arrears cross into another bucket: days past due = date − oldest + 1 = upper + 1.
    for (int upper : settings.bucket_upper_days) {
      absl::CivilDay crossing = *oldest_unpaid + upper;
      if (crossing > after) {
        consider(crossing);
        break;
      }
    }
  }
  return next;
}

absl::Status CheckWriteOff(const v1::Loan& loan, const Settings& settings) {
  if (loan.status() != v1::LOAN_STATUS_ACTIVE) {
    return absl::FailedPreconditionError(absl::StrCat("loan ", loan.id(), " is not active"));
  }
  if (loan.days_past_due() <= settings.write_off_days) {
    return absl::FailedPreconditionError(absl::StrCat("loan ", loan.id(), " is ", loan.days_past_due(),
                                                      " days past due; a write-off needs more than ",
                                                      settings.write_off_days));
  }
  return absl::OkStatus();
}

v1::LoanFigures FiguresOf(const v1::Loan& loan) {
  v1::LoanFigures f;
  f.set_status(loan.status());
  f.set_disbursed_fen(loan.disbursed_fen());
  f.set_outstanding_principal_fen(loan.status() == v1::LOAN_STATUS_ACTIVE ? loan.outstanding_principal_fen() : 0);
  f.set_bucket(loan.bucket());
  f.set_days_past_due(loan.days_past_due());
  *f.mutable_maturity_on() = loan.maturity_on();
  f.set_maturity_warned(loan.maturity_warned());
  f.set_lender_id(loan.lender_id());
  f.set_kind(loan.kind());
  return f;
}

}  // namespace jinguo::loans::domain
