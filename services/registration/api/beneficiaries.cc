// Beneficiaries: registration, updates, reads and listings, monitoring status.
#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/status.h"
#include "common/rpc/paging.h"
#include "common/validate/field_violations.h"
#include "common/validate/fields.h"
#include "common/validate/region_code.h"
#include "services/registration/api/internal.h"
#include "services/registration/api/registration_service.h"
#include "services/registration/domain/registry_rules.h"

namespace jinguo::registration::api {

using rpc::Role;
using validate::FieldViolations;

absl::Status RegistrationService::RegisterInto(const rpc::Principal& who, const v1::BeneficiaryInput& in,
                                               const std::string& prefix, const std::string& correlation, rpc::Tx& tx,
                                               PendingRows* pending, v1::RegisterBeneficiaryResponse* resp) {
  const v1::Household* household = nullptr;
  std::optional<v1::Household> loaded;
  if (!in.household_id().empty()) {
    auto cached = pending ? pending->households.find(in.household_id()) : decltype(pending->households)::iterator();
    if (pending && cached != pending->households.end()) {
      household = &cached->second;
    } else {
      ASSIGN_OR_RETURN(loaded, d_.registry->GetHouseholdRecord(in.household_id()));
      if (loaded) {
        household = pending ? &(pending->households[in.household_id()] = *loaded) : &*loaded;
      }
    }
  }
  FieldViolations v;
  domain::DerivedFacts facts = domain::CheckRegistration(in, household, Today(), prefix, v);
  RETURN_IF_ERROR(v.ToStatus());
  RETURN_IF_ERROR(
      validate::WithField(rpc::Authorize(who, Role::kOperator, household->region_code()), prefix + "household_id"));

  ASSIGN_OR_RETURN(auto existing, d_.registry->BeneficiaryIdForNumber(facts.id_number));
  if (existing) {
    return validate::FieldError(absl::StatusCode::kAlreadyExists, prefix + "id_number",
                                absl::StrCat("already registered as beneficiary ", *existing));
  }
  if (pending && pending->HasIdNumber(facts.id_number)) {
    return validate::FieldError(absl::StatusCode::kAlreadyExists, prefix + "id_number",
                                "appears in an earlier row of this import");
  }
  v1::Beneficiary b = domain::BuildBeneficiary(d_.ids->Next(), in, facts, *household);
  b.set_version(1);
  // A different ID number with the same name, birth date and county: accept, and flag for a person to decide.
  std::string key = domain::DuplicateKey(b.region_code(), facts.birth_date, b.name());
  ASSIGN_OR_RETURN(std::vector<std::string> matches, d_.registry->DuplicateMatches(key));
  if (pending) {
    if (const std::string* earlier = pending->DuplicateOf(key)) matches.push_back(*earlier);
  }

  // Every check and read is behind: from here on the registration only writes, so a refused row leaves nothing.
  if (pending) {
    pending->id_numbers.insert(facts.id_number);
    pending->duplicate_keys.emplace(key, b.id());
  }
  d_.registry->PutBeneficiary(&tx.batch, b, nullptr);
  tx.events.push_back(events_.Make({b.id(), 1, b.id(), b.region_code()}, domain::RegisteredEvent(b), correlation));
  if (!matches.empty()) {
    v1::DuplicateCandidate c = domain::NewDuplicateCandidate(d_.ids->Next(), b, matches.front());
    d_.registry->PutCandidate(&tx.batch, c);
    tx.events.push_back(events_.Make({c.id(), 1, b.id(), b.region_code()}, domain::FlaggedEvent(c), correlation));
    resp->set_duplicate_candidate_id(c.id());
    duplicates_flagged_total_->Increment();
  }
  *resp->mutable_beneficiary() = b;
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* RegistrationService::RegisterBeneficiary(grpc::CallbackServerContext* ctx,
                                                                   const v1::RegisterBeneficiaryRequest* req,
                                                                   v1::RegisterBeneficiaryResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RegisterBeneficiary", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys(RegistrationKeys(req->beneficiary())); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        return RegisterInto(who, req->beneficiary(), "beneficiary.", req->request_id(), tx, nullptr, resp);
      });
}

grpc::ServerUnaryReactor* RegistrationService::UpdateBeneficiary(grpc::CallbackServerContext* ctx,
                                                                 const v1::UpdateBeneficiaryRequest* req,
                                                                 v1::UpdateBeneficiaryResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"UpdateBeneficiary", req->request_id(), *req, resp},
      [&] {
        auto keys = RegistrationKeys(req->beneficiary());
        keys.push_back(BeneficiaryKey(req->beneficiary_id()));
        return rpc::LockScope::Keys(std::move(keys));
      },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(v1::Beneficiary current, LoadBeneficiary(req->beneficiary_id(), "beneficiary_id"));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, current.region_code()));
        std::optional<v1::Household> household;
        if (!req->beneficiary().household_id().empty()) {
          ASSIGN_OR_RETURN(household, d_.registry->GetHouseholdRecord(req->beneficiary().household_id()));
        }
        FieldViolations v;
        domain::DerivedFacts facts = domain::CheckUpdate(req->beneficiary(), current, household ? &*household : nullptr,
                                                         Today(), "beneficiary.", v);
        RETURN_IF_ERROR(v.ToStatus());
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, household->region_code()));
        RETURN_IF_ERROR(validate::CheckExpectedVersion(req->expected_version(), current.version(), "the beneficiary"));
        v1::Beneficiary b = domain::BuildBeneficiary(current.id(), req->beneficiary(), facts, *household);
        *b.mutable_cadre_ids() = current.cadre_ids();
        *b.mutable_merged_ids() = current.merged_ids();
        b.set_version(current.version() + 1);
        d_.registry->PutBeneficiary(&tx.batch, b, &current);
        tx.events.push_back(events_.Make({b.id(), b.version(), b.id(), b.region_code()},
                                         domain::UpdatedEvent(b, current), req->request_id()));
        *resp->mutable_beneficiary() = b;
        return absl::OkStatus();
      });
}

