#include "services/publicity/api/publicity_service.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/mask.h"
#include "common/base/status.h"
#include "common/rpc/status.h"
#include "common/validate/field_violations.h"
#include "common/validate/fields.h"
#include "common/validate/region_code.h"
#include "common/validate/text.h"
#include "jinguo/publicity/v1/events.pb.h"

namespace jinguo::publicity::api {

using rpc::Role;
using validate::FieldError;
using validate::FieldViolations;

namespace {

constexpr rpc::PageLimits kPageLimits{50, 500};

std::string HouseholdKey(const std::string& id) { return absl::StrCat("household:", id); }
std::string VolunteerKey(const std::string& id) { return absl::StrCat("volunteer:", id); }
std::string VenueKey(const std::string& id) { return absl::StrCat("venue:", id); }

absl::Status Required(absl::string_view field) {
  return FieldError(absl::StatusCode::kInvalidArgument, field, "is required");
}

// The field a status names, or `fallback` when it names none (a refusal of the caller's role or scope).
std::string FieldOf(const absl::Status& s, const std::string& fallback) {
  auto bad = validate::BadRequestOf(s);
  return bad.field_violations_size() > 0 ? bad.field_violations(0).field() : fallback;
}

}  // namespace

PublicityService::PublicityService(Dependencies deps) : d_(deps), events_("publicity", *deps.clock, *deps.ids) {}

absl::CivilDay PublicityService::Today() const { return ChinaDay(d_.clock->Now()); }

absl::StatusOr<v1::Campaign> PublicityService::LoadCampaign(const std::string& id, absl::string_view field) const {
  if (id.empty()) return Required(field);
  ASSIGN_OR_RETURN(auto c, d_.publicity->GetCampaign(id));
  if (!c) return FieldError(absl::StatusCode::kNotFound, field, absl::StrCat("no campaign ", id));
  return *std::move(c);
}

absl::StatusOr<replica::v1::HouseholdFacts> PublicityService::Household(const rpc::Principal& who,
                                                                        const std::string& id,
                                                                        absl::string_view field) const {
  ASSIGN_OR_RETURN(replica::v1::HouseholdFacts h, d_.registry->LookupHousehold(id, field));
  if (!who.Covers(h.region_code())) {
    return absl::PermissionDeniedError(absl::StrCat("household ", id, " is in ", h.region_code(),
                                                    ", outside the region of ", who.name, " (",
                                                    who.region_scope.empty() ? "全国" : who.region_scope, ")"));
  }
  RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, h.region_code()));
  return h;
}

void PublicityService::HouseholdEvent(v1::HouseholdStatus& status, const google::protobuf::Message& payload,
                                      const std::string& request_id, rpc::Tx& tx) {
  status.set_version(status.version() + 1);
  // The household's registry events are aggregate <id>; its publicity events are a stream of their own, so that a
  // consumer deduplicating by aggregate and version never takes one for the other.
  tx.events.push_back(
      events_.Make({absl::StrCat("household/", status.household_id()), status.version(), "", status.region_code()},
                   payload, request_id));
  d_.publicity->PutStatus(&tx.batch, status);
}

v1::Volunteer PublicityService::Shown(const rpc::Principal& who, v1::Volunteer v) {
  if (!who.SeesIdentifiers()) v.set_mobile(MaskPhone(v.mobile()));
  return v;
}

// --- campaigns and events ---

