// Duplicate candidates: listing them, and resolving one (a merge or a dismissal).
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

grpc::Status RegistrationService::ListDuplicateCandidates(grpc::ServerContext* ctx,
                                                          const v1::ListDuplicateCandidatesRequest* req,
                                                          v1::ListDuplicateCandidatesResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& caller) -> absl::Status {
    const rpc::Principal* who = &caller;
    auto scope = rpc::ReadScope(*who, *d_.regions, req->region_prefix());
    if (!scope.ok()) return scope.status();
    FieldViolations v;
    if (!v1::DuplicateState_IsValid(req->state())) v.Add("state", "unknown state");
    int page_size = rpc::PageSize(req->page().page_size(), kPageLimits, "page.page_size", v);
    rpc::PageQuery query{"ListDuplicateCandidates", who->region_scope, *scope, {absl::StrCat("state=", req->state())}};
    auto after = d_.pages->Resume(query, req->page().page_token(), "page.page_token");
    if (!after.ok()) v.Merge(after.status());
    if (!v.empty()) return v.ToStatus();
    std::string next;
    auto page = d_.registry->ListCandidates(
        *scope, *after, page_size,
        [&](const v1::DuplicateCandidate& c) {
          return who->Covers(c.region_code()) &&
                 (req->state() == v1::DUPLICATE_STATE_UNSPECIFIED || c.state() == req->state());
        },
        &next);
    if (!page.ok()) return page.status();
    for (auto& c : *page) *resp->add_candidates() = std::move(c);
    if (!next.empty()) resp->set_next_page_token(d_.pages->Issue(query, next));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistrationService::ResolveDuplicateCandidate(
    grpc::CallbackServerContext* ctx, const v1::ResolveDuplicateCandidateRequest* req,
    v1::ResolveDuplicateCandidateResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"ResolveDuplicateCandidate", req->request_id(), *req, resp}, rpc::LockScope::Everything,
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        if (req->candidate_id().empty()) {
          return validate::FieldError(absl::StatusCode::kInvalidArgument, "candidate_id", "is required");
        }
        ASSIGN_OR_RETURN(auto candidate, d_.registry->GetCandidate(req->candidate_id()));
        if (!candidate) return absl::NotFoundError(absl::StrCat("no duplicate candidate ", req->candidate_id()));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, candidate->region_code()));
        if (req->resolution() != v1::DUPLICATE_STATE_CONFIRMED && req->resolution() != v1::DUPLICATE_STATE_DISMISSED) {
          return validate::FieldError(absl::StatusCode::kInvalidArgument, "resolution",
                                      "must be CONFIRMED (merge the two) or DISMISSED (two different people)");
        }
        if (candidate->state() != v1::DUPLICATE_STATE_OPEN) {
          return absl::FailedPreconditionError(
              absl::StrCat("the candidate is already ", v1::DuplicateState_Name(candidate->state())));
        }
        v1::DuplicateCandidate c = *candidate;
        c.set_state(req->resolution());
        c.set_version(candidate->version() + 1);
        if (req->resolution() == v1::DUPLICATE_STATE_CONFIRMED) {
          std::string survivor_id = req->survivor_id().empty() ? c.existing_beneficiary_id() : req->survivor_id();
          if (survivor_id != c.existing_beneficiary_id() && survivor_id != c.beneficiary_id()) {
            FieldViolations sv;
            sv.Add("survivor_id", "must be one of the two beneficiaries of the candidate");
            return sv.ToStatus();
          }
          std::string merged_id = survivor_id == c.beneficiary_id() ? c.existing_beneficiary_id() : c.beneficiary_id();
          ASSIGN_OR_RETURN(auto survivor, d_.registry->GetBeneficiary(survivor_id));
          ASSIGN_OR_RETURN(auto merged, d_.registry->GetBeneficiary(merged_id));
          if (!survivor || !merged) {
            return absl::FailedPreconditionError("one of the two beneficiaries was already merged into another");
          }
          RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, survivor->region_code()));
          RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, merged->region_code()));
          domain::MergeResult result = domain::MergeBeneficiaries(*survivor, *merged);
          result.survivor.set_version(survivor->version() + 1);
          d_.registry->PutBeneficiary(&tx.batch, result.survivor, &*survivor);
          d_.registry->RetireMerged(&tx.batch, *merged, survivor_id);
          // The merged beneficiary's pairings become the survivor's.
          ASSIGN_OR_RETURN(std::vector<std::string> cadres, d_.registry->PairedCadres(merged_id));
          for (const std::string& cadre_id : cadres) {
            ASSIGN_OR_RETURN(store::PairingState from, d_.registry->GetPairing(merged_id, cadre_id));
            ASSIGN_OR_RETURN(store::PairingState to, d_.registry->GetPairing(survivor_id, cadre_id));
            if (from.active && !to.active)
              d_.registry->PutPairing(&tx.batch, survivor_id, cadre_id, {to.version, true});
          }
          c.set_survivor_id(survivor_id);
          for (auto& conflict : result.conflicts) *c.add_conflicts() = conflict;
          tx.events.push_back(
              events_.Make({survivor_id, result.survivor.version(), survivor_id, result.survivor.region_code()},
                           domain::MergedEvent(result, *merged), req->request_id()));
        }
        d_.registry->PutCandidate(&tx.batch, c);
        tx.events.push_back(events_.Make({c.id(), c.version(), c.beneficiary_id(), c.region_code()},
                                         domain::ResolvedEvent(c), req->request_id()));
        *resp->mutable_candidate() = c;
        return absl::OkStatus();
      });
}

}  // namespace jinguo::registration::api
