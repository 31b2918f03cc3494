// Loan decisions, as pure functions: products and their pricing, who may borrow, what is owed on a date and how a
// repayment is allocated, prepayment and rescheduling (through BuildSchedule, the code behind PreviewSchedule),
// and what the close of a business date does to one loan. Money in fen, rates in basis points; thread-safe.
//
// What is owed. An instalment's interest is owed in full, less its subsidy when it is paid (in full) by its due
// date and is not an extended period: the borrower pays the subsidised rate on time and the whole rate late. On a
// date D, the overdue instalments are those due before D and not paid; the current one is the first not paid that
// is due on or after D. A repayment goes to overdue interest, overdue principal (oldest first), then the current
// instalment's interest and principal; anything more is refused unless it is a prepayment.
//
// Prepayment pays the current instalment in full and puts the rest on the principal after it: keeping the term
// (the remaining instalments are rebuilt over the same months, lower) or the instalment (等额本息 keeps A, 等额本金
// its principal per period; the term shortens), or everything outstanding (the loan closes).
//
// The close of date X, for an active loan not yet closed through X: the periods due on X accrue (the subsidy of
// a period paid in full by its due date; otherwise it is forfeited), instalments due within `reminder_days` are
// reminded once, the loan is warned once `maturity_warning_days` before its final maturity, and its arrears are
// aged: days past due = X − the oldest unpaid due date + 1, into buckets by `bucket_upper_days`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/validate/field_violations.h"
#include "jinguo/loans/v1/events.pb.h"
#include "jinguo/loans/v1/loans.pb.h"
#include "jinguo/loans/v1/types.pb.h"
#include "jinguo/replica/v1/replica.pb.h"
#include "services/loans/domain/schedule.h"