grpc::ServerUnaryReactor* PublicityService::CreateCampaign(grpc::CallbackServerContext* ctx,
                                                           const v1::CreateCampaignRequest* req,
                                                           v1::CreateCampaignResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"CreateCampaign", req->request_id(), *req, resp}, [] { return rpc::LockScope(); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        FieldViolations v;
        v1::Campaign c = domain::CampaignFrom(req->campaign(), v);
        if (req->campaign().region_code().empty()) {
          v.Add("campaign.region_code", "is required (the region whose households the campaign reaches)");
        } else {
          v.Check("campaign.region_code", validate::CheckRegionPrefix(*d_.regions, req->campaign().region_code()));
        }
        RETURN_IF_ERROR(v.ToStatus());
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, c.region_code()));
        c.set_id(d_.ids->Next());
        v1::CampaignCreated e;
        e.set_campaign_id(c.id());
        e.set_title(c.title());
        *e.mutable_starts_on() = c.starts_on();
        *e.mutable_ends_on() = c.ends_on();
        tx.events.push_back(events_.Make({c.id(), 1, "", c.region_code()}, e, req->request_id()));
        d_.publicity->PutCampaign(&tx.batch, c, true);
        *resp->mutable_campaign() = std::move(c);
        return absl::OkStatus();
      });
}

grpc::Status PublicityService::ListCampaigns(grpc::ServerContext* ctx, const v1::ListCampaignsRequest* req,
                                             v1::ListCampaignsResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    return rpc::ListPage(
        *d_.pages, *d_.regions, who, {"ListCampaigns", req->region_prefix(), {}, req->page(), kPageLimits},
        [&](const std::string& scope, const std::string& after) { return d_.publicity->ScanCampaigns(scope, after); },
        [&](const std::string& key) -> absl::StatusOr<bool> {
          ASSIGN_OR_RETURN(auto c, d_.publicity->GetCampaign(store::PublicityStore::IdOf(key)));
          if (c) *resp->add_campaigns() = *std::move(c);
          return c.has_value();
        },
        resp->mutable_next_page_token());
  });
}

grpc::ServerUnaryReactor* PublicityService::RecordPublicityEvent(grpc::CallbackServerContext* ctx,
                                                                 const v1::RecordPublicityEventRequest* req,
                                                                 v1::RecordPublicityEventResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RecordPublicityEvent", req->request_id(), *req, resp},
      [&] {
        return req->event().venue_id().empty() ? rpc::LockScope()
                                               : rpc::LockScope::Keys({VenueKey(req->event().venue_id())});
      },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        FieldViolations v;
        v1::PublicityEvent e = domain::EventFrom(req->event(), Today(), v);
        if (req->event().region_code().empty()) {
          v.Add("event.region_code", "is required (where it was held: any level, a county to a village)");
        } else {
          v.Check("event.region_code", validate::CheckRegionPrefix(*d_.regions, req->event().region_code()));
        }
        RETURN_IF_ERROR(v.ToStatus());
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, e.region_code()));
        if (!e.campaign_id().empty()) RETURN_IF_ERROR(LoadCampaign(e.campaign_id(), "event.campaign_id").status());
        std::optional<v1::Venue> venue;
        if (!e.venue_id().empty()) {
          ASSIGN_OR_RETURN(venue, d_.publicity->GetVenue(e.venue_id()));
          if (!venue) {
            return FieldError(absl::StatusCode::kNotFound, "event.venue_id", absl::StrCat("no venue ", e.venue_id()));
          }
          if (!absl::StartsWith(venue->region_code(), e.region_code())) {
            return FieldError(absl::StatusCode::kInvalidArgument, "event.venue_id",
                              absl::StrCat(venue->name(), " is in ", venue->region_code(),
                                           ", outside the event's region ", e.region_code()));
          }
        }
        e.set_id(d_.ids->Next());
        v1::PublicityEventRecorded recorded;
        recorded.set_event_id(e.id());
        recorded.set_campaign_id(e.campaign_id());
        recorded.set_kind(e.kind());
        *recorded.mutable_held_on() = e.held_on();
        recorded.set_materials(e.materials());
        recorded.set_attendees(e.attendees());
        if (venue) {
          recorded.set_venue_id(venue->id());
          recorded.set_venue_region_code(venue->region_code());
          int quarter = domain::QuarterOf(StoredDay(e.held_on()));
          ASSIGN_OR_RETURN(v1::VenueCount count, d_.publicity->VenueQuarter(venue->id(), quarter));
          domain::CountAtVenue(count, e.kind());
          d_.publicity->PutVenueQuarter(&tx.batch, venue->id(), quarter, count);
        }
        tx.events.push_back(events_.Make({e.id(), 1, "", e.region_code()}, recorded, req->request_id()));
        d_.publicity->PutEvent(&tx.batch, e);
        *resp->mutable_event() = std::move(e);
        return absl::OkStatus();
      });
}

