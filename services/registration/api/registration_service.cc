#include "services/registration/api/registration_service.h"

#include <future>
#include <map>
#include <memory>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/base/check.h"
#include "common/base/civil_date.h"
#include "common/base/status.h"
#include "common/rpc/status.h"
#include "common/validate/field_violations.h"
#include "common/validate/mobile.h"
#include "common/validate/region_code.h"
#include "common/validate/text.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/registration/domain/registry_rules.h"

namespace jinguo::registration::api {

using rpc::Role;
using validate::FieldViolations;

namespace {

constexpr size_t kImportChunkRows = 2000;
// An import holds every stripe while it checks a chunk and while the chunk before is committed; it lets go (once
// that chunk has landed) after this many chunks, so other calls wait at most about a second behind a long import.
constexpr int kImportChunksPerLock = 10;

absl::StatusOr<absl::CivilDay> DateOrToday(const common::v1::CivilDate& date, bool has, absl::CivilDay today,
                                           const std::string& field, FieldViolations& v) {
  if (!has) return today;
  auto d = FromProto(date);
  if (!d.ok()) {
    v.Add(field, d.status().message());
    return today;
  }
  if (*d > today) v.Add(field, "is in the future");
  return *d;
}

// A date the request must carry, not in the future.
void RequiredPastDate(const common::v1::CivilDate& date, bool has, absl::CivilDay today, const std::string& field,
                      FieldViolations& v) {
  if (!has) {
    v.Add(field, "is required");
    return;
  }
  DateOrToday(date, true, today, field, v).IgnoreError();
}

absl::Status CheckExpectedVersion(int64_t expected, int64_t actual, const char* what) {
  if (expected <= 0) {
    FieldViolations v;
    v.Add("expected_version", "is required (the version you read)");
    return v.ToStatus();
  }
  if (expected != actual) {
    return absl::AbortedError(absl::StrCat(what, " was changed by someone else (version ", actual,
                                           ", you sent ", expected, "); read it again and retry"));
  }
  return absl::OkStatus();
}

constexpr rpc::PageLimits kPageLimits{50, 500};

// The region a read covers: the requested prefix, or the caller's whole scope when none is given.
absl::StatusOr<std::string> ReadScope(const rpc::Principal& who, const regions::RegionTable& table,
                                      const std::string& prefix) {
  FieldViolations v;
  v.Check("region_prefix", validate::CheckRegionPrefix(table, prefix));
  RETURN_IF_ERROR(v.ToStatus());
  std::string scope = prefix.empty() ? who.region_scope : prefix;
  RETURN_IF_ERROR(rpc::Authorize(who, Role::kViewer, scope));
  return scope;
}

}  // namespace

struct RegistrationService::PendingRows {
  std::set<std::string> id_numbers;
  std::map<std::string, std::string> duplicate_keys;  // key → beneficiary id
  std::map<std::string, v1::Household> households;
  std::map<std::string, v1::RegisterBeneficiaryRequest> requests;  // request id → the accepted row's request
  // The chunk before, while it is being committed: not in the store yet, so its rows are looked up here.
  const PendingRows* earlier = nullptr;

  const v1::RegisterBeneficiaryRequest* Request(const std::string& request_id) const {
    auto it = requests.find(request_id);
    if (it != requests.end()) return &it->second;
    return earlier != nullptr ? earlier->Request(request_id) : nullptr;
  }

