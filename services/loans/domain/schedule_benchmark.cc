// PreviewSchedule's work without gRPC: the schedule of a 36-month 20万元 loan with the 创业担保 subsidy, for each
// method under ACT/365 (the equal-instalment formula in exact GMP rationals). `make bench` runs it.
#include "benchmark/benchmark.h"
#include "services/loans/domain/schedule.h"

namespace jinguo::loans::domain {
namespace {

void BM_Schedule36Months(benchmark::State& state) {
  ScheduleTerms t;
  t.principal_fen = 20000000;
  t.annual_rate_bp = 360;
  t.method = static_cast<v1::RepaymentMethod>(state.range(0));
  t.day_count = v1::DAY_COUNT_ACT_365;
  t.subsidy = {SubsidyTerms::Kind::kBorrowerRate, 160, 0};
  t.anchor = absl::CivilDay(2027, 12, 15);
  t.months = 36;
  for (auto _ : state) {
    auto schedule = BuildSchedule(t);
    benchmark::DoNotOptimize(schedule);
  }
  state.SetLabel(v1::RepaymentMethod_Name(t.method));
}
BENCHMARK(BM_Schedule36Months)
    ->Arg(v1::REPAYMENT_METHOD_EQUAL_INSTALMENT)
    ->Arg(v1::REPAYMENT_METHOD_EQUAL_PRINCIPAL)
    ->Arg(v1::REPAYMENT_METHOD_MONTHLY_INTEREST)
    ->Arg(v1::REPAYMENT_METHOD_QUARTERLY_INTEREST)
    ->Unit(benchmark::kMicrosecond);

void BM_EqualInstalment36(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(EqualInstalment(20000000, 360, 36, v1::ROUNDING_HALF_EVEN));
}
BENCHMARK(BM_EqualInstalment36)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace jinguo::loans::domain