// --- households reached ---

absl::StatusOr<bool> PublicityService::Reach(const rpc::Principal& who, const v1::Campaign& campaign,
                                             v1::HouseholdReach reach, absl::CivilDay on, const std::string& prefix,
                                             const std::string& request_id, rpc::Tx& tx) {
  FieldViolations v;
  domain::CheckReachMethod(reach.method(), absl::StrCat(prefix, "method"), v);
  reach.set_reached_by(validate::CleanField(reach.reached_by(), absl::StrCat(prefix, "reached_by"),
                                            {.max_characters = 50, .required = false}, v));
  if (reach.household_id().empty()) v.Add(absl::StrCat(prefix, "household_id"), "is required");
  RETURN_IF_ERROR(v.ToStatus());
  ASSIGN_OR_RETURN(replica::v1::HouseholdFacts h,
                   Household(who, reach.household_id(), absl::StrCat(prefix, "household_id")));
  if (!absl::StartsWith(h.region_code(), campaign.region_code())) {
    return FieldError(absl::StatusCode::kFailedPrecondition, absl::StrCat(prefix, "household_id"),
                      absl::StrCat("is in ", h.region_code(), ", outside campaign ", campaign.title(), "'s region ",
                                   campaign.region_code()));
  }
  if (reach.method() == v1::REACH_METHOD_ATTENDED_EVENT && !reach.event_id().empty()) {
    ASSIGN_OR_RETURN(auto event, d_.publicity->GetEvent(reach.event_id()));
    if (!event) {
      return FieldError(absl::StatusCode::kNotFound, absl::StrCat(prefix, "event_id"),
                        absl::StrCat("no publicity event ", reach.event_id()));
    }
  }
  ASSIGN_OR_RETURN(auto earlier, d_.publicity->GetReach(h.household_id(), campaign.id()));
  if (earlier) return false;
  reach.set_campaign_id(campaign.id());
  *reach.mutable_reached_on() = ToProto(on);
  ASSIGN_OR_RETURN(v1::HouseholdStatus status, d_.publicity->Status(h.household_id()));
  status.set_household_id(h.household_id());
  status.set_region_code(h.region_code());
  v1::HouseholdReached e;
  e.set_household_id(h.household_id());
  e.set_campaign_id(campaign.id());
  e.set_method(reach.method());
  *e.mutable_reached_on() = reach.reached_on();
  *e.mutable_campaign_starts_on() = campaign.starts_on();
  *e.mutable_campaign_ends_on() = campaign.ends_on();
  HouseholdEvent(status, e, request_id, tx);
  d_.publicity->PutReach(&tx.batch, reach);
  return true;
}

