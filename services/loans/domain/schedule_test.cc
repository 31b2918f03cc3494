// Schedules against an independent calculation: tests/reference/loan_schedule.py (Python, exact rationals,
// written from the rules alone) for every method and day count, for a 36-month 20万元 loan with the 创业担保
// subsidy (borrower pays up to LPR − 150 BP) and a 12-month 5万元 loan with half its interest subsidised, each
// disbursed on 15 December 2027 (a period over 29 February 2028) and on 31 January 2028 (due dates clamped to
// month ends). Every period must match to the fen; total principal must equal the amount disbursed.
#include "services/loans/domain/schedule.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace jinguo::loans::domain {
namespace {

struct Method {
  v1::RepaymentMethod method;
  const char* name;
};
struct Count {
  v1::DayCount day_count;
  const char* name;
};
constexpr std::array<Method, 4> kMethods = {{{v1::REPAYMENT_METHOD_EQUAL_INSTALMENT, "equal_instalment"},
                                             {v1::REPAYMENT_METHOD_EQUAL_PRINCIPAL, "equal_principal"},
                                             {v1::REPAYMENT_METHOD_MONTHLY_INTEREST, "monthly_interest"},
                                             {v1::REPAYMENT_METHOD_QUARTERLY_INTEREST, "quarterly_interest"}}};
constexpr std::array<Count, 3> kCounts = {
    {{v1::DAY_COUNT_ACT_365, "act_365"}, {v1::DAY_COUNT_ACT_360, "act_360"}, {v1::DAY_COUNT_THIRTY_360, "thirty_360"}}};

nlohmann::json Reference(const std::string& args) {
  const char* src = std::getenv("JINGUO_SOURCE_DIR");
  std::string cmd = absl::StrCat("python3 ", src ? src : ".", "/tests/reference/loan_schedule.py ", args);
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return nullptr;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  if (pclose(p) != 0) return nullptr;
  return nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
}

struct Loan {
  int64_t principal;
  int months;
  SubsidyTerms subsidy;
  const char* subsidy_arg;
};

void ExpectMatchesReference(const Loan& loan, const Method& m, const Count& c, absl::CivilDay disbursed) {
  SCOPED_TRACE(absl::StrCat(loan.principal, " fen ", loan.months, " months ", m.name, " ", c.name, " disbursed ",
                            FormatCivilDate(disbursed)));
  ScheduleTerms t;
  t.principal_fen = loan.principal;
  t.annual_rate_bp = 435;
  t.method = m.method;
  t.day_count = c.day_count;
  t.subsidy = loan.subsidy;
  t.anchor = disbursed;
  t.months = loan.months;
  auto schedule = BuildSchedule(t);
  ASSERT_TRUE(schedule.ok()) << schedule.status();
  nlohmann::json ref = Reference(absl::StrCat("--principal ", loan.principal, " --rate-bp 435 --term ", loan.months,
                                              " --method ", m.name, " --day-count ", c.name, " --disbursed ",
                                              FormatCivilDate(disbursed), " --subsidy ", loan.subsidy_arg));
  ASSERT_TRUE(ref.is_object()) << "the reference script did not answer";
  ASSERT_EQ(schedule->size(), ref["periods"].size());
  int64_t principal = 0, interest = 0, subsidy = 0;
  for (size_t k = 0; k < schedule->size(); ++k) {
    const v1::Instalment& got = (*schedule)[k];
    const nlohmann::json& want = ref["periods"][k];
    SCOPED_TRACE(absl::StrCat("period ", k + 1));
    EXPECT_EQ(got.number(), want["k"].get<int>());
    EXPECT_EQ(FormatCivilDate(*FromProto(got.starts_on())), want["start"].get<std::string>());
    EXPECT_EQ(FormatCivilDate(*FromProto(got.due_on())), want["due"].get<std::string>());
    EXPECT_EQ(got.days(), want["days"].get<int>());
    EXPECT_EQ(got.opening_fen(), want["opening"].get<int64_t>());
    EXPECT_EQ(got.principal_fen(), want["principal"].get<int64_t>());
    EXPECT_EQ(got.interest_fen(), want["interest"].get<int64_t>());
    EXPECT_EQ(got.subsidy_fen(), want["subsidy"].get<int64_t>());
    principal += got.principal_fen();
    interest += got.interest_fen();
    subsidy += got.subsidy_fen();
  }
  EXPECT_EQ(principal, loan.principal) << "principal repaid is not the amount disbursed";
  EXPECT_EQ(interest, ref["total_interest"].get<int64_t>());
  EXPECT_EQ(subsidy, ref["total_subsidy"].get<int64_t>());
  if (m.method == v1::REPAYMENT_METHOD_EQUAL_INSTALMENT) {
    EXPECT_EQ(EqualInstalment(loan.principal, 435, loan.months, v1::ROUNDING_HALF_EVEN),
              ref["instalment"].get<int64_t>());
  }
}

TEST(Schedule, EveryMethodAndDayCountMatchesTheIndependentCalculation) {
  SubsidyTerms business{SubsidyTerms::Kind::kBorrowerRate, BorrowerRate(435, 385, 150), 0};
  SubsidyTerms half{SubsidyTerms::Kind::kShare, 0, 5000};
  const Loan loans[] = {{20000000, 36, business, "lpr:385:150"}, {5000000, 12, half, "share:5000"}};
  for (const Loan& loan : loans) {
    for (const Method& m : kMethods) {
      for (const Count& c : kCounts) {
        for (absl::CivilDay d : {absl::CivilDay(2027, 12, 15), absl::CivilDay(2028, 1, 31)}) {
          ExpectMatchesReference(loan, m, c, d);
        }
      }
    }
  }
}

// Worked by hand: 20万元 over 36 months at 4.35% under 30E/360 is the textbook annuity, 593,598.68… → 593,599 fen
// a month (about 2,968 元 per 10万元); the first period's interest is 20,000,000 × 435 / 120,000 = 72,500.
TEST(Schedule, TheTextbookAnnuityUnder30Over360) {
  EXPECT_EQ(EqualInstalment(20000000, 435, 36, v1::ROUNDING_HALF_EVEN), 593599);
  ScheduleTerms t;
  t.principal_fen = 20000000;
  t.annual_rate_bp = 435;
  t.day_count = v1::DAY_COUNT_THIRTY_360;
  t.anchor = absl::CivilDay(2027, 12, 15);
  t.months = 36;
  auto s = BuildSchedule(t);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)[0].interest_fen(), 72500);
  EXPECT_EQ((*s)[0].principal_fen(), 593599 - 72500);
  EXPECT_EQ((*s)[35].opening_fen(), (*s)[35].principal_fen()) << "the last period repays what remains";
}

