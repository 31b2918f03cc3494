// Repayment schedules, exact to the fen: the one piece of code behind PreviewSchedule, disbursement, prepayment
// and rescheduling. Pure functions; thread-safe; no floating point.
//
// Periods. Due dates are counted in months from an anchor (the disbursement date), never chained from the previous
// due date, and fall on the anchor's day of the month or the last day of a shorter month (disbursed 31 January:
// due 29 February in a leap year, 31 March, 30 April ...). Monthly methods have one period a month; 按季付息 one
// every three months, the last one at maturity (shorter when the term is not a multiple of three).
//
// Interest of a period = opening balance × annual rate × days / basis, rounded to the fen (half-even unless the
// product says half-up). Days and basis by the day count: ACT/365 actual days over 365 (a period with 29 February
// has 29 days of February), ACT/360 actual days over 360, 30E/360 (each date's day capped at 30) over 360.
//
// 等额本息: the instalment A = P·i·(1+i)^n / ((1+i)^n − 1) with i the monthly rate (annual / 12), computed exactly
// (GMP rationals) and rounded; every period but the last pays A, split into its interest by the day count and the
// rest as principal; the last pays whatever principal remains with its interest. 等额本金: principal P/n rounded
// each period, the last the remainder. 按月/按季付息到期还本: interest each period, the principal at the end.
//
// Subsidy of a period (what the fiscal subsidy pays when the instalment is paid on time): with a borrower rate,
// interest − the same formula at the borrower's rate; with a share, interest × share rounded. A period flagged as
// extended (after the original maturity, by a reschedule) has none.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "jinguo/loans/v1/types.pb.h"

namespace jinguo::loans::domain {

namespace v1 = ::jinguo::loans::v1;

// `num` / `den` rounded to an integer (den > 0).
int64_t RoundDiv(absl::int128 num, absl::int128 den, v1::Rounding rounding);

// `anchor` plus `months`, on the anchor's day or the last day of a shorter month.
absl::CivilDay AddMonths(absl::CivilDay anchor, int months);

// Days from `start` to `end` in `day_count`, and the year basis.
int64_t PeriodDays(v1::DayCount day_count, absl::CivilDay start, absl::CivilDay end);
int64_t YearBasis(v1::DayCount day_count);

// What share of each period's interest the subsidy pays.
struct SubsidyTerms {
  enum class Kind { kNone, kBorrowerRate, kShare };
  Kind kind = Kind::kNone;
  int32_t borrower_rate_bp = 0;  // kBorrowerRate: the borrower pays interest at this rate; the subsidy the rest
  int32_t share_bp = 0;          // kShare
};

struct ScheduleTerms {
  int64_t principal_fen = 0;  // the balance the schedule repays
  int32_t annual_rate_bp = 0;
  v1::RepaymentMethod method = v1::REPAYMENT_METHOD_EQUAL_INSTALMENT;
  v1::DayCount day_count = v1::DAY_COUNT_ACT_365;
  v1::Rounding rounding = v1::ROUNDING_HALF_EVEN;
  SubsidyTerms subsidy;
  absl::CivilDay anchor;  // the disbursement date: due dates are counted in months from it
  // The schedule covers months (start_month, start_month + months] after the anchor; its first period starts on
  // AddMonths(anchor, start_month) and is numbered first_number.
  int start_month = 0;
  int months = 0;
  int first_number = 1;
  // 等额本息 only: pay this instalment instead of computing one, for as many periods as the balance needs
  // (at most `months`): a prepayment that keeps the instalment and shortens the term. 等额本金: the principal per
  // period, likewise.
  int64_t fixed_payment_fen = 0;
  // Periods due after this date are extended (no subsidy); unset: none.
  absl::CivilDay extended_after = absl::CivilDay::max();
};

// The instalment A of 等额本息 over `months` for `principal_fen` at `annual_rate_bp`, rounded.
int64_t EqualInstalment(int64_t principal_fen, int32_t annual_rate_bp, int months, v1::Rounding rounding);

// The schedule of `terms`: INVALID_ARGUMENT when the principal or months are not positive or the rate negative.
absl::StatusOr<std::vector<v1::Instalment>> BuildSchedule(const ScheduleTerms& terms);

// The borrower's rate under a subsidy that lets her pay up to LPR − `minus_bp`: min(rate, max(0, LPR − minus)).
int32_t BorrowerRate(int32_t annual_rate_bp, int32_t lpr_bp, int32_t minus_bp);

// A subsidy split into its funders: central and province by their basis points rounded, the city the remainder.
struct FundingSplit {
  int64_t central_fen = 0;
  int64_t province_fen = 0;
  int64_t city_fen = 0;
};
FundingSplit SplitSubsidy(int64_t subsidy_fen, const v1::SubsidyRule& rule, v1::Rounding rounding);

}  // namespace jinguo::loans::domain
