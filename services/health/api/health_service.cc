#include "services/health/api/health_service.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/base/civil_date.h"
#include "common/base/status.h"
#include "common/base/timestamp.h"
#include "common/rpc/status.h"
#include "common/validate/field_violations.h"
#include "common/validate/fields.h"
#include "common/validate/region_code.h"
#include "common/validate/text.h"
#include "jinguo/health/v1/events.pb.h"
#include "services/health/domain/insurance_rules.h"
#include "services/health/domain/relief_rules.h"
#include "spdlog/spdlog.h"

namespace jinguo::health::api {

using rpc::Role;
using validate::FieldViolations;

namespace {

constexpr rpc::PageLimits kPageLimits{50, 500};
// Cases marked overdue per committed chunk of a sweep (each chunk holds every lock while it is decided).
constexpr size_t kSweepChunk = 5000;

// A screening as a caller who may not read results sees it: that it happened, when, of what kind.
v1::Screening WithoutResult(v1::Screening s) {
  s.clear_result();
  s.clear_abnormal();
  s.clear_follow_up_case_id();
  // Its next due date and whether it was early are unset after an abnormal result: they would tell.
  s.clear_next_due_on();
  s.clear_early();
  return s;
}

}  // namespace

HealthService::HealthService(Dependencies deps) : d_(deps), events_("health", *deps.clock, *deps.ids) {}

HealthService::~HealthService() {
  {
    std::lock_guard<std::mutex> l(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

absl::CivilDay HealthService::Today() const { return ChinaDay(d_.clock->Now()); }

absl::StatusOr<replica::v1::RegistryFacts> HealthService::Person(const std::string& beneficiary_id) const {
  if (beneficiary_id.empty()) {
    return validate::FieldError(absl::StatusCode::kInvalidArgument, "beneficiary_id", "is required");
  }
  return d_.registry->Lookup(beneficiary_id);
}

absl::StatusOr<v1::InsurancePolicy> HealthService::LoadPolicy(const std::string& policy_id) const {
  if (policy_id.empty()) return validate::FieldError(absl::StatusCode::kInvalidArgument, "policy_id", "is required");
  ASSIGN_OR_RETURN(auto policy, d_.health->GetPolicy(policy_id));
  if (!policy) {
    return validate::FieldError(absl::StatusCode::kNotFound, "policy_id",
                                absl::StrCat("no insurance policy ", policy_id));
  }
  return *std::move(policy);
}

std::string HealthService::WomanKey(const std::string& beneficiary_id) const {
  // A merged id and its survivor are one woman: both lock the survivor, so her claims, enrolments and relief are
  // decided one at a time whichever id a caller names. An id the registry cannot resolve now locks as given (the
  // decision then refuses it).
  auto facts = d_.registry->Lookup(beneficiary_id);
  return absl::StrCat("woman:", facts.ok() ? facts->beneficiary_id() : beneficiary_id);
}

grpc::ServerUnaryReactor* HealthService::RecordScreening(grpc::CallbackServerContext* ctx,
                                                         const v1::RecordScreeningRequest* req,
                                                         v1::RecordScreeningResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RecordScreening", req->request_id(), *req, resp, Role::kViewer},
      [&] { return rpc::LockScope::Keys({WomanKey(req->beneficiary_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(replica::v1::RegistryFacts woman, Person(req->beneficiary_id()));
        RETURN_IF_ERROR(rpc::AuthorizeHealthResults(who, woman.region_code()));
        FieldViolations v;
        absl::CivilDay on =
            validate::DateOrToday(req->screened_on(), req->has_screened_on(), Today(), "screened_on", v);
        std::string facility =
            validate::CleanField(req->facility(), "facility", {.max_characters = 100, .required = true}, v);
        auto born = FromProto(woman.birth_date());
        domain::CheckScreening(req->kind(), req->method(), req->result(), on, born.ok() ? *born : on, v);
        RETURN_IF_ERROR(v.ToStatus());
        RETURN_IF_ERROR(domain::CheckEligible(woman, on, d_.settings, "beneficiary_id"));

        // Early: before the next due date her latest screening of this kind set.
        ASSIGN_OR_RETURN(std::vector<v1::Screening> history, d_.health->ScreeningsOf(woman.beneficiary_id()));
        bool early = false;
        for (const v1::Screening& earlier : history) {
          if (earlier.kind() != req->kind() || StoredDay(earlier.screened_on()) > on) continue;
          early = earlier.has_next_due_on() && on < StoredDay(earlier.next_due_on());
          break;
        }
        v1::Screening s;
        s.set_id(d_.ids->Next());
        s.set_beneficiary_id(woman.beneficiary_id());
        s.set_region_code(woman.region_code());
        s.set_kind(req->kind());
        s.set_method(req->method());
        *s.mutable_screened_on() = ToProto(on);
        s.set_facility(facility);
        *s.mutable_result() = req->result();
        s.set_abnormal(domain::IsAbnormal(req->method(), req->result()));
        s.set_early(early);
        if (auto next = domain::NextDue(req->method(), req->result(), on, d_.settings)) {
          *s.mutable_next_due_on() = ToProto(*next);
        }
        std::optional<v1::FollowUpCase> opened;
        if (s.abnormal()) {
          opened = domain::OpenCase(d_.ids->Next(), s, on, d_.settings);
          s.set_follow_up_case_id(opened->id());
        }
        d_.health->PutScreening(&tx.batch, s);
        v1::ScreeningRecorded recorded;
        recorded.set_screening_id(s.id());
        recorded.set_beneficiary_id(s.beneficiary_id());
        recorded.set_kind(s.kind());
        recorded.set_method(s.method());
        *recorded.mutable_screened_on() = s.screened_on();
        recorded.set_early(s.early());
        if (s.has_next_due_on()) *recorded.mutable_next_due_on() = s.next_due_on();
        tx.events.push_back(
            events_.Make({s.id(), 1, s.beneficiary_id(), s.region_code()}, recorded, req->request_id()));
        if (opened) {
          d_.health->PutCase(&tx.batch, *opened, nullptr);
          v1::FollowUpScheduled scheduled;
          scheduled.set_case_id(opened->id());
          scheduled.set_beneficiary_id(opened->beneficiary_id());
          scheduled.set_kind(opened->kind());
          scheduled.set_stage(opened->stages(0).stage());
          *scheduled.mutable_due_on() = opened->stages(0).due_on();
          scheduled.set_case_opened(true);
          tx.events.push_back(
              events_.Make({opened->id(), opened->version(), opened->beneficiary_id(), opened->region_code()},
                           scheduled, req->request_id()));
          *resp->mutable_follow_up() = *opened;
        }
        *resp->mutable_screening() = s;
        return absl::OkStatus();
      });
}

grpc::Status HealthService::ListScreenings(grpc::ServerContext* ctx, const v1::ListScreeningsRequest* req,
                                           v1::ListScreeningsResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    ASSIGN_OR_RETURN(replica::v1::RegistryFacts woman, Person(req->beneficiary_id()));
    // Operators see that screenings happened; viewers see counts in reporting only.
    RETURN_IF_ERROR(rpc::Authorize(who, Role::kViewer, woman.region_code()));
    bool results = who.SeesHealthResults();
    if (!results && who.role == Role::kViewer) {
      return absl::PermissionDeniedError(
          absl::StrCat(who.name, " is a viewer; screenings are counted in reporting, not listed per woman"));
    }
    ASSIGN_OR_RETURN(std::vector<v1::Screening> history, d_.health->ScreeningsOf(woman.beneficiary_id()));
    for (auto& s : history) *resp->add_screenings() = results ? std::move(s) : WithoutResult(std::move(s));
    if (results) d_.writes->AuditRead(*ctx, who, "ListScreenings", {woman.beneficiary_id()}, woman.region_code());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* HealthService::RecordFollowUp(grpc::CallbackServerContext* ctx,
                                                        const v1::RecordFollowUpRequest* req,
                                                        v1::RecordFollowUpResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RecordFollowUp", req->request_id(), *req, resp, Role::kViewer},
      [&] { return rpc::LockScope::Keys({absl::StrCat("case:", req->case_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        if (req->case_id().empty()) {
          return validate::FieldError(absl::StatusCode::kInvalidArgument, "case_id", "is required");
        }
        ASSIGN_OR_RETURN(auto stored, d_.health->GetCase(req->case_id()));
        if (!stored) {
          return validate::FieldError(absl::StatusCode::kNotFound, "case_id",
                                      absl::StrCat("no follow-up case ", req->case_id()));
        }
        RETURN_IF_ERROR(rpc::AuthorizeHealthResults(who, stored->region_code()));
        FieldViolations v;
        absl::CivilDay on = validate::DateOrToday(req->done_on(), req->has_done_on(), Today(), "done_on", v);
        std::string facility =
            validate::CleanField(req->facility(), "facility", {.max_characters = 100, .required = false}, v);
        std::string lost =
            validate::CleanField(req->lost_reason(), "lost_reason", {.max_characters = 500, .required = false}, v);
        if (req->stage() == v1::FOLLOW_UP_STAGE_UNSPECIFIED || !v1::FollowUpStage_IsValid(req->stage())) {
          v.Add("stage", "is required: the stage recorded");
        }
        bool has_result = req->has_result() && req->result().result_case() != v1::TestResult::RESULT_NOT_SET;
        if (has_result && !lost.empty()) v.Add("lost_reason", "is given only when there is no result");
        if (!has_result && lost.empty()) {
          v.Add("result", "is required (or lost_reason, when she was lost to follow-up)");
        }
        RETURN_IF_ERROR(v.ToStatus());
        v1::FollowUpCase c = *stored;
        if (has_result) {
          RETURN_IF_ERROR(domain::RecordStage(c, req->stage(), on, req->result(), facility, d_.settings));
        } else {
          RETURN_IF_ERROR(domain::RecordLost(c, req->stage(), on, lost));
        }
        // Each event of the case carries a version of its own (consumers skip a version they have seen): the
        // record is version v, the next stage or the confirmed cancer v + 1, and the case is stored at the last.
        outbox::EventSubject subject{c.id(), c.version(), c.beneficiary_id(), c.region_code()};
        auto next_version = [&] {
          c.set_version(c.version() + 1);
          subject.aggregate_version = c.version();
        };
        v1::FollowUpRecorded recorded;
        recorded.set_case_id(c.id());
        recorded.set_beneficiary_id(c.beneficiary_id());
        recorded.set_kind(c.kind());
        recorded.set_stage(req->stage());
        recorded.set_status(has_result ? v1::STAGE_STATUS_DONE : v1::STAGE_STATUS_LOST);
        *recorded.mutable_recorded_on() = ToProto(on);
        recorded.set_case_closed(c.state() == v1::CASE_STATE_CLOSED);
        if (c.diagnosis() != v1::DIAGNOSIS_UNSPECIFIED) recorded.set_finding(domain::FindingOf(c.diagnosis()));
        tx.events.push_back(events_.Make(subject, recorded, req->request_id()));
        if (c.state() == v1::CASE_STATE_OPEN) {
          const v1::StageRecord* next = domain::CurrentStage(c);
          v1::FollowUpScheduled scheduled;
          scheduled.set_case_id(c.id());
          scheduled.set_beneficiary_id(c.beneficiary_id());
          scheduled.set_kind(c.kind());
          scheduled.set_stage(next->stage());
          *scheduled.mutable_due_on() = next->due_on();
          next_version();
          tx.events.push_back(events_.Make(subject, scheduled, req->request_id()));
        } else if (domain::IsCancer(c.diagnosis())) {
          v1::CancerConfirmed confirmed;
          confirmed.set_case_id(c.id());
          confirmed.set_beneficiary_id(c.beneficiary_id());
          confirmed.set_kind(c.kind());
          *confirmed.mutable_diagnosed_on() = ToProto(on);
          next_version();
          tx.events.push_back(events_.Make(subject, confirmed, req->request_id()));
        }
        d_.health->PutCase(&tx.batch, c, &*stored);
        *resp->mutable_follow_up() = c;
        return absl::OkStatus();
      });
}

grpc::Status HealthService::GetFollowUp(grpc::ServerContext* ctx, const v1::GetFollowUpRequest* req,
                                        v1::GetFollowUpResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    if (req->case_id().empty()) {
      return validate::FieldError(absl::StatusCode::kInvalidArgument, "case_id", "is required");
    }
    ASSIGN_OR_RETURN(auto c, d_.health->GetCase(req->case_id()));
    if (!c) {
      return validate::FieldError(absl::StatusCode::kNotFound, "case_id",
                                  absl::StrCat("no follow-up case ", req->case_id()));
    }
    RETURN_IF_ERROR(rpc::AuthorizeHealthResults(who, c->region_code()));
    d_.writes->AuditRead(*ctx, who, "GetFollowUp", {c->id(), c->beneficiary_id()}, c->region_code());
    *resp->mutable_follow_up() = *std::move(c);
    return absl::OkStatus();
  });
}

grpc::Status HealthService::ListFollowUps(grpc::ServerContext* ctx, const v1::ListFollowUpsRequest* req,
                                          v1::ListFollowUpsResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    auto scope = rpc::ReadScope(who, *d_.regions, req->region_prefix());
    if (!scope.ok()) return scope.status();
    RETURN_IF_ERROR(rpc::AuthorizeHealthResults(who, *scope));
    FieldViolations v;
    if (!v1::StageStatus_IsValid(req->status())) v.Add("status", "unknown stage status");
    if (req->overdue_only() && req->status() != v1::STAGE_STATUS_UNSPECIFIED &&
        req->status() != v1::STAGE_STATUS_OVERDUE) {
      v.Add("overdue_only", "contradicts status; give one of them");
    }
    int page_size = rpc::PageSize(req->page().page_size(), kPageLimits, "page.page_size", v);
    v1::StageStatus wanted = req->overdue_only() ? v1::STAGE_STATUS_OVERDUE : req->status();
    rpc::PageQuery query{"ListFollowUps", who.region_scope, *scope, {absl::StrCat("status=", wanted)}};
    auto after = d_.pages->Resume(query, req->page().page_token(), "page.page_token");
    if (!after.ok()) v.Merge(after.status());
    RETURN_IF_ERROR(v.ToStatus());
    auto it = d_.health->ScanCases(*scope, *after);
    std::vector<std::string> targets;
    std::string last;
    for (; it->Valid(); it->Next()) {
      std::string key = it->key().ToString();
      if (resp->follow_ups_size() >= page_size) {
        resp->set_next_page_token(d_.pages->Issue(query, last));
        break;
      }
      last = key;
      ASSIGN_OR_RETURN(auto c, d_.health->GetCase(store::HealthStore::CaseIdOf(key)));
      if (!c || !who.Covers(c->region_code())) continue;
      const v1::StageRecord* current = domain::CurrentStage(*c);
      v1::StageStatus status = current ? current->status() : v1::STAGE_STATUS_UNSPECIFIED;
      bool keep = wanted == v1::STAGE_STATUS_UNSPECIFIED ? c->state() == v1::CASE_STATE_OPEN : status == wanted;
      if (!keep) continue;
      targets.push_back(c->id());
      *resp->add_follow_ups() = *std::move(c);
    }
    RETURN_IF_ERROR(jinguo::store::FromRocks(it->status(), "list follow-up cases"));
    if (!targets.empty()) d_.writes->AuditRead(*ctx, who, "ListFollowUps", std::move(targets), *scope);
    return absl::OkStatus();
  });
}

grpc::Status HealthService::RunDailySweep(grpc::ServerContext* ctx, const v1::RunDailySweepRequest* req,
                                          v1::RunDailySweepResponse* resp) {
  auto who = d_.writes->Admit(*ctx, Role::kAdmin);
  if (!who.ok()) return rpc::ToGrpcStatus(who.status());
  FieldViolations v;
  absl::CivilDay date =
      validate::DateOrToday(req->business_date(), req->has_business_date(), Today(), "business_date", v);
  if (!v.empty()) return rpc::ToGrpcStatus(v.ToStatus());
  auto marked = Sweep(date, who->name, ctx->peer());
  if (!marked.ok()) return rpc::ToGrpcStatus(marked.status());
  resp->set_marked_overdue(*marked);
  *resp->mutable_swept_through() = ToProto(date);
  return grpc::Status::OK;
}

absl::StatusOr<int64_t> HealthService::Sweep(absl::CivilDay business_date, const std::string& principal,
                                             const std::string& client_address) {
  std::lock_guard<std::mutex> one_at_a_time(sweep_mu_);
  int64_t marked = 0;
  // Each chunk starts after the last index key of the one before. A stage scheduled between chunks with a due
  // date before that key (a back-dated follow-up) is left to the next sweep.
  std::string resume;
  for (;;) {
    KeyedMutex::Held everything = d_.writes->locks().LockEverything();
    ASSIGN_OR_RETURN(std::vector<store::HealthStore::Due> due,
                     d_.health->DueBefore(business_date, kSweepChunk, resume));
    if (!due.empty()) resume = due.back().key;
    rpc::Tx tx;
    for (const store::HealthStore::Due& entry : due) {
      ASSIGN_OR_RETURN(auto stored, d_.health->GetCase(entry.case_id));
      if (!stored || !domain::IsOverdue(*stored, business_date)) {
        d_.health->DropDue(&tx.batch, entry.key);  // an entry its case no longer matches: never seen again
        continue;
      }
      v1::FollowUpCase c = *stored;
      domain::MarkOverdue(c);
      d_.health->PutCase(&tx.batch, c, &*stored);
      const v1::StageRecord* s = domain::CurrentStage(c);
      v1::FollowUpOverdue overdue;
      overdue.set_case_id(c.id());
      overdue.set_beneficiary_id(c.beneficiary_id());
      overdue.set_stage(s->stage());
      *overdue.mutable_due_on() = s->due_on();
      *overdue.mutable_business_date() = ToProto(business_date);
      tx.events.push_back(events_.Make({c.id(), c.version(), c.beneficiary_id(), c.region_code()}, overdue, ""));
      ++marked;
    }
    bool last = due.size() < kSweepChunk;
    if (last) {
      ASSIGN_OR_RETURN(auto swept, d_.health->SweptThrough());
      if (!swept || *swept < business_date) d_.health->PutSweptThrough(&tx.batch, business_date);
    }
    RETURN_IF_ERROR(d_.writes->CommitBulk(std::move(tx), principal, client_address, "DailySweep"));
    if (last) break;
  }
  return marked;
}

grpc::ServerUnaryReactor* HealthService::CreateInsurancePolicy(grpc::CallbackServerContext* ctx,
                                                               const v1::CreateInsurancePolicyRequest* req,
                                                               v1::CreateInsurancePolicyResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"CreateInsurancePolicy", req->request_id(), *req, resp}, [] { return rpc::LockScope(); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        FieldViolations v;
        v1::InsurancePolicy p = domain::PolicyFrom(*req, v);
        if (req->region_code().empty()) {
          v.Add("region_code", "is required (the region whose women the policy covers)");
        } else {
          v.Check("region_code", validate::CheckRegionPrefix(*d_.regions, req->region_code()));
        }
        RETURN_IF_ERROR(v.ToStatus());
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, p.region_code()));
        p.set_id(d_.ids->Next());
        d_.health->PutPolicy(&tx.batch, p);
        v1::InsurancePolicyCreated created;
        created.set_policy_id(p.id());
        created.set_insurer(p.insurer());
        created.set_policy_year(p.policy_year());
        created.set_region_code(p.region_code());
        created.set_sum_insured_fen(p.sum_insured_fen());
        created.set_premium_fen(p.premium_fen());
        tx.events.push_back(events_.Make({p.id(), 1, "", p.region_code()}, created, req->request_id()));
        *resp->mutable_policy() = p;
        return absl::OkStatus();
      });
}

v1::Enrollment HealthService::Enroll(const replica::v1::RegistryFacts& woman, const v1::InsurancePolicy& policy,
                                     absl::CivilDay on, const std::string& correlation, rpc::Tx& tx) {
  v1::Enrollment e;
  e.set_policy_id(policy.id());
  e.set_beneficiary_id(woman.beneficiary_id());
  e.set_region_code(woman.region_code());
  e.set_policy_year(policy.policy_year());
  *e.mutable_enrolled_on() = ToProto(on);
  d_.health->PutEnrollment(&tx.batch, e);
  v1::InsuranceEnrolled enrolled;
  enrolled.set_policy_id(policy.id());
  enrolled.set_beneficiary_id(woman.beneficiary_id());
  enrolled.set_policy_year(policy.policy_year());
  enrolled.set_sum_insured_fen(policy.sum_insured_fen());
  *enrolled.mutable_enrolled_on() = e.enrolled_on();
  tx.events.push_back(events_.Make({absl::StrCat("insurance/", woman.beneficiary_id(), "/", policy.policy_year()), 1,
                                    woman.beneficiary_id(), woman.region_code()},
                                   enrolled, correlation));
  return e;
}

grpc::ServerUnaryReactor* HealthService::EnrollInsurance(grpc::CallbackServerContext* ctx,
                                                         const v1::EnrollInsuranceRequest* req,
                                                         v1::EnrollInsuranceResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"EnrollInsurance", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({WomanKey(req->beneficiary_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        FieldViolations v;
        if (req->policy_id().empty()) v.Add("policy_id", "is required");
        if (req->beneficiary_id().empty()) v.Add("beneficiary_id", "is required");
        absl::CivilDay on =
            validate::DateOrToday(req->enrolled_on(), req->has_enrolled_on(), Today(), "enrolled_on", v);
        RETURN_IF_ERROR(v.ToStatus());
        ASSIGN_OR_RETURN(auto policy, LoadPolicy(req->policy_id()));
        ASSIGN_OR_RETURN(replica::v1::RegistryFacts woman, d_.registry->Lookup(req->beneficiary_id()));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, woman.region_code()));
        RETURN_IF_ERROR(domain::CheckInsurable(woman, policy, "beneficiary_id"));
        ASSIGN_OR_RETURN(auto earlier, d_.health->GetEnrollment(woman.beneficiary_id(), policy.policy_year()));
        if (earlier) {
          return validate::FieldError(
              absl::StatusCode::kAlreadyExists, "beneficiary_id",
              absl::StrCat("is enrolled for ", policy.policy_year(), " already (policy ", earlier->policy_id(), ", on ",
                           FormatCivilDate(StoredDay(earlier->enrolled_on())), ")"));
        }
        *resp->mutable_enrollment() = Enroll(woman, policy, on, req->request_id(), tx);
        return absl::OkStatus();
      });
}

