// jinguo.publicity.events.v1 into reporting's read models. What belongs to a household (the campaigns that reached
// it, its first cleaning, a call for help) is kept on its state, where the five-100% numerators follow
// (domain/indicators.cc); events, materials, attendees, volunteers, hours, donations and venues count at the region
// they belong to. Nothing of it reaches a beneficiary's profile.
#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/status.h"
#include "jinguo/publicity/v1/events.pb.h"
#include "services/reporting/handlers/handlers.h"
#include "services/reporting/store/event_projector.h"

namespace jinguo::reporting::store {

namespace cv1 = ::jinguo::publicity::v1;

namespace {

using Envelope = common::v1::EventEnvelope;
using Tx = projection::ProjectionTx;

}  // namespace

void RoutePublicityEvents(projection::EventRouter& router, EventProjector& projector) {
  EventProjector& p = projector;
  router.On<cv1::PublicityEventRecorded>(
      [&p](const cv1::PublicityEventRecorded& r, const Envelope& e, Tx& tx) -> absl::Status {
        int kind = r.kind();
        auto by_kind = static_cast<domain::Indicator>(domain::kPublicityEventsLecture + kind - 1);
        RETURN_IF_ERROR(
            p.AddEverywhere(tx, e, e.region_code(),
                            {{by_kind, kind >= 1 && kind <= 6 ? 1 : 0},
                             {domain::kLeafletsDistributed, r.materials()},
                             {domain::kPublicityAttendees, r.attendees()},
                             {domain::kLectureAttendees, kind == cv1::PUBLICITY_KIND_LECTURE ? r.attendees() : 0}}));
        if (r.venue_id().empty()) return absl::OkStatus();
        return p.AddEverywhere(tx, e, r.venue_region_code(), {{domain::kVenueActivities, 1}});
      });
  router.On<cv1::HouseholdReached>([&p](const cv1::HouseholdReached& r, const Envelope& e, Tx& tx) {
    return p.UpdateHousehold(tx, e, r.household_id(), [&](v1::HouseholdState& h) {
      v1::YearSpan& span = (*h.mutable_campaigns_reached())[r.campaign_id()];
      span.set_from_year(r.campaign_starts_on().year());
      span.set_to_year(r.campaign_ends_on().year());
    });
  });
  router.On<cv1::HomeCleaningRecorded>(
      [&p](const cv1::HomeCleaningRecorded& c, const Envelope& e, Tx& tx) -> absl::Status {
        RETURN_IF_ERROR(p.AddEverywhere(
            tx, e, e.region_code(),
            {{domain::kVolunteerHours, c.volunteer_hours()}, {domain::kDonatedGoodsFen, c.donated_fen()}}));
        return p.UpdateHousehold(tx, e, c.household_id(), [&](v1::HouseholdState& h) {
          if (c.round() == cv1::CLEANING_ROUND_FIRST) h.set_home_cleaning_done(true);
          h.set_needs_help(false);
        });
      });
  router.On<cv1::InspectionRecorded>([&p](const cv1::InspectionRecorded& i, const Envelope& e, Tx& tx) {
    return p.UpdateHousehold(tx, e, i.household_id(), [&](v1::HouseholdState& h) {
      h.set_needs_help(i.result() == cv1::INSPECTION_RESULT_NEEDS_HELP);
    });
  });
  router.On<cv1::VolunteerRegistered>([&p](const cv1::VolunteerRegistered&, const Envelope& e, Tx& tx) {
    return p.AddEverywhere(tx, e, e.region_code(), {{domain::kVolunteers, 1}});
  });
  router.On<cv1::VenueRegistered>([&p](const cv1::VenueRegistered&, const Envelope& e, Tx& tx) {
    return p.AddEverywhere(tx, e, e.region_code(), {{domain::kVenues, 1}});
  });
  router.On<cv1::CampaignCreated>([](const auto&, const Envelope&, Tx&) { return absl::OkStatus(); });
}

}  // namespace jinguo::reporting::store
