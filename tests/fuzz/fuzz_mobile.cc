// Mobile numbers in the forms people write them: parsing never crashes, what it accepts is 11 digits starting
// with 1, a refusal never repeats the number, and the masked form hides the middle four.
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "common/base/mask.h"
#include "common/validate/mobile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = jinguo::validate::ParseMobile(text);
  if (parsed.ok()) {
    const std::string& m = *parsed;
    if (m.size() != 11 || m[0] != '1') std::abort();
    if (!std::all_of(m.begin(), m.end(), [](char c) { return absl::ascii_isdigit(c); })) std::abort();
    if (jinguo::MaskPhone(m) != m.substr(0, 3) + "****" + m.substr(7)) std::abort();
  } else {
    auto digits = std::count_if(text.begin(), text.end(), [](char c) { return absl::ascii_isdigit(c); });
    if (digits >= 11 && parsed.status().message().find(text) != absl::string_view::npos) std::abort();
  }
  return 0;
}