// The leap-year period: 15 February to 15 March 2028 has 29 actual days under ACT/365 and ACT/360, 30 under 30E.
TEST(Schedule, APeriodOver29FebruaryCountsItsDays) {
  absl::CivilDay start(2028, 2, 15), end(2028, 3, 15);
  EXPECT_EQ(PeriodDays(v1::DAY_COUNT_ACT_365, start, end), 29);
  EXPECT_EQ(PeriodDays(v1::DAY_COUNT_ACT_360, start, end), 29);
  EXPECT_EQ(PeriodDays(v1::DAY_COUNT_THIRTY_360, start, end), 30);
  EXPECT_EQ(PeriodDays(v1::DAY_COUNT_ACT_365, absl::CivilDay(2027, 2, 15), absl::CivilDay(2027, 3, 15)), 28);
  EXPECT_EQ(AddMonths(absl::CivilDay(2028, 1, 31), 1), absl::CivilDay(2028, 2, 29));
  EXPECT_EQ(AddMonths(absl::CivilDay(2028, 1, 31), 2), absl::CivilDay(2028, 3, 31));
  EXPECT_EQ(AddMonths(absl::CivilDay(2027, 1, 31), 1), absl::CivilDay(2027, 2, 28));
}

TEST(Schedule, RoundingHalfEvenAndHalfUp) {
  EXPECT_EQ(RoundDiv(5, 2, v1::ROUNDING_HALF_EVEN), 2);
  EXPECT_EQ(RoundDiv(7, 2, v1::ROUNDING_HALF_EVEN), 4);
  EXPECT_EQ(RoundDiv(5, 2, v1::ROUNDING_HALF_UP), 3);
  EXPECT_EQ(RoundDiv(-5, 2, v1::ROUNDING_HALF_UP), -3);
  EXPECT_EQ(RoundDiv(-5, 2, v1::ROUNDING_HALF_EVEN), -2);
  EXPECT_EQ(RoundDiv(10, 3, v1::ROUNDING_HALF_EVEN), 3);
  EXPECT_EQ(RoundDiv(11, 3, v1::ROUNDING_HALF_EVEN), 4);
}

