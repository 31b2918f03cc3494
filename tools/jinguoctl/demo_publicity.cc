#include "tools/jinguoctl/demo_publicity.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/base/civil_date.h"
#include "common/base/clock.h"
#include "grpcpp/create_channel.h"
#include "jinguo/publicity/v1/publicity.grpc.pb.h"
#include "tools/jinguoctl/client_context.h"

namespace jinguo::tools {

namespace pv1 = ::jinguo::publicity::v1;

namespace {

bool Fail(const std::string& what, const grpc::Status& s) {
  std::fprintf(stderr, "demo: publicity: %s: %s\n", what.c_str(), s.error_message().c_str());
  return false;
}

constexpr int kLeafletDrives = 60;
constexpr int kLeafletsEach = 102;  // 6,120 in all
constexpr int kBroadcasts = 150;
constexpr int kCadresTrained = 130;
constexpr int kVenues = 100;
constexpr int kVenuesMeetingStandard = 80;
constexpr int kVolunteers = 200;
constexpr int kInspections = 100;
constexpr int kNeedHelp = 12;
constexpr int kHelpedAgain = 5;

}  // namespace

bool DemoPublicity(const std::string& publicity_addr, const std::string& token, const std::string& city,
                   const std::vector<DemoHouseholdRef>& households) {
  auto publicity =
      pv1::PublicityService::NewStub(grpc::CreateChannel(publicity_addr, grpc::InsecureChannelCredentials()));
  const absl::CivilDay today = ChinaDay(absl::Now());
  const int year = static_cast<int>(today.year());

  pv1::CreateCampaignRequest campaign_req;
  campaign_req.set_request_id(absl::StrCat("demo-campaign-", city, "-", year));
  pv1::Campaign* c = campaign_req.mutable_campaign();
  c->set_title("全市姐妹手拉手·脱贫路上一起走");
  c->set_region_code(city);
  *c->mutable_starts_on() = ToProto(absl::CivilDay(year, 1, 1));
  *c->mutable_ends_on() = ToProto(absl::CivilDay(year, 12, 31));
  pv1::CreateCampaignResponse campaign;
  if (grpc::Status s = publicity->CreateCampaign(Context(token).get(), campaign_req, &campaign); !s.ok()) {
    return Fail("campaign", s);
  }
  const std::string campaign_id = campaign.campaign().id();

  // Venues: a 妇女之家 in each of the first 100 villages (in code order).
  std::set<std::string> village_set;
  for (const auto& h : households) village_set.insert(h.region_code);
  std::vector<std::string> villages(village_set.begin(), village_set.end());
  std::vector<pv1::Venue> venues;
  for (size_t i = 0; i < villages.size() && venues.size() < kVenues; ++i) {
    pv1::RegisterVenueRequest req;
    req.set_request_id(absl::StrCat("demo-venue-", villages[i]));
    pv1::Venue* v = req.mutable_venue();
    v->set_name(absl::StrCat(villages[i].substr(9), "村妇女之家"));
    v->set_region_code(villages[i]);
    v->set_kind(pv1::VENUE_KIND_WOMENS_HOME);
    *v->mutable_opened_on() = ToProto(absl::CivilDay(year - 2, 3, 8));
    v->add_equipment("桌椅");
    v->add_equipment("投影仪");
    v->add_equipment("图书角");
    v->set_annual_budget_fen(500000);
    pv1::RegisterVenueResponse resp;
    if (grpc::Status s = publicity->RegisterVenue(Context(token).get(), req, &resp); !s.ok()) return Fail("venue", s);
    venues.push_back(resp.venue());
  }

  // Publicity events: leaflet drives and broadcasts across the villages, the cadres' training, and each venue's
  // quarter (a meeting and two activities at 80 of them, one activity at the rest).
  int events = 0, leaflets = 0;
  auto record = [&](const std::string& key, pv1::PublicityKind kind, absl::CivilDay on, const std::string& region,
                    const std::string& venue_id, int materials, int attendees, const std::string& place) {
    pv1::RecordPublicityEventRequest req;
    req.set_request_id(absl::StrCat("demo-event-", key));
    pv1::PublicityEvent* e = req.mutable_event();
    e->set_campaign_id(campaign_id);
    e->set_kind(kind);
    *e->mutable_held_on() = ToProto(on);
    e->set_region_code(region);
    e->set_venue_id(venue_id);
    e->set_place(place);
    e->set_organiser("妇联");
    e->set_materials(materials);
    e->set_attendees(attendees);
    pv1::RecordPublicityEventResponse resp;
    grpc::Status s = publicity->RecordPublicityEvent(Context(token).get(), req, &resp);
    if (s.ok()) {
      ++events;
      leaflets += materials;
    }
    return s.ok() ? true : Fail("publicity event", s);
  };
  for (int i = 0; i < kLeafletDrives; ++i) {
    const std::string& village = villages[static_cast<size_t>(i * 7) % villages.size()];
    if (!record(absl::StrCat("leaflets-", i), pv1::PUBLICITY_KIND_LEAFLETS, today - 30 - i, village, "", kLeafletsEach,
                0, "村委会门前")) {
      return false;
    }
  }
  for (int i = 0; i < kBroadcasts; ++i) {
    const std::string& village = villages[static_cast<size_t>(i * 3) % villages.size()];
    if (!record(absl::StrCat("broadcast-", i), pv1::PUBLICITY_KIND_BROADCAST, today - 1 - i % 90, village, "", 0, 0,
                "村大喇叭")) {
      return false;
    }
  }
  absl::CivilDay training(year, 6, 13);
  if (training > today) training = absl::CivilDay(year - 1, 6, 13);
  if (!record(absl::StrCat("cadre-training-", training.year()), pv1::PUBLICITY_KIND_LECTURE, training, city, "", 0,
              kCadresTrained, "唐山市妇女儿童活动中心讲习所（6月13日至15日）")) {
    return false;
  }
  const absl::CivilDay quarter = QuarterStart(today);
  for (size_t i = 0; i < venues.size(); ++i) {
    const pv1::Venue& v = venues[i];
    const bool full = static_cast<int>(i) < kVenuesMeetingStandard;
    if (full && !record(absl::StrCat("venue-meeting-", v.id()), pv1::PUBLICITY_KIND_MEETING,
                        std::min(today, quarter + 2), v.region_code(), v.id(), 0, 35, "")) {
      return false;
    }
    for (int k = 0; k < (full ? 2 : 1); ++k) {
      if (!record(absl::StrCat("venue-activity-", v.id(), "-", k), pv1::PUBLICITY_KIND_DOOR_TO_DOOR,
                  std::min(today, quarter + k), v.region_code(), v.id(), 0, 15, "")) {
        return false;
      }
    }
  }

  // Every household reached door to door: each township's day sheets of up to 500.
  std::map<std::string, std::vector<const DemoHouseholdRef*>> by_township;
  for (const auto& h : households) by_township[h.region_code.substr(0, 9)].push_back(&h);
  int reached = 0, repeated = 0, sheets = 0;
  for (const auto& [township, members] : by_township) {
    for (size_t first = 0; first < members.size(); first += 500) {
      pv1::RecordHouseholdsReachedRequest req;
      req.set_request_id(absl::StrCat("demo-sheet-", campaign_id, "-", township, "-", first));
      req.set_campaign_id(campaign_id);
      req.set_method(pv1::REACH_METHOD_DOOR_TO_DOOR);
      req.set_reached_by(absl::StrCat(township, " 妇联干部"));
      *req.mutable_reached_on() = ToProto(std::max(absl::CivilDay(year, 1, 1), today - 40));
      for (size_t k = first; k < members.size() && k < first + 500; ++k) {
        req.add_rows()->set_household_id(members[k]->household_id);
      }
      pv1::RecordHouseholdsReachedResponse resp;
      if (grpc::Status s = publicity->RecordHouseholdsReached(Context(token).get(), req, &resp); !s.ok()) {
        return Fail("day sheet", s);
      }
      if (resp.refused() > 0) {
        for (const auto& r : resp.results()) {
          if (r.outcome() == pv1::ROW_OUTCOME_REFUSED) {
            std::fprintf(stderr, "demo: publicity: %s: %s\n", r.field().c_str(), r.reason().c_str());
            return false;
          }
        }
      }
      reached += resp.reached();
      repeated += resp.repeated();
      ++sheets;
    }
  }

  // Volunteers: 巾帼志愿服务队 by county, with synthetic mobiles.
  std::vector<std::string> counties;
  for (const auto& v : villages) {
    if (counties.empty() || counties.back() != v.substr(0, 6)) counties.push_back(v.substr(0, 6));
  }
  std::vector<std::string> volunteers;
  for (int i = 0; i < kVolunteers; ++i) {
    const std::string& county = counties[static_cast<size_t>(i) % counties.size()];
    pv1::RegisterVolunteerRequest req;
    req.set_request_id(absl::StrCat("demo-volunteer-", city, "-", i));
    pv1::Volunteer* v = req.mutable_volunteer();
    v->set_name(absl::StrCat("志愿者", i + 1));
    v->set_mobile(absl::StrFormat("139%08d", 20260000 + i));
    v->set_region_code(county);
    v->set_team(absl::StrCat(county, " 巾帼志愿服务队"));
    pv1::RegisterVolunteerResponse resp;
    if (grpc::Status s = publicity->RegisterVolunteer(Context(token).get(), req, &resp); !s.ok()) {
      return Fail("volunteer", s);
    }
    volunteers.push_back(resp.volunteer().id());
  }

  // Every household's first round, two volunteers each, spread over the last 90 days.
  int cleaned = 0, hours = 0;
  int64_t donated = 0;
  for (size_t i = 0; i < households.size(); ++i) {
    const DemoHouseholdRef& h = households[i];
    pv1::RecordHomeCleaningRequest req;
    req.set_request_id(absl::StrCat("demo-cleaning-", h.key));
    pv1::HomeCleaning* c = req.mutable_cleaning();
    c->set_household_id(h.household_id);
    c->set_round(pv1::CLEANING_ROUND_FIRST);
    *c->mutable_done_on() = ToProto(today - 1 - static_cast<int>(i % 90));
    c->add_tasks(pv1::CLEANING_TASK_SORTING);
    c->add_tasks(pv1::CLEANING_TASK_CLEANING);
    if (i % 3 == 0) c->add_tasks(pv1::CLEANING_TASK_PAINTING);
    if (i % 4 == 0) c->add_tasks(pv1::CLEANING_TASK_GARDEN);
    for (int k = 0; k < 2; ++k) {
      pv1::VolunteerHours* v = c->add_volunteers();
      v->set_volunteer_id(volunteers[(i * 2 + static_cast<size_t>(k)) % volunteers.size()]);
      v->set_hours(2 + static_cast<int>(i % 3));
      hours += v->hours();
    }
    if (i % 5 == 0) c->set_donated_fen(30000);  // bedding and furniture, 300 元
    donated += c->donated_fen();
    pv1::RecordHomeCleaningResponse resp;
    if (grpc::Status s = publicity->RecordHomeCleaning(Context(token).get(), req, &resp); !s.ok()) {
      return Fail("home cleaning", s);
    }
    ++cleaned;
  }

  // Inspections of the first 100 households: 12 need help again, 5 of those helped since.
  int need_help = 0;
  for (int i = 0; i < kInspections && static_cast<size_t>(i) < households.size(); ++i) {
    const DemoHouseholdRef& h = households[static_cast<size_t>(i)];
    pv1::RecordInspectionRequest req;
    req.set_request_id(absl::StrCat("demo-inspection-", h.key));
    pv1::Inspection* in = req.mutable_inspection();
    in->set_household_id(h.household_id);
    in->set_result(i < kNeedHelp ? pv1::INSPECTION_RESULT_NEEDS_HELP : pv1::INSPECTION_RESULT_GOOD);
    in->set_inspected_by("乡镇妇联");
    pv1::RecordInspectionResponse resp;
    if (grpc::Status s = publicity->RecordInspection(Context(token).get(), req, &resp); !s.ok()) {
      return Fail("inspection", s);
    }
    if (i >= kNeedHelp) continue;
    if (i < kHelpedAgain) {
      pv1::RecordHomeCleaningRequest again;
      again.set_request_id(absl::StrCat("demo-cleaning-again-", h.key));
      pv1::HomeCleaning* c = again.mutable_cleaning();
      c->set_household_id(h.household_id);
      c->set_round(pv1::CLEANING_ROUND_FOLLOW_UP);
      c->add_tasks(pv1::CLEANING_TASK_REPAIRS);
      pv1::RecordHomeCleaningResponse done;
      if (grpc::Status s = publicity->RecordHomeCleaning(Context(token).get(), again, &done); !s.ok()) {
        return Fail("follow-up cleaning", s);
      }
    } else {
      ++need_help;
    }
  }
  std::printf(
      "demo: publicity: campaign 全市姐妹手拉手·脱贫路上一起走: %d households reached on %d day sheets; %d events (%d "
      "leaflets, %d cadres trained); %zu venues; %d volunteers; %d homes cleaned (%d volunteer hours, %s 元 donated); "
      "%d households need help again\n",
      reached + repeated, sheets, events, leaflets, kCadresTrained, venues.size(), kVolunteers, cleaned, hours,
      absl::StrFormat("%d.%02d", donated / 100, donated % 100).c_str(), need_help);
  return true;
}

}  // namespace jinguo::tools
