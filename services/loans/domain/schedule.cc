#include "services/loans/domain/schedule.h"

#include <gmpxx.h>

#include <algorithm>

#include "common/base/civil_date.h"

namespace jinguo::loans::domain {

namespace {

// Rounds q + rem/den (0 <= rem < den) by `rounding`, for a non-negative value; `odd` says whether q is odd.
bool RoundsUp(int compare_twice_rem_to_den, bool odd, v1::Rounding rounding) {
  if (compare_twice_rem_to_den > 0) return true;
  if (compare_twice_rem_to_den < 0) return false;
  return rounding == v1::ROUNDING_HALF_UP || odd;
}

int Sign(absl::int128 v) { return v > 0 ? 1 : (v < 0 ? -1 : 0); }

int64_t PeriodInterest(int64_t opening, int32_t rate_bp, int64_t days, int64_t basis, v1::Rounding rounding) {
  return RoundDiv(absl::int128(opening) * rate_bp * days, absl::int128(10000) * basis, rounding);
}

}  // namespace

int64_t RoundDiv(absl::int128 num, absl::int128 den, v1::Rounding rounding) {
  bool negative = num < 0;
  absl::int128 magnitude = negative ? -num : num;
  absl::int128 q = magnitude / den;
  absl::int128 rem = magnitude % den;
  if (RoundsUp(Sign(rem * 2 - den), (q & 1) != 0, rounding)) q += 1;
  return static_cast<int64_t>(negative ? -q : q);
}

absl::CivilDay AddMonths(absl::CivilDay anchor, int months) {
  absl::CivilMonth month = absl::CivilMonth(anchor) + months;
  int last = static_cast<int>(absl::CivilDay(absl::CivilMonth(month + 1)) - absl::CivilDay(month));
  return absl::CivilDay(month.year(), month.month(), std::min(anchor.day(), last));
}

int64_t PeriodDays(v1::DayCount day_count, absl::CivilDay start, absl::CivilDay end) {
  if (day_count != v1::DAY_COUNT_THIRTY_360) return end - start;
  int d1 = std::min(start.day(), 30), d2 = std::min(end.day(), 30);
  return 360 * (end.year() - start.year()) + 30 * (end.month() - start.month()) + (d2 - d1);
}

int64_t YearBasis(v1::DayCount day_count) { return day_count == v1::DAY_COUNT_ACT_365 ? 365 : 360; }

int64_t EqualInstalment(int64_t principal_fen, int32_t annual_rate_bp, int months, v1::Rounding rounding) {
  if (annual_rate_bp == 0) return RoundDiv(principal_fen, months, rounding);
  // A = P·i·(1+i)^n / ((1+i)^n − 1), i = r / 120000: with N = (120000 + r)^n and D = 120000^n,
  // A = P·r·N / (120000·(N − D)).
  mpz_class n_pow, d_pow;
  mpz_ui_pow_ui(n_pow.get_mpz_t(), 120000 + static_cast<unsigned long>(annual_rate_bp), months);
  mpz_ui_pow_ui(d_pow.get_mpz_t(), 120000, months);
  mpz_class num = mpz_class(static_cast<long>(principal_fen)) * annual_rate_bp * n_pow;
  mpz_class den = mpz_class(120000) * (n_pow - d_pow);
  mpz_class q, rem;
  mpz_fdiv_qr(q.get_mpz_t(), rem.get_mpz_t(), num.get_mpz_t(), den.get_mpz_t());
  mpz_class twice = rem * 2;
  if (RoundsUp(cmp(twice, den), mpz_odd_p(q.get_mpz_t()) != 0, rounding)) q += 1;
  return q.get_si();
}

absl::StatusOr<std::vector<v1::Instalment>> BuildSchedule(const ScheduleTerms& t) {
  if (t.principal_fen <= 0) return absl::InvalidArgumentError("principal must be more than 0 fen");
  if (t.months <= 0) return absl::InvalidArgumentError("term must be at least one month");
  if (t.annual_rate_bp < 0) return absl::InvalidArgumentError("rate must not be negative");
  const bool quarterly = t.method == v1::REPAYMENT_METHOD_QUARTERLY_INTEREST;
  const int step = quarterly ? 3 : 1;
  const int64_t basis = YearBasis(t.day_count);
  int64_t payment = t.fixed_payment_fen;
  if (payment <= 0 && t.method == v1::REPAYMENT_METHOD_EQUAL_INSTALMENT) {
    payment = EqualInstalment(t.principal_fen, t.annual_rate_bp, t.months, t.rounding);
  } else if (payment <= 0 && t.method == v1::REPAYMENT_METHOD_EQUAL_PRINCIPAL) {
    payment = RoundDiv(t.principal_fen, t.months, t.rounding);
  }

  std::vector<v1::Instalment> out;
  int64_t balance = t.principal_fen;
  absl::CivilDay start = AddMonths(t.anchor, t.start_month);
  for (int offset = step, number = t.first_number; balance > 0; offset += step, ++number) {
    offset = std::min(offset, t.months);
    const bool last = offset == t.months;
    absl::CivilDay due = AddMonths(t.anchor, t.start_month + offset);
    int64_t days = PeriodDays(t.day_count, start, due);
    int64_t interest = PeriodInterest(balance, t.annual_rate_bp, days, basis, t.rounding);
    int64_t principal = 0;
    switch (t.method) {
      case v1::REPAYMENT_METHOD_EQUAL_INSTALMENT:
        principal = std::clamp<int64_t>(payment - interest, 0, balance);
        break;
      case v1::REPAYMENT_METHOD_EQUAL_PRINCIPAL:
        principal = std::min(payment, balance);
        break;
      default:
        break;
    }
    if (last) principal = balance;
    int64_t subsidy = 0;
    if (due <= t.extended_after) {
      switch (t.subsidy.kind) {
        case SubsidyTerms::Kind::kBorrowerRate:
          subsidy = interest - PeriodInterest(balance, t.subsidy.borrower_rate_bp, days, basis, t.rounding);
          break;
        case SubsidyTerms::Kind::kShare:
          subsidy = RoundDiv(absl::int128(interest) * t.subsidy.share_bp, 10000, t.rounding);
          break;
        case SubsidyTerms::Kind::kNone:
          break;
      }
    }
    v1::Instalment& i = out.emplace_back();
    i.set_number(number);
    i.set_month(t.start_month + offset);
    *i.mutable_starts_on() = ToProto(start);
    *i.mutable_due_on() = ToProto(due);
    i.set_days(static_cast<int32_t>(days));
    i.set_opening_fen(balance);
    i.set_principal_fen(principal);
    i.set_interest_fen(interest);
    i.set_subsidy_fen(std::max<int64_t>(subsidy, 0));
    i.set_extended(due > t.extended_after);
    balance -= principal;
    start = due;
  }
  return out;
}

int32_t BorrowerRate(int32_t annual_rate_bp, int32_t lpr_bp, int32_t minus_bp) {
  return std::min(annual_rate_bp, std::max(0, lpr_bp - minus_bp));
}

FundingSplit SplitSubsidy(int64_t subsidy_fen, const v1::SubsidyRule& rule, v1::Rounding rounding) {
  FundingSplit s;
  s.central_fen = RoundDiv(absl::int128(subsidy_fen) * rule.central_bp(), 10000, rounding);
  s.province_fen = RoundDiv(absl::int128(subsidy_fen) * rule.province_bp(), 10000, rounding);
  s.city_fen = subsidy_fen - s.central_fen - s.province_fen;
  return s;
}

}  // namespace jinguo::loans::domain
