#include "services/loans/domain/loan_rules.h"

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "gtest/gtest.h"

namespace jinguo::loans::domain {
namespace {

namespace reg = ::jinguo::registration::v1;

absl::CivilDay Day(const common::v1::CivilDate& d) { return *FromProto(d); }

// An active loan as disbursement leaves it: 12 months of 等额本金 on 1,200,000 fen at 6% (ACT/360), half the
// interest subsidised, disbursed 10 January 2027.
v1::Loan ActiveLoan(v1::RepaymentMethod method = v1::REPAYMENT_METHOD_EQUAL_PRINCIPAL, int64_t amount = 1200000,
                    int months = 12) {
  v1::Loan loan;
  loan.set_id("L1");
  loan.set_status(v1::LOAN_STATUS_ACTIVE);
  loan.set_term_months(months);
  loan.set_total_months(months);
  loan.set_method(method);
  loan.set_day_count(v1::DAY_COUNT_ACT_360);
  loan.set_rounding(v1::ROUNDING_HALF_EVEN);
  loan.set_annual_rate_bp(600);
  loan.mutable_subsidy()->set_interest_share_bp(5000);
  absl::CivilDay on(2027, 1, 10);
  auto schedule = DisbursementSchedule(loan, amount, on);
  EXPECT_TRUE(schedule.ok());
  for (auto& i : *schedule) *loan.add_schedule() = i;
  loan.set_disbursed_fen(amount);
  loan.set_outstanding_principal_fen(amount);
  *loan.mutable_disbursed_on() = ToProto(on);
  *loan.mutable_maturity_on() = loan.schedule(months - 1).due_on();
  *loan.mutable_original_maturity_on() = loan.schedule(months - 1).due_on();
  return loan;
}

TEST(Dues, OnTimeTheBorrowerPaysTheSubsidisedInterestLateTheWhole) {
  v1::Loan loan = ActiveLoan();
  const v1::Instalment& first = loan.schedule(0);
  // 1,200,000 × 6% × 31/360 = 6,200 fen; half subsidised.
  ASSERT_EQ(first.interest_fen(), 6200);
  ASSERT_EQ(first.subsidy_fen(), 3100);
  Dues on_time = DuesOn(loan, absl::CivilDay(2027, 2, 10));
  EXPECT_EQ(on_time.current_interest_fen, 3100);
  EXPECT_EQ(on_time.current_principal_fen, 100000);
  EXPECT_EQ(on_time.overdue_interest_fen + on_time.overdue_principal_fen, 0);
  Dues late = DuesOn(loan, absl::CivilDay(2027, 2, 11));
  EXPECT_EQ(late.overdue_interest_fen, 6200);
  EXPECT_EQ(late.overdue_principal_fen, 100000);
  EXPECT_EQ(late.current_index, 1);
}

TEST(Repayment, AllocatesOverdueInterestThenOverduePrincipalThenCurrent) {
  v1::Loan loan = ActiveLoan();
  // 12 March: instalments 1 (due 10 Feb) and 2 (due 10 Mar) are overdue, 3 (10 Apr) is current.
  absl::CivilDay on(2027, 3, 12);
  Dues d = DuesOn(loan, on);
  int64_t overdue_interest = loan.schedule(0).interest_fen() + loan.schedule(1).interest_fen();
  EXPECT_EQ(d.overdue_interest_fen, overdue_interest);
  auto a = ApplyRepayment(loan, overdue_interest + 150000, on, v1::PREPAYMENT_NONE);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->overdue_interest_fen(), overdue_interest);
  EXPECT_EQ(a->overdue_principal_fen(), 150000);
  EXPECT_EQ(a->current_interest_fen(), 0);
  EXPECT_TRUE(loan.schedule(0).has_paid_on()) << "the oldest principal is paid first";
  EXPECT_FALSE(loan.schedule(1).has_paid_on());
  EXPECT_EQ(loan.schedule(1).paid_principal_fen(), 50000);
  EXPECT_EQ(loan.outstanding_principal_fen(), 1200000 - 150000);
}

TEST(Repayment, MoreThanIsOwedNeedsThePrepaymentFlag) {
  v1::Loan loan = ActiveLoan();
  absl::CivilDay on(2027, 2, 1);
  Dues d = DuesOn(loan, on);
  auto refused = ApplyRepayment(loan, d.total() + 1, on, v1::PREPAYMENT_NONE);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("amount_fen"), std::string::npos);
  EXPECT_NE(refused.status().message().find("1031.00 元 is owed on 2027-02-01"), std::string::npos)
      << refused.status().message();
  EXPECT_FALSE(loan.schedule(0).has_paid_on()) << "nothing applied";
  EXPECT_EQ(ApplyRepayment(loan, 0, on, v1::PREPAYMENT_NONE).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Repayment, APrepaymentKeepingTheTermLowersTheRemainingInstalments) {
  v1::Loan loan = ActiveLoan();
  absl::CivilDay on(2027, 2, 1);
  int64_t current = DuesOn(loan, on).total();
  auto a = ApplyRepayment(loan, current + 330000, on, v1::PREPAYMENT_KEEP_TERM);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->prepaid_principal_fen(), 330000);
  ASSERT_EQ(loan.schedule_size(), 12) << "same term";
  EXPECT_EQ(loan.schedule(1).principal_fen(), 70000) << "(1,100,000 − 330,000) / 11";
  EXPECT_EQ(loan.schedule(1).opening_fen(), 770000);
  EXPECT_EQ(Day(loan.schedule(11).due_on()), absl::CivilDay(2028, 1, 10));
  int64_t principal = 0;
  for (const auto& i : loan.schedule()) principal += i.principal_fen();
  EXPECT_EQ(principal + loan.prepaid_principal_fen(), 1200000) << "the schedule and the prepayment repay the loan";
  EXPECT_EQ(loan.outstanding_principal_fen(), 770000);
}

