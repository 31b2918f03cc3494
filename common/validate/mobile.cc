#include "common/validate/mobile.h"

#include "absl/strings/strip.h"

namespace jinguo::validate {

absl::StatusOr<std::string> ParseMobile(absl::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("is required");
  std::string digits;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c != ' ' && c != '-' && !(c == '+' && digits.empty())) {
      return absl::InvalidArgumentError("may contain only digits, spaces, dashes and a leading +86");
    }
  }
  if (digits.size() == 13 && digits.compare(0, 2, "86") == 0) digits.erase(0, 2);
  if (digits.size() != 11) return absl::InvalidArgumentError("must be an 11-digit mainland mobile number");
  if (digits[0] != '1' || digits[1] < '3') {
    return absl::InvalidArgumentError("must start with 13-19 (a mainland mobile number)");
  }
  return digits;
}

}  // namespace jinguo::validate
