// The publicity service as the federation's clerk and a viewer meet it: the real registration, publicity and
// reporting binaries on a real Kafka broker, households registered in the registry (publicity knows them through its
// replica, or asks registration), events read back from jinguo.publicity.events.v1 and counted by reporting. Dates
// are relative to today: every campaign covers today, and every event and cleaning is held today (this quarter).
#include <signal.h>

#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/clock.h"
#include "common/rpc/auth.h"
#include "gtest/gtest.h"
#include "jinguo/publicity/v1/events.pb.h"
#include "jinguo/publicity/v1/publicity.grpc.pb.h"
#include "jinguo/reporting/v1/reporting.grpc.pb.h"
#include "tests/integration/harness.h"
#include "tests/integration/registration_client.h"

namespace jinguo::testing {
namespace {

namespace uv1 = ::jinguo::publicity::v1;
namespace pv1 = ::jinguo::reporting::v1;
using F = std::vector<std::string>;

constexpr char kAdmin[] = "admin-token";
constexpr char kClerk[] = "clerk-token";  // operator, 唐山市 1302
constexpr char kViewer[] = "viewer-token";
constexpr char kService[] = "service-token";
constexpr char kVillage[] = "130207104201";        // reach, day sheet and cleaning
constexpr char kVenueVillage[] = "130207104202";   // only the venue test's venue and events
constexpr char kBadVillage[] = "130207104203";     // only the bad-input test's households and records
constexpr char kReportVillage[] = "130207104205";  // only the reporting test's households and records
constexpr char kShijiazhuang[] = "130102100201";   // 石家庄, outside the clerk's 唐山
constexpr char kUnknownId[] = "0190f3a2-0000-7000-8000-000000000000";
constexpr char kMobile[] = "13812345678";
constexpr char kOtherMobile[] = "13987654321";

absl::CivilDay Today() { return ChinaDay(absl::Now()); }

// The number of this quarter, as the service writes it ("2026Q4").
std::string QuarterNow() {
  absl::CivilDay t = Today();
  return absl::StrCat(t.year(), "Q", (t.month() - 1) / 3 + 1);
}

class PublicityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    broker_ = KafkaBroker::Start().release();
    ASSERT_NE(broker_, nullptr);
    dir_ = new TempDir();
    std::ofstream(dir_->path() + "/tokens") << rpc::HashToken(kAdmin) << " admin admin *\n"
                                            << rpc::HashToken(kClerk) << " clerk operator 1302\n"
                                            << rpc::HashToken(kViewer) << " viewer viewer *\n"
                                            << rpc::HashToken(kService) << " services service *\n";
    int reg_port = FreePort(), publicity_port = FreePort(), reporting_port = FreePort();
    // StartRegistration writes dir/data-keys; publicity seals volunteers' mobiles under the same file (written once:
    // a second WriteDataKeyFile would replace the keys registration runs with).
    registration_ = StartRegistration(REGISTRATION_BINARY, reg_port, dir_->path(), broker_->brokers()).release();
    ASSERT_NE(registration_, nullptr);
    auto publicity_args = ReplicaArgs(reg_port, dir_->path(), kService);
    publicity_args.insert(publicity_args.end(), {"--data-key-file", dir_->path() + "/data-keys"});
    publicity_ =
        StartService(PUBLICITY_BINARY, "publicity", publicity_port, dir_->path(), broker_->brokers(), publicity_args)
            .release();
    ASSERT_NE(publicity_, nullptr);
    reporting_ =
        StartService(REPORTING_BINARY, "reporting", reporting_port, dir_->path(), broker_->brokers()).release();
    ASSERT_NE(reporting_, nullptr);
    registry_ = rv1::RegistrationService::NewStub(registration_->channel()).release();
    stub_ = uv1::PublicityService::NewStub(publicity_->channel()).release();
    reports_ = pv1::ReportingService::NewStub(reporting_->channel()).release();
    tap_ = new EventTap(broker_->brokers(), "jinguo.publicity.events.v1");
  }
  static void TearDownTestSuite() {
    delete tap_;
    delete stub_;
    delete registry_;
    delete reports_;
    EXPECT_EQ(StopAll({{"reporting", reporting_}, {"publicity", publicity_}, {"registration", registration_}}),
              std::vector<std::string>{})
        << "did not shut down cleanly";
    delete broker_;
    delete dir_;
  }

  // A household registered (by the admin, so anywhere) in `region`; its id.
  static std::string Household(const std::string& region) {
    rv1::RegisterHouseholdResponse h;
    grpc::Status s = registry_->RegisterHousehold(Authorized(kAdmin).get(), HouseholdRequest(region), &h);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return h.household().id();
  }