grpc::ServerUnaryReactor* PublicityService::RecordHouseholdReached(grpc::CallbackServerContext* ctx,
                                                                   const v1::RecordHouseholdReachedRequest* req,
                                                                   v1::RecordHouseholdReachedResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RecordHouseholdReached", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({HouseholdKey(req->reach().household_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(v1::Campaign campaign, LoadCampaign(req->reach().campaign_id(), "reach.campaign_id"));
        FieldViolations v;
        absl::CivilDay on = validate::DateOrToday(req->reach().reached_on(), req->reach().has_reached_on(), Today(),
                                                  "reach.reached_on", v);
        RETURN_IF_ERROR(v.ToStatus());
        RETURN_IF_ERROR(domain::CheckReachDate(campaign, on, "reach.reached_on"));
        ASSIGN_OR_RETURN(bool reached, Reach(who, campaign, req->reach(), on, "reach.", req->request_id(), tx));
        resp->set_repeated(!reached);
        *resp->mutable_reach() = req->reach();
        resp->mutable_reach()->set_campaign_id(campaign.id());
        *resp->mutable_reach()->mutable_reached_on() = ToProto(on);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* PublicityService::RecordHouseholdsReached(grpc::CallbackServerContext* ctx,
                                                                    const v1::RecordHouseholdsReachedRequest* req,
                                                                    v1::RecordHouseholdsReachedResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RecordHouseholdsReached", req->request_id(), *req, resp},
      [&] {
        std::vector<std::string> keys;
        if (req->rows_size() <= domain::kMaxSheetRows) {
          for (const auto& row : req->rows()) keys.push_back(HouseholdKey(row.household_id()));
        }
        return rpc::LockScope::Keys(std::move(keys));
      },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        if (req->rows_size() > domain::kMaxSheetRows) {
          return FieldError(
              absl::StatusCode::kInvalidArgument, "rows",
              absl::StrCat("a day sheet has at most ", domain::kMaxSheetRows, " households; this one has ",
                           req->rows_size(), ": split it and send each part"));
        }
        if (req->rows_size() == 0) return FieldError(absl::StatusCode::kInvalidArgument, "rows", "is empty");
        ASSIGN_OR_RETURN(v1::Campaign campaign, LoadCampaign(req->campaign_id(), "campaign_id"));
        FieldViolations v;
        // The sheet's method applies to every row that names none: a broadcast is refused for the whole sheet.
        if (req->method() != v1::REACH_METHOD_UNSPECIFIED) domain::CheckReachMethod(req->method(), "method", v);
        absl::CivilDay on = validate::DateOrToday(req->reached_on(), req->has_reached_on(), Today(), "reached_on", v);
        RETURN_IF_ERROR(v.ToStatus());
        RETURN_IF_ERROR(domain::CheckReachDate(campaign, on, "reached_on"));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, who.region_scope));
        std::set<std::string> on_sheet;
        for (int i = 0; i < req->rows_size(); ++i) {
          const v1::ReachedRow& row = req->rows(i);
          v1::RowResult* result = resp->add_results();
          result->set_row(i);
          result->set_household_id(row.household_id());
          if (on_sheet.count(row.household_id()) > 0) {
            result->set_outcome(v1::ROW_OUTCOME_REPEATED);
            resp->set_repeated(resp->repeated() + 1);
            continue;
          }
          v1::HouseholdReach reach;
          reach.set_household_id(row.household_id());
          reach.set_method(row.method() != v1::REACH_METHOD_UNSPECIFIED ? row.method() : req->method());
          reach.set_event_id(row.event_id());
          reach.set_reached_by(req->reached_by());
          const std::string prefix = absl::StrCat("rows[", i, "].");
          tx.SetSavePoint();
          absl::StatusOr<bool> reached = Reach(who, campaign, reach, on, prefix, req->request_id(), tx);
          if (!reached.ok()) {
            tx.RollbackToSavePoint();
            result->set_outcome(v1::ROW_OUTCOME_REFUSED);
            result->set_field(FieldOf(reached.status(), absl::StrCat(prefix, "household_id")));
            result->set_reason(std::string(reached.status().message()));
            resp->set_refused(resp->refused() + 1);
            continue;
          }
          tx.PopSavePoint();
          on_sheet.insert(row.household_id());
          result->set_outcome(*reached ? v1::ROW_OUTCOME_REACHED : v1::ROW_OUTCOME_REPEATED);
          (*reached ? resp->set_reached(resp->reached() + 1) : resp->set_repeated(resp->repeated() + 1));
        }
        return absl::OkStatus();
      });
}

// --- home cleaning and inspections ---

