#include "services/training/api/training_service.h"

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/civil_date.h"
#include "common/base/money.h"
#include "common/base/status.h"
#include "common/rpc/status.h"
#include "common/validate/field_violations.h"
#include "common/validate/fields.h"
#include "common/validate/region_code.h"
#include "common/validate/text.h"
#include "jinguo/training/v1/events.pb.h"

namespace jinguo::training::api {

using rpc::Role;
using validate::FieldError;
using validate::FieldViolations;

namespace {

constexpr rpc::PageLimits kPageLimits{50, 500};
// A sheet lists at most this many marks (a programme's capacity is bounded by what one sheet can carry).
constexpr int kMaxSheet = 20000;

std::string ProgrammeKey(const std::string& id) { return absl::StrCat("programme:", id); }
std::string PostingKey(const std::string& id) { return absl::StrCat("posting:", id); }
std::string FundKey(const std::string& id) { return absl::StrCat("fund:", id); }

absl::Status Required(absl::string_view field) {
  return FieldError(absl::StatusCode::kInvalidArgument, field, "is required");
}

}  // namespace

TrainingService::TrainingService(Dependencies deps) : d_(std::move(deps)), events_("training", *d_.clock, *d_.ids) {}

absl::CivilDay TrainingService::Today() const { return ChinaDay(d_.clock->Now()); }

absl::StatusOr<replica::v1::RegistryFacts> TrainingService::Registered(const std::string& beneficiary_id,
                                                                       absl::string_view field) const {
  if (beneficiary_id.empty()) return Required(field);
  ASSIGN_OR_RETURN(auto stored, d_.registry->Stored(beneficiary_id));
  if (stored && !stored->merged_into().empty()) {
    return FieldError(absl::StatusCode::kFailedPrecondition, field,
                      absl::StrCat("was merged into ", stored->merged_into(), "; use that id"));
  }
  return d_.registry->Lookup(beneficiary_id, field);
}

absl::StatusOr<v1::Programme> TrainingService::LoadProgramme(const std::string& id) const {
  if (id.empty()) return Required("programme_id");
  ASSIGN_OR_RETURN(auto p, d_.training->GetProgramme(id));
  if (!p) return FieldError(absl::StatusCode::kNotFound, "programme_id", absl::StrCat("no programme ", id));
  return *std::move(p);
}

absl::StatusOr<v1::JobPosting> TrainingService::LoadPosting(const std::string& id) const {
  if (id.empty()) return Required("posting_id");
  ASSIGN_OR_RETURN(auto p, d_.training->GetPosting(id));
  if (!p) return FieldError(absl::StatusCode::kNotFound, "posting_id", absl::StrCat("no job posting ", id));
  return *std::move(p);
}

absl::StatusOr<v1::AidFund> TrainingService::LoadFund(const std::string& id) const {
  if (id.empty()) return Required("fund_id");
  ASSIGN_OR_RETURN(auto f, d_.training->GetFund(id));
  if (!f) return FieldError(absl::StatusCode::kNotFound, "fund_id", absl::StrCat("no aid fund ", id));
  return *std::move(f);
}

absl::Status TrainingService::CheckOpen(const v1::Programme& p) {
  if (!p.completed()) return absl::OkStatus();
  return FieldError(absl::StatusCode::kFailedPrecondition, "programme_id",
                    absl::StrCat("programme ", p.id(), " (", p.title(), ") is completed; it takes no more changes"));
}

void TrainingService::ProgrammeEvent(v1::Programme& p, const google::protobuf::Message& payload,
                                     const std::string& beneficiary_id, const std::string& region,
                                     const std::string& request_id, rpc::Tx& tx) {
  p.set_version(p.version() + 1);
  tx.events.push_back(events_.Make({p.id(), p.version(), beneficiary_id, region}, payload, request_id));
}

std::string TrainingService::RegionOf(const v1::Programme& p, const v1::Participant& x) const {
  if (x.beneficiary_id().empty()) return p.region_code();
  auto facts = d_.registry->Lookup(x.beneficiary_id());
  return facts.ok() ? facts->region_code() : p.region_code();
}

void TrainingService::EnrolledEvent(v1::Programme& p, const v1::Participant& x, const std::string& region,
                                    bool promoted, const std::string& request_id, rpc::Tx& tx) {
  v1::Enrolled e;
  e.set_programme_id(p.id());
  e.set_number(x.number());
  e.set_registered(!x.beneficiary_id().empty());
  e.set_promoted(promoted);
  e.set_programme_region_code(p.region_code());
  e.set_title(p.title());
  e.set_kind(p.kind());
  ProgrammeEvent(p, e, x.beneficiary_id(), region, request_id, tx);
}

// --- programmes ---

grpc::ServerUnaryReactor* TrainingService::CreateProgramme(grpc::CallbackServerContext* ctx,
                                                           const v1::CreateProgrammeRequest* req,
                                                           v1::CreateProgrammeResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"CreateProgramme", req->request_id(), *req, resp}, [] { return rpc::LockScope(); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        FieldViolations v;
        v1::Programme p = domain::ProgrammeFrom(req->programme(), v);
        p.set_funder(validate::CleanField(req->programme().funder(), "programme.funder",
                                          {.max_characters = 100, .required = false}, v));
        if (req->programme().region_code().empty()) {
          v.Add("programme.region_code", "is required (the region the programme serves)");
        } else {
          v.Check("programme.region_code", validate::CheckRegionPrefix(*d_.regions, req->programme().region_code()));
        }
        if (p.capacity() > kMaxSheet) v.Add("programme.capacity", absl::StrCat("must be at most ", kMaxSheet));
        RETURN_IF_ERROR(v.ToStatus());
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, p.region_code()));
        p.set_id(d_.ids->Next());
        p.set_enrolled(0);
        p.set_waitlisted(0);
        p.set_next_number(1);
        p.set_version(0);
        v1::ProgrammeCreated e;
        e.set_programme_id(p.id());
        e.set_kind(p.kind());
        e.set_capacity(p.capacity());
        *e.mutable_starts_on() = p.starts_on();
        *e.mutable_ends_on() = p.ends_on();
        e.set_federation_run(p.federation_run());
        ProgrammeEvent(p, e, "", p.region_code(), req->request_id(), tx);
        d_.training->PutProgramme(&tx.batch, p, true);
        *resp->mutable_programme() = std::move(p);
        return absl::OkStatus();
      });
}

