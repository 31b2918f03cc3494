#include "services/publicity/domain/publicity_rules.h"

#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/civil_date.h"
#include "common/base/status.h"
#include "common/validate/mobile.h"
#include "common/validate/text.h"

namespace jinguo::publicity::domain {

using validate::FieldError;
using validate::FieldViolations;

namespace {

// A date the request must carry, not after `today`.
std::optional<absl::CivilDay> PastDate(const common::v1::CivilDate& d, bool has, absl::CivilDay today,
                                       const std::string& field, absl::string_view what, FieldViolations& v) {
  auto day = FromProto(d);
  if (!has || !day.ok()) {
    v.Add(field, absl::StrCat("is required: ", what));
    return std::nullopt;
  }
  if (*day > today) {
    v.Add(field, absl::StrCat(FormatCivilDate(*day), " is in the future"));
    return std::nullopt;
  }
  return *day;
}

}  // namespace

v1::Campaign CampaignFrom(const v1::Campaign& in, FieldViolations& v) {
  v1::Campaign c = in;
  c.set_title(validate::CleanField(in.title(), "campaign.title", {.max_characters = 100, .required = true}, v));
  auto starts = FromProto(in.starts_on());
  auto ends = FromProto(in.ends_on());
  if (!in.has_starts_on() || !starts.ok()) v.Add("campaign.starts_on", "is required: the campaign's first day");
  if (!in.has_ends_on() || !ends.ok()) v.Add("campaign.ends_on", "is required: the campaign's last day");
  if (in.has_starts_on() && in.has_ends_on() && starts.ok() && ends.ok() && *ends < *starts) {
    v.Add("campaign.ends_on", absl::StrCat("is before starts_on ", FormatCivilDate(*starts)));
  }
  return c;
}

v1::PublicityEvent EventFrom(const v1::PublicityEvent& in, absl::CivilDay today, FieldViolations& v) {
  v1::PublicityEvent e = in;
  if (!v1::PublicityKind_IsValid(in.kind()) || in.kind() == v1::PUBLICITY_KIND_UNSPECIFIED) {
    v.Add("event.kind", "is required (讲习所集中培训, 大喇叭广播, 入户宣讲, 宣传单, 宣讲会 or 新媒体)");
  }
  PastDate(in.held_on(), in.has_held_on(), today, "event.held_on", "the day it was held", v);
  e.set_organiser(validate::CleanField(in.organiser(), "event.organiser", {.max_characters = 60, .required = true}, v));
  e.set_place(validate::CleanField(in.place(), "event.place", {.max_characters = 100, .required = false}, v));
  if (in.materials() < 0) v.Add("event.materials", "must not be negative");
  if (in.attendees() < 0) v.Add("event.attendees", "must not be negative");
  return e;
}

void CheckReachMethod(v1::ReachMethod method, const std::string& field, FieldViolations& v) {
  if (method == v1::REACH_METHOD_BROADCAST) {
    v.Add(field,
          "a broadcast alone does not reach a household: record the door-to-door talk, the event someone of the "
          "household attended, or the leaflet handed over");
  } else if (!v1::ReachMethod_IsValid(method) || method == v1::REACH_METHOD_UNSPECIFIED) {
    v.Add(field, "is required: door-to-door, attended an event, or a leaflet delivered by hand");
  }
}

absl::Status CheckReachDate(const v1::Campaign& campaign, absl::CivilDay on, absl::string_view field) {
  absl::CivilDay starts = StoredDay(campaign.starts_on()), ends = StoredDay(campaign.ends_on());
  if (on < starts || on > ends) {
    return FieldError(absl::StatusCode::kInvalidArgument, field,
                      absl::StrCat(FormatCivilDate(on), " is outside campaign ", campaign.title(), "'s dates ",
                                   FormatCivilDate(starts), " to ", FormatCivilDate(ends)));
  }
  return absl::OkStatus();
}

v1::HomeCleaning CleaningFrom(const v1::HomeCleaning& in, absl::CivilDay today, FieldViolations& v) {
  v1::HomeCleaning c = in;
  if (!v1::CleaningRound_IsValid(in.round()) || in.round() == v1::CLEANING_ROUND_UNSPECIFIED) {
    v.Add("cleaning.round", "is required: the first round (首轮) or a follow-up");
  }
  if (in.tasks().empty()) {
    v.Add("cleaning.tasks", "name at least one: sorting, cleaning, painting, garden or repairs");
  }
  for (int i = 0; i < in.tasks_size(); ++i) {
    if (!v1::CleaningTask_IsValid(in.tasks(i)) || in.tasks(i) == v1::CLEANING_TASK_UNSPECIFIED) {
      v.Add(absl::StrCat("cleaning.tasks[", i, "]"), "is not a task");
    }
  }
  std::set<std::string> seen;
  for (int i = 0; i < in.volunteers_size(); ++i) {
    const v1::VolunteerHours& h = in.volunteers(i);
    std::string field = absl::StrCat("cleaning.volunteers[", i, "]");
    if (h.volunteer_id().empty()) v.Add(absl::StrCat(field, ".volunteer_id"), "is required");
    if (!seen.insert(h.volunteer_id()).second) v.Add(absl::StrCat(field, ".volunteer_id"), "is listed twice");
    if (h.hours() <= 0 || h.hours() > kMaxHoursADay) {
      v.Add(absl::StrCat(field, ".hours"), absl::StrCat(h.hours(), " is not 1-24 hours in a day"));
    }
  }
  if (in.donated_fen() < 0) v.Add("cleaning.donated_fen", "must not be negative");
  c.set_note(validate::CleanField(in.note(), "cleaning.note", {.max_characters = 500, .required = false}, v));
  if (in.has_done_on()) PastDate(in.done_on(), true, today, "cleaning.done_on", "the day it was done", v);
  return c;
}

absl::Status CheckRound(const v1::HouseholdStatus& status, v1::CleaningRound round, absl::CivilDay on) {
  bool cleaned = status.has_first_cleaned_on();
  if (round == v1::CLEANING_ROUND_FIRST && cleaned) {
    return FieldError(
        absl::StatusCode::kFailedPrecondition, "cleaning.round",
        absl::StrCat("the household's first round was done on ", FormatCivilDate(StoredDay(status.first_cleaned_on())),
                     "; record a follow-up round after an inspection"));
  }
  if (round == v1::CLEANING_ROUND_FOLLOW_UP) {
    if (!cleaned) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "cleaning.round",
                        "the household has no first round yet: record the first round (首轮) before a follow-up");
    }
    if (on < StoredDay(status.first_cleaned_on())) {
      return FieldError(
          absl::StatusCode::kFailedPrecondition, "cleaning.done_on",
          absl::StrCat("is before the first round, ", FormatCivilDate(StoredDay(status.first_cleaned_on()))));
    }
  }
  return absl::OkStatus();
}