grpc::Status HealthService::EnrollEligible(grpc::ServerContext* ctx, const v1::EnrollEligibleRequest* req,
                                           v1::EnrollEligibleResponse* resp) {
  auto who = d_.writes->Admit(*ctx, Role::kOperator);
  if (!who.ok()) return rpc::ToGrpcStatus(who.status());
  FieldViolations v;
  if (req->policy_id().empty()) v.Add("policy_id", "is required");
  absl::CivilDay on = validate::DateOrToday(req->enrolled_on(), req->has_enrolled_on(), Today(), "enrolled_on", v);
  if (!v.empty()) return rpc::ToGrpcStatus(v.ToStatus());
  auto policy = LoadPolicy(req->policy_id());
  if (!policy.ok()) return rpc::ToGrpcStatus(policy.status());
  std::string prefix = req->region_prefix().empty() ? policy->region_code() : req->region_prefix();
  if (!absl::StartsWith(prefix, policy->region_code()) && !absl::StartsWith(policy->region_code(), prefix)) {
    return rpc::ToGrpcStatus(
        validate::FieldError(absl::StatusCode::kInvalidArgument, "region_prefix",
                             absl::StrCat("is outside the policy's region ", policy->region_code())));
  }
  // The narrower of the two: the policy's region and the one asked for.
  if (prefix.size() < policy->region_code().size()) prefix = policy->region_code();
  if (absl::Status s = rpc::Authorize(*who, Role::kOperator, prefix); !s.ok()) return rpc::ToGrpcStatus(s);

  // The region's women in chunks; each chunk decided and committed holding every lock, so no single enrolment of
  // the same woman runs beside it.
  constexpr size_t kChunk = 2000;
  std::vector<replica::v1::RegistryFacts> chunk;
  absl::Status failed;
  auto flush = [&]() -> absl::Status {
    if (chunk.empty()) return absl::OkStatus();
    KeyedMutex::Held everything = d_.writes->locks().LockEverything();
    rpc::Tx tx;
    for (const auto& woman : chunk) {
      ASSIGN_OR_RETURN(auto earlier, d_.health->GetEnrollment(woman.beneficiary_id(), policy->policy_year()));
      if (earlier) {
        resp->set_already_enrolled(resp->already_enrolled() + 1);
        continue;
      }
      Enroll(woman, *policy, on, req->request_id(), tx);
      resp->set_enrolled(resp->enrolled() + 1);
    }
    chunk.clear();
    return d_.writes->CommitBulk(std::move(tx), who->name, ctx->peer(), "EnrollEligible");
  };
  absl::Status scanned = d_.registry->ForEach(prefix, [&](const replica::v1::RegistryFacts& woman) {
    // Children and merged records are not candidates, so not refusals either.
    if (woman.category() == registration::v1::CATEGORY_CHILD || woman.sex() != registration::v1::SEX_FEMALE ||
        !woman.merged_into().empty()) {
      return true;
    }
    if (absl::Status s = domain::CheckInsurable(woman, *policy, "beneficiary_id"); !s.ok()) {
      resp->set_not_eligible(resp->not_eligible() + 1);
      if (resp->refusals_size() < 100) {
        auto* r = resp->add_refusals();
        r->set_beneficiary_id(woman.beneficiary_id());
        r->set_reason(std::string(s.message()));
      }
      return true;
    }
    chunk.push_back(woman);
    if (chunk.size() >= kChunk) failed = flush();
    return failed.ok();
  });
  if (failed.ok()) failed = scanned;
  if (failed.ok()) failed = flush();
  return rpc::ToGrpcStatus(failed);
}

