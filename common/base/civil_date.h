// Civil dates (YYYY-MM-DD, Asia/Shanghai) as text, as proto and as absl::CivilDay. Pure functions; thread-safe.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "jinguo/common/v1/types.pb.h"

namespace jinguo {

// True when year/month/day name a day that exists (no 31 February), years 1-9999.
bool IsRealCivilDate(int64_t year, int month, int day);

// Parses "YYYY-MM-DD"; rejects anything else, and dates that do not exist (2023-02-31).
absl::StatusOr<absl::CivilDay> ParseCivilDate(absl::string_view text);

// A proto date that names a real day, or INVALID_ARGUMENT.
absl::StatusOr<absl::CivilDay> FromProto(const common::v1::CivilDate& date);

common::v1::CivilDate ToProto(absl::CivilDay day);

// A stored date the service wrote itself (checked on the way in): the day, or 1970-01-01 when it is unset.
absl::CivilDay StoredDay(const common::v1::CivilDate& date);

// "YYYY-MM-DD".
std::string FormatCivilDate(absl::CivilDay day);

// Whole years of age on `on` for someone born on `born` (a 29 February birthday counts on 1 March).
int AgeInYears(absl::CivilDay born, absl::CivilDay on);

// The school year `day` falls in, by the year it starts: 1 September starts one (2026-09-01 → 2026, 2027-08-31 →
// 2026); and that year as a school year is written, "2026-2027".
int SchoolYearOf(absl::CivilDay day);
std::string FormatSchoolYear(int first_year);

// The first day of the calendar quarter `day` falls in (1 January, 1 April, 1 July, 1 October).
absl::CivilDay QuarterStart(absl::CivilDay day);

}  // namespace jinguo
