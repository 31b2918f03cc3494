// jinguo.training.events.v1 into reporting's read models. Programmes, places, participants and completions count
// at the programme's region, postings and open positions at the posting's (both regions travel in the payloads);
// a registered woman's trainings, placements and a child's 春蕾 aid are kept on her profile, where her own figures
// follow (domain/indicators.cc) and her timeline shows them. Participants known by name only never reach a profile.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/civil_date.h"
#include "common/base/money.h"
#include "common/base/status.h"
#include "jinguo/training/v1/events.pb.h"
#include "services/reporting/handlers/handlers.h"
#include "services/reporting/store/event_projector.h"

namespace jinguo::reporting::store {

namespace tv1 = ::jinguo::training::v1;

namespace {

using Envelope = common::v1::EventEnvelope;
using Tx = projection::ProjectionTx;

const char* JobKindLabel(tv1::JobKind kind) {
  switch (kind) {
    case tv1::JOB_KIND_LOCAL:
      return "本地就业";
    case tv1::JOB_KIND_IN_PROVINCE:
      return "省内转移";
    case tv1::JOB_KIND_CROSS_PROVINCE:
      return "跨省转移";
    case tv1::JOB_KIND_PUBLIC_WELFARE:
      return "公益性岗位";
    case tv1::JOB_KIND_WORKSHOP:
      return "帮扶车间";
    case tv1::JOB_KIND_HOME_HANDICRAFT:
      return "居家手工";
    default:
      return "就业";
  }
}

// Her state in a programme, with a timeline line when `line` is not empty; nothing for a participant by name only.
absl::Status Participant(EventProjector& p, Tx& tx, const Envelope& e, const std::string& programme_id,
                         tv1::ParticipantState state, const std::string& line) {
  if (e.beneficiary_id().empty()) return absl::OkStatus();
  return p.UpdateProfile(tx, e, e.beneficiary_id(), [&](v1::ProfileState& s) {
    (*s.mutable_trainings())[programme_id] = state;
    if (!line.empty()) EventProjector::AddTimeline(s, e, line);
  });
}

}  // namespace

void RouteTrainingEvents(projection::EventRouter& router, EventProjector& projector) {
  EventProjector& p = projector;
  router.On<tv1::ProgrammeCreated>([&p](const tv1::ProgrammeCreated& c, const Envelope& e, Tx& tx) {
    return p.AddEverywhere(tx, e, e.region_code(),
                           {{domain::kTrainingProgrammes, 1}, {domain::kTrainingPlaces, c.capacity()}});
  });
  router.On<tv1::Enrolled>([&p](const tv1::Enrolled& en, const Envelope& e, Tx& tx) -> absl::Status {
    RETURN_IF_ERROR(p.AddEverywhere(
        tx, e, en.programme_region_code(),
        {{domain::kTrainingParticipants, 1}, {domain::kTrainingParticipantsRegistered, en.registered() ? 1 : 0}}));
    return Participant(p, tx, e, en.programme_id(), tv1::PARTICIPANT_STATE_ENROLLED,
                       absl::StrCat(en.promoted() ? "候补转为正式学员：" : "报名参加培训：", "《", en.title(), "》"));
  });
  router.On<tv1::Waitlisted>([&p](const tv1::Waitlisted& w, const Envelope& e, Tx& tx) {
    return Participant(p, tx, e, w.programme_id(), tv1::PARTICIPANT_STATE_WAITLISTED, "培训名额已满，列入候补");
  });
  router.On<tv1::Withdrawn>([&p](const tv1::Withdrawn& w, const Envelope& e, Tx& tx) -> absl::Status {
    if (w.was_enrolled()) {
      RETURN_IF_ERROR(p.AddEverywhere(
          tx, e, w.programme_region_code(),
          {{domain::kTrainingParticipants, -1}, {domain::kTrainingParticipantsRegistered, w.registered() ? -1 : 0}}));
    }
    return Participant(p, tx, e, w.programme_id(), tv1::PARTICIPANT_STATE_WITHDRAWN, "退出培训");
  });
  router.On<tv1::TrainingCompleted>([&p](const tv1::TrainingCompleted& c, const Envelope& e, Tx& tx) -> absl::Status {
    RETURN_IF_ERROR(
        p.AddEverywhere(tx, e, c.programme_region_code(),
                        {{domain::kTrainingFinished, 1}, {domain::kTrainingCompleted, c.completed() ? 1 : 0}}));
    std::string line = c.completed() ? absl::StrCat("完成培训《", c.title(), "》，证书 ", c.certificate_number())
                                     : absl::StrFormat("培训《%s》未结业（出勤率 %d.%d%%）", c.title(),
                                                       c.attendance_rate_bp() / 100, c.attendance_rate_bp() % 100 / 10);
    return Participant(p, tx, e, c.programme_id(),
                       c.completed() ? tv1::PARTICIPANT_STATE_COMPLETED : tv1::PARTICIPANT_STATE_NOT_COMPLETED, line);
  });
  router.On<tv1::JobPosted>([&p](const tv1::JobPosted& j, const Envelope& e, Tx& tx) {
    return p.AddEverywhere(tx, e, e.region_code(),
                           {{domain::kJobPostings, 1},
                            {domain::kJobPositions, j.positions()},
                            {domain::kJobPositionsOpen, j.positions()}});
  });
  router.On<tv1::JobPostingClosed>([&p](const tv1::JobPostingClosed& c, const Envelope& e, Tx& tx) {
    return p.AddEverywhere(tx, e, e.region_code(), {{domain::kJobPositionsOpen, -c.positions_open()}});
  });
  router.On<tv1::PlacementRecorded>([&p](const tv1::PlacementRecorded& pl, const Envelope& e, Tx& tx) -> absl::Status {
    RETURN_IF_ERROR(p.AddEverywhere(tx, e, pl.posting_region_code(), {{domain::kJobPositionsOpen, -1}}));
    return p.UpdateProfile(tx, e, e.beneficiary_id(), [&](v1::ProfileState& s) {
      (*s.mutable_placements())[pl.placement_id()] = pl.kind();
      EventProjector::AddTimeline(s, e, absl::StrCat("就业：", pl.employer(), "（", JobKindLabel(pl.kind()), "）"));
    });
  });
  router.On<tv1::PlacementEnded>([&p](const tv1::PlacementEnded& pl, const Envelope& e, Tx& tx) -> absl::Status {
    if (pl.position_reopened()) {
      RETURN_IF_ERROR(p.AddEverywhere(tx, e, pl.posting_region_code(), {{domain::kJobPositionsOpen, 1}}));
    }
    return p.UpdateProfile(tx, e, e.beneficiary_id(), [&](v1::ProfileState& s) {
      s.mutable_placements()->erase(pl.placement_id());
      EventProjector::AddTimeline(s, e, absl::StrCat("离岗：", pl.reason()));
    });
  });
  router.On<tv1::StudentAidGranted>([&p](const tv1::StudentAidGranted& g, const Envelope& e, Tx& tx) {
    return p.UpdateProfile(tx, e, e.beneficiary_id(), [&](v1::ProfileState& s) {
      v1::AidYear& year = (*s.mutable_aid())[g.school_year()];
      year.set_grants(year.grants() + 1);
      year.set_granted_fen(year.granted_fen() + g.amount_fen());
      EventProjector::AddTimeline(s, e,
                                  absl::StrCat("春蕾助学 ", FormatSchoolYear(g.school_year()), " 学年 ",
                                               YuanText(Fen{g.amount_fen()}), "（", g.fund_name(), "）"));
    });
  });
  router.On<tv1::StudentAidPaid>([&p](const tv1::StudentAidPaid& paid, const Envelope& e, Tx& tx) {
    return p.UpdateProfile(tx, e, e.beneficiary_id(), [&](v1::ProfileState& s) {
      v1::AidYear& year = (*s.mutable_aid())[paid.school_year()];
      year.set_paid_fen(year.paid_fen() + paid.amount_fen());
      EventProjector::AddTimeline(s, e, absl::StrCat("春蕾助学金已发放 ", YuanText(Fen{paid.amount_fen()})));
    });
  });
  router.On<tv1::DonorPaired>([&p](const tv1::DonorPaired& d, const Envelope& e, Tx& tx) {
    return p.UpdateProfile(tx, e, e.beneficiary_id(), [&](v1::ProfileState& s) {
      EventProjector::AddTimeline(s, e, absl::StrCat("与爱心人士 ", d.donor(), " 结对"));
    });
  });
  auto nothing = [](const auto&, const Envelope&, Tx&) { return absl::OkStatus(); };
  router.On<tv1::SessionScheduled>(nothing);
  router.On<tv1::AttendanceRecorded>(nothing);
  router.On<tv1::AidFundCreated>(nothing);
}

}  // namespace jinguo::reporting::store