namespace jinguo::loans::domain {

struct Settings {
  // Upper bounds (days past due) of the buckets 1-30, 31-60, 61-90, 91-180; beyond the last: 180+.
  std::vector<int> bucket_upper_days = {30, 60, 90, 180};
  int maturity_warning_days = 30;
  int reminder_days = 7;
  int write_off_days = 180;  // a loan may be written off once more than this many days past due
};

// --- products and pricing ---

// `in` checked, with defaults filled in (rounding half-even, eligibility 18-60 and one active loan); violations
// under "product.<field>".
v1::LoanProduct ProductFrom(const v1::LoanProduct& in, validate::FieldViolations& v);

// The reference rate in force on `on`: the latest published on or before it.
std::optional<v1::ReferenceRate> RateInForce(const std::vector<v1::ReferenceRate>& table, absl::CivilDay on);

struct Pricing {
  int32_t annual_rate_bp = 0;
  int32_t lpr_bp = 0;  // the LPR of the term (0 when none was needed and none is set)
  int32_t borrower_rate_bp = 0;
  SubsidyTerms subsidy;
};

// The rate of a loan of `term_months` under `product` with `lpr` in force: `requested_bp` when set (checked
// against the product's cap), otherwise the product's rule. FAILED_PRECONDITION when the rule needs an LPR and none
// is set; INVALID_ARGUMENT on `rate_field` when the rate is above the cap.
absl::StatusOr<Pricing> PriceLoan(const v1::LoanProduct& product, const std::optional<v1::ReferenceRate>& lpr,
                                  int term_months, int32_t requested_bp, absl::string_view rate_field);

// The terms of an application or preview against its product: amount within the cap, term within the maximum,
// a method the product allows. Violations under the request's field names.
void CheckLoanTerms(const v1::LoanProduct& product, int64_t amount_fen, int term_months, v1::RepaymentMethod method,
                    validate::FieldViolations& v);

// Whether `person` may borrow under `product` on `on`, with `active_loans` loans active and `overdue_loan` the id
// of one of hers in arrears (empty if none): FAILED_PRECONDITION on `field` saying why not.
absl::Status CheckBorrower(const v1::LoanProduct& product, const replica::v1::RegistryFacts& person, absl::CivilDay on,
                           int active_loans, const std::string& overdue_loan, absl::string_view field);

// The schedule of `loan` disbursed `amount_fen` on `on` (its rate, method, day count and subsidy set).
absl::StatusOr<std::vector<v1::Instalment>> DisbursementSchedule(const v1::Loan& loan, int64_t amount_fen,
                                                                 absl::CivilDay on);

// --- what is owed ---

// The interest instalment `i` owes in all when it is completed on `on`.
int64_t InterestDue(const v1::Instalment& i, absl::CivilDay on);
bool PaidInFull(const v1::Instalment& i, absl::CivilDay on);

struct Dues {
  int64_t overdue_interest_fen = 0;
  int64_t overdue_principal_fen = 0;
  int64_t current_interest_fen = 0;
  int64_t current_principal_fen = 0;
  int current_index = -1;  // the current instalment's place in the schedule; -1 when none is left
  int64_t total() const {
    return overdue_interest_fen + overdue_principal_fen + current_interest_fen + current_principal_fen;
  }
};
Dues DuesOn(const v1::Loan& loan, absl::CivilDay on);

// Applies a repayment of `amount_fen` on `on` to `loan` (active), returning its allocation. INVALID_ARGUMENT on
// amount_fen when it is not positive or more than is owed without a prepayment (the message says how much is
// owed), or for a full prepayment not equal to everything outstanding. Sets paid amounts and dates, rebuilds the
// schedule on a prepayment, and closes the loan when nothing is left.
absl::StatusOr<v1::Allocation> ApplyRepayment(v1::Loan& loan, int64_t amount_fen, absl::CivilDay on,
                                              v1::Prepayment prepayment);

// 展期: `extra_months` more (the new periods after the original maturity have no subsidy). FAILED_PRECONDITION
// when the loan is in arrears or its current instalment is partly paid.
absl::Status Reschedule(v1::Loan& loan, int extra_months, absl::CivilDay on);

// --- the close ---

struct Accrual {
  int instalment = 0;
  absl::CivilDay due_on;
  int64_t interest_fen = 0;
  int64_t subsidy_fen = 0;
};
struct BucketChange {
  v1::OverdueBucket from = v1::OVERDUE_BUCKET_CURRENT;
  v1::OverdueBucket to = v1::OVERDUE_BUCKET_CURRENT;
  int days_past_due = 0;
  int64_t overdue_principal_fen = 0;
  int64_t overdue_interest_fen = 0;
};
struct Reminder {
  int instalment = 0;
  absl::CivilDay due_on;
  int64_t amount_due_fen = 0;
};
struct DayOutcome {
  std::vector<Accrual> accruals;
  std::vector<Reminder> reminders;
  bool maturity_warning = false;
  std::optional<BucketChange> bucket_change;
};

// The close of `date` for `loan` (which must not be closed through it yet), updating it.
DayOutcome CloseDay(v1::Loan& loan, absl::CivilDay date, const Settings& settings);

// The next business date after `after` on which CloseDay would do anything for `loan`; nullopt when none.
std::optional<absl::CivilDay> NextCloseDate(const v1::Loan& loan, absl::CivilDay after, const Settings& settings);

// Ages `loan`'s arrears as of the end of `as_of` (its bucket and days past due), returning the change if any.
std::optional<BucketChange> AgeArrears(v1::Loan& loan, absl::CivilDay as_of, const Settings& settings);

v1::OverdueBucket BucketOf(int days_past_due, const Settings& settings);

// FAILED_PRECONDITION unless `loan` is active and more than `settings.write_off_days` past due.
absl::Status CheckWriteOff(const v1::Loan& loan, const Settings& settings);

// The figures events carry.
v1::LoanFigures FiguresOf(const v1::Loan& loan);

}  // namespace jinguo::loans::domain
