#include "services/registration/domain/registry_rules.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/civil_date.h"
#include "common/base/mask.h"
#include "common/validate/id_number.h"
#include "common/validate/mobile.h"
#include "common/validate/text.h"

namespace jinguo::registration::domain {
std::string CheckPersonName(absl::string_view name, const std::string& field, validate::FieldViolations& v) {
  auto clean = validate::CleanText(name, {kMaxNameCharacters});
  if (!v.Check(field, clean.status())) return "";
  return *std::move(clean);
}

namespace {

void CheckCauses(const v1::BeneficiaryInput& in, const std::string& field, validate::FieldViolations& v) {
  if (in.poverty_causes_size() == 0) {
    v.Add(field, "at least one poverty cause is required");
    return;
  }
  std::set<int> seen;
  for (int cause : in.poverty_causes()) {
    if (cause == v1::POVERTY_CAUSE_UNSPECIFIED || !v1::PovertyCause_IsValid(cause)) {
      v.Add(field, absl::StrCat("unknown poverty cause ", cause));
      return;
    }
    if (!seen.insert(cause).second) {
      v.Add(field, absl::StrCat(v1::PovertyCause_Name(cause), " is listed twice"));
      return;
    }
  }
}

// Checks the fields common to registration and update, given her ID-derived facts.
void CheckCommon(const v1::BeneficiaryInput& in, const v1::Household* household, DerivedFacts& facts,
                 const std::string& prefix, validate::FieldViolations& v) {
  facts.name = CheckPersonName(in.name(), prefix + "name", v);
  if (in.household_id().empty()) {
    v.Add(prefix + "household_id", "is required (register the household first)");
  } else if (household == nullptr) {
    v.Add(prefix + "household_id", "no household with this id");
  }
  CheckCauses(in, prefix + "poverty_causes", v);
  if (!in.mobile().empty()) {
    auto mobile = validate::ParseMobile(in.mobile());
    if (v.Check(prefix + "mobile", mobile.status())) facts.mobile = *mobile;
  }
  if (facts.category == v1::CATEGORY_CHILD) {
    if (in.student() && in.school_stage() == v1::SCHOOL_STAGE_UNSPECIFIED) {
      v.Add(prefix + "school_stage", "is required for a student");
    }
  } else if (facts.category == v1::CATEGORY_WOMAN && in.student()) {
    v.Add(prefix + "student", "only children under 16 are registered as students");
  }
  if (!in.student() && in.school_stage() != v1::SCHOOL_STAGE_UNSPECIFIED) {
    v.Add(prefix + "school_stage", "is only for students");
  }
  if (!v1::SchoolStage_IsValid(in.school_stage())) v.Add(prefix + "school_stage", "unknown school stage");
}

void CheckDerivedAgreement(const v1::BeneficiaryInput& in, const DerivedFacts& facts, const std::string& prefix,
                           validate::FieldViolations& v) {
  if (in.sex() != v1::SEX_UNSPECIFIED && in.sex() != facts.sex) {
    v.Add(prefix + "sex", "disagrees with the ID number (the 17th digit is odd for men, even for women)");
  }
  if (in.has_birth_date()) {
    auto given = FromProto(in.birth_date());
    if (!given.ok()) {
      v.Add(prefix + "birth_date", given.status().message());
    } else if (*given != facts.birth_date) {
      v.Add(prefix + "birth_date", "disagrees with the ID number (characters 7-14)");
    }
  }
}

void CheckWomanOrChild(const DerivedFacts& facts, const std::string& prefix, validate::FieldViolations& v) {
  if (facts.category == v1::CATEGORY_WOMAN && facts.sex == v1::SEX_MALE) {
    v.Add(prefix + "id_number", "belongs to a man aged 16 or over; only women and children are registered");
  }
}

}  // namespace

v1::Category CategoryOn(absl::CivilDay birth_date, absl::CivilDay on) {
  return AgeInYears(birth_date, on) >= kWomanAge ? v1::CATEGORY_WOMAN : v1::CATEGORY_CHILD;
}

DerivedFacts CheckRegistration(const v1::BeneficiaryInput& in, const v1::Household* household, absl::CivilDay today,
                               const std::string& prefix, validate::FieldViolations& v) {
  DerivedFacts facts;
  auto id = validate::ParseIdNumber(in.id_number(), today);
  bool id_ok = v.Check(prefix + "id_number", id.status());
  facts.registered_on = today;
  if (in.has_registered_on()) {
    auto on = FromProto(in.registered_on());
    if (!on.ok()) {
      v.Add(prefix + "registered_on", on.status().message());
    } else if (*on > today) {
      v.Add(prefix + "registered_on", "is in the future");
    } else {
      facts.registered_on = *on;
    }
  }
  if (id_ok) {
    facts.id_number = id->normalized;
    facts.sex = id->sex == validate::Sex::kFemale ? v1::SEX_FEMALE : v1::SEX_MALE;
    facts.birth_date = id->birth_date;
    if (facts.registered_on < facts.birth_date) {
      v.Add(prefix + "registered_on", "is before her birth date");
    } else {
      facts.category = CategoryOn(facts.birth_date, facts.registered_on);
    }
    CheckDerivedAgreement(in, facts, prefix, v);
    CheckWomanOrChild(facts, prefix, v);
  }
  facts.monitoring_status = in.monitoring_status() == v1::MONITORING_STATUS_UNSPECIFIED
                                ? v1::MONITORING_STATUS_NOT_LIFTED
                                : in.monitoring_status();
  if (!v1::MonitoringStatus_IsValid(in.monitoring_status())) {
    v.Add(prefix + "monitoring_status", "unknown monitoring status");
  }
  CheckCommon(in, household, facts, prefix, v);
  return facts;
}

DerivedFacts CheckUpdate(const v1::BeneficiaryInput& in, const v1::Beneficiary& current, const v1::Household* household,
                         absl::CivilDay today, const std::string& prefix, validate::FieldViolations& v) {
  DerivedFacts facts;
  facts.id_number = current.id_number();
  facts.sex = current.sex();
  facts.birth_date = *FromProto(current.birth_date());
  facts.registered_on = *FromProto(current.registered_on());
  facts.category = current.category();
  facts.monitoring_status = current.monitoring_status();
  if (!in.id_number().empty()) {
    std::string normalized = in.id_number();
    if (!normalized.empty() && normalized.back() == 'x') normalized.back() = 'X';
    if (normalized != current.id_number()) {
      v.Add(prefix + "id_number", "cannot change; register the person anew and resolve the duplicate");
    }
  }
  if (in.has_registered_on() && *FromProto(in.registered_on()) != facts.registered_on) {
    v.Add(prefix + "registered_on", "cannot change");
  }
  if (in.monitoring_status() != v1::MONITORING_STATUS_UNSPECIFIED &&
      in.monitoring_status() != current.monitoring_status()) {
    v.Add(prefix + "monitoring_status", "changes through ChangeMonitoringStatus, with a reason and a date");
  }
  CheckDerivedAgreement(in, facts, prefix, v);
  CheckCommon(in, household, facts, prefix, v);
  (void)today;
  return facts;
}

v1::Beneficiary BuildBeneficiary(const std::string& id, const v1::BeneficiaryInput& in, const DerivedFacts& facts,
                                 const v1::Household& household) {
  v1::Beneficiary b;
  b.set_id(id);
  b.set_id_number(facts.id_number);
  b.set_name(facts.name);
  b.set_sex(facts.sex);
  *b.mutable_birth_date() = ToProto(facts.birth_date);
  b.set_category(facts.category);
  b.set_student(in.student());
  b.set_school_stage(in.school_stage());
  b.set_region_code(household.region_code());
  b.set_household_id(household.id());
  b.set_household_attribute(household.attribute());
  for (int c : in.poverty_causes()) b.add_poverty_causes(static_cast<v1::PovertyCause>(c));
  b.set_left_behind(in.left_behind());
  b.set_disabled(in.disabled());
  b.set_chronic_illness(in.chronic_illness());
  b.set_serious_illness(in.serious_illness());
  b.set_mobile(facts.mobile);
  b.set_monitoring_status(facts.monitoring_status);
  *b.mutable_registered_on() = ToProto(facts.registered_on);
  return b;
}

std::vector<v1::MonitoringStatus> AllowedTransitions(v1::MonitoringStatus from) {
  switch (from) {
    case v1::MONITORING_STATUS_NOT_LIFTED:
      return {v1::MONITORING_STATUS_LIFTED};
    case v1::MONITORING_STATUS_LIFTED:
      return {v1::MONITORING_STATUS_UNSTABLE, v1::MONITORING_STATUS_SUDDEN_HARDSHIP};
    case v1::MONITORING_STATUS_UNSTABLE:
    case v1::MONITORING_STATUS_MARGINAL:
      return {v1::MONITORING_STATUS_RISK_ELIMINATED, v1::MONITORING_STATUS_SUDDEN_HARDSHIP};
    case v1::MONITORING_STATUS_SUDDEN_HARDSHIP:
      return {v1::MONITORING_STATUS_RISK_ELIMINATED};
    case v1::MONITORING_STATUS_RISK_ELIMINATED:
      return {v1::MONITORING_STATUS_UNSTABLE, v1::MONITORING_STATUS_MARGINAL, v1::MONITORING_STATUS_SUDDEN_HARDSHIP};
    default:
      return {};
  }
}

const char* MonitoringStatusName(v1::MonitoringStatus status) {
  switch (status) {
    case v1::MONITORING_STATUS_NOT_LIFTED:
      return "未脱贫";
    case v1::MONITORING_STATUS_LIFTED:
      return "已脱贫";
    case v1::MONITORING_STATUS_UNSTABLE:
      return "脱贫不稳定户";
    case v1::MONITORING_STATUS_MARGINAL:
      return "边缘易致贫户";
    case v1::MONITORING_STATUS_SUDDEN_HARDSHIP:
      return "突发严重困难户";
    case v1::MONITORING_STATUS_RISK_ELIMINATED:
      return "风险已消除";
    default:
      return "未指定";
  }
}

absl::Status CheckMonitoringTransition(v1::MonitoringStatus from, v1::MonitoringStatus to) {
  std::vector<v1::MonitoringStatus> allowed = AllowedTransitions(from);
  if (std::find(allowed.begin(), allowed.end(), to) != allowed.end()) return absl::OkStatus();
  std::vector<std::string> names;
  for (auto s : allowed)
    names.push_back(absl::StrCat(v1::MonitoringStatus_Name(s), " (", MonitoringStatusName(s), ")"));
  return absl::FailedPreconditionError(
      absl::StrCat("cannot go from ", v1::MonitoringStatus_Name(from), " (", MonitoringStatusName(from), ") to ",
                   v1::MonitoringStatus_Name(to), " (", MonitoringStatusName(to),
                   "); allowed: ", names.empty() ? "none" : absl::StrJoin(names, ", ")));
}

std::string DuplicateKey(const std::string& region_code, absl::CivilDay birth_date, const std::string& name) {
  return absl::StrCat(region_code.substr(0, 6), "|", FormatCivilDate(birth_date), "|", name);
}

namespace {

// Takes `from` into `into` when `into` lacks it; records a conflict when both differ.
void MergeText(const char* field, const std::string& survivor, const std::string& merged, bool mask, std::string* into,
               std::vector<v1::FieldConflict>* conflicts) {
  if (merged.empty() || merged == survivor) return;
  if (survivor.empty()) {
    if (into != nullptr) *into = merged;
    return;
  }
  v1::FieldConflict c;
  c.set_field(field);
  c.set_survivor_value(mask ? MaskSensitive(survivor) : survivor);
  c.set_merged_value(mask ? MaskSensitive(merged) : merged);
  conflicts->push_back(std::move(c));
}

}  // namespace

MergeResult MergeBeneficiaries(const v1::Beneficiary& survivor, const v1::Beneficiary& merged) {
  MergeResult r;
  r.survivor = survivor;
  v1::Beneficiary& s = r.survivor;
  MergeText("id_number", survivor.id_number(), merged.id_number(), true, s.mutable_id_number(), &r.conflicts);
  MergeText("name", survivor.name(), merged.name(), false, s.mutable_name(), &r.conflicts);
  MergeText("mobile", survivor.mobile(), merged.mobile(), true, s.mutable_mobile(), &r.conflicts);
  MergeText("household_id", survivor.household_id(), merged.household_id(), false, s.mutable_household_id(),
            &r.conflicts);
  MergeText("region_code", survivor.region_code(), merged.region_code(), false, s.mutable_region_code(), &r.conflicts);
  if (merged.monitoring_status() != survivor.monitoring_status()) {
    MergeText("monitoring_status", v1::MonitoringStatus_Name(survivor.monitoring_status()),
              v1::MonitoringStatus_Name(merged.monitoring_status()), false, nullptr, &r.conflicts);
  }
  if (survivor.student() != merged.student() || survivor.school_stage() != merged.school_stage()) {
    if (!survivor.student() && merged.student()) {
      s.set_student(true);
      s.set_school_stage(merged.school_stage());
    } else if (merged.student()) {
      MergeText("school_stage", v1::SchoolStage_Name(survivor.school_stage()),
                v1::SchoolStage_Name(merged.school_stage()), false, nullptr, &r.conflicts);
    }
  }
  std::set<int> causes(s.poverty_causes().begin(), s.poverty_causes().end());
  for (int c : merged.poverty_causes()) {
    if (causes.insert(c).second) s.add_poverty_causes(static_cast<v1::PovertyCause>(c));
  }
  s.set_left_behind(survivor.left_behind() || merged.left_behind());
  s.set_disabled(survivor.disabled() || merged.disabled());
  s.set_chronic_illness(survivor.chronic_illness() || merged.chronic_illness());
  s.set_serious_illness(survivor.serious_illness() || merged.serious_illness());
  std::set<std::string> cadres(s.cadre_ids().begin(), s.cadre_ids().end());
  for (const auto& c : merged.cadre_ids()) {
    if (cadres.insert(c).second) s.add_cadre_ids(c);
  }
  s.add_merged_ids(merged.id());
  for (const auto& id : merged.merged_ids()) s.add_merged_ids(id);
  return r;
}

v1::BeneficiaryFacts FactsOf(const v1::Beneficiary& b) {
  v1::BeneficiaryFacts f;
  f.set_beneficiary_id(b.id());
  f.set_name(b.name());
  f.set_id_number_masked(MaskIdNumber(b.id_number()));
  f.set_sex(b.sex());
  *f.mutable_birth_date() = b.birth_date();
  f.set_category(b.category());
  f.set_student(b.student());
  f.set_school_stage(b.school_stage());
  f.set_region_code(b.region_code());
  f.set_household_id(b.household_id());
  f.set_household_attribute(b.household_attribute());
  f.set_monitoring_status(b.monitoring_status());
  *f.mutable_poverty_causes() = b.poverty_causes();
  f.set_left_behind(b.left_behind());
  f.set_disabled(b.disabled());
  f.set_chronic_illness(b.chronic_illness());
  f.set_serious_illness(b.serious_illness());
  *f.mutable_registered_on() = b.registered_on();
  return f;
}

v1::Beneficiary Masked(const v1::Beneficiary& b) {
  v1::Beneficiary out = b;
  out.set_id_number(MaskIdNumber(b.id_number()));
  if (!b.mobile().empty()) out.set_mobile(MaskPhone(b.mobile()));
  return out;
}

v1::BeneficiaryRegistered RegisteredEvent(const v1::Beneficiary& b) {
  v1::BeneficiaryRegistered e;
  *e.mutable_beneficiary() = FactsOf(b);
  return e;
}

v1::BeneficiaryUpdated UpdatedEvent(const v1::Beneficiary& b, const v1::Beneficiary& before) {
  v1::BeneficiaryUpdated e;
  *e.mutable_beneficiary() = FactsOf(b);
  if (b.region_code() != before.region_code()) e.set_previous_region_code(before.region_code());
  return e;
}

v1::DuplicateCandidateFlagged FlaggedEvent(const v1::DuplicateCandidate& c) {
  v1::DuplicateCandidateFlagged e;
  e.set_candidate_id(c.id());
  e.set_beneficiary_id(c.beneficiary_id());
  e.set_existing_beneficiary_id(c.existing_beneficiary_id());
  return e;
}

v1::DuplicateCandidate NewDuplicateCandidate(const std::string& id, const v1::Beneficiary& b,
                                             const std::string& existing_id) {
  v1::DuplicateCandidate c;
  c.set_id(id);
  c.set_beneficiary_id(b.id());
  c.set_existing_beneficiary_id(existing_id);
  c.set_region_code(b.region_code());
  c.set_state(v1::DUPLICATE_STATE_OPEN);
  c.set_version(1);
  return c;
}

void CheckHouseholdAttribute(v1::HouseholdAttribute a, validate::FieldViolations& violations) {
  if (a == v1::HOUSEHOLD_ATTRIBUTE_UNSPECIFIED || !v1::HouseholdAttribute_IsValid(a)) {
    violations.Add("attribute", "must be GENERAL (一般贫困户), LOW_INCOME (低保贫困户) or DESTITUTE (特困供养)");
  }
}

v1::Household NewHousehold(const std::string& id, const std::string& region_code, v1::HouseholdAttribute attribute,
                           const std::string& head_name, absl::CivilDay registered_on) {
  v1::Household h;
  h.set_id(id);
  h.set_region_code(region_code);
  h.set_attribute(attribute);
  h.set_head_name(head_name);
  *h.mutable_registered_on() = ToProto(registered_on);
  h.set_version(1);
  return h;
}

v1::Household UpdatedHousehold(const v1::Household& current, const std::string& region_code,
                               v1::HouseholdAttribute attribute, const std::string& head_name) {
  v1::Household h = current;
  h.set_region_code(region_code);
  h.set_attribute(attribute);
  h.set_head_name(head_name);
  h.set_version(current.version() + 1);
  return h;
}

bool MovesMembers(const v1::Household& h, const v1::Household& before) {
  return h.region_code() != before.region_code() || h.attribute() != before.attribute();
}

v1::Beneficiary MovedMember(const v1::Beneficiary& member, const v1::Household& h) {
  v1::Beneficiary moved = member;
  moved.set_region_code(h.region_code());
  moved.set_household_attribute(h.attribute());
  moved.set_version(member.version() + 1);
  return moved;
}

v1::HouseholdRegistered HouseholdRegisteredEvent(const v1::Household& h) {
  v1::HouseholdRegistered e;
  e.set_household_id(h.id());
  e.set_region_code(h.region_code());
  e.set_attribute(h.attribute());
  *e.mutable_registered_on() = h.registered_on();
  return e;
}

v1::HouseholdUpdated HouseholdUpdatedEvent(const v1::Household& h, const v1::Household& before) {
  v1::HouseholdUpdated e;
  e.set_household_id(h.id());
  e.set_region_code(h.region_code());
  e.set_attribute(h.attribute());
  e.set_previous_region_code(before.region_code());
  e.set_previous_attribute(before.attribute());
  return e;
}

v1::Beneficiary WithStatus(const v1::Beneficiary& b, v1::MonitoringStatus status) {
  v1::Beneficiary out = b;
  out.set_monitoring_status(status);
  out.set_version(b.version() + 1);
  return out;
}

v1::MonitoringStatusChanged StatusChangedEvent(const v1::Beneficiary& b, const v1::Beneficiary& before,
                                               const std::string& reason, const common::v1::CivilDate& effective_on) {
  v1::MonitoringStatusChanged e;
  e.set_beneficiary_id(b.id());
  e.set_previous_status(before.monitoring_status());
  e.set_status(b.monitoring_status());
  e.set_reason(reason);
  *e.mutable_effective_on() = effective_on;
  return e;
}

v1::Cadre NewCadre(const std::string& id, const std::string& name, const std::string& mobile,
                   const std::string& region_code) {
  v1::Cadre c;
  c.set_id(id);
  c.set_name(name);
  c.set_mobile(mobile);
  c.set_region_code(region_code);
  c.set_version(1);
  return c;
}

v1::CadreRegistered CadreRegisteredEvent(const v1::Cadre& c) {
  v1::CadreRegistered e;
  e.set_cadre_id(c.id());
  e.set_name(c.name());
  e.set_region_code(c.region_code());
  return e;
}

absl::Status CheckCadreServes(const v1::Cadre& cadre, const v1::Beneficiary& b) {
  if (absl::StartsWith(b.region_code(), cadre.region_code())) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("cadre ", cadre.name(), " serves region ", cadre.region_code(),
                                                    "; the beneficiary lives in ", b.region_code(), ", outside it"));
}

