// Cadres, their pairings with beneficiaries (结对包联) and their visits.
#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/status.h"
#include "common/validate/field_violations.h"
#include "common/validate/fields.h"
#include "common/validate/mobile.h"
#include "common/validate/region_code.h"
#include "common/validate/text.h"
#include "services/registration/api/internal.h"
#include "services/registration/api/registration_service.h"
#include "services/registration/domain/registry_rules.h"

namespace jinguo::registration::api {

using rpc::Role;
using validate::FieldViolations;

grpc::ServerUnaryReactor* RegistrationService::RegisterCadre(grpc::CallbackServerContext* ctx,
                                                             const v1::RegisterCadreRequest* req,
                                                             v1::RegisterCadreResponse* resp) {
  return d_.writes->Mutate(ctx, {"RegisterCadre", req->request_id(), *req, resp}, NoKeys,
                           [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
                             FieldViolations v;
                             std::string name = domain::CheckPersonName(req->name(), "name", v);
                             std::string mobile;
                             if (!req->mobile().empty()) {
                               auto m = validate::ParseMobile(req->mobile());
                               if (v.Check("mobile", m.status())) mobile = *m;
                             }
                             if (req->region_code().empty()) {
                               v.Add("region_code", "is required (the region the cadre serves)");
                             } else {
                               v.Check("region_code", validate::CheckRegionPrefix(*d_.regions, req->region_code()));
                             }
                             RETURN_IF_ERROR(v.ToStatus());
                             RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, req->region_code()));
                             v1::Cadre c = domain::NewCadre(d_.ids->Next(), name, mobile, req->region_code());
                             d_.registry->PutCadre(&tx.batch, c);
                             tx.events.push_back(events_.Make({c.id(), 1, "", c.region_code()},
                                                              domain::CadreRegisteredEvent(c), req->request_id()));
                             *resp->mutable_cadre() = c;
                             return absl::OkStatus();
                           });
}

grpc::ServerUnaryReactor* RegistrationService::PairCadre(grpc::CallbackServerContext* ctx,
                                                         const v1::PairCadreRequest* req, v1::PairCadreResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"PairCadre", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({BeneficiaryKey(req->beneficiary_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(v1::Beneficiary b, LoadBeneficiary(req->beneficiary_id(), "beneficiary_id"));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, b.region_code()));
        FieldViolations v;
        if (req->cadre_id().empty()) v.Add("cadre_id", "is required");
        auto on = validate::DateOrToday(req->paired_on(), req->has_paired_on(), Today(), "paired_on", v);
        RETURN_IF_ERROR(v.ToStatus());
        ASSIGN_OR_RETURN(auto cadre, d_.registry->GetCadre(req->cadre_id()));
        if (!cadre) return absl::NotFoundError(absl::StrCat("no cadre ", req->cadre_id()));
        RETURN_IF_ERROR(domain::CheckCadreServes(*cadre, b));
        ASSIGN_OR_RETURN(store::PairingState pairing, d_.registry->GetPairing(b.id(), cadre->id()));
        if (pairing.active) return absl::AlreadyExistsError("this cadre is already paired with this beneficiary");
        pairing.active = true;
        ++pairing.version;
        d_.registry->PutPairing(&tx.batch, b.id(), cadre->id(), pairing);
        v1::Beneficiary updated = domain::WithCadre(b, cadre->id());
        d_.registry->PutBeneficiary(&tx.batch, updated, &b);
        tx.events.push_back(
            events_.Make({PairingAggregate(cadre->id(), b.id()), pairing.version, b.id(), b.region_code()},
                         domain::PairedEvent(cadre->id(), b.id(), on), req->request_id()));
        *resp->mutable_beneficiary() = updated;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* RegistrationService::UnpairCadre(grpc::CallbackServerContext* ctx,
                                                           const v1::UnpairCadreRequest* req,
                                                           v1::UnpairCadreResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"UnpairCadre", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({BeneficiaryKey(req->beneficiary_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(v1::Beneficiary b, LoadBeneficiary(req->beneficiary_id(), "beneficiary_id"));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, b.region_code()));
        FieldViolations v;
        if (req->cadre_id().empty()) v.Add("cadre_id", "is required");
        if (req->reason().empty()) v.Add("reason", "is required");
        RETURN_IF_ERROR(v.ToStatus());
        ASSIGN_OR_RETURN(store::PairingState pairing, d_.registry->GetPairing(b.id(), req->cadre_id()));
        if (!pairing.active) return absl::FailedPreconditionError("this cadre is not paired with this beneficiary");
        pairing.active = false;
        ++pairing.version;
        d_.registry->PutPairing(&tx.batch, b.id(), req->cadre_id(), pairing);
        v1::Beneficiary updated = domain::WithoutCadre(b, req->cadre_id());
        d_.registry->PutBeneficiary(&tx.batch, updated, &b);
        tx.events.push_back(
            events_.Make({PairingAggregate(req->cadre_id(), b.id()), pairing.version, b.id(), b.region_code()},
                         domain::UnpairedEvent(req->cadre_id(), b.id(), req->reason()), req->request_id()));
        *resp->mutable_beneficiary() = updated;
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* RegistrationService::RecordVisit(grpc::CallbackServerContext* ctx,
                                                           const v1::RecordVisitRequest* req,
                                                           v1::RecordVisitResponse* resp) {
  return d_.writes->Mutate(
      ctx, {"RecordVisit", req->request_id(), *req, resp},
      [&] { return rpc::LockScope::Keys({BeneficiaryKey(req->beneficiary_id())}); },
      [&](const rpc::Principal& who, rpc::Tx& tx) -> absl::Status {
        ASSIGN_OR_RETURN(v1::Beneficiary b, LoadBeneficiary(req->beneficiary_id(), "beneficiary_id"));
        RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, b.region_code()));
        FieldViolations v;
        if (req->cadre_id().empty()) v.Add("cadre_id", "is required");
        validate::RequiredPastDate(req->visited_on(), req->has_visited_on(), Today(), "visited_on", v);
        auto notes = validate::CleanText(req->notes(), {.max_characters = 2000, .required = false, .multi_line = true});
        v.Check("notes", notes.status());
        RETURN_IF_ERROR(v.ToStatus());
        ASSIGN_OR_RETURN(store::PairingState pairing, d_.registry->GetPairing(b.id(), req->cadre_id()));
        if (!pairing.active) {
          return absl::FailedPreconditionError("only a cadre paired with the beneficiary records visits to her");
        }
        v1::Visit visit;
        visit.set_id(d_.ids->Next());
        visit.set_cadre_id(req->cadre_id());
        visit.set_beneficiary_id(b.id());
        *visit.mutable_visited_on() = req->visited_on();
        visit.set_notes(*notes);
        d_.registry->PutVisit(&tx.batch, visit);
        tx.events.push_back(
            events_.Make({visit.id(), 1, b.id(), b.region_code()}, domain::VisitEvent(visit), req->request_id()));
        *resp->mutable_visit() = visit;
        return absl::OkStatus();
      });
}

}  // namespace jinguo::registration::api