TEST(Repayment, APrepaymentKeepingTheInstalmentShortensTheTerm) {
  v1::Loan loan = ActiveLoan();
  absl::CivilDay on(2027, 2, 1);
  int64_t current = DuesOn(loan, on).total();
  auto a = ApplyRepayment(loan, current + 300000, on, v1::PREPAYMENT_SHORTEN_TERM);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(loan.schedule_size(), 9) << "800,000 left at 100,000 a month: 8 more after the first";
  EXPECT_EQ(loan.schedule(1).principal_fen(), 100000);
  EXPECT_EQ(Day(loan.maturity_on()), absl::CivilDay(2027, 10, 10));
}

TEST(Repayment, AFullPrepaymentClosesTheLoan) {
  v1::Loan loan = ActiveLoan();
  absl::CivilDay on(2027, 2, 1);
  Dues d = DuesOn(loan, on);
  int64_t everything = d.total() + 1100000;
  EXPECT_FALSE(ApplyRepayment(loan, everything - 1, on, v1::PREPAYMENT_FULL).ok());
  auto a = ApplyRepayment(loan, everything, on, v1::PREPAYMENT_FULL);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(loan.status(), v1::LOAN_STATUS_CLOSED);
  EXPECT_EQ(loan.outstanding_principal_fen(), 0);
  EXPECT_EQ(loan.schedule_size(), 1);
}