  bool HasIdNumber(const std::string& id_number) const {
    return id_numbers.count(id_number) > 0 || (earlier != nullptr && earlier->HasIdNumber(id_number));
  }
  const std::string* DuplicateOf(const std::string& key) const {
    auto it = duplicate_keys.find(key);
    if (it != duplicate_keys.end()) return &it->second;
    return earlier != nullptr ? earlier->DuplicateOf(key) : nullptr;
  }
};

RegistrationService::RegistrationService(Dependencies deps)
    : d_(deps), events_("registration", *deps.clock, *deps.ids) {
  replays_total_ = &prometheus::BuildCounter()
                        .Name("jinguo_registration_request_replays_total")
                        .Help("Mutating calls answered from the request log (a retry with a known request_id)")
                        .Register(*d_.metrics)
                        .Add({});
  duplicates_flagged_total_ = &prometheus::BuildCounter()
                                   .Name("jinguo_registration_duplicates_flagged_total")
                                   .Help("Registrations flagged as possible duplicates (same name, birth, county)")
                                   .Register(*d_.metrics)
                                   .Add({});
  import_rows_ = &prometheus::BuildCounter()
                      .Name("jinguo_registration_import_rows_total")
                      .Help("Rows received by ImportBeneficiaries, by outcome")
                      .Register(*d_.metrics);
}

absl::CivilDay RegistrationService::Today() const { return ChinaDay(d_.clock->Now()); }

std::string RegistrationService::BeneficiaryKey(const std::string& id) const {
  auto resolved = d_.registry->ResolveBeneficiaryId(id);
  return absl::StrCat("ben:", resolved.ok() && resolved->has_value() ? **resolved : id);
}

namespace {

std::vector<std::string> NoKeys() { return {}; }

// Keys of a registration: her ID number, and her name (a duplicate candidate shares it).
std::vector<std::string> RegistrationKeys(const v1::BeneficiaryInput& in) {
  std::string id_number = in.id_number();
  if (!id_number.empty() && id_number.back() == 'x') id_number.back() = 'X';
  return {absl::StrCat("idn:", id_number), absl::StrCat("name:", validate::TrimSpaces(in.name()))};
}

}  // namespace

grpc::ServerUnaryReactor* RegistrationService::Mutate(grpc::CallbackServerContext* ctx, const char* method,
                                                      const std::string& request_id,
                                                      const google::protobuf::Message& request,
                                                      google::protobuf::Message* response, Scope scope,
                                                      const LockKeys& keys, const Decide& decide) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  auto finish = [reactor](const absl::Status& s) {
    reactor->Finish(rpc::ToGrpcStatus(s));
    return reactor;
  };
  if (absl::Status open = d_.gate->Admit(); !open.ok()) return finish(open);
  auto who = d_.auth->Authenticate(*ctx);
  if (!who.ok()) return finish(who.status());
  if (absl::Status s = rpc::Authorize(*who, Role::kOperator, who->region_scope); !s.ok()) return finish(s);
  FieldViolations v;
  v.Check("request_id", rpc::CheckRequestId(request_id));
  if (!v.empty()) return finish(v.ToStatus());

  KeyedMutex::Held held;
  if (scope == Scope::kExclusive) {
    held = key_locks_.LockEverything();
  } else {
    std::vector<std::string> all = keys();
    all.push_back(absl::StrCat("req:", method, "/", request_id));
    held = key_locks_.LockAll(all);
  }
  auto earlier = d_.requests->Find(method, request_id, request, response);
  if (!earlier.ok()) return finish(earlier.status());
  if (*earlier) {
    replays_total_->Increment();
    return finish(absl::OkStatus());
  }
  Tx tx;
  if (absl::Status s = decide(*who, tx); !s.ok()) return finish(s);
  d_.requests->Record(&tx.batch, method, request_id, request, *response);
  // The keys stay held until the write is on disk, so the next call on them reads what this one wrote.
  d_.commits->Submit(std::move(tx.batch), std::move(tx.events),
                     [held = std::move(held), finish](const absl::Status& s) mutable {
                       held.Release();
                       finish(s);
                     });
  return reactor;
}

absl::StatusOr<v1::Beneficiary> RegistrationService::LoadBeneficiary(const std::string& id, const char* field) const {
  if (id.empty()) {
    FieldViolations v;
    v.Add(field, "is required");
    return v.ToStatus();
  }
  ASSIGN_OR_RETURN(auto resolved, d_.registry->ResolveBeneficiaryId(id));
  if (!resolved) return absl::NotFoundError(absl::StrCat("no beneficiary ", id));
  ASSIGN_OR_RETURN(auto b, d_.registry->GetBeneficiary(*resolved));
  if (!b) return absl::NotFoundError(absl::StrCat("no beneficiary ", id));
  return *std::move(b);
}

// ---------------------------------------------------------------------------------------------------------------
// Households