grpc::Status RegistrationService::GetBeneficiary(grpc::ServerContext* ctx, const v1::GetBeneficiaryRequest* req,
                                                 v1::GetBeneficiaryResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    ASSIGN_OR_RETURN(v1::Beneficiary b, LoadBeneficiary(req->beneficiary_id(), "beneficiary_id"));
    RETURN_IF_ERROR(rpc::Authorize(who, Role::kViewer, b.region_code()));
    if (who.SeesIdentifiers()) {
      // Unmasked identifiers: a sensitive read.
      d_.writes->AuditRead(*ctx, who, "GetBeneficiary", {b.id()}, b.region_code());
      *resp->mutable_beneficiary() = std::move(b);
    } else {
      *resp->mutable_beneficiary() = domain::Masked(b);
    }
    return absl::OkStatus();
  });
}

grpc::Status RegistrationService::ListBeneficiaries(grpc::ServerContext* ctx, const v1::ListBeneficiariesRequest* req,
                                                    v1::ListBeneficiariesResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& caller) -> absl::Status {
    const rpc::Principal* who = &caller;
    auto scope = rpc::ReadScope(*who, *d_.regions, req->region_prefix());
    if (!scope.ok()) return scope.status();
    FieldViolations v;
    if (!v1::Category_IsValid(req->category())) v.Add("category", "unknown category");
    if (!v1::MonitoringStatus_IsValid(req->monitoring_status())) v.Add("monitoring_status", "unknown status");
    int page_size = rpc::PageSize(req->page().page_size(), kPageLimits, "page.page_size", v);
    rpc::PageQuery query{
        "ListBeneficiaries",
        who->region_scope,
        *scope,
        {absl::StrCat("category=", req->category()), absl::StrCat("monitoring_status=", req->monitoring_status())}};
    auto after = d_.pages->Resume(query, req->page().page_token(), "page.page_token");
    if (!after.ok()) v.Merge(after.status());
    if (!v.empty()) return v.ToStatus();
    std::string next;
    auto page = d_.registry->ListByRegion(
        *scope, *after, page_size,
        [&](const v1::Beneficiary& b) {
          return who->Covers(b.region_code()) &&
                 (req->category() == v1::CATEGORY_UNSPECIFIED || b.category() == req->category()) &&
                 (req->monitoring_status() == v1::MONITORING_STATUS_UNSPECIFIED ||
                  b.monitoring_status() == req->monitoring_status());
        },
        &next);
    if (!page.ok()) return page.status();
    std::vector<std::string> unmasked;
    for (auto& b : *page) {
      if (who->SeesIdentifiers()) unmasked.push_back(b.id());
      *resp->add_beneficiaries() = who->SeesIdentifiers() ? std::move(b) : domain::Masked(b);
    }
    if (!unmasked.empty()) d_.writes->AuditRead(*ctx, *who, "ListBeneficiaries", std::move(unmasked), *scope);
    if (!next.empty()) resp->set_next_page_token(d_.pages->Issue(query, next));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistrationService::ChangeMonitoringStatus(grpc::CallbackServerContext* ctx,
                                                                      const v1::ChangeMonitoringStatusRequest* req,
                                                                      v1::ChangeMonitoringStatusResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"ChangeMonitoringStatus", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({BeneficiaryKey(req->beneficiary_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(v1::Beneficiary current, LoadBeneficiary(req->beneficiary_id(), "beneficiary_id"));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, current.region_code()));
        FieldViolations v;
        if (req->status() == v1::MONITORING_STATUS_UNSPECIFIED || !v1::MonitoringStatus_IsValid(req->status())) {
          v.Add("status", "is required");
        }
        if (req->reason().empty()) v.Add("reason", "is required (why the status changes)");
        validate::RequiredPastDate(req->effective_on(), req->has_effective_on(), Today(), "effective_on", v);
        RETURN_IF_ERROR(v.ToStatus());
        RETURN_IF_ERROR(validate::CheckExpectedVersion(req->expected_version(), current.version(), "the beneficiary"));
        RETURN_IF_ERROR(domain::CheckMonitoringTransition(current.monitoring_status(), req->status()));
        v1::Beneficiary b = domain::WithStatus(current, req->status());
        d_.registry->PutBeneficiary(&tx.batch, b, &current);
        tx.events.push_back(events_.Make({b.id(), b.version(), b.id(), b.region_code()},
                                         domain::StatusChangedEvent(b, current, req->reason(), req->effective_on()),
                                         req->request_id()));
        *resp->mutable_beneficiary() = b;
        return absl::OkStatus();
      });
}

}  // namespace jinguo::registration::api