TEST(Close, APeriodPaidOnTimeAccruesItsSubsidyALateOneForfeitsIt) {
  Settings settings;
  v1::Loan loan = ActiveLoan();
  ASSERT_TRUE(ApplyRepayment(loan, DuesOn(loan, absl::CivilDay(2027, 2, 10)).total(), absl::CivilDay(2027, 2, 10),
                             v1::PREPAYMENT_NONE)
                  .ok());
  DayOutcome feb = CloseDay(loan, absl::CivilDay(2027, 2, 10), settings);
  ASSERT_EQ(feb.accruals.size(), 1u);
  EXPECT_EQ(feb.accruals[0].subsidy_fen, 3100);
  EXPECT_FALSE(feb.bucket_change.has_value());
  // March's instalment is not paid: at the close of its due date it is 1 day past due, its subsidy forfeited.
  DayOutcome mar = CloseDay(loan, absl::CivilDay(2027, 3, 10), settings);
  EXPECT_TRUE(mar.accruals.empty());
  EXPECT_TRUE(loan.schedule(1).subsidy_forfeited());
  ASSERT_TRUE(mar.bucket_change.has_value());
  EXPECT_EQ(mar.bucket_change->to, v1::OVERDUE_BUCKET_1_30);
  EXPECT_EQ(mar.bucket_change->days_past_due, 1);
  EXPECT_EQ(mar.bucket_change->overdue_interest_fen, loan.schedule(1).interest_fen()) << "the whole interest";
  // The same date again changes nothing.
  v1::Loan before = loan;
  DayOutcome again = CloseDay(loan, absl::CivilDay(2027, 3, 10), settings);
  EXPECT_TRUE(again.accruals.empty() && again.reminders.empty() && !again.bucket_change);
  EXPECT_EQ(loan.SerializeAsString(), before.SerializeAsString());
}

// 脱贫人口小额信贷 with its interest wholly subsidised: an interest-only instalment owes the borrower nothing on time,
// so its due date passes without arrears and the whole interest accrues as subsidy.
TEST(Close, AnInstalmentOwingNothingIsPaidOnItsDueDate) {
  Settings settings;
  v1::Loan loan = ActiveLoan(v1::REPAYMENT_METHOD_MONTHLY_INTEREST);
  loan.mutable_subsidy()->set_interest_share_bp(10000);
  for (auto& i : *loan.mutable_schedule()) i.set_subsidy_fen(i.interest_fen());
  EXPECT_EQ(DuesOn(loan, absl::CivilDay(2027, 2, 10)).total(), 0);
  DayOutcome o = CloseDay(loan, absl::CivilDay(2027, 2, 10), settings);
  EXPECT_FALSE(o.bucket_change.has_value());
  ASSERT_EQ(o.accruals.size(), 1u);
  EXPECT_EQ(o.accruals[0].subsidy_fen, loan.schedule(0).interest_fen());
  EXPECT_TRUE(loan.schedule(0).has_paid_on());
}

TEST(Close, ArrearsAgeIntoBucketsOnTheDaysTheAgendaNames) {
  Settings settings;
  v1::Loan loan = ActiveLoan();
  absl::CivilDay after(2027, 2, 9);
  // Nothing paid: the next dates are the reminder of 3 February... already past, so 10 February (the due date).
  CloseDay(loan, after, settings);
  auto next = NextCloseDate(loan, after, settings);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, absl::CivilDay(2027, 2, 10));
  CloseDay(loan, *next, settings);
  EXPECT_EQ(loan.bucket(), v1::OVERDUE_BUCKET_1_30);
  // Day 31 past due is 12 March (10 February + 30): the bucket moves then, unless an earlier date comes first.
  absl::CivilDay d = *next;
  std::vector<v1::OverdueBucket> seen;
  while (auto n = NextCloseDate(loan, d, settings)) {
    if (*n > absl::CivilDay(2027, 9, 30)) break;
    d = *n;
    if (auto change = CloseDay(loan, d, settings).bucket_change) seen.push_back(change->to);
  }
  EXPECT_EQ(seen, (std::vector<v1::OverdueBucket>{v1::OVERDUE_BUCKET_31_60, v1::OVERDUE_BUCKET_61_90,
                                                  v1::OVERDUE_BUCKET_91_180, v1::OVERDUE_BUCKET_OVER_180}));
  EXPECT_TRUE(CheckWriteOff(loan, settings).ok());
}