grpc::Status TrainingService::GetProgramme(grpc::ServerContext* ctx, const v1::GetProgrammeRequest* req,
                                           v1::GetProgrammeResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    ASSIGN_OR_RETURN(v1::Programme p, LoadProgramme(req->programme_id()));
    RETURN_IF_ERROR(rpc::Authorize(who, Role::kViewer, p.region_code()));
    ASSIGN_OR_RETURN(auto sessions, d_.training->Sessions(p.id()));
    std::sort(sessions.begin(), sessions.end(), [](const v1::Session& a, const v1::Session& b) {
      return std::make_pair(StoredDay(a.held_on()), a.id()) < std::make_pair(StoredDay(b.held_on()), b.id());
    });
    for (auto& s : sessions) *resp->add_sessions() = std::move(s);
    ASSIGN_OR_RETURN(auto participants, d_.training->Participants(p.id()));
    int holding = 0, registered = 0;
    for (auto& x : participants) {
      bool holds = x.state() == v1::PARTICIPANT_STATE_ENROLLED || x.state() == v1::PARTICIPANT_STATE_COMPLETED ||
                   x.state() == v1::PARTICIPANT_STATE_NOT_COMPLETED;
      if (holds) {
        ++holding;
        if (!x.beneficiary_id().empty()) ++registered;
      }
      *resp->add_participants() = std::move(x);
    }
    resp->set_registered_women(registered);
    resp->set_share_bp(holding > 0 ? static_cast<int32_t>(int64_t{registered} * 10000 / holding) : 0);
    *resp->mutable_programme() = std::move(p);
    return absl::OkStatus();
  });
}

grpc::Status TrainingService::ListProgrammes(grpc::ServerContext* ctx, const v1::ListProgrammesRequest* req,
                                             v1::ListProgrammesResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    return rpc::ListPage(
        *d_.pages, *d_.regions, who, {"ListProgrammes", req->region_prefix(), {}, req->page(), kPageLimits},
        [&](const std::string& scope, const std::string& after) { return d_.training->ScanProgrammes(scope, after); },
        [&](const std::string& key) -> absl::StatusOr<bool> {
          ASSIGN_OR_RETURN(auto p, d_.training->GetProgramme(store::TrainingStore::IdOf(key)));
          if (p) *resp->add_programmes() = *std::move(p);
          return p.has_value();
        },
        resp->mutable_next_page_token());
  });
}

grpc::ServerUnaryReactor* TrainingService::ScheduleSession(grpc::CallbackServerContext* ctx,
                                                           const v1::ScheduleSessionRequest* req,
                                                           v1::ScheduleSessionResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"ScheduleSession", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({ProgrammeKey(req->session().programme_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        if (req->session().programme_id().empty()) return Required("session.programme_id");
        ASSIGN_OR_RETURN(auto stored, d_.training->GetProgramme(req->session().programme_id()));
        if (!stored) {
          return FieldError(absl::StatusCode::kNotFound, "session.programme_id",
                            absl::StrCat("no programme ", req->session().programme_id()));
        }
        v1::Programme p = *std::move(stored);
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, p.region_code()));
        RETURN_IF_ERROR(CheckOpen(p));
        FieldViolations v;
        v1::Session s;
        s.set_programme_id(p.id());
        s.set_place(validate::CleanField(req->session().place(), "session.place",
                                         {.max_characters = 100, .required = true}, v));
        s.set_trainer(validate::CleanField(req->session().trainer(), "session.trainer",
                                           {.max_characters = 60, .required = true}, v));
        if (req->session().hours() <= 0 || req->session().hours() > 12) v.Add("session.hours", "must be 1-12 hours");
        auto held = FromProto(req->session().held_on());
        if (!req->session().has_held_on() || !held.ok()) {
          v.Add("session.held_on", "is required: the day the session is held");
        } else {
          v.Check("session.held_on", domain::CheckSessionDate(p, *held, "session.held_on"));
        }
        RETURN_IF_ERROR(v.ToStatus());
        s.set_id(d_.ids->Next());
        *s.mutable_held_on() = req->session().held_on();
        s.set_hours(req->session().hours());
        d_.training->PutSession(&tx.batch, s);
        v1::SessionScheduled e;
        e.set_programme_id(p.id());
        e.set_session_id(s.id());
        *e.mutable_held_on() = s.held_on();
        e.set_hours(s.hours());
        ProgrammeEvent(p, e, "", p.region_code(), req->request_id(), tx);
        d_.training->PutProgramme(&tx.batch, p, false);
        *resp->mutable_session() = std::move(s);
        return absl::OkStatus();
      });
}

