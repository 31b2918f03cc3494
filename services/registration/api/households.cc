// Households: RegisterHousehold, UpdateHousehold (a move takes its members along), GetHousehold.
#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/status.h"
#include "common/validate/field_violations.h"
#include "common/validate/fields.h"
#include "common/validate/region_code.h"
#include "services/registration/api/internal.h"
#include "services/registration/api/registration_service.h"
#include "services/registration/domain/registry_rules.h"

namespace jinguo::registration::api {

using rpc::Role;
using validate::FieldViolations;

grpc::ServerUnaryReactor* RegistrationService::RegisterHousehold(grpc::CallbackServerContext* ctx,
                                                                 const v1::RegisterHouseholdRequest* req,
                                                                 v1::RegisterHouseholdResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RegisterHousehold", req->request_id(), *req, resp}, NoKeys,
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        FieldViolations v;
        v.Check("region_code", validate::CheckRegionCode(*d_.regions, req->region_code()));
        domain::CheckHouseholdAttribute(req->attribute(), v);
        std::string head_name = domain::CheckPersonName(req->head_name(), "head_name", v);
        absl::CivilDay today = Today();
        auto on = validate::DateOrToday(req->registered_on(), req->has_registered_on(), today, "registered_on", v);
        RETURN_IF_ERROR(v.ToStatus());
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, req->region_code()));
        v1::Household h = domain::NewHousehold(d_.ids->Next(), req->region_code(), req->attribute(), head_name, on);
        d_.registry->PutHousehold(&tx.batch, h);
        tx.events.push_back(
            events_.Make({h.id(), 1, "", h.region_code()}, domain::HouseholdRegisteredEvent(h), req->request_id()));
        *resp->mutable_household() = h;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* RegistrationService::UpdateHousehold(grpc::CallbackServerContext* ctx,
                                                               const v1::UpdateHouseholdRequest* req,
                                                               v1::UpdateHouseholdResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"UpdateHousehold", req->request_id(), *req, resp}, rpc::LockScope::Everything,
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        if (req->household_id().empty())
          return validate::FieldError(absl::StatusCode::kInvalidArgument, "household_id", "is required");
        ASSIGN_OR_RETURN(auto current, d_.registry->GetHousehold(req->household_id()));
        if (!current) return absl::NotFoundError(absl::StrCat("no household ", req->household_id()));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, current->region_code()));
        FieldViolations v;
        v.Check("region_code", validate::CheckRegionCode(*d_.regions, req->region_code()));
        domain::CheckHouseholdAttribute(req->attribute(), v);
        std::string head_name = domain::CheckPersonName(req->head_name(), "head_name", v);
        RETURN_IF_ERROR(v.ToStatus());
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, req->region_code()));
        RETURN_IF_ERROR(validate::CheckExpectedVersion(req->expected_version(), current->version(), "the household"));

        v1::Household h = domain::UpdatedHousehold(*current, req->region_code(), req->attribute(), head_name);
        d_.registry->PutHousehold(&tx.batch, h);
        tx.events.push_back(events_.Make({h.id(), h.version(), "", h.region_code()},
                                         domain::HouseholdUpdatedEvent(h, *current), req->request_id()));
        if (domain::MovesMembers(h, *current)) {
          for (const std::string& member_id : current->member_ids()) {
            ASSIGN_OR_RETURN(auto member, d_.registry->GetBeneficiary(member_id));
            if (!member) continue;
            v1::Beneficiary moved = domain::MovedMember(*member, h);
            d_.registry->PutBeneficiary(&tx.batch, moved, &*member);
            tx.events.push_back(events_.Make({moved.id(), moved.version(), moved.id(), moved.region_code()},
                                             domain::UpdatedEvent(moved, *member), req->request_id()));
          }
        }
        *resp->mutable_household() = h;
        return absl::OkStatus();
      });
}

grpc::Status RegistrationService::GetHousehold(grpc::ServerContext* ctx, const v1::GetHouseholdRequest* req,
                                               v1::GetHouseholdResponse* resp) {
  return d_.writes->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    if (req->household_id().empty()) {
      return validate::FieldError(absl::StatusCode::kInvalidArgument, "household_id", "is required");
    }
    ASSIGN_OR_RETURN(auto h, d_.registry->GetHousehold(req->household_id()));
    if (!h) {
      return validate::FieldError(absl::StatusCode::kNotFound, "household_id",
                                  absl::StrCat("no household ", req->household_id()));
    }
    RETURN_IF_ERROR(rpc::Authorize(who, Role::kViewer, h->region_code()));
    *resp->mutable_household() = *std::move(h);
    return absl::OkStatus();
  });
}

}  // namespace jinguo::registration::api