grpc::ServerUnaryReactor* PublicityService::RecordHomeCleaning(grpc::CallbackServerContext* ctx,
                                                               const v1::RecordHomeCleaningRequest* req,
                                                               v1::RecordHomeCleaningResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RecordHomeCleaning", req->request_id(), *req, resp},
      [&] {
        std::vector<std::string> keys = {HouseholdKey(req->cleaning().household_id())};
        for (const auto& h : req->cleaning().volunteers()) keys.push_back(VolunteerKey(h.volunteer_id()));
        return rpc::LockScope::Keys(std::move(keys));
      },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        absl::CivilDay today = Today();
        FieldViolations v;
        v1::HomeCleaning c = domain::CleaningFrom(req->cleaning(), today, v);
        if (req->cleaning().household_id().empty()) v.Add("cleaning.household_id", "is required");
        RETURN_IF_ERROR(v.ToStatus());
        absl::CivilDay on = req->cleaning().has_done_on() ? StoredDay(req->cleaning().done_on()) : today;
        ASSIGN_OR_RETURN(replica::v1::HouseholdFacts h, Household(who, c.household_id(), "cleaning.household_id"));
        ASSIGN_OR_RETURN(v1::HouseholdStatus status, d_.publicity->Status(h.household_id()));
        status.set_household_id(h.household_id());
        status.set_region_code(h.region_code());
        RETURN_IF_ERROR(domain::CheckRound(status, c.round(), on));
        int hours = 0;
        for (int i = 0; i < c.volunteers_size(); ++i) {
          const v1::VolunteerHours& given = c.volunteers(i);
          std::string field = absl::StrCat("cleaning.volunteers[", i, "]");
          ASSIGN_OR_RETURN(auto volunteer, d_.publicity->GetVolunteer(given.volunteer_id()));
          if (!volunteer) {
            return FieldError(absl::StatusCode::kNotFound, absl::StrCat(field, ".volunteer_id"),
                              absl::StrCat("no volunteer ", given.volunteer_id(), ": register her first"));
          }
          ASSIGN_OR_RETURN(int already, d_.publicity->HoursOnDay(volunteer->id(), on));
          RETURN_IF_ERROR(domain::CheckHoursOfDay(already, given.hours(), absl::StrCat(field, ".hours")));
          d_.publicity->PutHoursOnDay(&tx.batch, volunteer->id(), on, already + given.hours());
          volunteer->set_hours(volunteer->hours() + given.hours());
          volunteer->set_actions(volunteer->actions() + 1);
          d_.publicity->PutVolunteer(&tx.batch, *volunteer, false);
          hours += given.hours();
        }
        c.set_id(d_.ids->Next());
        c.set_region_code(h.region_code());
        *c.mutable_done_on() = ToProto(on);
        domain::ApplyCleaning(status, c.round(), on);
        v1::HomeCleaningRecorded e;
        e.set_cleaning_id(c.id());
        e.set_household_id(c.household_id());
        e.set_round(c.round());
        *e.mutable_done_on() = c.done_on();
        *e.mutable_tasks() = c.tasks();
        e.set_volunteers(c.volunteers_size());
        e.set_volunteer_hours(hours);
        e.set_donated_fen(c.donated_fen());
        HouseholdEvent(status, e, req->request_id(), tx);
        d_.publicity->PutCleaning(&tx.batch, c);
        *resp->mutable_cleaning() = std::move(c);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* PublicityService::RecordInspection(grpc::CallbackServerContext* ctx,
                                                             const v1::RecordInspectionRequest* req,
                                                             v1::RecordInspectionResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RecordInspection", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({HouseholdKey(req->inspection().household_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        if (req->inspection().household_id().empty()) return Required("inspection.household_id");
        ASSIGN_OR_RETURN(replica::v1::HouseholdFacts h,
                         Household(who, req->inspection().household_id(), "inspection.household_id"));
        ASSIGN_OR_RETURN(v1::HouseholdStatus status, d_.publicity->Status(h.household_id()));
        status.set_household_id(h.household_id());
        status.set_region_code(h.region_code());
        absl::CivilDay today = Today();
        RETURN_IF_ERROR(domain::CheckInspection(status, req->inspection(), today));
        FieldViolations v;
        v1::Inspection i = req->inspection();
        i.set_note(validate::CleanField(i.note(), "inspection.note", {.max_characters = 500, .required = false}, v));
        i.set_inspected_by(validate::CleanField(i.inspected_by(), "inspection.inspected_by",
                                                {.max_characters = 50, .required = false}, v));
        RETURN_IF_ERROR(v.ToStatus());
        i.set_id(d_.ids->Next());
        if (!i.has_inspected_on()) *i.mutable_inspected_on() = ToProto(today);
        status.set_needs_help(i.result() == v1::INSPECTION_RESULT_NEEDS_HELP);
        v1::InspectionRecorded e;
        e.set_inspection_id(i.id());
        e.set_household_id(i.household_id());
        e.set_result(i.result());
        *e.mutable_inspected_on() = i.inspected_on();
        HouseholdEvent(status, e, req->request_id(), tx);
        d_.publicity->PutInspection(&tx.batch, i);
        *resp->mutable_inspection() = std::move(i);
        return absl::OkStatus();
      });
}