grpc::ServerUnaryReactor* RegistrationService::RegisterHousehold(grpc::CallbackServerContext* ctx,
                                                                 const v1::RegisterHouseholdRequest* req,
                                                                 v1::RegisterHouseholdResponse* resp) {
  return Mutate(ctx, "RegisterHousehold", req->request_id(), *req, resp, Scope::kKeys, NoKeys, [&](const rpc::Principal& who, Tx& tx) {
    FieldViolations v;
    v.Check("region_code", validate::CheckRegionCode(*d_.regions, req->region_code()));
    if (req->attribute() == v1::HOUSEHOLD_ATTRIBUTE_UNSPECIFIED || !v1::HouseholdAttribute_IsValid(req->attribute())) {
      v.Add("attribute", "must be GENERAL (一般贫困户), LOW_INCOME (低保贫困户) or DESTITUTE (特困供养)");
    }
    std::string head_name = domain::CheckPersonName(req->head_name(), "head_name", v);
    absl::CivilDay today = Today();
    auto on = DateOrToday(req->registered_on(), req->has_registered_on(), today, "registered_on", v);
    RETURN_IF_ERROR(v.ToStatus());
    RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, req->region_code()));
    v1::Household h;
    h.set_id(d_.ids->Next());
    h.set_region_code(req->region_code());
    h.set_attribute(req->attribute());
    h.set_head_name(head_name);
    *h.mutable_registered_on() = ToProto(*on);
    h.set_version(1);
    d_.registry->PutHousehold(&tx.batch, h);
    v1::HouseholdRegistered e;
    e.set_household_id(h.id());
    e.set_region_code(h.region_code());
    e.set_attribute(h.attribute());
    *e.mutable_registered_on() = h.registered_on();
    tx.events.push_back(events_.Make({h.id(), 1, "", h.region_code()}, e, req->request_id()));
    *resp->mutable_household() = h;
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistrationService::UpdateHousehold(grpc::CallbackServerContext* ctx,
                                                               const v1::UpdateHouseholdRequest* req,
                                                               v1::UpdateHouseholdResponse* resp) {
  return Mutate(ctx, "UpdateHousehold", req->request_id(), *req, resp, Scope::kExclusive, NoKeys, [&](const rpc::Principal& who, Tx& tx) {
    if (req->household_id().empty()) return validate::FieldError(absl::StatusCode::kInvalidArgument, "household_id", "is required");
    ASSIGN_OR_RETURN(auto current, d_.registry->GetHousehold(req->household_id()));
    if (!current) return absl::NotFoundError(absl::StrCat("no household ", req->household_id()));
    RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, current->region_code()));
    FieldViolations v;
    v.Check("region_code", validate::CheckRegionCode(*d_.regions, req->region_code()));
    if (req->attribute() == v1::HOUSEHOLD_ATTRIBUTE_UNSPECIFIED || !v1::HouseholdAttribute_IsValid(req->attribute())) {
      v.Add("attribute", "must be GENERAL (一般贫困户), LOW_INCOME (低保贫困户) or DESTITUTE (特困供养)");
    }
    std::string head_name = domain::CheckPersonName(req->head_name(), "head_name", v);
    RETURN_IF_ERROR(v.ToStatus());
    RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, req->region_code()));
    RETURN_IF_ERROR(CheckExpectedVersion(req->expected_version(), current->version(), "the household"));

    v1::Household h = *current;
    h.set_region_code(req->region_code());
    h.set_attribute(req->attribute());
    h.set_head_name(head_name);
    h.set_version(current->version() + 1);
    d_.registry->PutHousehold(&tx.batch, h);
    v1::HouseholdUpdated e;
    e.set_household_id(h.id());
    e.set_region_code(h.region_code());
    e.set_attribute(h.attribute());
    e.set_previous_region_code(current->region_code());
    e.set_previous_attribute(current->attribute());
    tx.events.push_back(events_.Make({h.id(), h.version(), "", h.region_code()}, e, req->request_id()));
    if (h.region_code() != current->region_code() || h.attribute() != current->attribute()) {
      for (const std::string& member_id : current->member_ids()) {
        ASSIGN_OR_RETURN(auto member, d_.registry->GetBeneficiary(member_id));
        if (!member) continue;
        v1::Beneficiary moved = *member;
        moved.set_region_code(h.region_code());
        moved.set_household_attribute(h.attribute());
        moved.set_version(member->version() + 1);
        d_.registry->PutBeneficiary(&tx.batch, moved, &*member);
        v1::BeneficiaryUpdated be;
        *be.mutable_beneficiary() = domain::FactsOf(moved);
        if (moved.region_code() != member->region_code()) be.set_previous_region_code(member->region_code());
        tx.events.push_back(
            events_.Make({moved.id(), moved.version(), moved.id(), moved.region_code()}, be, req->request_id()));
      }
    }
    *resp->mutable_household() = h;
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Beneficiaries

