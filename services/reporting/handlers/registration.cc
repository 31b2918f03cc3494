#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/status.h"
#include "jinguo/registration/v1/events.pb.h"
#include "services/reporting/handlers/handlers.h"
#include "services/reporting/store/event_projector.h"

namespace jinguo::reporting::store {

namespace reg = ::jinguo::registration::v1;

namespace {

void TakeFacts(v1::ProfileState& p, const reg::BeneficiaryFacts& f) {
  p.set_name(f.name());
  p.set_id_number_masked(f.id_number_masked());
  p.set_region_code(f.region_code());
  p.set_category(f.category());
  p.set_sex(f.sex());
  p.set_birth_year(f.birth_date().year());
  p.set_student(f.student());
  p.set_monitoring_status(f.monitoring_status());
  p.set_household_id(f.household_id());
}

// Decodes a message whose facts are its `beneficiary` (BeneficiaryRegistered, BeneficiaryUpdated) into `*reused`,
// kept from event to event: its facts keep their strings' buffers, so decoding a registration allocates next to
// nothing, where a parse (which drops the submessage) allocated each of its strings again.
template <typename Payload>
bool DecodeKeepingFacts(const std::string& bytes, Payload* reused) {
  reg::BeneficiaryFacts* facts = reused->release_beneficiary();  // null the first time
  reused->Clear();
  if (facts != nullptr) {
    facts->Clear();  // strings emptied, their buffers kept
    reused->set_allocated_beneficiary(facts);
  }
  // Into a cleared message, a merge is a parse.
  return reused->MergeFromString(bytes);
}

template <typename Payload>
void RouteFacts(projection::EventRouter& router, EventProjector& projector) {
  router.On<Payload>(DecodeKeepingFacts<Payload>, [&projector](const Payload& m, const common::v1::EventEnvelope& e,
                                                               projection::ProjectionTx& tx) {
    const reg::BeneficiaryFacts& facts = m.beneficiary();
    return projector.UpdateProfile(tx, e, facts.beneficiary_id(), [&](v1::ProfileState& p) {
      bool moved = p.registered() && p.region_code() != facts.region_code();
      TakeFacts(p, facts);
      p.set_registered(true);
      EventProjector::AddTimeline(p, e, moved ? absl::StrCat("region now ", facts.region_code()) : "");
    });
  });
}

// A pairing (paired = true) or its end, of someone merged since: it counts for the survivor.
absl::Status Pairing(EventProjector& projector, projection::ProjectionTx& tx, const common::v1::EventEnvelope& e,
                     const std::string& cadre, std::string beneficiary, bool paired) {
  ASSIGN_OR_RETURN(v1::ProfileState * target, projector.CachedProfile(tx, beneficiary));
  if (!target->merged_into().empty()) beneficiary = target->merged_into();
  return projector.UpdateProfile(tx, e, beneficiary, [&](v1::ProfileState& p) {
    auto* ids = p.mutable_cadre_ids();
    auto it = std::find(ids->begin(), ids->end(), cadre);
    if (paired && it == ids->end()) p.add_cadre_ids(cadre);
    if (!paired && it != ids->end()) ids->erase(it);
    EventProjector::AddTimeline(p, e, absl::StrCat("cadre ", cadre));
  });
}

}  // namespace

void RouteRegistrationEvents(projection::EventRouter& router, EventProjector& projector) {
  using Envelope = common::v1::EventEnvelope;
  using Tx = projection::ProjectionTx;
  EventProjector& p = projector;
  RouteFacts<reg::BeneficiaryRegistered>(router, p);
  RouteFacts<reg::BeneficiaryUpdated>(router, p);

  router.On<reg::MonitoringStatusChanged>([&p](const reg::MonitoringStatusChanged& c, const Envelope& e, Tx& tx) {
    return p.UpdateProfile(tx, e, c.beneficiary_id(), [&](v1::ProfileState& s) {
      s.set_monitoring_status(c.status());
      EventProjector::AddTimeline(s, e,
                                  absl::StrCat(reg::MonitoringStatus_Name(c.previous_status()), " → ",
                                               reg::MonitoringStatus_Name(c.status()), ": ", c.reason()));
    });
  });
  router.On<reg::CadrePaired>([&p](const reg::CadrePaired& c, const Envelope& e, Tx& tx) {
    return Pairing(p, tx, e, c.cadre_id(), c.beneficiary_id(), true);
  });
  router.On<reg::CadreUnpaired>([&p](const reg::CadreUnpaired& c, const Envelope& e, Tx& tx) {
    return Pairing(p, tx, e, c.cadre_id(), c.beneficiary_id(), false);
  });
  // A cadre is no one's timeline.
  router.On<reg::CadreRegistered>([](const reg::CadreRegistered&, const Envelope&, Tx&) { return absl::OkStatus(); });

  router.On<reg::VisitRecorded>([&p](const reg::VisitRecorded& v, const Envelope& e, Tx& tx) -> absl::Status {
    auto day = FromProto(v.visited_on());
    if (!day.ok()) return absl::InvalidArgumentError("VisitRecorded: visited_on is not a date");
    RETURN_IF_ERROR(p.AddVisits(tx, e.region_code(), *day));
    return p.UpdateProfile(tx, e, v.beneficiary_id(), [&](v1::ProfileState& s) {
      s.set_last_visited_day(std::max(s.last_visited_day(), static_cast<int32_t>(DayNumber(*day))));
      EventProjector::AddTimeline(s, e, absl::StrCat("visited on ", FormatCivilDate(*day), " by cadre ", v.cadre_id()));
    });
  });

  router.On<reg::DuplicateCandidateFlagged>([&p](const reg::DuplicateCandidateFlagged&, const Envelope& e, Tx& tx) {
    return p.AddEverywhere(tx, e, e.region_code(), domain::kDuplicatesOpen, 1);
  });
  router.On<reg::DuplicateCandidateResolved>([&p](const reg::DuplicateCandidateResolved&, const Envelope& e, Tx& tx) {
    return p.AddEverywhere(tx, e, e.region_code(), domain::kDuplicatesOpen, -1);
  });

  router.On<reg::BeneficiariesMerged>(
      [&p](const reg::BeneficiariesMerged& m, const Envelope& e, Tx& tx) -> absl::Status {
        std::vector<std::string> merged_cadres;
        RETURN_IF_ERROR(p.UpdateProfile(tx, e, m.merged_id(), [&](v1::ProfileState& s) {
          if (s.region_code().empty()) s.set_region_code(m.merged_region_code());
          merged_cadres.assign(s.cadre_ids().begin(), s.cadre_ids().end());
          s.set_merged_into(m.survivor_id());
          EventProjector::AddTimeline(s, e, absl::StrCat("merged into ", m.survivor_id()));
        }));
        return p.UpdateProfile(tx, e, m.survivor_id(), [&](v1::ProfileState& s) {
          TakeFacts(s, m.survivor());
          s.set_registered(true);
          for (const auto& c : merged_cadres) {
            if (std::find(s.cadre_ids().begin(), s.cadre_ids().end(), c) == s.cadre_ids().end()) s.add_cadre_ids(c);
          }
          EventProjector::AddTimeline(s, e, absl::StrCat("absorbed duplicate ", m.merged_id()));
        });
      });

  router.On<reg::HouseholdRegistered>([&p](const reg::HouseholdRegistered& h, const Envelope& e, Tx& tx) {
    return p.UpdateHousehold(tx, e, h.household_id(), [&](v1::HouseholdState& s) {
      s.set_region_code(h.region_code());
      s.set_attribute(h.attribute());
    });
  });
  router.On<reg::HouseholdUpdated>([&p](const reg::HouseholdUpdated& h, const Envelope& e, Tx& tx) {
    return p.UpdateHousehold(tx, e, h.household_id(), [&](v1::HouseholdState& s) {
      s.set_region_code(h.region_code());
      s.set_attribute(h.attribute());
    });
  });
}

}  // namespace jinguo::reporting::store
