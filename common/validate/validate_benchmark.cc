#include <cstdlib>

#include "benchmark/benchmark.h"
#include "common/validate/id_number.h"
#include "common/validate/region_code.h"

namespace jinguo::validate {
namespace {

void BM_ParseIdNumber(benchmark::State& state) {
  const absl::CivilDay today(2026, 11, 22);
  for (auto _ : state) benchmark::DoNotOptimize(ParseIdNumber("11010519491231002X", today));
}
BENCHMARK(BM_ParseIdNumber);

void BM_CheckRegionCode(benchmark::State& state) {
  const char* src = std::getenv("JINGUO_SOURCE_DIR");
  auto table = regions::RegionTable::LoadFromDirectory(std::string(src ? src : ".") + "/data/regions");
  if (!table.ok()) {
    state.SkipWithError(table.status().ToString().c_str());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(CheckRegionCode(**table, "130207104201"));
}
BENCHMARK(BM_CheckRegionCode);

}  // namespace
}  // namespace jinguo::validate