// --- enrolment and attendance ---

grpc::ServerUnaryReactor* TrainingService::Enrol(grpc::CallbackServerContext* ctx, const v1::EnrolRequest* req,
                                                 v1::EnrolResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"Enrol", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({ProgrammeKey(req->programme_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(v1::Programme p, LoadProgramme(req->programme_id()));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, p.region_code()));
        RETURN_IF_ERROR(CheckOpen(p));
        v1::Participant x;
        x.set_programme_id(p.id());
        std::string region = p.region_code();
        if (!req->beneficiary_id().empty() && !req->name().empty()) {
          return FieldError(absl::StatusCode::kInvalidArgument, "name",
                            "is for a participant the registry does not know; give beneficiary_id or name, not both");
        }
        if (!req->beneficiary_id().empty()) {
          ASSIGN_OR_RETURN(replica::v1::RegistryFacts woman, Registered(req->beneficiary_id()));
          RETURN_IF_ERROR(domain::CheckTrainee(woman, Today(), "beneficiary_id"));
          ASSIGN_OR_RETURN(std::optional<int> number, d_.training->NumberOf(woman.beneficiary_id(), p.id()));
          if (number) {
            return FieldError(absl::StatusCode::kAlreadyExists, "beneficiary_id",
                              absl::StrCat("is participant ", *number, " of programme ", p.id(), " already"));
          }
          x.set_beneficiary_id(woman.beneficiary_id());
          region = woman.region_code();
        } else {
          FieldViolations v;
          std::string name = validate::CleanField(req->name(), "name", {.max_characters = 40, .required = false}, v);
          RETURN_IF_ERROR(v.ToStatus());
          if (name.empty()) {
            return FieldError(absl::StatusCode::kInvalidArgument, "beneficiary_id",
                              "is required (or name, for a participant the registry does not know)");
          }
          x.set_name(name);
        }
        x.set_number(p.next_number());
        p.set_next_number(p.next_number() + 1);
        x.set_state(domain::PlaceOf(p.enrolled(), p.capacity()));
        if (x.state() == v1::PARTICIPANT_STATE_ENROLLED) {
          p.set_enrolled(p.enrolled() + 1);
          EnrolledEvent(p, x, region, false, req->request_id(), tx);
        } else {
          p.set_waitlisted(p.waitlisted() + 1);
          v1::Waitlisted e;
          e.set_programme_id(p.id());
          e.set_number(x.number());
          e.set_registered(!x.beneficiary_id().empty());
          e.set_programme_region_code(p.region_code());
          ProgrammeEvent(p, e, x.beneficiary_id(), region, req->request_id(), tx);
        }
        d_.training->PutParticipant(&tx.batch, x);
        d_.training->PutProgramme(&tx.batch, p, false);
        *resp->mutable_participant() = std::move(x);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* TrainingService::Withdraw(grpc::CallbackServerContext* ctx, const v1::WithdrawRequest* req,
                                                    v1::WithdrawResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"Withdraw", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({ProgrammeKey(req->programme_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(v1::Programme p, LoadProgramme(req->programme_id()));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, p.region_code()));
        RETURN_IF_ERROR(CheckOpen(p));
        ASSIGN_OR_RETURN(auto participants, d_.training->Participants(p.id()));
        auto found = std::find_if(participants.begin(), participants.end(),
                                  [&](const v1::Participant& x) { return x.number() == req->number(); });
        if (found == participants.end()) {
          return FieldError(absl::StatusCode::kNotFound, "number",
                            absl::StrCat("programme ", p.id(), " has no participant ", req->number()));
        }
        v1::Participant& x = *found;
        bool was_enrolled = x.state() == v1::PARTICIPANT_STATE_ENROLLED;
        if (!was_enrolled && x.state() != v1::PARTICIPANT_STATE_WAITLISTED) {
          return FieldError(absl::StatusCode::kFailedPrecondition, "number",
                            absl::StrCat("participant ", x.number(), " has withdrawn already"));
        }
        x.set_state(v1::PARTICIPANT_STATE_WITHDRAWN);
        (was_enrolled ? p.set_enrolled(p.enrolled() - 1) : p.set_waitlisted(p.waitlisted() - 1));
        v1::Withdrawn e;
        e.set_programme_id(p.id());
        e.set_number(x.number());
        e.set_registered(!x.beneficiary_id().empty());
        e.set_was_enrolled(was_enrolled);
        e.set_programme_region_code(p.region_code());
        ProgrammeEvent(p, e, x.beneficiary_id(), RegionOf(p, x), req->request_id(), tx);
        d_.training->PutParticipant(&tx.batch, x);
        if (was_enrolled) {
          if (auto next = domain::NextOnWaitlist(participants)) {
            v1::Participant& promoted = participants[*next];
            promoted.set_state(v1::PARTICIPANT_STATE_ENROLLED);
            p.set_waitlisted(p.waitlisted() - 1);
            p.set_enrolled(p.enrolled() + 1);
            EnrolledEvent(p, promoted, RegionOf(p, promoted), true, req->request_id(), tx);
            d_.training->PutParticipant(&tx.batch, promoted);
            *resp->mutable_promoted() = promoted;
          }
        }
        d_.training->PutProgramme(&tx.batch, p, false);
        *resp->mutable_participant() = x;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* TrainingService::RecordAttendance(grpc::CallbackServerContext* ctx,
                                                            const v1::RecordAttendanceRequest* req,
                                                            v1::RecordAttendanceResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RecordAttendance", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({ProgrammeKey(req->programme_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(v1::Programme p, LoadProgramme(req->programme_id()));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, p.region_code()));
        RETURN_IF_ERROR(CheckOpen(p));
        if (req->session_id().empty()) return Required("session_id");
        ASSIGN_OR_RETURN(auto sessions, d_.training->Sessions(p.id()));
        auto session = std::find_if(sessions.begin(), sessions.end(),
                                    [&](const v1::Session& s) { return s.id() == req->session_id(); });
        if (session == sessions.end()) {
          return FieldError(absl::StatusCode::kNotFound, "session_id",
                            absl::StrCat("programme ", p.id(), " has no session ", req->session_id()));
        }
        if (StoredDay(session->held_on()) > Today()) {
          return FieldError(absl::StatusCode::kFailedPrecondition, "session_id",
                            absl::StrCat("the session is on ", FormatCivilDate(StoredDay(session->held_on())),
                                         "; attendance is recorded on or after that day"));
        }
        if (req->marks_size() > kMaxSheet) {
          return FieldError(absl::StatusCode::kInvalidArgument, "marks",
                            absl::StrCat("a sheet has at most ", kMaxSheet, " marks"));
        }
        ASSIGN_OR_RETURN(auto participants, d_.training->Participants(p.id()));
        std::map<int, v1::Participant*> by_number;
        for (auto& x : participants) by_number[x.number()] = &x;
        FieldViolations v;
        std::map<int, int> marked;  // number → its mark's index
        for (int i = 0; i < req->marks_size(); ++i) {
          const v1::AttendanceMark& m = req->marks(i);
          std::string field = absl::StrCat("marks[", i, "]");
          auto x = by_number.find(m.number());
          if (x == by_number.end() || x->second->state() != v1::PARTICIPANT_STATE_ENROLLED) {
            v.Add(absl::StrCat(field, ".number"),
                  x == by_number.end() ? absl::StrCat(m.number(), " is not a participant of this programme")
                                       : absl::StrCat("participant ", m.number(), " is not enrolled (",
                                                      v1::ParticipantState_Name(x->second->state()), ")"));
            continue;
          }
          if (!marked.emplace(m.number(), i).second) {
            v.Add(absl::StrCat(field, ".number"),
                  absl::StrCat("participant ", m.number(), " is marked twice (also marks[", marked[m.number()], "])"));
          }
          if (m.attendance() == v1::ATTENDANCE_UNSPECIFIED || !v1::Attendance_IsValid(m.attendance())) {
            v.Add(absl::StrCat(field, ".attendance"), "is required: present, excused or absent");
          }
          std::string reason = validate::CleanField(m.reason(), absl::StrCat(field, ".reason"),
                                                    {.max_characters = 100, .required = false}, v);
          if (m.attendance() == v1::ATTENDANCE_EXCUSED && reason.empty()) {
            v.Add(absl::StrCat(field, ".reason"), "is required when excused");
          }
        }
        std::vector<int> unmarked;
        for (const auto& [number, x] : by_number) {
          if (x->state() == v1::PARTICIPANT_STATE_ENROLLED && !marked.count(number)) unmarked.push_back(number);
        }
        if (!unmarked.empty()) {
          std::vector<int> shown(unmarked.begin(), unmarked.begin() + std::min<size_t>(unmarked.size(), 10));
          v.Add("marks",
                absl::StrCat(unmarked.size(), " enrolled participants have no mark (", absl::StrJoin(shown, ", "),
                             unmarked.size() > shown.size() ? ", …" : "", "): a sheet marks everyone enrolled"));
        }
        RETURN_IF_ERROR(v.ToStatus());
        int present = 0, excused = 0, absent = 0;
        for (const v1::AttendanceMark& m : req->marks()) {
          v1::Participant* x = by_number[m.number()];
          (*x->mutable_attendance())[session->id()] = m.attendance();
          if (m.attendance() == v1::ATTENDANCE_PRESENT) ++present;
          if (m.attendance() == v1::ATTENDANCE_EXCUSED) ++excused;
          if (m.attendance() == v1::ATTENDANCE_ABSENT) ++absent;
          d_.training->PutParticipant(&tx.batch, *x);
        }
        bool replaced = session->attendance_recorded();
        session->set_attendance_recorded(true);
        d_.training->PutSession(&tx.batch, *session);
        v1::AttendanceRecorded e;
        e.set_programme_id(p.id());
        e.set_session_id(session->id());
        e.set_present(present);
        e.set_excused(excused);
        e.set_absent(absent);
        e.set_replaced(replaced);
        ProgrammeEvent(p, e, "", p.region_code(), req->request_id(), tx);
        d_.training->PutProgramme(&tx.batch, p, false);
        resp->set_present(present);
        resp->set_excused(excused);
        resp->set_absent(absent);
        resp->set_replaced(replaced);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* TrainingService::CompleteProgramme(grpc::CallbackServerContext* ctx,
                                                             const v1::CompleteProgrammeRequest* req,
                                                             v1::CompleteProgrammeResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"CompleteProgramme", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({ProgrammeKey(req->programme_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(v1::Programme p, LoadProgramme(req->programme_id()));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, p.region_code()));
        RETURN_IF_ERROR(CheckOpen(p));
        RETURN_IF_ERROR(domain::CheckEnded(p, Today()));
        ASSIGN_OR_RETURN(auto sessions, d_.training->Sessions(p.id()));
        int held = static_cast<int>(std::count_if(sessions.begin(), sessions.end(),
                                                  [](const v1::Session& s) { return s.attendance_recorded(); }));
        ASSIGN_OR_RETURN(auto participants, d_.training->Participants(p.id()));
        const std::string prefix = absl::StrCat("PX", p.region_code().substr(0, 6), "-", StoredDay(p.ends_on()).year(),
                                                "-", p.id().substr(p.id().size() - 6));
        int completed = 0, not_completed = 0;
        for (auto& x : participants) {
          if (x.state() != v1::PARTICIPANT_STATE_ENROLLED) continue;
          RETURN_IF_ERROR(domain::Complete(p, held, Today(), prefix, x));
          bool done = x.state() == v1::PARTICIPANT_STATE_COMPLETED;
          (done ? completed : not_completed)++;
          v1::TrainingCompleted e;
          e.set_programme_id(p.id());
          e.set_number(x.number());
          e.set_registered(!x.beneficiary_id().empty());
          e.set_completed(done);
          e.set_attendance_rate_bp(x.attendance_rate_bp());
          e.set_certificate_number(x.certificate_number());
          e.set_kind(p.kind());
          e.set_programme_region_code(p.region_code());
          e.set_title(p.title());
          ProgrammeEvent(p, e, x.beneficiary_id(), RegionOf(p, x), req->request_id(), tx);
          d_.training->PutParticipant(&tx.batch, x);
          *resp->add_participants() = std::move(x);
        }
        p.set_completed(true);
        d_.training->PutProgramme(&tx.batch, p, false);
        resp->set_completed(completed);
        resp->set_not_completed(not_completed);
        return absl::OkStatus();
      });
}

// --- jobs ---

grpc::ServerUnaryReactor* TrainingService::PostJob(grpc::CallbackServerContext* ctx, const v1::PostJobRequest* req,
                                                   v1::PostJobResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"PostJob", req->request_id(), *req, resp}, [] { return rpc::LockScope(); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        FieldViolations v;
        v1::JobPosting p = domain::PostingFrom(req->posting(), d_.job_categories, v);
        if (req->posting().region_code().empty()) {
          v.Add("posting.region_code", "is required (where the work is)");
        } else {
          v.Check("posting.region_code", validate::CheckRegionPrefix(*d_.regions, req->posting().region_code()));
        }
        RETURN_IF_ERROR(v.ToStatus());
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, p.region_code()));
        p.set_id(d_.ids->Next());
        p.set_version(1);
        v1::JobPosted e;
        e.set_posting_id(p.id());
        e.set_category(p.category());
        e.set_positions(p.positions());
        e.set_kind(p.kind());
        e.set_wage_min_fen(p.wage_min_fen());
        e.set_wage_max_fen(p.wage_max_fen());
        e.set_employer(p.employer());
        tx.events.push_back(events_.Make({p.id(), p.version(), "", p.region_code()}, e, req->request_id()));
        d_.training->PutPosting(&tx.batch, p, true);
        *resp->mutable_posting() = std::move(p);
        return absl::OkStatus();
      });
}

