#include "common/validate/id_number.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/civil_date.h"
#include "common/validate/text.h"

namespace jinguo::validate {

char IdNumberCheckCharacter(absl::string_view first17) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return kCheck[sum % 11];
}

std::string ComposeIdNumber(absl::string_view address_code, absl::CivilDay birth_date, int sequence) {
  std::string out = absl::StrFormat("%s%04d%02d%02d%03d", std::string(address_code.substr(0, 6)), birth_date.year(),
                                    birth_date.month(), birth_date.day(), sequence % 1000);
  out.push_back(IdNumberCheckCharacter(out));
  return out;
}

absl::StatusOr<IdNumber> ParseIdNumber(absl::string_view text, absl::CivilDay today) {
  if (text.empty()) return absl::InvalidArgumentError("is required");
  if (size_t n = CharacterCount(text); n != 18) {
    return absl::InvalidArgumentError(absl::StrCat("must be 18 characters, got ", n));
  }
  if (text.size() != 18) {
    return absl::InvalidArgumentError("must be typed with half-width digits 0-9 and X (it has full-width characters)");
  }
  for (size_t i = 0; i < 17; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return absl::InvalidArgumentError("the first 17 characters must be digits");
    }
  }
  char last = text[17];
  if (last == 'x') last = 'X';
  if (!((last >= '0' && last <= '9') || last == 'X')) {
    return absl::InvalidArgumentError("the last character must be a digit or X");
  }
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  int y = num(6, 4), m = num(10, 2), d = num(12, 2);
  if (y < 1900 || !IsRealCivilDate(y, m, d)) {
    return absl::InvalidArgumentError("the birth date (characters 7-14) is not a real date");
  }
  absl::CivilDay birth(y, m, d);
  if (birth > today) return absl::InvalidArgumentError("the birth date (characters 7-14) is in the future");
  if (IdNumberCheckCharacter(text) != last) {
    return absl::InvalidArgumentError(
        "the check character does not match (ISO 7064 MOD 11-2); look for a mistyped digit");
  }
  IdNumber out;
  out.normalized = std::string(text.substr(0, 17));
  out.normalized.push_back(last);
  out.birth_date = birth;
  out.sex = (text[16] - '0') % 2 == 1 ? Sex::kMale : Sex::kFemale;
  return out;
}

}  // namespace jinguo::validate