// A prepayment that keeps the instalment: the same A, fewer periods, the last one absorbing the remainder.
TEST(Schedule, AFixedInstalmentShortensTheTerm) {
  ScheduleTerms t;
  t.principal_fen = 10000000;
  t.annual_rate_bp = 435;
  t.day_count = v1::DAY_COUNT_THIRTY_360;
  t.anchor = absl::CivilDay(2027, 6, 10);
  t.start_month = 12;
  t.months = 24;
  t.first_number = 13;
  t.fixed_payment_fen = 593599;
  auto s = BuildSchedule(t);
  ASSERT_TRUE(s.ok());
  ASSERT_LT(s->size(), 24u);
  EXPECT_EQ(s->front().number(), 13);
  EXPECT_EQ(FormatCivilDate(*FromProto(s->front().starts_on())), "2028-06-10");
  int64_t principal = 0;
  for (size_t i = 0; i + 1 < s->size(); ++i) EXPECT_EQ((*s)[i].principal_fen() + (*s)[i].interest_fen(), 593599);
  for (const auto& i : *s) principal += i.principal_fen();
  EXPECT_EQ(principal, 10000000);
  EXPECT_LE(s->back().principal_fen() + s->back().interest_fen(), 593599);
}

TEST(Schedule, ExtendedPeriodsHaveNoSubsidy) {
  ScheduleTerms t;
  t.principal_fen = 5000000;
  t.annual_rate_bp = 435;
  t.method = v1::REPAYMENT_METHOD_MONTHLY_INTEREST;
  t.subsidy = {SubsidyTerms::Kind::kShare, 0, 5000};
  t.anchor = absl::CivilDay(2027, 1, 10);
  t.months = 18;
  t.extended_after = absl::CivilDay(2028, 1, 10);
  auto s = BuildSchedule(t);
  ASSERT_TRUE(s.ok());
  EXPECT_GT((*s)[11].subsidy_fen(), 0);
  EXPECT_FALSE((*s)[11].extended());
  EXPECT_EQ((*s)[12].subsidy_fen(), 0);
  EXPECT_TRUE((*s)[12].extended());
}

TEST(Schedule, FundingSplitAddsUp) {
  v1::SubsidyRule rule;
  rule.set_central_bp(5000);
  rule.set_province_bp(3000);
  rule.set_city_bp(2000);
  FundingSplit s = SplitSubsidy(33973, rule, v1::ROUNDING_HALF_EVEN);
  EXPECT_EQ(s.central_fen, 16986);   // 16,986.5 → even
  EXPECT_EQ(s.province_fen, 10192);  // 10,191.9
  EXPECT_EQ(s.city_fen, 33973 - 16986 - 10192);
}

TEST(Schedule, RefusesWhatCannotBeScheduled) {
  ScheduleTerms t;
  t.anchor = absl::CivilDay(2027, 1, 1);
  t.months = 12;
  EXPECT_FALSE(BuildSchedule(t).ok());
  t.principal_fen = 100;
  t.months = 0;
  EXPECT_FALSE(BuildSchedule(t).ok());
}

}  // namespace
}  // namespace jinguo::loans::domain