void ApplyCleaning(v1::HouseholdStatus& status, v1::CleaningRound round, absl::CivilDay on) {
  if (round == v1::CLEANING_ROUND_FIRST) *status.mutable_first_cleaned_on() = ToProto(on);
  status.set_needs_help(false);
}

absl::Status CheckInspection(const v1::HouseholdStatus& status, const v1::Inspection& in, absl::CivilDay today) {
  FieldViolations v;
  if (!v1::InspectionResult_IsValid(in.result()) || in.result() == v1::INSPECTION_RESULT_UNSPECIFIED) {
    v.Add("inspection.result", "is required: good, or needs help again");
  }
  auto on = in.has_inspected_on() ? PastDate(in.inspected_on(), true, today, "inspection.inspected_on", "", v)
                                  : std::optional<absl::CivilDay>(today);
  RETURN_IF_ERROR(v.ToStatus());
  if (!status.has_first_cleaned_on()) {
    return FieldError(absl::StatusCode::kFailedPrecondition, "inspection.household_id",
                      "has no first round of home cleaning to inspect yet");
  }
  if (on && *on < StoredDay(status.first_cleaned_on())) {
    return FieldError(
        absl::StatusCode::kFailedPrecondition, "inspection.inspected_on",
        absl::StrCat("is before the first round, ", FormatCivilDate(StoredDay(status.first_cleaned_on()))));
  }
  return absl::OkStatus();
}

absl::Status CheckHoursOfDay(int already, int hours, absl::string_view field) {
  if (already + hours > kMaxHoursADay) {
    return FieldError(absl::StatusCode::kInvalidArgument, field,
                      absl::StrCat(hours, " more hours would make ", already + hours,
                                   " in one day; a volunteer gives at most 24 (", already, " recorded already)"));
  }
  return absl::OkStatus();
}

v1::Volunteer VolunteerFrom(const v1::Volunteer& in, FieldViolations& v) {
  v1::Volunteer out;
  out.set_name(validate::CleanField(in.name(), "volunteer.name", {.max_characters = 50, .required = true}, v));
  auto mobile = validate::ParseMobile(in.mobile());
  if (v.Check("volunteer.mobile", mobile.status())) out.set_mobile(*mobile);
  out.set_team(validate::CleanField(in.team(), "volunteer.team", {.max_characters = 60, .required = true}, v));
  out.set_region_code(in.region_code());
  return out;
}

v1::Venue VenueFrom(const v1::Venue& in, absl::CivilDay today, FieldViolations& v) {
  v1::Venue out = in;
  out.set_name(validate::CleanField(in.name(), "venue.name", {.max_characters = 60, .required = true}, v));
  if (in.region_code().size() != 12 || in.region_code().find_first_not_of("0123456789") != std::string::npos) {
    v.Add("venue.region_code",
          absl::StrCat("\"", in.region_code(),
                       "\" is not a village code: 妇女之家 and 儿童之家 are in villages (12 digits)"));
  }
  if (!v1::VenueKind_IsValid(in.kind()) || in.kind() == v1::VENUE_KIND_UNSPECIFIED) {
    v.Add("venue.kind", "is required: 妇女之家 or 儿童之家");
  }
  if (in.has_opened_on()) PastDate(in.opened_on(), true, today, "venue.opened_on", "the day it opened", v);
  if (in.annual_budget_fen() < 0) v.Add("venue.annual_budget_fen", "must not be negative");
  out.clear_equipment();
  for (int i = 0; i < in.equipment_size(); ++i) {
    out.add_equipment(validate::CleanField(in.equipment(i), absl::StrCat("venue.equipment[", i, "]"),
                                           {.max_characters = 60, .required = true}, v));
  }
  return out;
}

int QuarterOf(absl::CivilDay day) { return static_cast<int>(day.year()) * 10 + (day.month() - 1) / 3 + 1; }

std::string QuarterText(int quarter) { return absl::StrFormat("%dQ%d", quarter / 10, quarter % 10); }

void CountAtVenue(v1::VenueCount& count, v1::PublicityKind kind) {
  if (kind == v1::PUBLICITY_KIND_MEETING) {
    count.set_meetings(count.meetings() + 1);
  } else {
    count.set_activities(count.activities() + 1);
  }
}

bool MeetsStandard(const v1::VenueCount& count) { return count.meetings() >= 1 && count.activities() >= 2; }

}  // namespace jinguo::publicity::domain
