#include "common/base/civil_date.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace jinguo {
bool IsRealCivilDate(int64_t y, int m, int d) {
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31) return false;
  absl::CivilDay day(y, m, d);  // normalizes 02-31 to 03-03
  return day.year() == y && day.month() == m && day.day() == d;
}

absl::StatusOr<absl::CivilDay> ParseCivilDate(absl::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
    return absl::InvalidArgumentError("must be a date written YYYY-MM-DD");
  }
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      return absl::InvalidArgumentError("must be a date written YYYY-MM-DD");
    }
  }
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  int y = num(0, 4), m = num(5, 2), d = num(8, 2);
  if (!IsRealCivilDate(y, m, d)) return absl::InvalidArgumentError("is not a real calendar date");
  return absl::CivilDay(y, m, d);
}

absl::StatusOr<absl::CivilDay> FromProto(const common::v1::CivilDate& date) {
  if (!IsRealCivilDate(date.year(), date.month(), date.day())) {
    return absl::InvalidArgumentError("is not a real calendar date");
  }
  return absl::CivilDay(date.year(), date.month(), date.day());
}

absl::CivilDay StoredDay(const common::v1::CivilDate& date) {
  absl::StatusOr<absl::CivilDay> day = FromProto(date);
  return day.ok() ? *day : absl::CivilDay(1970, 1, 1);
}

common::v1::CivilDate ToProto(absl::CivilDay day) {
  common::v1::CivilDate out;
  out.set_year(static_cast<int32_t>(day.year()));
  out.set_month(day.month());
  out.set_day(day.day());
  return out;
}

std::string FormatCivilDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

int AgeInYears(absl::CivilDay born, absl::CivilDay on) {
  int age = static_cast<int>(on.year() - born.year());
  if (on.month() < born.month() || (on.month() == born.month() && on.day() < born.day())) --age;
  return age;
}

int SchoolYearOf(absl::CivilDay day) { return static_cast<int>(day.month() >= 9 ? day.year() : day.year() - 1); }

std::string FormatSchoolYear(int first_year) { return absl::StrCat(first_year, "-", first_year + 1); }

absl::CivilDay QuarterStart(absl::CivilDay day) { return absl::CivilDay(day.year(), (day.month() - 1) / 3 * 3 + 1, 1); }

}  // namespace jinguo