grpc::ServerUnaryReactor* HealthService::RecordClaim(grpc::CallbackServerContext* ctx,
                                                     const v1::RecordClaimRequest* req, v1::RecordClaimResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RecordClaim", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({WomanKey(req->beneficiary_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        FieldViolations v;
        if (req->policy_id().empty()) v.Add("policy_id", "is required");
        if (req->beneficiary_id().empty()) v.Add("beneficiary_id", "is required");
        absl::CivilDay on = validate::DateOrToday(req->paid_on(), req->has_paid_on(), Today(), "paid_on", v);
        std::string reference =
            validate::CleanField(req->reference(), "reference", {.max_characters = 64, .required = false}, v);
        RETURN_IF_ERROR(v.ToStatus());
        ASSIGN_OR_RETURN(auto policy, LoadPolicy(req->policy_id()));
        ASSIGN_OR_RETURN(replica::v1::RegistryFacts woman, d_.registry->Lookup(req->beneficiary_id()));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, woman.region_code()));
        ASSIGN_OR_RETURN(auto enrollment, d_.health->GetEnrollment(woman.beneficiary_id(), policy.policy_year()));
        if (!enrollment || enrollment->policy_id() != policy.id()) {
          return validate::FieldError(absl::StatusCode::kFailedPrecondition, "beneficiary_id",
                                      absl::StrCat("is not enrolled in policy ", policy.id()));
        }
        RETURN_IF_ERROR(domain::CheckClaim(*enrollment, policy, req->amount_fen()));
        v1::Claim c;
        c.set_id(d_.ids->Next());
        c.set_policy_id(policy.id());
        c.set_beneficiary_id(woman.beneficiary_id());
        c.set_amount_fen(req->amount_fen());
        *c.mutable_paid_on() = ToProto(on);
        c.set_reference(reference);
        d_.health->PutClaim(&tx.batch, c);
        enrollment->set_claimed_fen(enrollment->claimed_fen() + req->amount_fen());
        d_.health->PutEnrollment(&tx.batch, *enrollment);
        v1::ClaimRecorded recorded;
        recorded.set_claim_id(c.id());
        recorded.set_policy_id(c.policy_id());
        recorded.set_beneficiary_id(c.beneficiary_id());
        recorded.set_amount_fen(c.amount_fen());
        *recorded.mutable_paid_on() = c.paid_on();
        tx.events.push_back(
            events_.Make({c.id(), 1, woman.beneficiary_id(), woman.region_code()}, recorded, req->request_id()));
        *resp->mutable_claim() = c;
        *resp->mutable_enrollment() = *enrollment;
        return absl::OkStatus();
      });
}

