// jinguo.health.events.v1 into reporting's read models.
#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/money.h"
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
  // Results by what they are: counted by the health figures to come, never written to a profile.
  auto nothing = [](const auto&, const Envelope&, Tx&) { return absl::OkStatus(); };
  router.On<hv1::FollowUpScheduled>(nothing);
  router.On<hv1::FollowUpRecorded>(nothing);
  router.On<hv1::FollowUpOverdue>(nothing);
  router.On<hv1::CancerConfirmed>(nothing);
  router.On<hv1::ClaimRecorded>(nothing);
  router.On<hv1::InsurancePolicyCreated>(nothing);
  // Two-cancer relief says she has cancer: never on a profile others read either.
  router.On<hv1::ReliefApplied>(nothing);
  router.On<hv1::ReliefApproved>(nothing);
  router.On<hv1::ReliefRejected>(nothing);
  router.On<hv1::ReliefPaid>(nothing);
}

}  // namespace jinguo::reporting::store