TEST(Close, MaturityIsWarnedOnceAndInstalmentsRemindedOnce) {
  Settings settings;
  v1::Loan loan = ActiveLoan(v1::REPAYMENT_METHOD_MONTHLY_INTEREST, 2000000, 6);
  // 2 July 2027 is 8 days before the first due date... no: the first is 10 February. Walk the agenda.
  int warnings = 0, reminders = 0;
  absl::CivilDay d(2027, 1, 10);
  while (auto n = NextCloseDate(loan, d, settings)) {
    d = *n;
    // Pay every instalment on its due date.
    for (const auto& i : loan.schedule()) {
      if (Day(i.due_on()) == d && !i.has_paid_on()) {
        ASSERT_TRUE(ApplyRepayment(loan, DuesOn(loan, d).total(), d, v1::PREPAYMENT_NONE).ok());
      }
    }
    DayOutcome o = CloseDay(loan, d, settings);
    if (o.maturity_warning) {
      ++warnings;
      EXPECT_EQ(d, absl::CivilDay(2027, 7, 10) - 30);
    }
    for (const auto& r : o.reminders) {
      ++reminders;
      EXPECT_EQ(d, r.due_on - 7);
    }
    EXPECT_FALSE(o.bucket_change.has_value()) << "paid on time every month";
  }
  EXPECT_EQ(warnings, 1);
  EXPECT_EQ(reminders, 6);
  EXPECT_EQ(loan.status(), v1::LOAN_STATUS_CLOSED);
}

TEST(Reschedule, ExtendsTheTermWithoutSubsidyForTheAddedPeriods) {
  v1::Loan loan = ActiveLoan();
  absl::CivilDay on(2027, 2, 1);
  ASSERT_TRUE(Reschedule(loan, 6, on).ok());
  ASSERT_EQ(loan.schedule_size(), 18);
  EXPECT_EQ(Day(loan.maturity_on()), absl::CivilDay(2028, 7, 10));
  EXPECT_FALSE(loan.schedule(11).extended());
  EXPECT_TRUE(loan.schedule(12).extended());
  EXPECT_EQ(loan.schedule(12).subsidy_fen(), 0);
  int64_t principal = 0;
  for (const auto& i : loan.schedule()) principal += i.principal_fen();
  EXPECT_EQ(principal, 1200000);
  EXPECT_EQ(Reschedule(loan, 1, on).code(), absl::StatusCode::kFailedPrecondition) << "once only";
}