void HealthService::ReliefEvent(const v1::Relief& r, const google::protobuf::Message& payload,
                                const std::string& request_id, rpc::Tx& tx) {
  tx.events.push_back(events_.Make({r.id(), r.version(), r.beneficiary_id(), r.region_code()}, payload, request_id));
}

absl::StatusOr<v1::Relief> HealthService::LoadRelief(const rpc::Principal& who, const std::string& id) {
  if (id.empty()) return validate::FieldError(absl::StatusCode::kInvalidArgument, "relief_id", "is required");
  ASSIGN_OR_RETURN(auto r, d_.health->GetRelief(id));
  if (!r) return validate::FieldError(absl::StatusCode::kNotFound, "relief_id", absl::StrCat("no relief ", id));
  RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, r->region_code()));
  return *std::move(r);
}

grpc::ServerUnaryReactor* HealthService::ApplyRelief(grpc::CallbackServerContext* ctx,
                                                     const v1::ApplyReliefRequest* req, v1::ApplyReliefResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"ApplyRelief", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({WomanKey(req->beneficiary_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        FieldViolations v;
        if (req->beneficiary_id().empty()) v.Add("beneficiary_id", "is required");
        absl::CivilDay on = validate::DateOrToday(req->applied_on(), req->has_applied_on(), Today(), "applied_on", v);
        std::string evidence = validate::CleanField(req->evidence_reference(), "evidence_reference",
                                                    {.max_characters = 200, .required = false}, v);
        RETURN_IF_ERROR(v.ToStatus());
        ASSIGN_OR_RETURN(replica::v1::RegistryFacts person, d_.registry->Lookup(req->beneficiary_id()));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, person.region_code()));
        bool confirmed = !evidence.empty();
        if (!req->case_id().empty()) {
          ASSIGN_OR_RETURN(auto c, d_.health->GetCase(req->case_id()));
          if (!c || c->beneficiary_id() != person.beneficiary_id()) {
            return validate::FieldError(absl::StatusCode::kNotFound, "case_id",
                                        absl::StrCat("no follow-up case ", req->case_id(), " of hers"));
          }
          if (!domain::IsCancer(c->diagnosis())) {
            return validate::FieldError(absl::StatusCode::kFailedPrecondition, "case_id",
                                        absl::StrCat("follow-up case ", c->id(), " has no cancer diagnosis"));
          }
          confirmed = true;
        }
        ASSIGN_OR_RETURN(std::vector<v1::Relief> earlier, d_.health->ReliefsOf(person.beneficiary_id()));
        v1::ApplyReliefRequest checked = *req;
        checked.set_evidence_reference(evidence);
        ASSIGN_OR_RETURN(v1::Relief r,
                         domain::CheckReliefApplication(checked, person, on, confirmed, earlier, d_.settings));
        r.set_id(d_.ids->Next());
        r.set_applied_by(who.name);
        d_.health->PutRelief(&tx.batch, r);
        v1::ReliefApplied applied;
        applied.set_relief_id(r.id());
        applied.set_beneficiary_id(r.beneficiary_id());
        applied.set_kind(r.kind());
        applied.set_amount_fen(r.amount_fen());
        applied.set_fund(r.fund());
        ReliefEvent(r, applied, req->request_id(), tx);
        *resp->mutable_relief() = r;
        return absl::OkStatus();
      });
}