absl::Status RegistrationService::RegisterInto(const rpc::Principal& who, const v1::BeneficiaryInput& in,
                                               const std::string& prefix, const std::string& correlation, Tx& tx,
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
  if (pending && (pending->HasIdNumber(facts.id_number) || !pending->id_numbers.insert(facts.id_number).second)) {
    return validate::FieldError(absl::StatusCode::kAlreadyExists, prefix + "id_number",
                                "appears in an earlier row of this import");
  }

  v1::Beneficiary b = domain::BuildBeneficiary(d_.ids->Next(), in, facts, *household);
  b.set_version(1);
  d_.registry->PutBeneficiary(&tx.batch, b, nullptr);
  v1::BeneficiaryRegistered registered;
  *registered.mutable_beneficiary() = domain::FactsOf(b);
  tx.events.push_back(events_.Make({b.id(), 1, b.id(), b.region_code()}, registered, correlation));

  // A different ID number with the same name, birth date and county: accept, and flag for a person to decide.
  std::string key = domain::DuplicateKey(b.region_code(), facts.birth_date, b.name());
  ASSIGN_OR_RETURN(std::vector<std::string> matches, d_.registry->DuplicateMatches(key));
  if (pending) {
    if (const std::string* earlier = pending->DuplicateOf(key)) matches.push_back(*earlier);
    pending->duplicate_keys.emplace(key, b.id());
  }
  if (!matches.empty()) {
    v1::DuplicateCandidate c;
    c.set_id(d_.ids->Next());
    c.set_beneficiary_id(b.id());
    c.set_existing_beneficiary_id(matches.front());
    c.set_region_code(b.region_code());
    c.set_state(v1::DUPLICATE_STATE_OPEN);
    c.set_version(1);
    d_.registry->PutCandidate(&tx.batch, c);
    v1::DuplicateCandidateFlagged flagged;
    flagged.set_candidate_id(c.id());
    flagged.set_beneficiary_id(b.id());
    flagged.set_existing_beneficiary_id(c.existing_beneficiary_id());
    tx.events.push_back(events_.Make({c.id(), 1, b.id(), b.region_code()}, flagged, correlation));
    resp->set_duplicate_candidate_id(c.id());
    duplicates_flagged_total_->Increment();
  }
  *resp->mutable_beneficiary() = b;
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* RegistrationService::RegisterBeneficiary(grpc::CallbackServerContext* ctx,
                                                                   const v1::RegisterBeneficiaryRequest* req,
                                                                   v1::RegisterBeneficiaryResponse* resp) {
  return Mutate(ctx, "RegisterBeneficiary", req->request_id(), *req, resp, Scope::kKeys,
                [&] { return RegistrationKeys(req->beneficiary()); }, [&](const rpc::Principal& who, Tx& tx) {
    return RegisterInto(who, req->beneficiary(), "beneficiary.", req->request_id(), tx, nullptr, resp);
  });
}

grpc::ServerUnaryReactor* RegistrationService::UpdateBeneficiary(grpc::CallbackServerContext* ctx,
                                                                 const v1::UpdateBeneficiaryRequest* req,
                                                                 v1::UpdateBeneficiaryResponse* resp) {
  return Mutate(ctx, "UpdateBeneficiary", req->request_id(), *req, resp, Scope::kKeys,
                [&] {
                  auto keys = RegistrationKeys(req->beneficiary());
                  keys.push_back(BeneficiaryKey(req->beneficiary_id()));
                  return keys;
                },
                [&](const rpc::Principal& who, Tx& tx) {
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
    RETURN_IF_ERROR(CheckExpectedVersion(req->expected_version(), current.version(), "the beneficiary"));
    v1::Beneficiary b = domain::BuildBeneficiary(current.id(), req->beneficiary(), facts, *household);
    *b.mutable_cadre_ids() = current.cadre_ids();
    *b.mutable_merged_ids() = current.merged_ids();
    b.set_version(current.version() + 1);
    d_.registry->PutBeneficiary(&tx.batch, b, &current);
    v1::BeneficiaryUpdated e;
    *e.mutable_beneficiary() = domain::FactsOf(b);
    if (b.region_code() != current.region_code()) e.set_previous_region_code(current.region_code());
    tx.events.push_back(events_.Make({b.id(), b.version(), b.id(), b.region_code()}, e, req->request_id()));
    *resp->mutable_beneficiary() = b;
    return absl::OkStatus();
  });
}

grpc::Status RegistrationService::GetBeneficiary(grpc::ServerContext* ctx, const v1::GetBeneficiaryRequest* req,
                                                 v1::GetBeneficiaryResponse* resp) {
  if (absl::Status open = d_.gate->Admit(); !open.ok()) return rpc::ToGrpcStatus(open);
  auto who = d_.auth->Authenticate(*ctx);
  if (!who.ok()) return rpc::ToGrpcStatus(who.status());
  auto b = LoadBeneficiary(req->beneficiary_id(), "beneficiary_id");
  if (!b.ok()) return rpc::ToGrpcStatus(b.status());
  if (absl::Status s = rpc::Authorize(*who, Role::kViewer, b->region_code()); !s.ok()) return rpc::ToGrpcStatus(s);
  *resp->mutable_beneficiary() = who->SeesIdentifiers() ? *b : domain::Masked(*b);
  return grpc::Status::OK;
}

grpc::Status RegistrationService::ListBeneficiaries(grpc::ServerContext* ctx, const v1::ListBeneficiariesRequest* req,
                                                    v1::ListBeneficiariesResponse* resp) {
  if (absl::Status open = d_.gate->Admit(); !open.ok()) return rpc::ToGrpcStatus(open);
  auto who = d_.auth->Authenticate(*ctx);
  if (!who.ok()) return rpc::ToGrpcStatus(who.status());
  auto scope = ReadScope(*who, *d_.regions, req->region_prefix());
  if (!scope.ok()) return rpc::ToGrpcStatus(scope.status());
  FieldViolations v;
  if (!v1::Category_IsValid(req->category())) v.Add("category", "unknown category");
  if (!v1::MonitoringStatus_IsValid(req->monitoring_status())) v.Add("monitoring_status", "unknown status");
  int page_size = rpc::PageSize(req->page().page_size(), kPageLimits, "page.page_size", v);
  rpc::PageQuery query{"ListBeneficiaries",
                       who->region_scope,
                       *scope,
                       {absl::StrCat("category=", req->category()),
                        absl::StrCat("monitoring_status=", req->monitoring_status())}};
  auto after = d_.pages->Resume(query, req->page().page_token(), "page.page_token");
  if (!after.ok()) v.Merge(after.status());
  if (!v.empty()) return rpc::ToGrpcStatus(v.ToStatus());
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
  if (!page.ok()) return rpc::ToGrpcStatus(page.status());
  for (auto& b : *page) *resp->add_beneficiaries() = who->SeesIdentifiers() ? std::move(b) : domain::Masked(b);
  if (!next.empty()) resp->set_next_page_token(d_.pages->Issue(query, next));
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* RegistrationService::ChangeMonitoringStatus(grpc::CallbackServerContext* ctx,
                                                                      const v1::ChangeMonitoringStatusRequest* req,
                                                                      v1::ChangeMonitoringStatusResponse* resp) {
  return Mutate(ctx, "ChangeMonitoringStatus", req->request_id(), *req, resp, Scope::kKeys,
                [&] { return std::vector<std::string>{BeneficiaryKey(req->beneficiary_id())}; }, [&](const rpc::Principal& who, Tx& tx) {
    ASSIGN_OR_RETURN(v1::Beneficiary current, LoadBeneficiary(req->beneficiary_id(), "beneficiary_id"));
    RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, current.region_code()));
    FieldViolations v;
    if (req->status() == v1::MONITORING_STATUS_UNSPECIFIED || !v1::MonitoringStatus_IsValid(req->status())) {
      v.Add("status", "is required");
    }
    if (req->reason().empty()) v.Add("reason", "is required (why the status changes)");
    RequiredPastDate(req->effective_on(), req->has_effective_on(), Today(), "effective_on", v);
    RETURN_IF_ERROR(v.ToStatus());
    RETURN_IF_ERROR(CheckExpectedVersion(req->expected_version(), current.version(), "the beneficiary"));
    RETURN_IF_ERROR(domain::CheckMonitoringTransition(current.monitoring_status(), req->status()));
    v1::Beneficiary b = current;
    b.set_monitoring_status(req->status());
    b.set_version(current.version() + 1);
    d_.registry->PutBeneficiary(&tx.batch, b, &current);
    v1::MonitoringStatusChanged e;
    e.set_beneficiary_id(b.id());
    e.set_previous_status(current.monitoring_status());
    e.set_status(b.monitoring_status());
    e.set_reason(req->reason());
    *e.mutable_effective_on() = req->effective_on();
    tx.events.push_back(events_.Make({b.id(), b.version(), b.id(), b.region_code()}, e, req->request_id()));
    *resp->mutable_beneficiary() = b;
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Cadres, pairings, visits

grpc::ServerUnaryReactor* RegistrationService::RegisterCadre(grpc::CallbackServerContext* ctx,
                                                             const v1::RegisterCadreRequest* req,
                                                             v1::RegisterCadreResponse* resp) {
  return Mutate(ctx, "RegisterCadre", req->request_id(), *req, resp, Scope::kKeys, NoKeys, [&](const rpc::Principal& who, Tx& tx) {
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
    v1::Cadre c;
    c.set_id(d_.ids->Next());
    c.set_name(name);
    c.set_mobile(mobile);
    c.set_region_code(req->region_code());
    c.set_version(1);
    d_.registry->PutCadre(&tx.batch, c);
    v1::CadreRegistered e;
    e.set_cadre_id(c.id());
    e.set_name(c.name());
    e.set_region_code(c.region_code());
    tx.events.push_back(events_.Make({c.id(), 1, "", c.region_code()}, e, req->request_id()));
    *resp->mutable_cadre() = c;
    return absl::OkStatus();
  });
}

namespace {

std::string PairingAggregate(const std::string& cadre_id, const std::string& beneficiary_id) {
  return absl::StrCat(cadre_id, "/", beneficiary_id);
}

}  // namespace

grpc::ServerUnaryReactor* RegistrationService::PairCadre(grpc::CallbackServerContext* ctx,
                                                         const v1::PairCadreRequest* req,
                                                         v1::PairCadreResponse* resp) {
  return Mutate(ctx, "PairCadre", req->request_id(), *req, resp, Scope::kKeys,
                [&] { return std::vector<std::string>{BeneficiaryKey(req->beneficiary_id())}; }, [&](const rpc::Principal& who, Tx& tx) {
    ASSIGN_OR_RETURN(v1::Beneficiary b, LoadBeneficiary(req->beneficiary_id(), "beneficiary_id"));
    RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, b.region_code()));
    FieldViolations v;
    if (req->cadre_id().empty()) v.Add("cadre_id", "is required");
    auto on = DateOrToday(req->paired_on(), req->has_paired_on(), Today(), "paired_on", v);
    RETURN_IF_ERROR(v.ToStatus());
    ASSIGN_OR_RETURN(auto cadre, d_.registry->GetCadre(req->cadre_id()));
    if (!cadre) return absl::NotFoundError(absl::StrCat("no cadre ", req->cadre_id()));
    if (b.region_code().rfind(cadre->region_code(), 0) != 0) {
      return absl::FailedPreconditionError(absl::StrCat("cadre ", cadre->name(), " serves region ",
                                                        cadre->region_code(), "; the beneficiary lives in ",
                                                        b.region_code(), ", outside it"));
    }
    ASSIGN_OR_RETURN(store::PairingState pairing, d_.registry->GetPairing(b.id(), cadre->id()));
    if (pairing.active) return absl::AlreadyExistsError("this cadre is already paired with this beneficiary");
    pairing.active = true;
    ++pairing.version;
    d_.registry->PutPairing(&tx.batch, b.id(), cadre->id(), pairing);
    v1::Beneficiary updated = b;
    updated.add_cadre_ids(cadre->id());
    d_.registry->PutBeneficiary(&tx.batch, updated, &b);
    v1::CadrePaired e;
    e.set_cadre_id(cadre->id());
    e.set_beneficiary_id(b.id());
    *e.mutable_paired_on() = ToProto(*on);
    tx.events.push_back(events_.Make({PairingAggregate(cadre->id(), b.id()), pairing.version, b.id(), b.region_code()},
                                     e, req->request_id()));
    *resp->mutable_beneficiary() = updated;
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistrationService::UnpairCadre(grpc::CallbackServerContext* ctx,
                                                           const v1::UnpairCadreRequest* req,
                                                           v1::UnpairCadreResponse* resp) {
  return Mutate(ctx, "UnpairCadre", req->request_id(), *req, resp, Scope::kKeys,
                [&] { return std::vector<std::string>{BeneficiaryKey(req->beneficiary_id())}; }, [&](const rpc::Principal& who, Tx& tx) {
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
    v1::Beneficiary updated = b;
    updated.clear_cadre_ids();
    for (const auto& c : b.cadre_ids()) {
      if (c != req->cadre_id()) updated.add_cadre_ids(c);
    }
    d_.registry->PutBeneficiary(&tx.batch, updated, &b);
    v1::CadreUnpaired e;
    e.set_cadre_id(req->cadre_id());
    e.set_beneficiary_id(b.id());
    e.set_reason(req->reason());
    tx.events.push_back(events_.Make(
        {PairingAggregate(req->cadre_id(), b.id()), pairing.version, b.id(), b.region_code()}, e, req->request_id()));
    *resp->mutable_beneficiary() = updated;
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* RegistrationService::RecordVisit(grpc::CallbackServerContext* ctx,
                                                           const v1::RecordVisitRequest* req,
                                                           v1::RecordVisitResponse* resp) {
  return Mutate(ctx, "RecordVisit", req->request_id(), *req, resp, Scope::kKeys,
                [&] { return std::vector<std::string>{BeneficiaryKey(req->beneficiary_id())}; }, [&](const rpc::Principal& who, Tx& tx) {
    ASSIGN_OR_RETURN(v1::Beneficiary b, LoadBeneficiary(req->beneficiary_id(), "beneficiary_id"));
    RETURN_IF_ERROR(rpc::Authorize(who, Role::kOperator, b.region_code()));
    FieldViolations v;
    if (req->cadre_id().empty()) v.Add("cadre_id", "is required");
    RequiredPastDate(req->visited_on(), req->has_visited_on(), Today(), "visited_on", v);
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
    v1::VisitRecorded e;
    e.set_visit_id(visit.id());
    e.set_cadre_id(visit.cadre_id());
    e.set_beneficiary_id(b.id());
    *e.mutable_visited_on() = visit.visited_on();
    tx.events.push_back(events_.Make({visit.id(), 1, b.id(), b.region_code()}, e, req->request_id()));
    *resp->mutable_visit() = visit;
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Duplicates

grpc::Status RegistrationService::ListDuplicateCandidates(grpc::ServerContext* ctx,
                                                          const v1::ListDuplicateCandidatesRequest* req,
                                                          v1::ListDuplicateCandidatesResponse* resp) {
  if (absl::Status open = d_.gate->Admit(); !open.ok()) return rpc::ToGrpcStatus(open);
  auto who = d_.auth->Authenticate(*ctx);
  if (!who.ok()) return rpc::ToGrpcStatus(who.status());
  auto scope = ReadScope(*who, *d_.regions, req->region_prefix());
  if (!scope.ok()) return rpc::ToGrpcStatus(scope.status());
  FieldViolations v;
  if (!v1::DuplicateState_IsValid(req->state())) v.Add("state", "unknown state");
  int page_size = rpc::PageSize(req->page().page_size(), kPageLimits, "page.page_size", v);
  rpc::PageQuery query{"ListDuplicateCandidates", who->region_scope, *scope, {absl::StrCat("state=", req->state())}};
  auto after = d_.pages->Resume(query, req->page().page_token(), "page.page_token");
  if (!after.ok()) v.Merge(after.status());
  if (!v.empty()) return rpc::ToGrpcStatus(v.ToStatus());
  std::string next;
  auto page = d_.registry->ListCandidates(
      *scope, *after, page_size,
      [&](const v1::DuplicateCandidate& c) {
        return who->Covers(c.region_code()) &&
               (req->state() == v1::DUPLICATE_STATE_UNSPECIFIED || c.state() == req->state());
      },
      &next);
  if (!page.ok()) return rpc::ToGrpcStatus(page.status());
  for (auto& c : *page) *resp->add_candidates() = std::move(c);
  if (!next.empty()) resp->set_next_page_token(d_.pages->Issue(query, next));
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* RegistrationService::ResolveDuplicateCandidate(grpc::CallbackServerContext* ctx,
                                                                         const v1::ResolveDuplicateCandidateRequest* req,
                                                                         v1::ResolveDuplicateCandidateResponse* resp) {
  return Mutate(ctx, "ResolveDuplicateCandidate", req->request_id(), *req, resp, Scope::kExclusive, NoKeys, [&](const rpc::Principal& who,
                                                                                      Tx& tx) {
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
        if (from.active && !to.active) d_.registry->PutPairing(&tx.batch, survivor_id, cadre_id, {to.version, true});
      }
      c.set_survivor_id(survivor_id);
      for (auto& conflict : result.conflicts) *c.add_conflicts() = conflict;
      v1::BeneficiariesMerged e;
      e.set_survivor_id(survivor_id);
      e.set_merged_id(merged_id);
      *e.mutable_survivor() = domain::FactsOf(result.survivor);
      for (auto& conflict : result.conflicts) *e.add_conflicts() = conflict;
      e.set_merged_region_code(merged->region_code());
      tx.events.push_back(events_.Make(
          {survivor_id, result.survivor.version(), survivor_id, result.survivor.region_code()}, e,
          req->request_id()));
    }
    d_.registry->PutCandidate(&tx.batch, c);
    v1::DuplicateCandidateResolved resolved;
    resolved.set_candidate_id(c.id());
    resolved.set_state(c.state());
    resolved.set_survivor_id(c.survivor_id());
    tx.events.push_back(events_.Make({c.id(), c.version(), c.beneficiary_id(), c.region_code()}, resolved,
                                     req->request_id()));
    *resp->mutable_candidate() = c;
    return absl::OkStatus();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Import

grpc::Status RegistrationService::ImportBeneficiaries(grpc::ServerContext* ctx,
                                                      grpc::ServerReader<v1::ImportBeneficiariesRequest>* reader,
                                                      v1::ImportBeneficiariesResponse* resp) {
  if (absl::Status open = d_.gate->Admit(); !open.ok()) return rpc::ToGrpcStatus(open);
  auto who = d_.auth->Authenticate(*ctx);
  if (!who.ok()) return rpc::ToGrpcStatus(who.status());
  if (absl::Status s = rpc::Authorize(*who, Role::kOperator, who->region_scope); !s.ok()) {
    return rpc::ToGrpcStatus(s);
  }
  auto& accepted_rows = import_rows_->Add({{"outcome", "accepted"}});
  auto& rejected_rows = import_rows_->Add({{"outcome", "rejected"}});
  auto& repeated_rows = import_rows_->Add({{"outcome", "repeated"}});

  auto reject = [&](int64_t row, absl::string_view field, absl::string_view reason) {
    auto* r = resp->add_rejected();
    r->set_row_number(row);
    r->set_field(std::string(field));
    r->set_reason(std::string(reason));
    rejected_rows.Increment();
  };
  // A failed status becomes one rejection per field violation it names; every refusal of a row names its field
  // (one that names none is a failure of the service, not of the row, and ends the import).
  auto reject_status = [&](int64_t row, const absl::Status& s) {
    google::rpc::BadRequest br = validate::BadRequestOf(s);
    for (const auto& fv : br.field_violations()) reject(row, fv.field(), fv.description());
    return br.field_violations_size() > 0 ? absl::OkStatus() : s;
  };

  // Chunks are pipelined: one is checked and built while the one before is committed. That one is not in the
  // store yet, so its rows stay in `in_flight_rows` for the checks, and every stripe stays locked until it has
  // landed: no other call reads a state that lacks it.
  std::vector<v1::ImportBeneficiariesRequest> chunk;
  int64_t arrival = 0;
  KeyedMutex::Held everything;
  int chunks_locked = 0;
  std::unique_ptr<PendingRows> in_flight_rows;
  std::future<absl::Status> in_flight;
  auto land = [&]() -> absl::Status {
    if (!in_flight.valid()) return absl::OkStatus();
    absl::Status s = in_flight.get();
    in_flight_rows.reset();
    return s;
  };
  auto flush = [&](bool last) -> absl::Status {
    if (chunk.empty()) {  // the stream ended on a chunk boundary
      RETURN_IF_ERROR(land());
      everything.Release();
      return absl::OkStatus();
    }
    if (chunks_locked == 0) everything = key_locks_.LockEverything();
    Tx tx;
    auto rows = std::make_unique<PendingRows>();
    PendingRows& pending = *rows;
    pending.earlier = in_flight_rows.get();
    for (auto& row : chunk) {
      int64_t row_number = row.row_number();
      v1::RegisterBeneficiaryRequest as_request;
      as_request.set_request_id(row.request_id());
      *as_request.mutable_beneficiary() = row.beneficiary();
      if (absl::Status s = rpc::CheckRequestId(row.request_id()); !s.ok()) {
        reject(row_number, "request_id", s.message());
        continue;
      }
      // A request id accepted earlier in this import, maybe not yet in the request log: as the log would answer.
      if (const v1::RegisterBeneficiaryRequest* seen = pending.Request(row.request_id())) {
        if (google::protobuf::util::MessageDifferencer::Equals(*seen, as_request)) {
          resp->set_repeated_rows(resp->repeated_rows() + 1);
          repeated_rows.Increment();
        } else {
          RETURN_IF_ERROR(reject_status(row_number, rpc::RequestIdReused(row.request_id())));
        }
        continue;
      }
      v1::RegisterBeneficiaryResponse answer;
      auto earlier = d_.requests->Find("RegisterBeneficiary", row.request_id(), as_request, &answer);
      if (!earlier.ok()) {
        RETURN_IF_ERROR(reject_status(row_number, earlier.status()));
        continue;
      }
      if (*earlier) {
        resp->set_repeated_rows(resp->repeated_rows() + 1);
        repeated_rows.Increment();
        continue;
      }
      size_t events_before = tx.events.size();
      absl::Status s = RegisterInto(*who, row.beneficiary(), "beneficiary.", row.request_id(), tx, &pending, &answer);
      if (!s.ok()) {
        JG_DCHECK(tx.events.size() == events_before);
        RETURN_IF_ERROR(reject_status(row_number, s));
        continue;
      }
      d_.requests->Record(&tx.batch, "RegisterBeneficiary", row.request_id(), as_request, answer);
      pending.requests.emplace(row.request_id(), std::move(as_request));
      resp->set_accepted(resp->accepted() + 1);
      if (!answer.duplicate_candidate_id().empty()) resp->set_duplicates_flagged(resp->duplicates_flagged() + 1);
      accepted_rows.Increment();
    }
    chunk.clear();
    pending.earlier = nullptr;
    RETURN_IF_ERROR(land());  // the chunk before
    auto landed = std::make_shared<std::promise<absl::Status>>();
    in_flight = landed->get_future();
    in_flight_rows = std::move(rows);
    d_.commits->Submit(std::move(tx.batch), std::move(tx.events),
                       [landed](const absl::Status& s) { landed->set_value(s); });
    if (++chunks_locked >= kImportChunksPerLock || last) {
      RETURN_IF_ERROR(land());
      everything.Release();
      chunks_locked = 0;
    }
    return absl::OkStatus();
  };

  v1::ImportBeneficiariesRequest row;
  while (reader->Read(&row)) {
    ++arrival;
    if (row.row_number() == 0) row.set_row_number(arrival);
    resp->set_rows(resp->rows() + 1);
    chunk.push_back(std::move(row));
    row = v1::ImportBeneficiariesRequest();
    if (chunk.size() >= kImportChunkRows) {
      if (absl::Status s = flush(/*last=*/false); !s.ok()) return rpc::ToGrpcStatus(s);
    }
  }
  if (absl::Status s = flush(/*last=*/true); !s.ok()) return rpc::ToGrpcStatus(s);
  return grpc::Status::OK;
}

}  // namespace jinguo::registration::api
