#include <cstdlib>

#include "benchmark/benchmark.h"
#include "common/regions/region_table.h"

namespace jinguo::regions {
namespace {

std::string RegionsDir() {
  const char* src = std::getenv("JINGUO_SOURCE_DIR");
  return std::string(src ? src : ".") + "/data/regions";
}

void BM_RegionTableLoad(benchmark::State& state) {
  for (auto _ : state) {
    auto t = RegionTable::LoadFromDirectory(RegionsDir());
    if (!t.ok()) state.SkipWithError(t.status().ToString().c_str());
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_RegionTableLoad)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace jinguo::regions