absl::Status HealthService::Decide(const rpc::Principal& who, const std::string& id, bool approve,
                                   const std::string& reason, const std::string& request_id, rpc::Tx& tx,
                                   v1::Relief* out) {
  ASSIGN_OR_RETURN(v1::Relief r, LoadRelief(who, id));
  RETURN_IF_ERROR(domain::DecideRelief(r, approve, who.name, Today(), reason));
  d_.health->PutRelief(&tx.batch, r);
  if (approve) {
    v1::ReliefApproved approved;
    approved.set_relief_id(r.id());
    approved.set_beneficiary_id(r.beneficiary_id());
    approved.set_kind(r.kind());
    approved.set_amount_fen(r.amount_fen());
    ReliefEvent(r, approved, request_id, tx);
  } else {
    v1::ReliefRejected rejected;
    rejected.set_relief_id(r.id());
    rejected.set_beneficiary_id(r.beneficiary_id());
    rejected.set_kind(r.kind());
    rejected.set_reason(reason);
    ReliefEvent(r, rejected, request_id, tx);
  }
  *out = std::move(r);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* HealthService::ApproveRelief(grpc::CallbackServerContext* ctx,
                                                       const v1::ApproveReliefRequest* req,
                                                       v1::ApproveReliefResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"ApproveRelief", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({absl::StrCat("relief:", req->relief_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        return Decide(who, req->relief_id(), true, "", req->request_id(), tx, resp->mutable_relief());
      });
}

grpc::ServerUnaryReactor* HealthService::RejectRelief(grpc::CallbackServerContext* ctx,
                                                      const v1::RejectReliefRequest* req,
                                                      v1::RejectReliefResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RejectRelief", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({absl::StrCat("relief:", req->relief_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        FieldViolations v;
        std::string reason =
            validate::CleanField(req->reason(), "reason", {.max_characters = 500, .required = true}, v);
        RETURN_IF_ERROR(v.ToStatus());
        return Decide(who, req->relief_id(), false, reason, req->request_id(), tx, resp->mutable_relief());
      });
}