grpc::Status PublicityService::GetHouseholdRecord(grpc::ServerContext* ctx, const v1::GetHouseholdRecordRequest* req,
                                                  v1::GetHouseholdRecordResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    ASSIGN_OR_RETURN(replica::v1::HouseholdFacts h, d_.registry->LookupHousehold(req->household_id()));
    RETURN_IF_ERROR(rpc::Authorize(who, Role::kViewer, h.region_code()));
    v1::HouseholdRecord* r = resp->mutable_record();
    r->set_household_id(h.household_id());
    r->set_region_code(h.region_code());
    ASSIGN_OR_RETURN(auto reaches, d_.publicity->ReachesOf(h.household_id()));
    for (auto& x : reaches) *r->add_reaches() = std::move(x);
    ASSIGN_OR_RETURN(auto cleanings, d_.publicity->CleaningsOf(h.household_id()));
    for (auto& x : cleanings) *r->add_cleanings() = std::move(x);
    ASSIGN_OR_RETURN(auto inspections, d_.publicity->InspectionsOf(h.household_id()));
    for (auto& x : inspections) *r->add_inspections() = std::move(x);
    ASSIGN_OR_RETURN(v1::HouseholdStatus status, d_.publicity->Status(h.household_id()));
    r->set_cleaned(status.has_first_cleaned_on());
    r->set_needs_help(status.needs_help());
    return absl::OkStatus();
  });
}

// --- volunteers and venues ---

grpc::ServerUnaryReactor* PublicityService::RegisterVolunteer(grpc::CallbackServerContext* ctx,
                                                              const v1::RegisterVolunteerRequest* req,
                                                              v1::RegisterVolunteerResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RegisterVolunteer", req->request_id(), *req, resp}, [] { return rpc::LockScope(); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        FieldViolations v;
        v1::Volunteer vol = domain::VolunteerFrom(req->volunteer(), v);
        if (req->volunteer().region_code().empty()) {
          v.Add("volunteer.region_code", "is required (where she volunteers)");
        } else {
          v.Check("volunteer.region_code", validate::CheckRegionPrefix(*d_.regions, req->volunteer().region_code()));
        }
        RETURN_IF_ERROR(v.ToStatus());
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, vol.region_code()));
        vol.set_id(d_.ids->Next());
        v1::VolunteerRegistered e;
        e.set_volunteer_id(vol.id());
        e.set_team(vol.team());
        tx.events.push_back(events_.Make({vol.id(), 1, "", vol.region_code()}, e, req->request_id()));
        d_.publicity->PutVolunteer(&tx.batch, vol, true);
        *resp->mutable_volunteer() = Shown(who, std::move(vol));
        return absl::OkStatus();
      });
}