  // A campaign of `region` from ten days ago to twenty days ahead.
  static uv1::Campaign Campaign(const std::string& region, absl::CivilDay starts = Today() - 10,
                                absl::CivilDay ends = Today() + 20) {
    uv1::CreateCampaignRequest r;
    r.set_request_id(NewRequestId());
    r.mutable_campaign()->set_title("全市姐妹手拉手·脱贫路上一起走");
    r.mutable_campaign()->set_region_code(region);
    *r.mutable_campaign()->mutable_starts_on() = ToProto(starts);
    *r.mutable_campaign()->mutable_ends_on() = ToProto(ends);
    uv1::CreateCampaignResponse resp;
    grpc::Status s = stub_->CreateCampaign(Authorized(kClerk).get(), r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.campaign();
  }

  static uv1::RecordHouseholdReachedRequest ReachRequest(const std::string& campaign, const std::string& household,
                                                         uv1::ReachMethod method = uv1::REACH_METHOD_DOOR_TO_DOOR) {
    uv1::RecordHouseholdReachedRequest r;
    r.set_request_id(NewRequestId());
    r.mutable_reach()->set_campaign_id(campaign);
    r.mutable_reach()->set_household_id(household);
    r.mutable_reach()->set_method(method);
    r.mutable_reach()->set_reached_by("刘秀英");
    return r;
  }
  static grpc::Status Reach(const uv1::RecordHouseholdReachedRequest& r, uv1::RecordHouseholdReachedResponse* out,
                            const std::string& token = kClerk) {
    return stub_->RecordHouseholdReached(Authorized(token).get(), r, out);
  }
  static grpc::Status Reach(const std::string& campaign, const std::string& household,
                            uv1::RecordHouseholdReachedResponse* out,
                            uv1::ReachMethod method = uv1::REACH_METHOD_DOOR_TO_DOOR) {
    return Reach(ReachRequest(campaign, household, method), out);
  }
  static void Reached(const std::string& campaign, const std::string& household) {
    uv1::RecordHouseholdReachedResponse resp;
    grpc::Status s = Reach(campaign, household, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }

  // A day sheet of `households`, door to door, today.
  static grpc::Status Sheet(const std::string& campaign, const std::vector<std::string>& households,
                            uv1::RecordHouseholdsReachedResponse* out) {
    uv1::RecordHouseholdsReachedRequest r;
    r.set_request_id(NewRequestId());
    r.set_campaign_id(campaign);
    r.set_reached_by("刘秀英");
    r.set_method(uv1::REACH_METHOD_DOOR_TO_DOOR);
    for (const std::string& h : households) r.add_rows()->set_household_id(h);
    return stub_->RecordHouseholdsReached(Authorized(kClerk).get(), r, out);
  }

  static uv1::RecordPublicityEventRequest EventRequest(const std::string& region, uv1::PublicityKind kind,
                                                       const std::string& venue = "", int materials = 0,
                                                       int attendees = 0) {
    uv1::RecordPublicityEventRequest r;
    r.set_request_id(NewRequestId());
    uv1::PublicityEvent* e = r.mutable_event();
    e->set_kind(kind);
    *e->mutable_held_on() = ToProto(Today());
    e->set_region_code(region);
    e->set_venue_id(venue);
    if (venue.empty()) e->set_place("村委会广场");
    e->set_organiser("丰南区妇联");
    e->set_materials(materials);
    e->set_attendees(attendees);
    return r;
  }
  static grpc::Status Event(const uv1::RecordPublicityEventRequest& r, uv1::PublicityEvent* out = nullptr) {
    uv1::RecordPublicityEventResponse resp;
    grpc::Status s = stub_->RecordPublicityEvent(Authorized(kClerk).get(), r, &resp);
    if (out) *out = resp.event();
    return s;
  }
  static uv1::PublicityEvent Held(const std::string& region, uv1::PublicityKind kind, const std::string& venue = "",
                                  int materials = 0, int attendees = 0) {
    uv1::PublicityEvent e;
    grpc::Status s = Event(EventRequest(region, kind, venue, materials, attendees), &e);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return e;
  }

  static uv1::RegisterVenueRequest VenueRequest(const std::string& region) {
    uv1::RegisterVenueRequest r;
    r.set_request_id(NewRequestId());
    uv1::Venue* v = r.mutable_venue();
    v->set_name("黄各庄村妇女之家");
    v->set_region_code(region);
    v->set_kind(uv1::VENUE_KIND_WOMENS_HOME);
    v->add_equipment("投影仪");
    v->add_equipment("图书角");
    v->set_annual_budget_fen(300000);
    return r;
  }
  static grpc::Status RegisterVenue(const uv1::RegisterVenueRequest& r, uv1::Venue* out = nullptr) {
    uv1::RegisterVenueResponse resp;
    grpc::Status s = stub_->RegisterVenue(Authorized(kClerk).get(), r, &resp);
    if (out) *out = resp.venue();
    return s;
  }
  static uv1::Venue Venue(const std::string& region) {
    uv1::Venue v;
    grpc::Status s = RegisterVenue(VenueRequest(region), &v);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return v;
  }
  // The venues under `prefix` with this quarter's counts, by id.
  static std::map<std::string, uv1::VenueQuarter> Venues(const std::string& prefix, std::string* quarter = nullptr) {
    uv1::ListVenuesRequest r;
    r.set_region_prefix(prefix);
    r.mutable_page()->set_page_size(500);
    uv1::ListVenuesResponse resp;
    grpc::Status s = stub_->ListVenues(Authorized(kViewer).get(), r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (quarter) *quarter = resp.quarter();
    std::map<std::string, uv1::VenueQuarter> out;
    for (const auto& v : resp.venues()) out[v.venue().id()] = v;
    return out;
  }

  static uv1::Volunteer Volunteer(const std::string& region, const std::string& mobile, const std::string& name) {
    uv1::RegisterVolunteerRequest r;
    r.set_request_id(NewRequestId());
    r.mutable_volunteer()->set_name(name);
    r.mutable_volunteer()->set_mobile(mobile);
    r.mutable_volunteer()->set_region_code(region);
    r.mutable_volunteer()->set_team("黄各庄镇巾帼志愿服务队");
    uv1::RegisterVolunteerResponse resp;
    grpc::Status s = stub_->RegisterVolunteer(Authorized(kClerk).get(), r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.volunteer();
  }
  // The volunteers under `prefix` as `token` sees them, by id.
  static std::map<std::string, uv1::Volunteer> Volunteers(const std::string& prefix, const std::string& token) {
    uv1::ListVolunteersRequest r;
    r.set_region_prefix(prefix);
    uv1::ListVolunteersResponse resp;
    grpc::Status s = stub_->ListVolunteers(Authorized(token).get(), r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::map<std::string, uv1::Volunteer> out;
    for (const auto& v : resp.volunteers()) out[v.id()] = v;
    return out;
  }

  struct Given {
    std::string volunteer;
    int hours;
  };
  static uv1::RecordHomeCleaningRequest CleaningRequest(const std::string& household, uv1::CleaningRound round,
                                                        const std::vector<Given>& volunteers, int64_t donated_fen = 0) {
    uv1::RecordHomeCleaningRequest r;
    r.set_request_id(NewRequestId());
    uv1::HomeCleaning* c = r.mutable_cleaning();
    c->set_household_id(household);
    c->set_round(round);
    c->add_tasks(uv1::CLEANING_TASK_SORTING);
    c->add_tasks(uv1::CLEANING_TASK_CLEANING);
    for (const Given& g : volunteers) {
      uv1::VolunteerHours* h = c->add_volunteers();
      h->set_volunteer_id(g.volunteer);
      h->set_hours(g.hours);
    }
    c->set_donated_fen(donated_fen);
    c->set_note("送被褥两套、桌椅一套");
    return r;
  }
  static grpc::Status Clean(const uv1::RecordHomeCleaningRequest& r, uv1::HomeCleaning* out = nullptr) {
    uv1::RecordHomeCleaningResponse resp;
    grpc::Status s = stub_->RecordHomeCleaning(Authorized(kClerk).get(), r, &resp);
    if (out) *out = resp.cleaning();
    return s;
  }
  static grpc::Status Inspect(const std::string& household, uv1::InspectionResult result) {
    uv1::RecordInspectionRequest r;
    r.set_request_id(NewRequestId());
    r.mutable_inspection()->set_household_id(household);
    r.mutable_inspection()->set_result(result);
    r.mutable_inspection()->set_inspected_by("王淑珍");
    uv1::RecordInspectionResponse resp;
    return stub_->RecordInspection(Authorized(kClerk).get(), r, &resp);
  }
  // What publicity holds of a household, as a viewer reads it.
  static uv1::HouseholdRecord Record(const std::string& household) {
    uv1::GetHouseholdRecordRequest r;
    r.set_household_id(household);
    uv1::GetHouseholdRecordResponse resp;
    grpc::Status s = stub_->GetHouseholdRecord(Authorized(kViewer).get(), r, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.record();
  }

  // The events of `aggregate` once at least `count` of them arrived, and everything else up to now, in topic order.
  static std::vector<common::v1::EventEnvelope> EventsOf(const std::string& aggregate, size_t count) {
    tap_->WaitForAggregate(aggregate, count);
    std::vector<common::v1::EventEnvelope> out;
    for (const auto& e : tap_->Settle()) {
      if (e.aggregate_id() == aggregate) out.push_back(e);
    }
    return out;
  }
  // The household an event of a household (reached, cleaned, inspected) is about, by its payload; "" for others.
  static std::string HouseholdOf(const common::v1::EventEnvelope& e) {
    uv1::HouseholdReached reached;
    uv1::HomeCleaningRecorded cleaning;
    uv1::InspectionRecorded inspection;
    if (e.payload().UnpackTo(&reached)) return reached.household_id();
    if (e.payload().UnpackTo(&cleaning)) return cleaning.household_id();
    if (e.payload().UnpackTo(&inspection)) return inspection.household_id();
    return "";
  }
  static std::vector<common::v1::EventEnvelope> Of(const std::string& household) {
    std::vector<common::v1::EventEnvelope> out;
    for (const auto& e : tap_->Settle(absl::Milliseconds(200))) {
      if (HouseholdOf(e) == household) out.push_back(e);
    }
    return out;
  }
  // The events of `household` once at least `count` of them arrived (and nothing more came for a while), in topic
  // order. They are one aggregate of their own: not the registry's household aggregate (the bare id, versioned by
  // registration), which a consumer of both topics would confuse them with.
  static std::vector<common::v1::EventEnvelope> HouseholdEvents(const std::string& household, size_t count) {
    WaitFor([&] { return Of(household).size() >= count; }, absl::Seconds(30));
    tap_->Settle();
    std::vector<common::v1::EventEnvelope> out = Of(household);
    for (size_t i = 0; i < out.size(); ++i) {
      EXPECT_NE(out[i].aggregate_id(), household) << out[i].event_type() << ": the registry's aggregate";
      EXPECT_EQ(out[i].aggregate_id(), out[0].aggregate_id()) << "one stream per household";
      EXPECT_EQ(out[i].aggregate_version(), static_cast<int64_t>(i + 1)) << out[i].event_type();
    }
    return out;
  }
  static std::vector<std::string> Types(const std::vector<common::v1::EventEnvelope>& events) {
    std::vector<std::string> types;
    for (const auto& e : events) types.push_back(e.event_type());
    return types;
  }

  static KafkaBroker* broker_;
  static TempDir* dir_;
  static ServiceProcess* registration_;
  static ServiceProcess* publicity_;
  static ServiceProcess* reporting_;
  static rv1::RegistrationService::Stub* registry_;
  static uv1::PublicityService::Stub* stub_;
  static pv1::ReportingService::Stub* reports_;
  static EventTap* tap_;
};

KafkaBroker* PublicityTest::broker_ = nullptr;
TempDir* PublicityTest::dir_ = nullptr;
ServiceProcess* PublicityTest::registration_ = nullptr;
ServiceProcess* PublicityTest::publicity_ = nullptr;
ServiceProcess* PublicityTest::reporting_ = nullptr;
rv1::RegistrationService::Stub* PublicityTest::registry_ = nullptr;
uv1::PublicityService::Stub* PublicityTest::stub_ = nullptr;
pv1::ReportingService::Stub* PublicityTest::reports_ = nullptr;
EventTap* PublicityTest::tap_ = nullptr;

// A household reached door to door, then again in the same campaign: counted once, one event. A broadcast does not
// reach anybody. A leaflet session at a registered venue, and a household reached by attending it.
TEST_F(PublicityTest, AHouseholdReachedTwiceInACampaignIsCountedOnce) {
  const std::string household = Household(kVillage), other = Household(kVillage), attendee = Household(kVillage);
  const uv1::Campaign campaign = Campaign("1302");
  ASSERT_FALSE(campaign.id().empty());
  EXPECT_EQ(campaign.region_code(), "1302");

  uv1::RecordHouseholdReachedRequest first = ReachRequest(campaign.id(), household);
  uv1::RecordHouseholdReachedResponse resp;
  grpc::Status s = Reach(first, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(resp.repeated());
  EXPECT_EQ(resp.reach().campaign_id(), campaign.id());
  EXPECT_EQ(resp.reach().household_id(), household);
  EXPECT_EQ(*FromProto(resp.reach().reached_on()), Today()) << "no date: today";
  // A retry of the same request gets the first answer back.
  uv1::RecordHouseholdReachedResponse retried;
  ASSERT_TRUE(Reach(first, &retried).ok());
  EXPECT_FALSE(retried.repeated()) << "the recorded answer of the first call";

  uv1::RecordHouseholdReachedResponse again;
  s = Reach(campaign.id(), household, &again, uv1::REACH_METHOD_LEAFLET_BY_HAND);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(again.repeated()) << "reached in this campaign before";

  uv1::RecordHouseholdReachedResponse none;
  grpc::Status broadcast = Reach(campaign.id(), other, &none, uv1::REACH_METHOD_BROADCAST);
  EXPECT_EQ(broadcast.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(broadcast), F{"reach.method"});
  EXPECT_NE(broadcast.error_message().find("a broadcast alone does not reach a household"), std::string::npos)
      << broadcast.error_message();
  EXPECT_EQ(Record(other).reaches_size(), 0);

  uv1::HouseholdRecord record = Record(household);
  EXPECT_EQ(record.region_code(), kVillage);
  ASSERT_EQ(record.reaches_size(), 1);
  EXPECT_EQ(record.reaches(0).campaign_id(), campaign.id());
  EXPECT_EQ(record.reaches(0).method(), uv1::REACH_METHOD_DOOR_TO_DOOR) << "the first reach stands";
  EXPECT_EQ(record.reaches(0).reached_by(), "刘秀英");

  // 宣传单 at the village's 妇女之家, and a household reached by attending it.
  const uv1::Venue venue = Venue(kVillage);
  const uv1::PublicityEvent leaflets =
      Held(kVillage, uv1::PUBLICITY_KIND_LEAFLETS, venue.id(), /*materials=*/300, /*attendees=*/40);
  ASSERT_FALSE(leaflets.id().empty());
  EXPECT_EQ(leaflets.materials(), 300);
  EXPECT_EQ(leaflets.attendees(), 40);
  EXPECT_EQ(leaflets.venue_id(), venue.id());
  uv1::RecordHouseholdReachedRequest attended = ReachRequest(campaign.id(), attendee, uv1::REACH_METHOD_ATTENDED_EVENT);
  attended.mutable_reach()->set_event_id(leaflets.id());
  s = Reach(attended, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(resp.repeated());
  uv1::HouseholdRecord attendee_record = Record(attendee);
  ASSERT_EQ(attendee_record.reaches_size(), 1);
  EXPECT_EQ(attendee_record.reaches(0).event_id(), leaflets.id());

  // On the topic: one HouseholdReached of the household, its region in the envelope; none of the other.
  std::vector<common::v1::EventEnvelope> events = HouseholdEvents(household, 1);
  EXPECT_EQ(Types(events), F{"HouseholdReached"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].region_code(), kVillage);
  EXPECT_EQ(events[0].aggregate_version(), 1);
  EXPECT_TRUE(events[0].beneficiary_id().empty());
  uv1::HouseholdReached reached;
  ASSERT_TRUE(events[0].payload().UnpackTo(&reached));
  EXPECT_EQ(reached.campaign_id(), campaign.id());
  EXPECT_EQ(reached.method(), uv1::REACH_METHOD_DOOR_TO_DOOR);
  EXPECT_EQ(*FromProto(reached.campaign_starts_on()), Today() - 10);
  EXPECT_EQ(*FromProto(reached.campaign_ends_on()), Today() + 20);
  int of_other = 0;
  const uv1::PublicityEventRecorded* recorded = nullptr;
  uv1::PublicityEventRecorded payload;
  for (const auto& e : tap_->Settle()) {
    of_other += HouseholdOf(e) == other;
    if (e.aggregate_id() == leaflets.id() && e.payload().UnpackTo(&payload)) recorded = &payload;
  }
  EXPECT_EQ(of_other, 0) << "a broadcast writes nothing";
  ASSERT_NE(recorded, nullptr) << "PublicityEventRecorded of " << leaflets.id();
  EXPECT_EQ(recorded->kind(), uv1::PUBLICITY_KIND_LEAFLETS);
  EXPECT_EQ(recorded->venue_id(), venue.id());
  EXPECT_EQ(recorded->venue_region_code(), kVillage);
  EXPECT_EQ(recorded->materials(), 300);
  EXPECT_EQ(recorded->attendees(), 40);
}

// A cadre's day sheet: the good rows are written, the bad ones named, and the sheet is not refused for them.
TEST_F(PublicityTest, ADaySheetKeepsItsGoodRowsAndNamesItsBadOnes) {
  const uv1::Campaign campaign = Campaign("1302");
  const std::string a = Household(kVillage), b = Household(kVillage), c = Household(kVillage);
  const std::string elsewhere = Household(kShijiazhuang);

  uv1::RecordHouseholdsReachedResponse sheet;
  grpc::Status s = Sheet(campaign.id(), {a, b, c, b, kUnknownId, elsewhere}, &sheet);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(sheet.reached(), 3);
  EXPECT_EQ(sheet.repeated(), 1);
  EXPECT_EQ(sheet.refused(), 2);
  ASSERT_EQ(sheet.results_size(), 6) << sheet.DebugString();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(sheet.results(i).row(), i);
    EXPECT_EQ(sheet.results(i).outcome(), uv1::ROW_OUTCOME_REACHED) << i;
  }
  EXPECT_EQ(sheet.results(3).outcome(), uv1::ROW_OUTCOME_REPEATED) << "b twice on the sheet";
  EXPECT_EQ(sheet.results(3).household_id(), b);
  EXPECT_EQ(sheet.results(4).outcome(), uv1::ROW_OUTCOME_REFUSED);
  EXPECT_EQ(sheet.results(4).field(), "rows[4].household_id");
  EXPECT_FALSE(sheet.results(4).reason().empty());
  EXPECT_EQ(sheet.results(5).outcome(), uv1::ROW_OUTCOME_REFUSED);
  EXPECT_EQ(sheet.results(5).field(), "rows[5].household_id");
  EXPECT_NE(sheet.results(5).reason().find("outside"), std::string::npos) << sheet.results(5).reason();

  for (const std::string& h : {a, b, c}) {
    uv1::HouseholdRecord r = Record(h);
    ASSERT_EQ(r.reaches_size(), 1) << h;
    EXPECT_EQ(r.reaches(0).campaign_id(), campaign.id());
    EXPECT_EQ(r.reaches(0).method(), uv1::REACH_METHOD_DOOR_TO_DOOR);
    EXPECT_EQ(*FromProto(r.reaches(0).reached_on()), Today());
  }
  EXPECT_EQ(Record(elsewhere).reaches_size(), 0) << "石家庄 is not the clerk's";
  EXPECT_EQ(HouseholdEvents(b, 1).size(), 1u) << "b once, though twice on the sheet";

  // The same households on the next sheet: repeated, nothing new.
  uv1::RecordHouseholdsReachedResponse next;
  ASSERT_TRUE(Sheet(campaign.id(), {a, b, c}, &next).ok());
  EXPECT_EQ(next.reached(), 0);
  EXPECT_EQ(next.repeated(), 3);
  EXPECT_EQ(Record(a).reaches_size(), 1);

  // A bad row twice is refused twice: a household is "repeated" only once it was reached.
  uv1::RecordHouseholdsReachedResponse bad_twice;
  ASSERT_TRUE(Sheet(campaign.id(), {kUnknownId, kUnknownId}, &bad_twice).ok());
  EXPECT_EQ(bad_twice.refused(), 2);
  EXPECT_EQ(bad_twice.repeated(), 0);

  // A broadcast sheet is refused whole, naming the sheet's method.
  uv1::RecordHouseholdsReachedRequest broadcast;
  broadcast.set_request_id(NewRequestId());
  broadcast.set_campaign_id(campaign.id());
  broadcast.set_method(uv1::REACH_METHOD_BROADCAST);
  const std::string heard = Household(kVillage);
  broadcast.add_rows()->set_household_id(heard);
  uv1::RecordHouseholdsReachedResponse heard_only;
  grpc::Status loudspeaker = stub_->RecordHouseholdsReached(Authorized(kClerk).get(), broadcast, &heard_only);
  EXPECT_EQ(ViolatedFields(loudspeaker), F{"method"}) << loudspeaker.error_message();
  EXPECT_EQ(Record(heard).reaches_size(), 0);

  // 501 rows: refused whole, nothing written.
  const std::string fresh = Household(kVillage);
  std::vector<std::string> rows(501, kUnknownId);
  rows[0] = fresh;
  uv1::RecordHouseholdsReachedResponse too_long;
  grpc::Status refused = Sheet(campaign.id(), rows, &too_long);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(refused), F{"rows"});
  EXPECT_NE(refused.error_message().find("at most 500"), std::string::npos) << refused.error_message();
  EXPECT_EQ(Record(fresh).reaches_size(), 0);
}

// Home cleaning with volunteers: a first round, an inspection that finds the household needs help again, the
// follow-up; a volunteer's hours at most 24 in a day; her mobile whole to the clerk, masked to a viewer, never on
// the topic.
TEST_F(PublicityTest, HomeCleaningRoundsInspectionsAndVolunteersHours) {
  const uv1::Volunteer xiuying = Volunteer(kVillage, kMobile, "张秀英");
  const uv1::Volunteer guilan = Volunteer(kVillage, kOtherMobile, "李桂兰");
  ASSERT_FALSE(xiuying.id().empty());
  EXPECT_EQ(xiuying.mobile(), kMobile) << "the clerk sees it whole";
  auto seen = Volunteers(kVillage, kViewer);
  ASSERT_EQ(seen.count(xiuying.id()), 1u);
  EXPECT_EQ(seen[xiuying.id()].mobile(), "138****5678");
  EXPECT_EQ(seen[xiuying.id()].name(), "张秀英");
  EXPECT_EQ(Volunteers(kVillage, kClerk)[xiuying.id()].mobile(), kMobile);

  const std::string cleaned = Household(kVillage), untouched = Household(kVillage), third = Household(kVillage);
  uv1::HomeCleaning first;
  grpc::Status s = Clean(
      CleaningRequest(cleaned, uv1::CLEANING_ROUND_FIRST, {{xiuying.id(), 3}, {guilan.id(), 4}}, /*donated_fen=*/50000),
      &first);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(first.id().empty());
  EXPECT_EQ(first.region_code(), kVillage);
  EXPECT_EQ(*FromProto(first.done_on()), Today());
  uv1::HouseholdRecord record = Record(cleaned);
  EXPECT_TRUE(record.cleaned());
  EXPECT_FALSE(record.needs_help());
  ASSERT_EQ(record.cleanings_size(), 1);
  EXPECT_EQ(record.cleanings(0).donated_fen(), 50000);
  EXPECT_EQ(record.cleanings(0).volunteers_size(), 2);

  // A follow-up for a household with no first round.
  grpc::Status early = Clean(CleaningRequest(untouched, uv1::CLEANING_ROUND_FOLLOW_UP, {{xiuying.id(), 2}}));
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ViolatedFields(early), F{"cleaning.round"});
  EXPECT_EQ(Record(untouched).cleanings_size(), 0);
  EXPECT_FALSE(Record(untouched).cleaned());

  // 复查: needs help again; the follow-up answers it.
  s = Inspect(cleaned, uv1::INSPECTION_RESULT_NEEDS_HELP);
  ASSERT_TRUE(s.ok()) << s.error_message();
  record = Record(cleaned);
  EXPECT_TRUE(record.needs_help());
  EXPECT_EQ(record.inspections_size(), 1);
  s = Clean(CleaningRequest(cleaned, uv1::CLEANING_ROUND_FOLLOW_UP, {{guilan.id(), 1}}));
  ASSERT_TRUE(s.ok()) << s.error_message();
  record = Record(cleaned);
  EXPECT_FALSE(record.needs_help());
  EXPECT_TRUE(record.cleaned());
  EXPECT_EQ(record.cleanings_size(), 2);

  // 李桂兰 gave 4 + 1 hours today: 20 more would make 25.
  grpc::Status too_many = Clean(CleaningRequest(third, uv1::CLEANING_ROUND_FIRST, {{guilan.id(), 20}}));
  EXPECT_EQ(too_many.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(too_many), F{"cleaning.volunteers[0].hours"});
  EXPECT_NE(too_many.error_message().find("25 in one day"), std::string::npos) << too_many.error_message();
  EXPECT_EQ(Record(third).cleanings_size(), 0);
  EXPECT_FALSE(Record(third).cleaned());

  auto totals = Volunteers(kVillage, kViewer);
  EXPECT_EQ(totals[xiuying.id()].hours(), 3);
  EXPECT_EQ(totals[xiuying.id()].actions(), 1);
  EXPECT_EQ(totals[guilan.id()].hours(), 5);
  EXPECT_EQ(totals[guilan.id()].actions(), 2);
  // Exactly 24: 19 more.
  s = Clean(CleaningRequest(third, uv1::CLEANING_ROUND_FIRST, {{guilan.id(), 19}}));
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Volunteers(kVillage, kViewer)[guilan.id()].hours(), 24);

  // The topic: the cleaning with its figures, the volunteers by id and team only.
  std::vector<common::v1::EventEnvelope> events = HouseholdEvents(cleaned, 3);
  EXPECT_EQ(Types(events), (F{"HomeCleaningRecorded", "InspectionRecorded", "HomeCleaningRecorded"}));
  uv1::HomeCleaningRecorded recorded;
  ASSERT_FALSE(events.empty());
  ASSERT_TRUE(events[0].payload().UnpackTo(&recorded));
  EXPECT_EQ(recorded.round(), uv1::CLEANING_ROUND_FIRST);
  EXPECT_EQ(recorded.volunteers(), 2);
  EXPECT_EQ(recorded.volunteer_hours(), 7);
  EXPECT_EQ(recorded.donated_fen(), 50000);
  EXPECT_EQ(events.back().aggregate_version(), 3);
  EXPECT_EQ(Types(EventsOf(xiuying.id(), 1)), F{"VolunteerRegistered"});
  ASSERT_FALSE(tap_->raw().empty());
  for (const char* mobile : {kMobile, kOtherMobile}) {
    EXPECT_EQ(tap_->raw().find(mobile), std::string::npos) << "a mobile on jinguo.publicity.events.v1";
  }
  EXPECT_EQ(tap_->raw().find("张秀英"), std::string::npos) << "a volunteer's name on the topic";
}

// A 妇女之家 in a village, its activities this quarter against the standard of one meeting and two activities.
TEST_F(PublicityTest, AVenueMeetsTheStandardWithAMeetingAndTwoActivities) {
  uv1::Venue venue;
  grpc::Status s = RegisterVenue(VenueRequest(kVenueVillage), &venue);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_FALSE(venue.id().empty());
  EXPECT_EQ(*FromProto(venue.opened_on()), Today()) << "no opening date: today";
  EXPECT_EQ(venue.equipment_size(), 2);

  grpc::Status county = RegisterVenue(VenueRequest("130207"));
  EXPECT_EQ(county.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(county), F{"venue.region_code"});
  EXPECT_EQ(Venues("130207104202").size(), 1u);

  std::string quarter;
  auto venues = Venues(kVenueVillage, &quarter);
  EXPECT_EQ(quarter, QuarterNow());
  ASSERT_EQ(venues.count(venue.id()), 1u);
  EXPECT_EQ(venues[venue.id()].meetings(), 0);
  EXPECT_FALSE(venues[venue.id()].meets_standard());

  Held(kVenueVillage, uv1::PUBLICITY_KIND_MEETING, venue.id(), 50, 60);
  Held(kVenueVillage, uv1::PUBLICITY_KIND_LECTURE, venue.id(), 0, 35);
  venues = Venues(kVenueVillage);
  EXPECT_EQ(venues[venue.id()].meetings(), 1);
  EXPECT_EQ(venues[venue.id()].activities(), 1);
  EXPECT_FALSE(venues[venue.id()].meets_standard()) << "one activity short";
  Held(kVenueVillage, uv1::PUBLICITY_KIND_LECTURE, venue.id(), 0, 28);
  // An event in the village without the venue is not the venue's.
  Held(kVenueVillage, uv1::PUBLICITY_KIND_LECTURE);
  // Nor one elsewhere naming it: refused.
  grpc::Status elsewhere = Event(EventRequest(kVillage, uv1::PUBLICITY_KIND_LECTURE, venue.id()));
  EXPECT_EQ(elsewhere.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(elsewhere), F{"event.venue_id"});

  venues = Venues(kVenueVillage);
  ASSERT_EQ(venues.size(), 1u);
  EXPECT_EQ(venues[venue.id()].meetings(), 1);
  EXPECT_EQ(venues[venue.id()].activities(), 2);
  EXPECT_TRUE(venues[venue.id()].meets_standard());
  EXPECT_EQ(venues[venue.id()].venue().name(), "黄各庄村妇女之家");
}

// Reporting counts what publicity recorded: a village of four households, three reached, one cleaned (the five
// 100%), and the publicity figures.
TEST_F(PublicityTest, ReportingCountsTheVillagesReachAndCleaning) {
  const std::string village = kReportVillage;
  std::vector<std::string> households;
  for (int i = 0; i < 4; ++i) households.push_back(Household(village));
  const uv1::Campaign campaign = Campaign("130207");
  uv1::RecordHouseholdsReachedResponse sheet;
  ASSERT_TRUE(Sheet(campaign.id(), {households[0], households[1]}, &sheet).ok());
  ASSERT_EQ(sheet.reached(), 2);
  Reached(campaign.id(), households[2]);
  Reached(campaign.id(), households[2]);  // again: counted once

  const uv1::Volunteer a = Volunteer(village, "13712345670", "赵凤霞"), b = Volunteer(village, "13712345671", "孙丽");
  grpc::Status s = Clean(CleaningRequest(households[0], uv1::CLEANING_ROUND_FIRST, {{a.id(), 4}, {b.id(), 2}}, 20000));
  ASSERT_TRUE(s.ok()) << s.error_message();
  s = Inspect(households[0], uv1::INSPECTION_RESULT_NEEDS_HELP);
  ASSERT_TRUE(s.ok()) << s.error_message();

  const uv1::Venue venue = Venue(village);
  Held(village, uv1::PUBLICITY_KIND_LECTURE, venue.id(), 100, 30);
  Held(village, uv1::PUBLICITY_KIND_MEETING, venue.id(), 50, 20);
  Held(village, uv1::PUBLICITY_KIND_LEAFLETS, "", 300, 0);

  pv1::GetRegionSummaryResponse summary;
  auto indicator = [&](const std::string& name) -> int64_t {
    for (const auto& i : summary.summary().indicators()) {
      if (i.name() == name) return i.value();
    }
    return -1;
  };
  auto coverage = [&](const std::string& name) -> const pv1::CoverageItem* {
    for (const auto& i : summary.summary().coverage()) {
      if (i.name() == name) return &i;
    }
    return nullptr;
  };
  auto ratio = [&](const std::string& name) {
    const pv1::CoverageItem* c = coverage(name);
    return c ? std::pair<int64_t, int64_t>{c->numerator(), c->denominator()} : std::pair<int64_t, int64_t>{-1, -1};
  };
  // Waits for the last of the streams: the third reach, the cleaning, the inspection, the last event.
  bool counted = WaitFor(
      [&] {
        pv1::GetRegionSummaryRequest req;
        req.set_region_code(village);
        summary.Clear();
        return reports_->GetRegionSummary(Authorized(kViewer).get(), req, &summary).ok() &&
               ratio("publicity_reached") == std::pair<int64_t, int64_t>{3, 4} &&
               ratio("home_cleaning") == std::pair<int64_t, int64_t>{1, 4} &&
               indicator("households_needing_help") == 1 && indicator("publicity_events_meeting") == 1 &&
               indicator("leaflets_distributed") == 450;
      },
      absl::Seconds(30));
  EXPECT_TRUE(counted) << summary.DebugString();
  EXPECT_EQ(indicator("households"), 4);
  const pv1::CoverageItem* reached = coverage("publicity_reached");
  ASSERT_NE(reached, nullptr) << summary.DebugString();
  EXPECT_EQ(reached->numerator(), 3) << "the third household reached twice, counted once";
  EXPECT_EQ(reached->denominator(), 4);
  EXPECT_EQ(reached->basis_points(), 7500);
  const pv1::CoverageItem* cleaning = coverage("home_cleaning");
  ASSERT_NE(cleaning, nullptr) << summary.DebugString();
  EXPECT_EQ(cleaning->numerator(), 1);
  EXPECT_EQ(cleaning->denominator(), 4);
  EXPECT_EQ(cleaning->basis_points(), 2500);

  EXPECT_EQ(indicator("publicity_events_lecture"), 1);
  EXPECT_EQ(indicator("publicity_events_meeting"), 1);
  EXPECT_EQ(indicator("leaflets_distributed"), 450) << "the materials of all three events";
  EXPECT_EQ(indicator("publicity_attendees"), 50);
  EXPECT_EQ(indicator("volunteers"), 2);
  EXPECT_EQ(indicator("volunteer_hours"), 6);
  EXPECT_EQ(indicator("households_needing_help"), 1);
  EXPECT_EQ(indicator("venues"), 1);
  EXPECT_EQ(indicator("venue_activities_this_quarter"), 2) << "the lecture and the meeting at the venue";
}

// Every bad input: the status, the field named, and nothing written.
TEST_F(PublicityTest, BadInputIsRefusedNamingTheFieldAndWritesNothing) {
  const std::string village = kBadVillage;
  const std::string household = Household(village), elsewhere = Household(kShijiazhuang);
  const uv1::Campaign campaign = Campaign("1302");

  // --- reaches ---
  uv1::RecordHouseholdReachedResponse resp;
  grpc::Status unknown = Reach(campaign.id(), kUnknownId, &resp);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND) << unknown.error_message();
  EXPECT_EQ(ViolatedFields(unknown), F{"reach.household_id"});
  grpc::Status outside = Reach(campaign.id(), elsewhere, &resp);
  EXPECT_EQ(outside.error_code(), grpc::StatusCode::PERMISSION_DENIED) << outside.error_message();
  EXPECT_NE(outside.error_message().find("outside the region of clerk"), std::string::npos) << outside.error_message();
  EXPECT_EQ(Record(elsewhere).reaches_size(), 0);
  const uv1::Campaign other_village = Campaign(kVillage);
  grpc::Status not_campaigns = Reach(other_village.id(), household, &resp);
  EXPECT_EQ(not_campaigns.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << not_campaigns.error_message();
  EXPECT_EQ(ViolatedFields(not_campaigns), F{"reach.household_id"});
  uv1::RecordHouseholdReachedRequest before = ReachRequest(campaign.id(), household);
  *before.mutable_reach()->mutable_reached_on() = ToProto(Today() - 11);
  grpc::Status early = Reach(before, &resp);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(early), F{"reach.reached_on"});
  EXPECT_EQ(Record(household).reaches_size(), 0);

  // --- events, at the village's venue: nothing counted ---
  const uv1::Venue venue = Venue(village);
  auto venue_untouched = [&](const std::string& what) {
    auto venues = Venues(village);
    EXPECT_EQ(venues[venue.id()].meetings(), 0) << what;
    EXPECT_EQ(venues[venue.id()].activities(), 0) << what;
  };
  auto event_refused = [&](uv1::RecordPublicityEventRequest r, const std::string& field, const std::string& what) {
    grpc::Status s = Event(r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << what;
    EXPECT_EQ(ViolatedFields(s), F{field}) << what << ": " << s.error_message();
    venue_untouched(what);
  };
  uv1::RecordPublicityEventRequest future = EventRequest(village, uv1::PUBLICITY_KIND_LECTURE, venue.id(), 10, 10);
  *future.mutable_event()->mutable_held_on() = ToProto(Today() + 1);
  event_refused(future, "event.held_on", "tomorrow");
  event_refused(EventRequest(village, uv1::PUBLICITY_KIND_LEAFLETS, venue.id(), -300, 10), "event.materials",
                "negative materials");
  event_refused(EventRequest(village, uv1::PUBLICITY_KIND_LEAFLETS, venue.id(), 300, -1), "event.attendees",
                "negative attendees");

  // --- cleaning ---
  const uv1::Volunteer v = Volunteer(village, "13612345678", "周玉珍");
  auto nothing_cleaned = [&](const std::string& what) {
    uv1::HouseholdRecord r = Record(household);
    EXPECT_EQ(r.cleanings_size(), 0) << what;
    EXPECT_FALSE(r.cleaned()) << what;
    uv1::Volunteer now = Volunteers(village, kClerk)[v.id()];
    EXPECT_EQ(now.hours(), 0) << what;
    EXPECT_EQ(now.actions(), 0) << what;
  };
  grpc::Status follow_up = Clean(CleaningRequest(household, uv1::CLEANING_ROUND_FOLLOW_UP, {{v.id(), 2}}));
  EXPECT_EQ(follow_up.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ViolatedFields(follow_up), F{"cleaning.round"});
  nothing_cleaned("a follow-up before a first round");
  for (int hours : {0, 25}) {
    grpc::Status s = Clean(CleaningRequest(household, uv1::CLEANING_ROUND_FIRST, {{v.id(), hours}}));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << hours;
    EXPECT_EQ(ViolatedFields(s), F{"cleaning.volunteers[0].hours"}) << hours << ": " << s.error_message();
    nothing_cleaned(absl::StrCat(hours, " hours"));
  }
  grpc::Status inspected = Inspect(household, uv1::INSPECTION_RESULT_GOOD);
  EXPECT_EQ(inspected.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ViolatedFields(inspected), F{"inspection.household_id"});
  EXPECT_EQ(Record(household).inspections_size(), 0);

  // --- venues outside a village ---
  const size_t venues_before = Venues("130207104").size();
  for (const char* code : {"130207104", "1302"}) {
    grpc::Status s = RegisterVenue(VenueRequest(code));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << code;
    EXPECT_EQ(ViolatedFields(s), F{"venue.region_code"}) << code << ": " << s.error_message();
  }
  EXPECT_EQ(Venues("130207104").size(), venues_before);
  EXPECT_EQ(Venues("1302").size(), Venues("130207104").size()) << "no venue registered above a village";

  // --- the 501-row sheet ---
  std::vector<std::string> rows(501, household);
  uv1::RecordHouseholdsReachedResponse sheet;
  grpc::Status too_long = Sheet(campaign.id(), rows, &sheet);
  EXPECT_EQ(too_long.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(too_long), F{"rows"});
  EXPECT_EQ(sheet.results_size(), 0);
  EXPECT_EQ(Record(household).reaches_size(), 0);

  // Nothing of the household reached the topic.
  for (const auto& e : tap_->Settle()) EXPECT_NE(HouseholdOf(e), household) << e.event_type();
}

}  // namespace
}  // namespace jinguo::testing