grpc::ServerUnaryReactor* HealthService::RecordReliefPaid(grpc::CallbackServerContext* ctx,
                                                          const v1::RecordReliefPaidRequest* req,
                                                          v1::RecordReliefPaidResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RecordReliefPaid", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({absl::StrCat("relief:", req->relief_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        FieldViolations v;
        absl::CivilDay on = validate::DateOrToday(req->paid_on(), req->has_paid_on(), Today(), "paid_on", v);
        std::string reference = validate::CleanField(req->transfer_reference(), "transfer_reference",
                                                     {.max_characters = 64, .required = true}, v);
        RETURN_IF_ERROR(v.ToStatus());
        ASSIGN_OR_RETURN(v1::Relief r, LoadRelief(who, req->relief_id()));
        RETURN_IF_ERROR(domain::PayRelief(r, on, reference));
        d_.health->PutRelief(&tx.batch, r);
        v1::ReliefPaid paid;
        paid.set_relief_id(r.id());
        paid.set_beneficiary_id(r.beneficiary_id());
        paid.set_kind(r.kind());
        paid.set_amount_fen(r.amount_fen());
        *paid.mutable_paid_on() = r.paid_on();
        ReliefEvent(r, paid, req->request_id(), tx);
        *resp->mutable_relief() = std::move(r);
        return absl::OkStatus();
      });
}