grpc::Status TrainingService::ListJobs(grpc::ServerContext* ctx, const v1::ListJobsRequest* req,
                                       v1::ListJobsResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    if (!v1::JobKind_IsValid(req->kind())) {
      return FieldError(absl::StatusCode::kInvalidArgument, "kind", "is not a job kind");
    }
    return rpc::ListPage(
        *d_.pages, *d_.regions, who,
        {"ListJobs",
         req->region_prefix(),
         {absl::StrCat("kind=", req->kind()), absl::StrCat("open=", req->open_only())},
         req->page(),
         kPageLimits},
        [&](const std::string& scope, const std::string& after) { return d_.training->ScanPostings(scope, after); },
        [&](const std::string& key) -> absl::StatusOr<bool> {
          ASSIGN_OR_RETURN(auto p, d_.training->GetPosting(store::TrainingStore::IdOf(key)));
          if (!p) return false;
          if (req->kind() != v1::JOB_KIND_UNSPECIFIED && p->kind() != req->kind()) return false;
          if (req->open_only() && (p->closed() || p->placed() >= p->positions())) return false;
          *resp->add_postings() = *std::move(p);
          return true;
        },
        resp->mutable_next_page_token());
  });
}

grpc::ServerUnaryReactor* TrainingService::ClosePosting(grpc::CallbackServerContext* ctx,
                                                        const v1::ClosePostingRequest* req,
                                                        v1::ClosePostingResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"ClosePosting", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({PostingKey(req->posting_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(v1::JobPosting p, LoadPosting(req->posting_id()));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, p.region_code()));
        FieldViolations v;
        std::string reason =
            validate::CleanField(req->reason(), "reason", {.max_characters = 200, .required = true}, v);
        RETURN_IF_ERROR(v.ToStatus());
        if (p.closed()) {
          return FieldError(absl::StatusCode::kFailedPrecondition, "posting_id",
                            absl::StrCat("posting ", p.id(), " is closed already (", p.closed_reason(), ")"));
        }
        p.set_closed(true);
        p.set_closed_reason(reason);
        p.set_version(p.version() + 1);
        v1::JobPostingClosed e;
        e.set_posting_id(p.id());
        e.set_positions_open(std::max(0, p.positions() - p.placed()));
        e.set_reason(reason);
        tx.events.push_back(events_.Make({p.id(), p.version(), "", p.region_code()}, e, req->request_id()));
        d_.training->PutPosting(&tx.batch, p, false);
        *resp->mutable_posting() = std::move(p);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* TrainingService::RecordPlacement(grpc::CallbackServerContext* ctx,
                                                           const v1::RecordPlacementRequest* req,
                                                           v1::RecordPlacementResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RecordPlacement", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({PostingKey(req->posting_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(v1::JobPosting posting, LoadPosting(req->posting_id()));
        ASSIGN_OR_RETURN(replica::v1::RegistryFacts woman, Registered(req->beneficiary_id()));
        // The cadre who follows her records her job, wherever the work is.
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, woman.region_code()));
        FieldViolations v;
        absl::CivilDay on = validate::DateOrToday(req->starts_on(), req->has_starts_on(), Today(), "starts_on", v);
        RETURN_IF_ERROR(v.ToStatus());
        RETURN_IF_ERROR(domain::CheckWorker(woman, on, "beneficiary_id"));
        ASSIGN_OR_RETURN(auto hers, d_.training->PlacementsOf(woman.beneficiary_id()));
        bool active_here = std::any_of(hers.begin(), hers.end(), [&](const v1::Placement& x) {
          return x.posting_id() == posting.id() && !x.has_ended_on();
        });
        RETURN_IF_ERROR(domain::CheckPlacement(posting, active_here));
        v1::Placement pl;
        pl.set_id(d_.ids->Next());
        pl.set_posting_id(posting.id());
        pl.set_beneficiary_id(woman.beneficiary_id());
        *pl.mutable_starts_on() = ToProto(on);
        posting.set_placed(posting.placed() + 1);
        posting.set_version(posting.version() + 1);
        v1::PlacementRecorded e;
        e.set_placement_id(pl.id());
        e.set_posting_id(posting.id());
        e.set_kind(posting.kind());
        *e.mutable_starts_on() = pl.starts_on();
        e.set_posting_region_code(posting.region_code());
        e.set_employer(posting.employer());
        e.set_category(posting.category());
        tx.events.push_back(events_.Make({posting.id(), posting.version(), woman.beneficiary_id(), woman.region_code()},
                                         e, req->request_id()));
        d_.training->PutPlacement(&tx.batch, pl);
        d_.training->PutPosting(&tx.batch, posting, false);
        *resp->mutable_placement() = std::move(pl);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* TrainingService::EndPlacement(grpc::CallbackServerContext* ctx,
                                                        const v1::EndPlacementRequest* req,
                                                        v1::EndPlacementResponse* resp) {
  // The placement names its posting; both are read under the posting's lock.
  auto posting_of = [this](const std::string& placement_id) {
    auto pl = d_.training->GetPlacement(placement_id);
    return pl.ok() && *pl ? (*pl)->posting_id() : placement_id;
  };
  return d_.writes->Mutate(
      ctx, {"EndPlacement", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({PostingKey(posting_of(req->placement_id()))}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        if (req->placement_id().empty()) return Required("placement_id");
        ASSIGN_OR_RETURN(auto stored, d_.training->GetPlacement(req->placement_id()));
        if (!stored) {
          return FieldError(absl::StatusCode::kNotFound, "placement_id",
                            absl::StrCat("no placement ", req->placement_id()));
        }
        v1::Placement pl = *std::move(stored);
        ASSIGN_OR_RETURN(v1::JobPosting posting, LoadPosting(pl.posting_id()));
        auto woman = d_.registry->Lookup(pl.beneficiary_id());
        std::string region = woman.ok() ? woman->region_code() : posting.region_code();
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, region));
        if (pl.has_ended_on()) {
          return FieldError(absl::StatusCode::kFailedPrecondition, "placement_id",
                            absl::StrCat("ended on ", FormatCivilDate(StoredDay(pl.ended_on())), " already"));
        }
        FieldViolations v;
        absl::CivilDay on = validate::DateOrToday(req->ended_on(), req->has_ended_on(), Today(), "ended_on", v);
        std::string reason =
            validate::CleanField(req->reason(), "reason", {.max_characters = 200, .required = true}, v);
        if (on < StoredDay(pl.starts_on())) {
          v.Add("ended_on",
                absl::StrCat("is before the placement started, ", FormatCivilDate(StoredDay(pl.starts_on()))));
        }
        RETURN_IF_ERROR(v.ToStatus());
        *pl.mutable_ended_on() = ToProto(on);
        pl.set_end_reason(reason);
        posting.set_placed(std::max(0, posting.placed() - 1));
        posting.set_version(posting.version() + 1);
        v1::PlacementEnded e;
        e.set_placement_id(pl.id());
        e.set_posting_id(posting.id());
        e.set_kind(posting.kind());
        *e.mutable_ended_on() = pl.ended_on();
        e.set_reason(reason);
        e.set_posting_region_code(posting.region_code());
        e.set_position_reopened(!posting.closed());
        tx.events.push_back(
            events_.Make({posting.id(), posting.version(), pl.beneficiary_id(), region}, e, req->request_id()));
        d_.training->PutPlacement(&tx.batch, pl);
        d_.training->PutPosting(&tx.batch, posting, false);
        *resp->mutable_placement() = std::move(pl);
        return absl::OkStatus();
      });
}

