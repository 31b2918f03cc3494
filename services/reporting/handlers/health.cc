// jinguo.health.events.v1 into reporting's read models.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/money.h"
#include "common/base/status.h"
#include "jinguo/health/v1/events.pb.h"
#include "services/reporting/handlers/handlers.h"
#include "services/reporting/store/event_projector.h"

namespace jinguo::reporting::store {

namespace hv1 = ::jinguo::health::v1;

namespace {

const char* ScreeningLabel(hv1::ScreeningKind kind) {
  return kind == hv1::SCREENING_KIND_BREAST ? "乳腺癌筛查" : "宫颈癌筛查";
}

const char* MethodLabel(hv1::ScreeningMethod method) {
  switch (method) {
    case hv1::SCREENING_METHOD_CYTOLOGY:
      return "细胞学";
    case hv1::SCREENING_METHOD_HPV:
      return "HPV";
    case hv1::SCREENING_METHOD_VIA_VILI:
      return "VIA/VILI";
    case hv1::SCREENING_METHOD_CLINICAL_ULTRASOUND:
      return "临床检查+超声";
    case hv1::SCREENING_METHOD_MAMMOGRAPHY:
      return "钼靶";
    default:
      return "";
  }
}

}  // namespace

void RouteHealthEvents(projection::EventRouter& router, EventProjector& projector) {
  using Envelope = common::v1::EventEnvelope;
  using Tx = projection::ProjectionTx;
  EventProjector& p = projector;
  router.On<hv1::ScreeningRecorded>([&p](const hv1::ScreeningRecorded& s, const Envelope& e, Tx& tx) {
    return p.UpdateProfile(tx, e, s.beneficiary_id(), [&](v1::ProfileState& state) {
      auto day = FromProto(s.screened_on());
      if (day.ok()) {
        int year = static_cast<int>(day->year());
        auto due = FromProto(s.next_due_on());
        int due_year = due.ok() ? static_cast<int>(due->year()) : 0;
        // The latest screening (by year) sets when she falls due again, even when its interval is shorter.
        if (s.kind() == hv1::SCREENING_KIND_BREAST) {
          if (year >= state.breast_screening_year()) {
            state.set_breast_screening_year(year);
            state.set_breast_next_due_year(due_year);
          }
        } else if (year >= state.cervical_screening_year()) {
          state.set_cervical_screening_year(year);
          state.set_cervical_next_due_year(due_year);
        }
      }
      EventProjector::AddTimeline(state, e,
                                  absl::StrCat(ScreeningLabel(s.kind()), "（", MethodLabel(s.method()), "）",
                                               day.ok() ? absl::StrCat(" ", FormatCivilDate(*day)) : ""));
    });
  });
  router.On<hv1::InsuranceEnrolled>([&p](const hv1::InsuranceEnrolled& enrolled, const Envelope& e, Tx& tx) {
    return p.UpdateProfile(tx, e, enrolled.beneficiary_id(), [&](v1::ProfileState& state) {
      if (enrolled.policy_year() > state.insured_policy_year()) state.set_insured_policy_year(enrolled.policy_year());
      EventProjector::AddTimeline(state, e,
                                  absl::StrCat("两癌保险 ", enrolled.policy_year(), " 年度（保额 ",
                                               FormatYuan(Fen{enrolled.sum_insured_fen()}), " 元）"));
    });
  });
  // Results by what they are: counted at her region's nodes, never written to a profile.
  router.On<hv1::FollowUpScheduled>([&p](const hv1::FollowUpScheduled& s, const Envelope& e, Tx& tx) -> absl::Status {
    if (!s.case_opened()) return absl::OkStatus();
    RETURN_IF_ERROR(p.AddEverywhere(tx, e, e.region_code(), domain::kAbnormalResults, 1));
    return p.AddEverywhere(tx, e, e.region_code(), domain::kFollowUpsOpen, 1);
  });
  router.On<hv1::FollowUpRecorded>([&p](const hv1::FollowUpRecorded& r, const Envelope& e, Tx& tx) -> absl::Status {
    if (!r.case_closed()) return absl::OkStatus();
    RETURN_IF_ERROR(p.AddEverywhere(tx, e, e.region_code(), domain::kFollowUpsOpen, -1));
    if (r.finding() == hv1::FINDING_UNSPECIFIED) return absl::OkStatus();  // lost to follow-up
    RETURN_IF_ERROR(p.AddEverywhere(tx, e, e.region_code(), domain::kFollowUpsDiagnosed, 1));
    if (r.finding() == hv1::FINDING_PRECANCER) {
      return p.AddEverywhere(tx, e, e.region_code(), domain::kPrecancersFound, 1);
    }
    if (r.finding() == hv1::FINDING_CANCER) return p.AddEverywhere(tx, e, e.region_code(), domain::kCancersFound, 1);
    return absl::OkStatus();
  });
  router.On<hv1::ReliefApproved>([&p](const hv1::ReliefApproved& r, const Envelope& e, Tx& tx) -> absl::Status {
    RETURN_IF_ERROR(p.AddEverywhere(tx, e, e.region_code(), domain::kReliefGranted, 1));
    return p.AddEverywhere(tx, e, e.region_code(), domain::kReliefGrantedFen, r.amount_fen());
  });
  router.On<hv1::ReliefPaid>([&p](const hv1::ReliefPaid& r, const Envelope& e, Tx& tx) -> absl::Status {
    RETURN_IF_ERROR(p.AddEverywhere(tx, e, e.region_code(), domain::kReliefPaid, 1));
    return p.AddEverywhere(tx, e, e.region_code(), domain::kReliefPaidFen, r.amount_fen());
  });
  router.On<hv1::ClaimRecorded>([&p](const hv1::ClaimRecorded& c, const Envelope& e, Tx& tx) {
    return p.AddEverywhere(tx, e, e.region_code(), domain::kClaimsPaidFen, c.amount_fen());
  });
  // Neither counted nor on a profile: an overdue stage (the work queue is health's), a confirmed cancer (counted
  // from the diagnosis that closed its case), a policy, an application or a rejection of relief.
  auto nothing = [](const auto&, const Envelope&, Tx&) { return absl::OkStatus(); };
  router.On<hv1::FollowUpOverdue>(nothing);
  router.On<hv1::CancerConfirmed>(nothing);
  router.On<hv1::InsurancePolicyCreated>(nothing);
  router.On<hv1::ReliefApplied>(nothing);
  router.On<hv1::ReliefRejected>(nothing);
}

}  // namespace jinguo::reporting::store
