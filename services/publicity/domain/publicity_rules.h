// Publicity decisions, as pure functions: campaigns and publicity events, what reaches a household (a broadcast
// alone does not), home-cleaning rounds (a follow-up only after a first round) and inspections, volunteers' hours
// (1-24 in a day), venues in villages and the quarterly standard (one meeting and two activities). Money in fen;
// thread-safe.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/validate/field_violations.h"
#include "jinguo/publicity/v1/store.pb.h"
#include "jinguo/publicity/v1/types.pb.h"

namespace jinguo::publicity::domain {

namespace v1 = ::jinguo::publicity::v1;

inline constexpr int kMaxSheetRows = 500;
inline constexpr int kMaxHoursADay = 24;

// `in` checked (title, period); violations under "campaign.<field>". The region is the caller's to check.
v1::Campaign CampaignFrom(const v1::Campaign& in, validate::FieldViolations& v);

// `in` checked on `today` (kind, a date not in the future, organiser, place, materials and attendees not
// negative); violations under "event.<field>".
v1::PublicityEvent EventFrom(const v1::PublicityEvent& in, absl::CivilDay today, validate::FieldViolations& v);

// Whether `method` reaches a household: a violation of `field` when unset, or a broadcast.
void CheckReachMethod(v1::ReachMethod method, const std::string& field, validate::FieldViolations& v);

// A reach on `on` must fall within the campaign's period: INVALID_ARGUMENT on `field` otherwise.
absl::Status CheckReachDate(const v1::Campaign& campaign, absl::CivilDay on, absl::string_view field);

// `in` checked on `today` (round, at least one task, volunteers once each with 1-24 hours, donated value not
// negative, a date not in the future); violations under "cleaning.<field>".
v1::HomeCleaning CleaningFrom(const v1::HomeCleaning& in, absl::CivilDay today, validate::FieldViolations& v);

// Whether `round` may be recorded for a household in `status` on `on`: a first round once; a follow-up only after
// the first round, not before it. FAILED_PRECONDITION on cleaning.round saying why.
absl::Status CheckRound(const v1::HouseholdStatus& status, v1::CleaningRound round, absl::CivilDay on);

// The household's status after a cleaning of `round` on `on`: the first round marks it cleaned; any round answers a
// call for help.
void ApplyCleaning(v1::HouseholdStatus& status, v1::CleaningRound round, absl::CivilDay on);

// An inspection of a household in `status`: its result set and a date not in the future, after its first round
// and not before it. Violations or FAILED_PRECONDITION under "inspection.<field>".
absl::Status CheckInspection(const v1::HouseholdStatus& status, const v1::Inspection& in, absl::CivilDay today);

// Whether a volunteer who has given `already` hours on a day may give `hours` more: at most 24 in a day.
// INVALID_ARGUMENT on `field` otherwise.
absl::Status CheckHoursOfDay(int already, int hours, absl::string_view field);

// `in` checked (name, a mainland mobile number, team); violations under "volunteer.<field>". The mobile comes back
// as its 11 digits.
v1::Volunteer VolunteerFrom(const v1::Volunteer& in, validate::FieldViolations& v);

// `in` checked on `today` (a village code of 12 digits, kind, name, opening date not in the future, equipment, a
// budget not negative); violations under "venue.<field>". The code's existence is the caller's to check.
v1::Venue VenueFrom(const v1::Venue& in, absl::CivilDay today, validate::FieldViolations& v);

// The quarter `day` falls in, as year * 10 + quarter (20264), and as text ("2026Q4").
int QuarterOf(absl::CivilDay day);
std::string QuarterText(int quarter);

// A venue's quarter counted: a 宣讲会 is a meeting, every other kind an activity; the standard is one meeting and
// two activities.
void CountAtVenue(v1::VenueCount& count, v1::PublicityKind kind);
bool MeetsStandard(const v1::VenueCount& count);

}  // namespace jinguo::publicity::domain
