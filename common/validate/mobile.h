// Mainland China mobile numbers: 11 digits, 1 then 3-9. Pure functions; thread-safe.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jinguo::validate {

// Accepts "13812345678", "+8613812345678", "86-138-1234-5678" and spaces/dashes between digits; returns the
// 11 digits. The reason on failure never repeats the number.
absl::StatusOr<std::string> ParseMobile(absl::string_view text);

}  // namespace jinguo::validate