v1::Beneficiary WithCadre(const v1::Beneficiary& b, const std::string& cadre_id) {
  v1::Beneficiary out = b;
  if (std::find(b.cadre_ids().begin(), b.cadre_ids().end(), cadre_id) == b.cadre_ids().end()) {
    out.add_cadre_ids(cadre_id);
  }
  return out;
}

v1::Beneficiary WithoutCadre(const v1::Beneficiary& b, const std::string& cadre_id) {
  v1::Beneficiary out = b;
  out.clear_cadre_ids();
  for (const auto& c : b.cadre_ids()) {
    if (c != cadre_id) out.add_cadre_ids(c);
  }
  return out;
}

v1::CadrePaired PairedEvent(const std::string& cadre_id, const std::string& beneficiary_id, absl::CivilDay on) {
  v1::CadrePaired e;
  e.set_cadre_id(cadre_id);
  e.set_beneficiary_id(beneficiary_id);
  *e.mutable_paired_on() = ToProto(on);
  return e;
}

v1::CadreUnpaired UnpairedEvent(const std::string& cadre_id, const std::string& beneficiary_id,
                                const std::string& reason) {
  v1::CadreUnpaired e;
  e.set_cadre_id(cadre_id);
  e.set_beneficiary_id(beneficiary_id);
  e.set_reason(reason);
  return e;
}

v1::VisitRecorded VisitEvent(const v1::Visit& visit) {
  v1::VisitRecorded e;
  e.set_visit_id(visit.id());
  e.set_cadre_id(visit.cadre_id());
  e.set_beneficiary_id(visit.beneficiary_id());
  *e.mutable_visited_on() = visit.visited_on();
  return e;
}

v1::DuplicateCandidateResolved ResolvedEvent(const v1::DuplicateCandidate& c) {
  v1::DuplicateCandidateResolved e;
  e.set_candidate_id(c.id());
  e.set_state(c.state());
  e.set_survivor_id(c.survivor_id());
  return e;
}

v1::BeneficiariesMerged MergedEvent(const MergeResult& result, const v1::Beneficiary& merged) {
  v1::BeneficiariesMerged e;
  e.set_survivor_id(result.survivor.id());
  e.set_merged_id(merged.id());
  *e.mutable_survivor() = FactsOf(result.survivor);
  for (const auto& conflict : result.conflicts) *e.add_conflicts() = conflict;
  e.set_merged_region_code(merged.region_code());
  return e;
}

}  // namespace jinguo::registration::domain
