// The registry's decisions, as pure functions: what a valid beneficiary is, her category, which monitoring
// status changes are allowed, how two duplicate records merge, and what events say about her. No I/O, no clock
// (the caller passes today's date), no RocksDB. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "common/regions/region_table.h"
#include "common/validate/field_violations.h"
#include "jinguo/registration/v1/events.pb.h"
#include "jinguo/registration/v1/types.pb.h"

namespace jinguo::registration::domain {

namespace v1 = ::jinguo::registration::v1;

// Women are registered from this age on the registration date; below it, as children.
inline constexpr int kWomanAge = 16;

// What validation derives from a BeneficiaryInput.
struct DerivedFacts {
  std::string id_number;  // normalized (upper-case X)
  v1::Sex sex = v1::SEX_UNSPECIFIED;
  absl::CivilDay birth_date;
  absl::CivilDay registered_on;
  v1::Category category = v1::CATEGORY_UNSPECIFIED;
  std::string name;    // trimmed
  std::string mobile;  // normalized 11 digits, or ""
  v1::MonitoringStatus monitoring_status = v1::MONITORING_STATUS_UNSPECIFIED;
};

// Checks a new registration. `household` is the household named by the input, or nullptr when there is none.
// Every problem is added to `violations` under `prefix` + the input's field name ("beneficiary.id_number").
DerivedFacts CheckRegistration(const v1::BeneficiaryInput& in, const v1::Household* household, absl::CivilDay today,
                               const std::string& prefix, validate::FieldViolations& violations);

// Checks an update of `current`. The ID number, registration date and monitoring status cannot change here.
DerivedFacts CheckUpdate(const v1::BeneficiaryInput& in, const v1::Beneficiary& current, const v1::Household* household,
                         absl::CivilDay today, const std::string& prefix, validate::FieldViolations& violations);

// A person's name (a beneficiary, a household head, a cadre), trimmed: required and not blank, at most 50
// characters (code points), no control, format or bidirectional characters (validate::CleanText). Adds a
// violation under `field` otherwise (and returns "").
std::string CheckPersonName(absl::string_view name, const std::string& field, validate::FieldViolations& violations);

inline constexpr size_t kMaxNameCharacters = 50;

// The beneficiary record for validated input.
v1::Beneficiary BuildBeneficiary(const std::string& id, const v1::BeneficiaryInput& in, const DerivedFacts& facts,
                                 const v1::Household& household);

// WOMAN at kWomanAge or older on `on`, else CHILD.
v1::Category CategoryOn(absl::CivilDay birth_date, absl::CivilDay on);

// OK when a beneficiary may move from `from` to `to`; FAILED_PRECONDITION saying which moves are allowed otherwise.
absl::Status CheckMonitoringTransition(v1::MonitoringStatus from, v1::MonitoringStatus to);

// The statuses reachable from `from`.
std::vector<v1::MonitoringStatus> AllowedTransitions(v1::MonitoringStatus from);

// Chinese name of a status, for messages ("已脱贫").
const char* MonitoringStatusName(v1::MonitoringStatus status);

// The key under which possible duplicates meet: county (first 6 digits of the region), birth date, name.
std::string DuplicateKey(const std::string& region_code, absl::CivilDay birth_date, const std::string& name);

struct MergeResult {
  v1::Beneficiary survivor;
  std::vector<v1::FieldConflict> conflicts;
};

// Merges `merged` into `survivor`: the survivor keeps every field of its own; a field it lacks is taken from the
// merged record; where both have a different value the survivor's stays and the conflict is recorded (identifiers
// masked). Poverty causes, flags and cadres are united; the merged id (and those merged into it) resolve to the
// survivor afterwards.
MergeResult MergeBeneficiaries(const v1::Beneficiary& survivor, const v1::Beneficiary& merged);

// What events say about her: no unmasked identifiers.
v1::BeneficiaryFacts FactsOf(const v1::Beneficiary& b);

// A copy with the ID number and mobile masked, for callers who may not see identifiers.
v1::Beneficiary Masked(const v1::Beneficiary& b);

// The events a decision produces, built from the state it decided.
v1::BeneficiaryRegistered RegisteredEvent(const v1::Beneficiary& b);
// `before` is the record as it was: a region change carries the region she left.
v1::BeneficiaryUpdated UpdatedEvent(const v1::Beneficiary& b, const v1::Beneficiary& before);
v1::DuplicateCandidateFlagged FlaggedEvent(const v1::DuplicateCandidate& c);

// ---- Households ----

// Adds a violation of "attribute" unless `a` is GENERAL, LOW_INCOME or DESTITUTE.
void CheckHouseholdAttribute(v1::HouseholdAttribute a, validate::FieldViolations& violations);
// A new household (version 1).
v1::Household NewHousehold(const std::string& id, const std::string& region_code, v1::HouseholdAttribute attribute,
                           const std::string& head_name, absl::CivilDay registered_on);
// `current` as an update leaves it (version + 1).
v1::Household UpdatedHousehold(const v1::Household& current, const std::string& region_code,
                               v1::HouseholdAttribute attribute, const std::string& head_name);
// Whether the change from `before` to `h` moves its members with it (a new region or attribute).
bool MovesMembers(const v1::Household& h, const v1::Household& before);
// A member of `h` after it moved or changed attribute (version + 1).
v1::Beneficiary MovedMember(const v1::Beneficiary& member, const v1::Household& h);
v1::HouseholdRegistered HouseholdRegisteredEvent(const v1::Household& h);
v1::HouseholdUpdated HouseholdUpdatedEvent(const v1::Household& h, const v1::Household& before);

// ---- Monitoring status ----

// `b` with `status` (version + 1); check the move with CheckMonitoringTransition first.
v1::Beneficiary WithStatus(const v1::Beneficiary& b, v1::MonitoringStatus status);
v1::MonitoringStatusChanged StatusChangedEvent(const v1::Beneficiary& b, const v1::Beneficiary& before,
                                               const std::string& reason, const common::v1::CivilDate& effective_on);

// ---- Cadres, pairings, visits ----

v1::Cadre NewCadre(const std::string& id, const std::string& name, const std::string& mobile,
                   const std::string& region_code);
v1::CadreRegistered CadreRegisteredEvent(const v1::Cadre& c);
// OK when `cadre` serves the region `b` lives in; FAILED_PRECONDITION saying both regions otherwise.
absl::Status CheckCadreServes(const v1::Cadre& cadre, const v1::Beneficiary& b);
// `b` with `cadre_id` among her cadres (once), or without it.
v1::Beneficiary WithCadre(const v1::Beneficiary& b, const std::string& cadre_id);
v1::Beneficiary WithoutCadre(const v1::Beneficiary& b, const std::string& cadre_id);
v1::CadrePaired PairedEvent(const std::string& cadre_id, const std::string& beneficiary_id, absl::CivilDay on);
v1::CadreUnpaired UnpairedEvent(const std::string& cadre_id, const std::string& beneficiary_id,
                                const std::string& reason);
v1::VisitRecorded VisitEvent(const v1::Visit& visit);

// ---- Duplicates ----

v1::DuplicateCandidateResolved ResolvedEvent(const v1::DuplicateCandidate& c);
// The event of `merged` merged into `result.survivor`.
v1::BeneficiariesMerged MergedEvent(const MergeResult& result, const v1::Beneficiary& merged);

// An open duplicate candidate pairing the just-registered `b` with `existing_id`, who shares her name, birth date
// and county.
v1::DuplicateCandidate NewDuplicateCandidate(const std::string& id, const v1::Beneficiary& b,
                                             const std::string& existing_id);

}  // namespace jinguo::registration::domain