TEST(Reschedule, RefusedInArrears) {
  v1::Loan loan = ActiveLoan();
  absl::Status s = Reschedule(loan, 3, absl::CivilDay(2027, 3, 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("in arrears"), std::string::npos);
}

v1::LoanProduct Business() {
  v1::LoanProduct p;
  p.set_id("cydb");
  *p.mutable_effective_on() = ToProto(absl::CivilDay(2026, 1, 1));
  p.set_name("创业担保贷款");
  p.set_kind(v1::LOAN_KIND_BUSINESS_GUARANTEED);
  p.set_cap_fen(20000000);
  p.set_max_term_months(36);
  p.mutable_rate()->set_lpr_spread_bp(50);
  p.mutable_rate()->set_cap_lpr_spread_bp(100);
  p.add_methods(v1::REPAYMENT_METHOD_EQUAL_INSTALMENT);
  p.set_day_count(v1::DAY_COUNT_ACT_365);
  p.mutable_subsidy()->set_borrower_pays_lpr_minus_bp(150);
  p.mutable_subsidy()->set_central_bp(6000);
  p.mutable_subsidy()->set_province_bp(2000);
  p.mutable_subsidy()->set_city_bp(2000);
  return p;
}

TEST(Products, ABadProductNamesEveryField) {
  v1::LoanProduct p = Business();
  p.set_cap_fen(30000000);
  p.set_max_term_months(48);
  p.clear_methods();
  p.mutable_subsidy()->set_city_bp(1000);
  validate::FieldViolations v;
  ProductFrom(p, v);
  std::vector<std::string> fields;
  for (const auto& f : v.violations().field_violations()) fields.push_back(f.field());
  EXPECT_EQ(fields, (std::vector<std::string>{"product.cap_fen", "product.max_term_months", "product.methods",
                                              "product.subsidy.central_bp"}));
  validate::FieldViolations ok;
  v1::LoanProduct good = ProductFrom(Business(), ok);
  EXPECT_TRUE(ok.empty());
  EXPECT_EQ(good.eligibility().max_age(), 60);
}

TEST(Pricing, LprPlusSpreadWithinTheCapAndTheBorrowersShare) {
  v1::ReferenceRate lpr;
  lpr.set_one_year_bp(310);
  lpr.set_five_year_bp(360);
  auto p = PriceLoan(Business(), lpr, 24, 0, "annual_rate_bp");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->annual_rate_bp, 360);
  EXPECT_EQ(p->borrower_rate_bp, 160) << "LPR 310 − 150";
  auto above = PriceLoan(Business(), lpr, 24, 411, "annual_rate_bp");
  EXPECT_EQ(above.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(above.status().message().find("annual_rate_bp: 411 BP is above product cydb's cap of 410 BP"),
            std::string::npos)
      << above.status().message();
  EXPECT_EQ(PriceLoan(Business(), std::nullopt, 24, 0, "x").status().code(), absl::StatusCode::kFailedPrecondition);
  std::vector<v1::ReferenceRate> table(2);
  *table[0].mutable_published_on() = ToProto(absl::CivilDay(2026, 5, 20));
  table[0].set_one_year_bp(300);
  *table[1].mutable_published_on() = ToProto(absl::CivilDay(2026, 10, 20));
  table[1].set_one_year_bp(290);
  EXPECT_EQ(RateInForce(table, absl::CivilDay(2026, 10, 19))->one_year_bp(), 300);
  EXPECT_EQ(RateInForce(table, absl::CivilDay(2026, 10, 20))->one_year_bp(), 290);
  EXPECT_FALSE(RateInForce(table, absl::CivilDay(2026, 1, 1)).has_value());
}

TEST(Borrowers, AgeStatusArrearsAndActiveLoansAreChecked) {
  validate::FieldViolations v;
  v1::LoanProduct p = ProductFrom(Business(), v);
  replica::v1::RegistryFacts her;
  her.set_beneficiary_id("b1");
  her.set_category(reg::CATEGORY_WOMAN);
  *her.mutable_birth_date() = ToProto(absl::CivilDay(1980, 5, 1));
  absl::CivilDay on(2027, 3, 1);
  EXPECT_TRUE(CheckBorrower(p, her, on, 0, "", "beneficiary_id").ok());
  absl::Status overdue = CheckBorrower(p, her, on, 0, "L9", "beneficiary_id");
  EXPECT_EQ(overdue.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(overdue.message().find("L9 in arrears"), std::string::npos);
  EXPECT_EQ(CheckBorrower(p, her, on, 1, "", "beneficiary_id").code(), absl::StatusCode::kFailedPrecondition);
  *her.mutable_birth_date() = ToProto(absl::CivilDay(1960, 5, 1));
  absl::Status old = CheckBorrower(p, her, on, 0, "", "beneficiary_id");
  EXPECT_NE(old.message().find("is 66 on 2027-03-01; product cydb lends to women aged 18-60"), std::string::npos)
      << old.message();
  her.set_merged_into("b2");
  EXPECT_NE(CheckBorrower(p, her, on, 0, "", "beneficiary_id").message().find("merged into b2"), std::string::npos);
  her.clear_merged_into();
  her.set_category(reg::CATEGORY_CHILD);
  EXPECT_EQ(CheckBorrower(p, her, on, 0, "", "beneficiary_id").code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Terms, AmountTermAndMethodAgainstTheProduct) {
  validate::FieldViolations pv;
  v1::LoanProduct p = ProductFrom(Business(), pv);
  validate::FieldViolations v;
  CheckLoanTerms(p, 20000001, 37, v1::REPAYMENT_METHOD_EQUAL_PRINCIPAL, v);
  std::vector<std::string> fields;
  for (const auto& f : v.violations().field_violations()) fields.push_back(f.field());
  EXPECT_EQ(fields, (std::vector<std::string>{"amount_fen", "term_months", "method"}));
  validate::FieldViolations zero;
  CheckLoanTerms(p, 0, 0, v1::REPAYMENT_METHOD_EQUAL_INSTALMENT, zero);
  EXPECT_EQ(zero.violations().field_violations_size(), 2);
}

}  // namespace
}  // namespace jinguo::loans::domain
