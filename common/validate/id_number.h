// GB 11643-1999 citizen ID numbers (公民身份号码): 6-digit address code, 8-digit birth date, 3-digit sequence (odd
// for men, even for women), and an ISO 7064 MOD 11-2 check character (0-9 or X). Pure functions; thread-safe.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace jinguo::validate {

enum class Sex { kFemale, kMale };

struct IdNumber {
  std::string normalized;  // 18 characters, check character upper case
  absl::CivilDay birth_date;
  Sex sex;
};

// Accepts a lower-case x as X. Rejects, with a reason that never repeats the number: a length other than 18,
// other characters, a birth date that does not exist or is after `today`, a wrong check character.
absl::StatusOr<IdNumber> ParseIdNumber(absl::string_view text, absl::CivilDay today);

// The check character for the first 17 digits (which must be digits).
char IdNumberCheckCharacter(absl::string_view first17);

// A well-formed ID number for a 6-digit address code, a birth date and a 3-digit sequence (odd for men, even for
// women), with its check character. For synthetic data (demo registries, tests, benchmarks).
std::string ComposeIdNumber(absl::string_view address_code, absl::CivilDay birth_date, int sequence);

}  // namespace jinguo::validate