grpc::Status HealthService::ListReliefs(grpc::ServerContext* ctx, const v1::ListReliefsRequest* req,
                                        v1::ListReliefsResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    ASSIGN_OR_RETURN(replica::v1::RegistryFacts person, Person(req->beneficiary_id()));
    RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, person.region_code()));
    ASSIGN_OR_RETURN(std::vector<v1::Relief> reliefs, d_.health->ReliefsOf(person.beneficiary_id()));
    for (auto& r : reliefs) *resp->add_reliefs() = std::move(r);
    d_.writes->AuditRead(*ctx, who, "ListReliefs", {person.beneficiary_id()}, person.region_code());
    return absl::OkStatus();
  });
}

void HealthService::StartDailySweeps(absl::Duration period) {
  sweeper_ = std::thread([this, period] { SweepLoop(period); });
}

void HealthService::SweepLoop(absl::Duration period) {
  std::unique_lock<std::mutex> l(loop_mu_);
  while (!stopping_) {
    l.unlock();
    absl::CivilDay today = Today();
    auto swept = d_.health->SweptThrough();
    if (!swept.ok()) {
      spdlog::warn("health: the daily sweep cannot read the date it last swept: {}", swept.status().ToString());
    } else if (!*swept || **swept < today) {
      auto marked = Sweep(today, "health (daily sweep)", "");
      if (!marked.ok()) {
        spdlog::warn("health: daily sweep for {} failed: {}", FormatCivilDate(today), marked.status().ToString());
      } else if (*marked > 0) {
        spdlog::info("health: daily sweep for {} marked {} follow-up stages overdue", FormatCivilDate(today), *marked);
      }
    }
    l.lock();
    loop_cv_.wait_for(l, absl::ToChronoMilliseconds(period), [this] { return stopping_; });
  }
}

}  // namespace jinguo::health::api
