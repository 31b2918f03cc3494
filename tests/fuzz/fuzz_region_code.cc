// Region codes and prefixes as callers send them, against the shipped national table: checking never crashes, and
// an accepted prefix names a node the table knows (or a well-formed village under one).
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "common/regions/region_table.h"
#include "common/validate/region_code.h"

namespace {

const jinguo::regions::RegionTable* table = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* src = std::getenv("JINGUO_SOURCE_DIR");
  std::string dir = std::string(src ? src : JINGUO_SOURCE_DIR_DEFAULT) + "/data/regions";
  auto loaded = jinguo::regions::RegionTable::LoadFromDirectory(dir);
  if (!loaded.ok()) std::abort();
  table = loaded->release();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view code(reinterpret_cast<const char*>(data), size);
  absl::Status as_code = jinguo::validate::CheckRegionCode(*table, code);
  absl::Status as_prefix = jinguo::validate::CheckRegionPrefix(*table, code);
  for (const absl::Status* s : {&as_code, &as_prefix}) {
    if (!s->ok()) continue;
    for (char c : code) {
      if (!absl::ascii_isdigit(c)) std::abort();  // only digits are ever a region
    }
    if (code.size() > 12) std::abort();
  }
  return 0;
}