grpc::Status PublicityService::ListVolunteers(grpc::ServerContext* ctx, const v1::ListVolunteersRequest* req,
                                              v1::ListVolunteersResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    std::vector<std::string> shown;
    RETURN_IF_ERROR(rpc::ListPage(
        *d_.pages, *d_.regions, who, {"ListVolunteers", req->region_prefix(), {}, req->page(), kPageLimits},
        [&](const std::string& scope, const std::string& after) { return d_.publicity->ScanVolunteers(scope, after); },
        [&](const std::string& key) -> absl::StatusOr<bool> {
          ASSIGN_OR_RETURN(auto vol, d_.publicity->GetVolunteer(store::PublicityStore::IdOf(key)));
          if (!vol) return false;
          shown.push_back(vol->id());
          *resp->add_volunteers() = Shown(who, *std::move(vol));
          return true;
        },
        resp->mutable_next_page_token()));
    // Unmasked mobiles: a sensitive read.
    if (who.SeesIdentifiers() && !shown.empty()) {
      d_.writes->AuditRead(*ctx, who, "ListVolunteers", std::move(shown),
                           req->region_prefix().empty() ? who.region_scope : req->region_prefix());
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PublicityService::RegisterVenue(grpc::CallbackServerContext* ctx,
                                                          const v1::RegisterVenueRequest* req,
                                                          v1::RegisterVenueResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RegisterVenue", req->request_id(), *req, resp}, [] { return rpc::LockScope(); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        FieldViolations v;
        v1::Venue venue = domain::VenueFrom(req->venue(), Today(), v);
        if (venue.region_code().size() == 12) {
          v.Check("venue.region_code", validate::CheckRegionCode(*d_.regions, venue.region_code()));
        }
        RETURN_IF_ERROR(v.ToStatus());
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, venue.region_code()));
        venue.set_id(d_.ids->Next());
        if (!venue.has_opened_on()) *venue.mutable_opened_on() = ToProto(Today());
        v1::VenueRegistered e;
        e.set_venue_id(venue.id());
        e.set_kind(venue.kind());
        *e.mutable_opened_on() = venue.opened_on();
        e.set_annual_budget_fen(venue.annual_budget_fen());
        tx.events.push_back(events_.Make({venue.id(), 1, "", venue.region_code()}, e, req->request_id()));
        d_.publicity->PutVenue(&tx.batch, venue);
        *resp->mutable_venue() = std::move(venue);
        return absl::OkStatus();
      });
}

grpc::Status PublicityService::ListVenues(grpc::ServerContext* ctx, const v1::ListVenuesRequest* req,
                                          v1::ListVenuesResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    const int quarter = domain::QuarterOf(Today());
    resp->set_quarter(domain::QuarterText(quarter));
    return rpc::ListPage(
        *d_.pages, *d_.regions, who, {"ListVenues", req->region_prefix(), {}, req->page(), kPageLimits},
        [&](const std::string& scope, const std::string& after) { return d_.publicity->ScanVenues(scope, after); },
        [&](const std::string& key) -> absl::StatusOr<bool> {
          ASSIGN_OR_RETURN(auto venue, d_.publicity->GetVenue(store::PublicityStore::IdOf(key)));
          if (!venue) return false;
          ASSIGN_OR_RETURN(v1::VenueCount count, d_.publicity->VenueQuarter(venue->id(), quarter));
          v1::VenueQuarter* q = resp->add_venues();
          *q->mutable_venue() = *std::move(venue);
          q->set_meetings(count.meetings());
          q->set_activities(count.activities());
          q->set_meets_standard(domain::MeetsStandard(count));
          return true;
        },
        resp->mutable_next_page_token());
  });
}

}  // namespace jinguo::publicity::api
