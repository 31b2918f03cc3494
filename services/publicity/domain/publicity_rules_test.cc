#include "services/publicity/domain/publicity_rules.h"

#include <string>
#include <vector>

#include "common/base/civil_date.h"
#include "gtest/gtest.h"

namespace jinguo::publicity::domain {
namespace {

using F = std::vector<std::string>;

const absl::CivilDay kToday(2026, 11, 16);

F Fields(const validate::FieldViolations& v) {
  F out;
  for (const auto& f : v.violations().field_violations()) out.push_back(f.field());
  return out;
}

std::string Reasons(const validate::FieldViolations& v) {
  std::string out;
  for (const auto& f : v.violations().field_violations()) out += f.field() + ": " + f.description() + "\n";
  return out;
}

// The field a status names ("" when none).
std::string FieldOf(const absl::Status& s) {
  auto bad = validate::BadRequestOf(s);
  return bad.field_violations_size() > 0 ? bad.field_violations(0).field() : "";
}

bool Mentions(const absl::Status& s, const std::string& text) {
  return std::string(s.message()).find(text) != std::string::npos;
}

v1::Campaign Campaign() {
  v1::Campaign c;
  c.set_title("全市姐妹手拉手·脱贫路上一起走");
  c.set_region_code("1302");
  *c.mutable_starts_on() = ToProto(absl::CivilDay(2026, 10, 1));
  *c.mutable_ends_on() = ToProto(absl::CivilDay(2026, 12, 31));
  return c;
}

v1::PublicityEvent Leaflets() {
  v1::PublicityEvent e;
  e.set_kind(v1::PUBLICITY_KIND_LEAFLETS);
  *e.mutable_held_on() = ToProto(kToday);
  e.set_region_code("130207104201");
  e.set_place("黄各庄镇妇女之家");
  e.set_organiser("丰南区妇联");
  e.set_materials(300);
  e.set_attendees(40);
  return e;
}

v1::HomeCleaning FirstRound() {
  v1::HomeCleaning c;
  c.set_household_id("H1");
  c.set_round(v1::CLEANING_ROUND_FIRST);
  *c.mutable_done_on() = ToProto(kToday);
  c.add_tasks(v1::CLEANING_TASK_SORTING);
  c.add_tasks(v1::CLEANING_TASK_CLEANING);
  v1::VolunteerHours* a = c.add_volunteers();
  a->set_volunteer_id("V1");
  a->set_hours(3);
  v1::VolunteerHours* b = c.add_volunteers();
  b->set_volunteer_id("V2");
  b->set_hours(4);
  c.set_donated_fen(50000);
  c.set_note("送被褥两套");
  return c;
}

v1::HouseholdStatus CleanedOn(absl::CivilDay day) {
  v1::HouseholdStatus s;
  s.set_household_id("H1");
  s.set_region_code("130207104201");
  *s.mutable_first_cleaned_on() = ToProto(day);
  return s;
}

TEST(Campaigns, TitleAndPeriodChecked) {
  validate::FieldViolations ok;
  v1::Campaign c = CampaignFrom(Campaign(), ok);
  EXPECT_TRUE(ok.empty()) << Reasons(ok);
  EXPECT_EQ(c.title(), "全市姐妹手拉手·脱贫路上一起走");
  EXPECT_EQ(c.region_code(), "1302");

  v1::Campaign one_day = Campaign();
  *one_day.mutable_ends_on() = one_day.starts_on();
  validate::FieldViolations same;
  CampaignFrom(one_day, same);
  EXPECT_TRUE(same.empty()) << "a campaign of one day: " << Reasons(same);

  v1::Campaign untitled = Campaign();
  untitled.set_title("   ");
  validate::FieldViolations v;
  CampaignFrom(untitled, v);
  EXPECT_EQ(Fields(v), F{"campaign.title"});

  v1::Campaign undated = Campaign();
  undated.clear_starts_on();
  undated.clear_ends_on();
  validate::FieldViolations no_dates;
  CampaignFrom(undated, no_dates);
  EXPECT_EQ(Fields(no_dates), (F{"campaign.starts_on", "campaign.ends_on"}));

  v1::Campaign backwards = Campaign();
  *backwards.mutable_ends_on() = ToProto(absl::CivilDay(2026, 9, 30));
  validate::FieldViolations before;
  CampaignFrom(backwards, before);
  ASSERT_EQ(Fields(before), F{"campaign.ends_on"});
  EXPECT_NE(Reasons(before).find("is before starts_on 2026-10-01"), std::string::npos) << Reasons(before);
}

TEST(Events, KindDateOrganiserAndCountsChecked) {
  validate::FieldViolations ok;
  v1::PublicityEvent e = EventFrom(Leaflets(), kToday, ok);
  EXPECT_TRUE(ok.empty()) << Reasons(ok);
  EXPECT_EQ(e.materials(), 300);
  EXPECT_EQ(e.attendees(), 40);

  v1::PublicityEvent future = Leaflets();
  *future.mutable_held_on() = ToProto(kToday + 1);
  validate::FieldViolations v;
  EventFrom(future, kToday, v);
  ASSERT_EQ(Fields(v), F{"event.held_on"});
  EXPECT_NE(Reasons(v).find("2026-11-17 is in the future"), std::string::npos) << Reasons(v);

  v1::PublicityEvent undated = Leaflets();
  undated.clear_held_on();
  validate::FieldViolations no_date;
  EventFrom(undated, kToday, no_date);
  EXPECT_EQ(Fields(no_date), F{"event.held_on"});

  v1::PublicityEvent negative = Leaflets();
  negative.set_materials(-1);
  negative.set_attendees(-5);
  validate::FieldViolations neg;
  EventFrom(negative, kToday, neg);
  EXPECT_EQ(Fields(neg), (F{"event.materials", "event.attendees"}));

  v1::PublicityEvent zero = Leaflets();
  zero.set_materials(0);
  zero.set_attendees(0);
  validate::FieldViolations none;
  EventFrom(zero, kToday, none);
  EXPECT_TRUE(none.empty()) << "none handed out is not negative: " << Reasons(none);

  v1::PublicityEvent kindless = Leaflets();
  kindless.set_kind(v1::PUBLICITY_KIND_UNSPECIFIED);
  validate::FieldViolations no_kind;
  EventFrom(kindless, kToday, no_kind);
  EXPECT_EQ(Fields(no_kind), F{"event.kind"});
  kindless.set_kind(static_cast<v1::PublicityKind>(99));
  validate::FieldViolations bad_kind;
  EventFrom(kindless, kToday, bad_kind);
  EXPECT_EQ(Fields(bad_kind), F{"event.kind"});

  v1::PublicityEvent anonymous = Leaflets();
  anonymous.clear_organiser();
  validate::FieldViolations no_organiser;
  EventFrom(anonymous, kToday, no_organiser);
  EXPECT_EQ(Fields(no_organiser), F{"event.organiser"});
}

TEST(Reach, ABroadcastAloneDoesNotReachAHousehold) {
  for (v1::ReachMethod m :
       {v1::REACH_METHOD_DOOR_TO_DOOR, v1::REACH_METHOD_ATTENDED_EVENT, v1::REACH_METHOD_LEAFLET_BY_HAND}) {
    validate::FieldViolations ok;
    CheckReachMethod(m, "reach.method", ok);
    EXPECT_TRUE(ok.empty()) << v1::ReachMethod_Name(m);
  }
  validate::FieldViolations broadcast;
  CheckReachMethod(v1::REACH_METHOD_BROADCAST, "rows[2].method", broadcast);
  ASSERT_EQ(Fields(broadcast), F{"rows[2].method"});
  EXPECT_NE(Reasons(broadcast).find("a broadcast alone does not reach a household"), std::string::npos)
      << Reasons(broadcast);
  validate::FieldViolations unset;
  CheckReachMethod(v1::REACH_METHOD_UNSPECIFIED, "reach.method", unset);
  ASSERT_EQ(Fields(unset), F{"reach.method"});
  EXPECT_NE(Reasons(unset).find("is required"), std::string::npos) << Reasons(unset);
  validate::FieldViolations unknown;
  CheckReachMethod(static_cast<v1::ReachMethod>(42), "reach.method", unknown);
  EXPECT_EQ(Fields(unknown), F{"reach.method"});
}

TEST(Reach, WithinTheCampaignsDatesBothEndsIncluded) {
  const v1::Campaign c = Campaign();
  EXPECT_TRUE(CheckReachDate(c, absl::CivilDay(2026, 10, 1), "reach.reached_on").ok());
  EXPECT_TRUE(CheckReachDate(c, absl::CivilDay(2026, 12, 31), "reach.reached_on").ok());
  for (absl::CivilDay day : {absl::CivilDay(2026, 9, 30), absl::CivilDay(2027, 1, 1)}) {
    absl::Status s = CheckReachDate(c, day, "reached_on");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << FormatCivilDate(day);
    EXPECT_EQ(FieldOf(s), "reached_on");
    EXPECT_TRUE(Mentions(s, "2026-10-01 to 2026-12-31")) << s;
  }
}

TEST(Cleaning, RoundTasksVolunteersDonationAndDateChecked) {
  validate::FieldViolations ok;
  v1::HomeCleaning c = CleaningFrom(FirstRound(), kToday, ok);
  EXPECT_TRUE(ok.empty()) << Reasons(ok);
  EXPECT_EQ(c.volunteers_size(), 2);
  EXPECT_EQ(c.donated_fen(), 50000);
  v1::HomeCleaning undated = FirstRound();
  undated.clear_done_on();
  validate::FieldViolations today;
  CleaningFrom(undated, kToday, today);
  EXPECT_TRUE(today.empty()) << "no date: today. " << Reasons(today);
  v1::HomeCleaning alone = FirstRound();
  alone.clear_volunteers();
  validate::FieldViolations no_volunteers;
  CleaningFrom(alone, kToday, no_volunteers);
  EXPECT_TRUE(no_volunteers.empty()) << Reasons(no_volunteers);

  auto refused = [](const v1::HomeCleaning& in, const F& fields, const std::string& what) {
    validate::FieldViolations v;
    CleaningFrom(in, kToday, v);
    EXPECT_EQ(Fields(v), fields) << what << ": " << Reasons(v);
    return Reasons(v);
  };
  v1::HomeCleaning bad = FirstRound();
  bad.set_round(v1::CLEANING_ROUND_UNSPECIFIED);
  refused(bad, {"cleaning.round"}, "no round");
  bad = FirstRound();
  bad.clear_tasks();
  refused(bad, {"cleaning.tasks"}, "no tasks");
  bad = FirstRound();
  bad.add_tasks(v1::CLEANING_TASK_UNSPECIFIED);
  refused(bad, {"cleaning.tasks[2]"}, "an unset task");
  for (int hours : {0, 25, -1}) {
    bad = FirstRound();
    bad.mutable_volunteers(1)->set_hours(hours);
    std::string reasons = refused(bad, {"cleaning.volunteers[1].hours"}, std::to_string(hours) + " hours");
    EXPECT_NE(reasons.find("is not 1-24 hours in a day"), std::string::npos) << reasons;
  }
  for (int hours : {1, 24}) {
    bad = FirstRound();
    bad.mutable_volunteers(0)->set_hours(hours);
    refused(bad, {}, std::to_string(hours) + " hours");
  }
  bad = FirstRound();
  bad.mutable_volunteers(1)->set_volunteer_id("V1");
  std::string twice = refused(bad, {"cleaning.volunteers[1].volunteer_id"}, "a volunteer twice");
  EXPECT_NE(twice.find("listed twice"), std::string::npos) << twice;
  bad = FirstRound();
  bad.mutable_volunteers(0)->clear_volunteer_id();
  refused(bad, {"cleaning.volunteers[0].volunteer_id"}, "no volunteer id");
  bad = FirstRound();
  bad.set_donated_fen(-1);
  refused(bad, {"cleaning.donated_fen"}, "a negative donation");
  bad = FirstRound();
  *bad.mutable_done_on() = ToProto(kToday + 1);
  std::string future = refused(bad, {"cleaning.done_on"}, "tomorrow");
  EXPECT_NE(future.find("2026-11-17 is in the future"), std::string::npos) << future;
}

TEST(Cleaning, AFollowUpOnlyAfterTheFirstRoundAndTheFirstOnce) {
  v1::HouseholdStatus fresh;
  EXPECT_TRUE(CheckRound(fresh, v1::CLEANING_ROUND_FIRST, kToday).ok());
  absl::Status early = CheckRound(fresh, v1::CLEANING_ROUND_FOLLOW_UP, kToday);
  EXPECT_EQ(early.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FieldOf(early), "cleaning.round");
  EXPECT_TRUE(Mentions(early, "no first round yet")) << early;

  const absl::CivilDay first(2026, 10, 20);
  v1::HouseholdStatus cleaned = CleanedOn(first);
  absl::Status again = CheckRound(cleaned, v1::CLEANING_ROUND_FIRST, kToday);
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FieldOf(again), "cleaning.round");
  EXPECT_TRUE(Mentions(again, "first round was done on 2026-10-20")) << again;
  EXPECT_TRUE(CheckRound(cleaned, v1::CLEANING_ROUND_FOLLOW_UP, first).ok()) << "on the same day";
  EXPECT_TRUE(CheckRound(cleaned, v1::CLEANING_ROUND_FOLLOW_UP, kToday).ok());
  absl::Status before = CheckRound(cleaned, v1::CLEANING_ROUND_FOLLOW_UP, first - 1);
  EXPECT_EQ(before.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FieldOf(before), "cleaning.done_on");
  EXPECT_TRUE(Mentions(before, "before the first round, 2026-10-20")) << before;
}

TEST(Cleaning, TheFirstRoundMarksTheHouseholdAndAnyRoundAnswersACallForHelp) {
  v1::HouseholdStatus s;
  s.set_household_id("H1");
  s.set_needs_help(true);
  ApplyCleaning(s, v1::CLEANING_ROUND_FIRST, absl::CivilDay(2026, 10, 20));
  ASSERT_TRUE(s.has_first_cleaned_on());
  EXPECT_EQ(StoredDay(s.first_cleaned_on()), absl::CivilDay(2026, 10, 20));
  EXPECT_FALSE(s.needs_help());
  s.set_needs_help(true);
  ApplyCleaning(s, v1::CLEANING_ROUND_FOLLOW_UP, kToday);
  EXPECT_FALSE(s.needs_help());
  EXPECT_EQ(StoredDay(s.first_cleaned_on()), absl::CivilDay(2026, 10, 20)) << "a follow-up keeps the first round's day";
}

TEST(Inspections, OfACleanedHouseholdNotBeforeItsFirstRound) {
  v1::Inspection good;
  good.set_household_id("H1");
  good.set_result(v1::INSPECTION_RESULT_GOOD);
  *good.mutable_inspected_on() = ToProto(kToday);
  const absl::CivilDay first(2026, 10, 20);

  absl::Status uncleaned = CheckInspection(v1::HouseholdStatus(), good, kToday);
  EXPECT_EQ(uncleaned.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FieldOf(uncleaned), "inspection.household_id");
  EXPECT_TRUE(Mentions(uncleaned, "no first round")) << uncleaned;

  EXPECT_TRUE(CheckInspection(CleanedOn(first), good, kToday).ok());
  v1::Inspection undated = good;
  undated.clear_inspected_on();
  EXPECT_TRUE(CheckInspection(CleanedOn(first), undated, kToday).ok()) << "no date: today";
  v1::Inspection same_day = good;
  *same_day.mutable_inspected_on() = ToProto(first);
  EXPECT_TRUE(CheckInspection(CleanedOn(first), same_day, kToday).ok());

  v1::Inspection before = good;
  *before.mutable_inspected_on() = ToProto(first - 1);
  absl::Status early = CheckInspection(CleanedOn(first), before, kToday);
  EXPECT_EQ(early.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FieldOf(early), "inspection.inspected_on");
  EXPECT_TRUE(Mentions(early, "before the first round, 2026-10-20")) << early;

  v1::Inspection future = good;
  *future.mutable_inspected_on() = ToProto(kToday + 1);
  absl::Status tomorrow = CheckInspection(CleanedOn(first), future, kToday);
  EXPECT_EQ(tomorrow.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(tomorrow), "inspection.inspected_on");

  v1::Inspection no_result = good;
  no_result.set_result(v1::INSPECTION_RESULT_UNSPECIFIED);
  absl::Status unset = CheckInspection(CleanedOn(first), no_result, kToday);
  EXPECT_EQ(unset.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(unset), "inspection.result");
}

TEST(Volunteers, AtMost24HoursInADay) {
  EXPECT_TRUE(CheckHoursOfDay(0, 24, "h").ok());
  EXPECT_TRUE(CheckHoursOfDay(20, 4, "h").ok());
  absl::Status over = CheckHoursOfDay(20, 5, "cleaning.volunteers[0].hours");
  EXPECT_EQ(over.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(over), "cleaning.volunteers[0].hours");
  EXPECT_TRUE(Mentions(over, "5 more hours would make 25 in one day")) << over;
  EXPECT_TRUE(Mentions(over, "(20 recorded already)")) << over;
  EXPECT_FALSE(CheckHoursOfDay(24, 1, "h").ok());
}

TEST(Volunteers, NameMobileAndTeamAndTheReasonNeverRepeatsTheNumber) {
  v1::Volunteer in;
  in.set_name("张秀英");
  in.set_mobile("+86 138-1234-5678");
  in.set_team("黄各庄镇巾帼志愿服务队");
  in.set_region_code("130207104201");
  in.set_hours(99);  // the service counts them, not the caller
  validate::FieldViolations ok;
  v1::Volunteer v = VolunteerFrom(in, ok);
  EXPECT_TRUE(ok.empty()) << Reasons(ok);
  EXPECT_EQ(v.mobile(), "13812345678");
  EXPECT_EQ(v.name(), "张秀英");
  EXPECT_EQ(v.team(), "黄各庄镇巾帼志愿服务队");
  EXPECT_EQ(v.region_code(), "130207104201");
  EXPECT_EQ(v.hours(), 0);

  for (const char* mobile : {"1381234567", "12812345678", "138123456789", "1381234567x"}) {
    v1::Volunteer bad = in;
    bad.set_mobile(mobile);
    validate::FieldViolations v2;
    VolunteerFrom(bad, v2);
    EXPECT_EQ(Fields(v2), F{"volunteer.mobile"}) << mobile;
    EXPECT_EQ(Reasons(v2).find(mobile), std::string::npos) << Reasons(v2);
    EXPECT_EQ(Reasons(v2).find("1234567"), std::string::npos) << Reasons(v2);
  }
  v1::Volunteer nameless = in;
  nameless.clear_name();
  nameless.clear_team();
  nameless.clear_mobile();
  validate::FieldViolations missing;
  VolunteerFrom(nameless, missing);
  EXPECT_EQ(Fields(missing), (F{"volunteer.name", "volunteer.mobile", "volunteer.team"}));
}

TEST(Venues, InAVillageOfTwelveDigits) {
  v1::Venue in;
  in.set_name("黄各庄村妇女之家");
  in.set_region_code("130207104201");
  in.set_kind(v1::VENUE_KIND_WOMENS_HOME);
  *in.mutable_opened_on() = ToProto(absl::CivilDay(2025, 3, 8));
  in.add_equipment("投影仪");
  in.add_equipment("图书角");
  in.set_annual_budget_fen(500000);
  validate::FieldViolations ok;
  v1::Venue venue = VenueFrom(in, kToday, ok);
  EXPECT_TRUE(ok.empty()) << Reasons(ok);
  EXPECT_EQ(venue.equipment_size(), 2);

  for (const char* code : {"130207", "130207104", "13020710420", "1302071042011", "13020710420x", ""}) {
    v1::Venue bad = in;
    bad.set_region_code(code);
    validate::FieldViolations v;
    VenueFrom(bad, kToday, v);
    EXPECT_EQ(Fields(v), F{"venue.region_code"}) << code;
    EXPECT_NE(Reasons(v).find("is not a village code"), std::string::npos) << Reasons(v);
  }
  v1::Venue bad = in;
  bad.set_kind(v1::VENUE_KIND_UNSPECIFIED);
  bad.set_annual_budget_fen(-1);
  *bad.mutable_opened_on() = ToProto(kToday + 1);
  bad.add_equipment("");
  validate::FieldViolations v;
  VenueFrom(bad, kToday, v);
  EXPECT_EQ(Fields(v), (F{"venue.kind", "venue.opened_on", "venue.annual_budget_fen", "venue.equipment[2]"}));
}

TEST(Quarters, NumberedTextAndFirstDay) {
  EXPECT_EQ(QuarterOf(absl::CivilDay(2026, 1, 1)), 20261);
  EXPECT_EQ(QuarterOf(absl::CivilDay(2026, 3, 31)), 20261);
  EXPECT_EQ(QuarterOf(absl::CivilDay(2026, 4, 1)), 20262);
  EXPECT_EQ(QuarterOf(absl::CivilDay(2026, 9, 30)), 20263);
  EXPECT_EQ(QuarterOf(absl::CivilDay(2026, 10, 1)), 20264);
  EXPECT_EQ(QuarterOf(absl::CivilDay(2026, 12, 31)), 20264);
  EXPECT_EQ(QuarterText(20264), "2026Q4");
  EXPECT_EQ(QuarterText(QuarterOf(absl::CivilDay(2027, 2, 1))), "2027Q1");
  EXPECT_EQ(QuarterStart(absl::CivilDay(2026, 11, 16)), absl::CivilDay(2026, 10, 1));
  EXPECT_EQ(QuarterStart(absl::CivilDay(2026, 3, 31)), absl::CivilDay(2026, 1, 1));
  EXPECT_EQ(QuarterStart(absl::CivilDay(2026, 6, 30)), absl::CivilDay(2026, 4, 1));
  EXPECT_EQ(QuarterStart(absl::CivilDay(2026, 7, 1)), absl::CivilDay(2026, 7, 1));
}

TEST(Quarters, OneMeetingAndTwoActivitiesMeetTheStandard) {
  v1::VenueCount count;
  EXPECT_FALSE(MeetsStandard(count));
  CountAtVenue(count, v1::PUBLICITY_KIND_LECTURE);
  CountAtVenue(count, v1::PUBLICITY_KIND_LEAFLETS);
  EXPECT_EQ(count.meetings(), 0);
  EXPECT_EQ(count.activities(), 2);
  EXPECT_FALSE(MeetsStandard(count)) << "no meeting";
  CountAtVenue(count, v1::PUBLICITY_KIND_MEETING);
  EXPECT_EQ(count.meetings(), 1);
  EXPECT_TRUE(MeetsStandard(count));

  v1::VenueCount meetings_only;
  for (int i = 0; i < 3; ++i) CountAtVenue(meetings_only, v1::PUBLICITY_KIND_MEETING);
  EXPECT_EQ(meetings_only.meetings(), 3);
  EXPECT_FALSE(MeetsStandard(meetings_only)) << "a meeting is not an activity";
  v1::VenueCount one_activity;
  CountAtVenue(one_activity, v1::PUBLICITY_KIND_MEETING);
  CountAtVenue(one_activity, v1::PUBLICITY_KIND_ONLINE);
  EXPECT_FALSE(MeetsStandard(one_activity));
}

}  // namespace
}  // namespace jinguo::publicity::domain