// --- 春蕾 student aid ---

grpc::ServerUnaryReactor* TrainingService::CreateAidFund(grpc::CallbackServerContext* ctx,
                                                         const v1::CreateAidFundRequest* req,
                                                         v1::CreateAidFundResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"CreateAidFund", req->request_id(), *req, resp}, [] { return rpc::LockScope(); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        FieldViolations v;
        v1::AidFund f;
        f.set_name(validate::CleanField(req->fund().name(), "fund.name", {.max_characters = 100, .required = true}, v));
        f.set_donor(
            validate::CleanField(req->fund().donor(), "fund.donor", {.max_characters = 100, .required = true}, v));
        if (req->fund().raised_fen() <= 0) v.Add("fund.raised_fen", "must be more than 0 fen");
        if (req->fund().region_code().empty()) {
          v.Add("fund.region_code", "is required (the federation that manages the fund)");
        } else {
          v.Check("fund.region_code", validate::CheckRegionPrefix(*d_.regions, req->fund().region_code()));
        }
        RETURN_IF_ERROR(v.ToStatus());
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, req->fund().region_code()));
        f.set_id(d_.ids->Next());
        f.set_raised_fen(req->fund().raised_fen());
        f.set_region_code(req->fund().region_code());
        f.set_version(1);
        v1::AidFundCreated e;
        e.set_fund_id(f.id());
        e.set_donor(f.donor());
        e.set_raised_fen(f.raised_fen());
        e.set_name(f.name());
        tx.events.push_back(events_.Make({f.id(), f.version(), "", f.region_code()}, e, req->request_id()));
        d_.training->PutFund(&tx.batch, f);
        *resp->mutable_fund() = std::move(f);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* TrainingService::GrantStudentAid(grpc::CallbackServerContext* ctx,
                                                           const v1::GrantStudentAidRequest* req,
                                                           v1::GrantStudentAidResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"GrantStudentAid", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({FundKey(req->fund_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(v1::AidFund fund, LoadFund(req->fund_id()));
        auto year = domain::ParseSchoolYear(req->school_year());
        if (!year.ok()) return FieldError(absl::StatusCode::kInvalidArgument, "school_year", year.status().message());
        ASSIGN_OR_RETURN(replica::v1::RegistryFacts child, Registered(req->beneficiary_id()));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, child.region_code()));
        if (!absl::StartsWith(child.region_code(), fund.region_code())) {
          return FieldError(absl::StatusCode::kFailedPrecondition, "beneficiary_id",
                            absl::StrCat("lives in ", child.region_code(), ", outside fund ", fund.name(), "'s region ",
                                         fund.region_code()));
        }
        ASSIGN_OR_RETURN(auto earlier, d_.training->GrantsOf(child.beneficiary_id()));
        RETURN_IF_ERROR(domain::CheckAidGrant(child, fund, *year, req->amount_fen(), earlier));
        v1::AidGrant g;
        g.set_id(d_.ids->Next());
        g.set_fund_id(fund.id());
        g.set_beneficiary_id(child.beneficiary_id());
        g.set_school_year(*year);
        g.set_school_stage(child.school_stage());
        g.set_amount_fen(req->amount_fen());
        fund.set_granted_fen(fund.granted_fen() + g.amount_fen());
        fund.set_version(fund.version() + 1);
        v1::StudentAidGranted e;
        e.set_grant_id(g.id());
        e.set_fund_id(fund.id());
        e.set_school_year(g.school_year());
        e.set_amount_fen(g.amount_fen());
        e.set_fund_name(fund.name());
        e.set_school_stage(g.school_stage());
        tx.events.push_back(events_.Make({fund.id(), fund.version(), child.beneficiary_id(), child.region_code()}, e,
                                         req->request_id()));
        d_.training->PutGrant(&tx.batch, g);
        d_.training->PutFund(&tx.batch, fund);
        *resp->mutable_grant() = std::move(g);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* TrainingService::RecordAidPaid(grpc::CallbackServerContext* ctx,
                                                         const v1::RecordAidPaidRequest* req,
                                                         v1::RecordAidPaidResponse* resp) {
  auto fund_of = [this](const std::string& grant_id) {
    auto g = d_.training->GetGrant(grant_id);
    return g.ok() && *g ? (*g)->fund_id() : grant_id;
  };
  return d_.writes->Mutate(
      ctx, {"RecordAidPaid", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({FundKey(fund_of(req->grant_id()))}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        if (req->grant_id().empty()) return Required("grant_id");
        ASSIGN_OR_RETURN(auto stored, d_.training->GetGrant(req->grant_id()));
        if (!stored) {
          return FieldError(absl::StatusCode::kNotFound, "grant_id", absl::StrCat("no aid grant ", req->grant_id()));
        }
        v1::AidGrant g = *std::move(stored);
        ASSIGN_OR_RETURN(v1::AidFund fund, LoadFund(g.fund_id()));
        auto child = d_.registry->Lookup(g.beneficiary_id());
        std::string region = child.ok() ? child->region_code() : fund.region_code();
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, region));
        if (g.paid()) {
          return FieldError(absl::StatusCode::kFailedPrecondition, "grant_id",
                            absl::StrCat("was paid on ", FormatCivilDate(StoredDay(g.paid_on())), " already"));
        }
        FieldViolations v;
        absl::CivilDay on = validate::DateOrToday(req->paid_on(), req->has_paid_on(), Today(), "paid_on", v);
        RETURN_IF_ERROR(v.ToStatus());
        g.set_paid(true);
        *g.mutable_paid_on() = ToProto(on);
        fund.set_version(fund.version() + 1);
        v1::StudentAidPaid e;
        e.set_grant_id(g.id());
        e.set_school_year(g.school_year());
        e.set_amount_fen(g.amount_fen());
        *e.mutable_paid_on() = g.paid_on();
        e.set_fund_id(fund.id());
        tx.events.push_back(
            events_.Make({fund.id(), fund.version(), g.beneficiary_id(), region}, e, req->request_id()));
        d_.training->PutGrant(&tx.batch, g);
        d_.training->PutFund(&tx.batch, fund);
        *resp->mutable_grant() = std::move(g);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* TrainingService::PairDonor(grpc::CallbackServerContext* ctx, const v1::PairDonorRequest* req,
                                                     v1::PairDonorResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"PairDonor", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({FundKey(req->fund_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(v1::AidFund fund, LoadFund(req->fund_id()));
        ASSIGN_OR_RETURN(replica::v1::RegistryFacts child, Registered(req->beneficiary_id()));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, child.region_code()));
        if (child.category() != registration::v1::CATEGORY_CHILD) {
          return FieldError(absl::StatusCode::kFailedPrecondition, "beneficiary_id",
                            "is not a registered child; donors are paired with students");
        }
        ASSIGN_OR_RETURN(bool paired, d_.training->DonorPaired(fund.id(), child.beneficiary_id()));
        if (paired) {
          return FieldError(absl::StatusCode::kAlreadyExists, "beneficiary_id",
                            absl::StrCat("is paired with ", fund.donor(), " of fund ", fund.name(), " already"));
        }
        fund.set_version(fund.version() + 1);
        v1::DonorPaired e;
        e.set_fund_id(fund.id());
        e.set_donor(fund.donor());
        tx.events.push_back(events_.Make({fund.id(), fund.version(), child.beneficiary_id(), child.region_code()}, e,
                                         req->request_id()));
        d_.training->PutDonorPair(&tx.batch, fund.id(), child.beneficiary_id());
        d_.training->PutFund(&tx.batch, fund);
        resp->set_fund_id(fund.id());
        resp->set_beneficiary_id(child.beneficiary_id());
        return absl::OkStatus();
      });
}

grpc::Status TrainingService::ListStudentAid(grpc::ServerContext* ctx, const v1::ListStudentAidRequest* req,
                                             v1::ListStudentAidResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    if (req->beneficiary_id().empty()) return Required("beneficiary_id");
    ASSIGN_OR_RETURN(replica::v1::RegistryFacts child, d_.registry->Lookup(req->beneficiary_id()));
    RETURN_IF_ERROR(rpc::Authorize(who, Role::kViewer, child.region_code()));
    ASSIGN_OR_RETURN(auto grants, d_.training->GrantsOf(child.beneficiary_id()));
    std::sort(grants.begin(), grants.end(), [](const v1::AidGrant& a, const v1::AidGrant& b) {
      return std::make_pair(a.school_year(), a.id()) < std::make_pair(b.school_year(), b.id());
    });
    for (auto& g : grants) *resp->add_grants() = std::move(g);
    // A child's aid is a child's data: every read is recorded.
    d_.writes->AuditRead(*ctx, who, "ListStudentAid", {child.beneficiary_id()}, child.region_code());
    return absl::OkStatus();
  });
}

}  // namespace jinguo::training::api
