// ID numbers as a clerk or an import file gives them: parsing never crashes, what it accepts is 18 characters
// whose check character is right, a refusal never repeats the number, and the masked form hides the birth date.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "common/base/mask.h"
#include "common/validate/id_number.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = jinguo::validate::ParseIdNumber(text, absl::CivilDay(2026, 12, 6));
  if (parsed.ok()) {
    const std::string& number = parsed->normalized;
    if (number.size() != 18) std::abort();
    if (jinguo::validate::IdNumberCheckCharacter(absl::string_view(number).substr(0, 17)) != number[17]) std::abort();
    if (jinguo::MaskIdNumber(number).find(number.substr(6, 8)) != std::string::npos) std::abort();
  } else {
    // Input that looks like an ID number (15 digits or more) must not come back in the reason.
    auto digits = std::count_if(text.begin(), text.end(), [](char c) { return absl::ascii_isdigit(c); });
    if (digits >= 15 && parsed.status().message().find(text) != absl::string_view::npos) std::abort();
  }
  (void)jinguo::MaskSensitive(std::string_view(text.data(), text.size()));
  return 0;
}
