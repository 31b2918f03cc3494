#include "services/health/domain/screening_rules.h"

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"

namespace jinguo::health::domain {

namespace reg = ::jinguo::registration::v1;

namespace {

constexpr int kChildAge = 16;

bool IsCervicalMethod(v1::ScreeningMethod m) {
  return m == v1::SCREENING_METHOD_CYTOLOGY || m == v1::SCREENING_METHOD_HPV || m == v1::SCREENING_METHOD_VIA_VILI;
}

bool IsBreastMethod(v1::ScreeningMethod m) {
  return m == v1::SCREENING_METHOD_CLINICAL_ULTRASOUND || m == v1::SCREENING_METHOD_MAMMOGRAPHY;
}

bool ValidBirads(const v1::TestResult& r) { return r.birads() >= 0 && r.birads() <= 6; }

// What a method reports, for messages.
const char* ExpectedResult(v1::ScreeningMethod m) {
  switch (m) {
    case v1::SCREENING_METHOD_CYTOLOGY:
      return "a TBS category (result.cytology)";
    case v1::SCREENING_METHOD_HPV:
      return "negative, positive or positive for 16/18 (result.hpv)";
    case v1::SCREENING_METHOD_VIA_VILI:
      return "negative or positive (result.via)";
    default:
      return "a BI-RADS category 0-6 (result.birads)";
  }
}

bool ResultFitsMethod(v1::ScreeningMethod m, const v1::TestResult& r) {
  switch (m) {
    case v1::SCREENING_METHOD_CYTOLOGY:
      return r.result_case() == v1::TestResult::kCytology && r.cytology() != v1::CYTOLOGY_RESULT_UNSPECIFIED;
    case v1::SCREENING_METHOD_HPV:
      return r.result_case() == v1::TestResult::kHpv && r.hpv() != v1::HPV_RESULT_UNSPECIFIED;
    case v1::SCREENING_METHOD_VIA_VILI:
      return r.result_case() == v1::TestResult::kVia && r.via() != v1::VIA_RESULT_UNSPECIFIED;
    case v1::SCREENING_METHOD_CLINICAL_ULTRASOUND:
    case v1::SCREENING_METHOD_MAMMOGRAPHY:
      return r.result_case() == v1::TestResult::kBirads && ValidBirads(r);
    default:
      return false;
  }
}

// A cytology finding that sends her to colposcopy (ASC-US or worse).
bool CytologyAbnormal(v1::CytologyResult c) {
  return c != v1::CYTOLOGY_RESULT_NILM && c != v1::CYTOLOGY_RESULT_UNSPECIFIED;
}

common::v1::CivilDate Proto(absl::CivilDay d) { return ToProto(d); }

v1::StageRecord* Current(v1::FollowUpCase& c) {
  return c.stages_size() == 0 ? nullptr : c.mutable_stages(c.stages_size() - 1);
}

void Schedule(v1::FollowUpCase& c, v1::FollowUpStage stage, absl::CivilDay from, const Settings& settings) {
  v1::StageRecord* s = c.add_stages();
  s->set_stage(stage);
  *s->mutable_scheduled_on() = Proto(from);
  *s->mutable_due_on() = Proto(from + settings.stage_due_days);
  s->set_status(v1::STAGE_STATUS_SCHEDULED);
}

// FAILED_PRECONDITION unless `stage` is the open case's current one.
absl::Status CheckCurrent(const v1::FollowUpCase& c, v1::FollowUpStage stage) {
  if (c.state() != v1::CASE_STATE_OPEN) {
    return validate::FieldError(absl::StatusCode::kFailedPrecondition, "case_id",
                                absl::StrCat("follow-up case ", c.id(), " is closed; nothing more is recorded on it"));
  }
  const v1::StageRecord* current = CurrentStage(c);
  if (current == nullptr) {
    return absl::InternalError(absl::StrCat("follow-up case ", c.id(), " has no stage"));
  }
  if (current->stage() != stage) {
    return validate::FieldError(absl::StatusCode::kFailedPrecondition, "stage",
                                absl::StrCat("follow-up case ", c.id(), " waits for ", StageName(current->stage()),
                                             ", not ", StageName(stage)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckEligible(const replica::v1::RegistryFacts& woman, absl::CivilDay on, const Settings& settings,
                           absl::string_view field) {
  auto refuse = [&](absl::string_view why) {
    return validate::FieldError(absl::StatusCode::kFailedPrecondition, field,
                                absl::StrCat(why, "; two-cancer screening is for registered women aged ",
                                             settings.min_age, "-", settings.max_age));
  };
  if (!woman.merged_into().empty()) {
    return refuse(absl::StrCat("was merged into ", woman.merged_into(), " (record the screening there)"));
  }
  if (woman.sex() != reg::SEX_FEMALE) return refuse("is not a woman");
  auto born = FromProto(woman.birth_date());
  if (!born.ok()) return refuse("has no birth date in the registry");
  int age = AgeInYears(*born, on);
  if (age < kChildAge) return refuse(absl::StrCat("is a child (aged ", age, " on ", FormatCivilDate(on), ")"));
  if (age < settings.min_age || age > settings.max_age) {
    return refuse(absl::StrCat("is aged ", age, " on ", FormatCivilDate(on)));
  }
  return absl::OkStatus();
}

void CheckScreening(v1::ScreeningKind kind, v1::ScreeningMethod method, const v1::TestResult& result,
                    absl::CivilDay screened_on, absl::CivilDay born, validate::FieldViolations& v) {
  bool method_known = IsCervicalMethod(method) || IsBreastMethod(method);
  if (kind != v1::SCREENING_KIND_CERVICAL && kind != v1::SCREENING_KIND_BREAST) {
    v.Add("kind", "is required: cervical or breast");
  } else if (!method_known) {
    v.Add("method", kind == v1::SCREENING_KIND_CERVICAL ? "is required: cytology, HPV or VIA/VILI"
                                                        : "is required: clinical exam with ultrasound, or mammography");
  } else if (kind == v1::SCREENING_KIND_CERVICAL && !IsCervicalMethod(method)) {
    v.Add("method", absl::StrCat(MethodName(method), " is a breast screening method, not a cervical one"));
  } else if (kind == v1::SCREENING_KIND_BREAST && !IsBreastMethod(method)) {
    v.Add("method", absl::StrCat(MethodName(method), " is a cervical screening method, not a breast one"));
  }
  if (method_known && !ResultFitsMethod(method, result)) {
    v.Add("result", absl::StrCat("a ", MethodName(method), " screening reports ", ExpectedResult(method)));
  }
  if (screened_on < born) v.Add("screened_on", "is before her birth date");
}

bool IsAbnormal(v1::ScreeningMethod method, const v1::TestResult& result) {
  switch (method) {
    case v1::SCREENING_METHOD_CYTOLOGY:
      return CytologyAbnormal(result.cytology());
    case v1::SCREENING_METHOD_HPV:
      return result.hpv() == v1::HPV_RESULT_POSITIVE || result.hpv() == v1::HPV_RESULT_POSITIVE_16_18;
    case v1::SCREENING_METHOD_VIA_VILI:
      return result.via() == v1::VIA_RESULT_POSITIVE;
    case v1::SCREENING_METHOD_CLINICAL_ULTRASOUND:
    case v1::SCREENING_METHOD_MAMMOGRAPHY:
      return result.birads() == 0 || result.birads() >= 3;
    default:
      return false;
  }
}

std::optional<absl::CivilDay> NextDue(v1::ScreeningMethod method, const v1::TestResult& result,
                                      absl::CivilDay screened_on, const Settings& settings) {
  if (IsAbnormal(method, result)) return std::nullopt;
  int years = 0;
  switch (method) {
    case v1::SCREENING_METHOD_CYTOLOGY:
      years = settings.cytology_interval_years;
      break;
    case v1::SCREENING_METHOD_HPV:
      years = settings.hpv_interval_years;
      break;
    case v1::SCREENING_METHOD_VIA_VILI:
      years = settings.via_interval_years;
      break;
    default:
      years = settings.breast_interval_years;
  }
  // 29 February plus whole years falls on 1 March when that year has none.
  return absl::CivilDay(screened_on.year() + years, screened_on.month(), screened_on.day());
}

v1::FollowUpStage FirstStage(v1::ScreeningKind kind, v1::ScreeningMethod method, const v1::TestResult& result) {
  if (kind == v1::SCREENING_KIND_BREAST) {
    int b = result.birads();
    return (b == 0 || b == 3) ? v1::FOLLOW_UP_STAGE_MAMMOGRAPHY : v1::FOLLOW_UP_STAGE_BIOPSY;
  }
  if (method == v1::SCREENING_METHOD_HPV && result.hpv() == v1::HPV_RESULT_POSITIVE) {
    return v1::FOLLOW_UP_STAGE_CYTOLOGY_TRIAGE;
  }
  return v1::FOLLOW_UP_STAGE_COLPOSCOPY;
}

v1::FollowUpCase OpenCase(const std::string& id, const v1::Screening& screening, absl::CivilDay opened_on,
                          const Settings& settings) {
  v1::FollowUpCase c;
  c.set_id(id);
  c.set_beneficiary_id(screening.beneficiary_id());
  c.set_region_code(screening.region_code());
  c.set_kind(screening.kind());
  c.set_screening_id(screening.id());
  *c.mutable_opened_on() = Proto(opened_on);
  c.set_state(v1::CASE_STATE_OPEN);
  c.set_version(1);
  Schedule(c, FirstStage(screening.kind(), screening.method(), screening.result()), opened_on, settings);
  return c;
}

absl::StatusOr<StageOutcome> AfterStage(v1::ScreeningKind kind, v1::FollowUpStage stage, const v1::TestResult& result,
                                        absl::string_view field) {
  auto unfit = [&](absl::string_view expected) -> absl::Status {
    return validate::FieldError(absl::StatusCode::kInvalidArgument, field,
                                absl::StrCat("a ", StageName(stage), " reports ", expected));
  };
  bool cervical = kind == v1::SCREENING_KIND_CERVICAL;
  switch (stage) {
    case v1::FOLLOW_UP_STAGE_CYTOLOGY_TRIAGE:
      if (!cervical || result.result_case() != v1::TestResult::kCytology ||
          result.cytology() == v1::CYTOLOGY_RESULT_UNSPECIFIED) {
        return unfit("a TBS category (result.cytology)");
      }
      if (!CytologyAbnormal(result.cytology())) return StageOutcome{};
      return StageOutcome{v1::FOLLOW_UP_STAGE_COLPOSCOPY};
    case v1::FOLLOW_UP_STAGE_COLPOSCOPY:
      if (!cervical || result.result_case() != v1::TestResult::kColposcopy ||
          result.colposcopy() == v1::COLPOSCOPY_RESULT_UNSPECIFIED) {
        return unfit("normal or abnormal (result.colposcopy)");
      }
      if (result.colposcopy() == v1::COLPOSCOPY_RESULT_NORMAL) return StageOutcome{{}, v1::DIAGNOSIS_NORMAL};
      return StageOutcome{v1::FOLLOW_UP_STAGE_BIOPSY};
    case v1::FOLLOW_UP_STAGE_MAMMOGRAPHY: {
      if (cervical || result.result_case() != v1::TestResult::kBirads || !ValidBirads(result)) {
        return unfit("a BI-RADS category 0-6 (result.birads)");
      }
      int b = result.birads();
      if (b == 0) return StageOutcome{v1::FOLLOW_UP_STAGE_MAMMOGRAPHY};  // incomplete: imaged again
      if (b >= 4) return StageOutcome{v1::FOLLOW_UP_STAGE_BIOPSY};
      return StageOutcome{{}, b == 3 ? v1::DIAGNOSIS_BENIGN : v1::DIAGNOSIS_NORMAL};
    }
    case v1::FOLLOW_UP_STAGE_BIOPSY: {
      v1::Diagnosis d =
          result.result_case() == v1::TestResult::kDiagnosis ? result.diagnosis() : v1::DIAGNOSIS_UNSPECIFIED;
      bool fits = cervical
                      ? (d == v1::DIAGNOSIS_NORMAL || d == v1::DIAGNOSIS_CIN1 || d == v1::DIAGNOSIS_CIN2 ||
                         d == v1::DIAGNOSIS_CIN3 || d == v1::DIAGNOSIS_CERVICAL_CANCER)
                      : (d == v1::DIAGNOSIS_NORMAL || d == v1::DIAGNOSIS_BENIGN || d == v1::DIAGNOSIS_BREAST_CANCER);
      if (!fits) {
        return unfit(cervical ? "a cervical diagnosis: normal, CIN1, CIN2, CIN3 or cervical cancer (result.diagnosis)"
                              : "a breast diagnosis: normal, benign or breast cancer (result.diagnosis)");
      }
      return StageOutcome{{}, d};
    }
    default:
      return validate::FieldError(absl::StatusCode::kInvalidArgument, "stage", "is not a follow-up stage");
  }
}

absl::Status RecordStage(v1::FollowUpCase& c, v1::FollowUpStage stage, absl::CivilDay done_on,
                         const v1::TestResult& result, const std::string& facility, const Settings& settings) {
  if (absl::Status s = CheckCurrent(c, stage); !s.ok()) return s;
  v1::StageRecord* current = Current(c);
  absl::CivilDay scheduled_from = StoredDay(current->scheduled_on());
  if (done_on < scheduled_from) {
    return validate::FieldError(
        absl::StatusCode::kInvalidArgument, "done_on",
        absl::StrCat("is before the ", StageName(stage), " was scheduled (", FormatCivilDate(scheduled_from), ")"));
  }
  auto outcome = AfterStage(c.kind(), stage, result, "result");
  if (!outcome.ok()) return outcome.status();
  current->set_status(v1::STAGE_STATUS_DONE);
  *current->mutable_done_on() = Proto(done_on);
  *current->mutable_result() = result;
  current->set_facility(facility);
  if (outcome->next != v1::FOLLOW_UP_STAGE_UNSPECIFIED) {
    Schedule(c, outcome->next, done_on, settings);
  } else {
    c.set_state(v1::CASE_STATE_CLOSED);
    c.set_diagnosis(outcome->diagnosis == v1::DIAGNOSIS_UNSPECIFIED ? v1::DIAGNOSIS_NORMAL : outcome->diagnosis);
  }
  c.set_version(c.version() + 1);
  return absl::OkStatus();
}

absl::Status RecordLost(v1::FollowUpCase& c, v1::FollowUpStage stage, absl::CivilDay on, const std::string& reason) {
  if (absl::Status s = CheckCurrent(c, stage); !s.ok()) return s;
  v1::StageRecord* current = Current(c);
  if (on < StoredDay(current->scheduled_on())) {
    return validate::FieldError(absl::StatusCode::kInvalidArgument, "done_on",
                                absl::StrCat("is before the ", StageName(stage), " was scheduled (",
                                             FormatCivilDate(StoredDay(current->scheduled_on())), ")"));
  }
  current->set_status(v1::STAGE_STATUS_LOST);
  *current->mutable_done_on() = Proto(on);
  current->set_lost_reason(reason);
  c.set_state(v1::CASE_STATE_CLOSED);
  c.set_version(c.version() + 1);
  return absl::OkStatus();
}

const v1::StageRecord* CurrentStage(const v1::FollowUpCase& c) {
  return c.stages_size() == 0 ? nullptr : &c.stages(c.stages_size() - 1);
}

bool IsOverdue(const v1::FollowUpCase& c, absl::CivilDay business_date) {
  const v1::StageRecord* s = CurrentStage(c);
  return c.state() == v1::CASE_STATE_OPEN && s != nullptr && s->status() == v1::STAGE_STATUS_SCHEDULED &&
         StoredDay(s->due_on()) < business_date;
}

void MarkOverdue(v1::FollowUpCase& c) {
  if (v1::StageRecord* s = Current(c)) s->set_status(v1::STAGE_STATUS_OVERDUE);
  c.set_version(c.version() + 1);
}

v1::Finding FindingOf(v1::Diagnosis d) {
  switch (d) {
    case v1::DIAGNOSIS_CIN2:
    case v1::DIAGNOSIS_CIN3:
      return v1::FINDING_PRECANCER;
    case v1::DIAGNOSIS_CERVICAL_CANCER:
    case v1::DIAGNOSIS_BREAST_CANCER:
      return v1::FINDING_CANCER;
    default:
      return v1::FINDING_NONE;
  }
}

bool IsCancer(v1::Diagnosis d) { return FindingOf(d) == v1::FINDING_CANCER; }

const char* StageName(v1::FollowUpStage stage) {
  switch (stage) {
    case v1::FOLLOW_UP_STAGE_CYTOLOGY_TRIAGE:
      return "cytology triage";
    case v1::FOLLOW_UP_STAGE_COLPOSCOPY:
      return "colposcopy";
    case v1::FOLLOW_UP_STAGE_BIOPSY:
      return "biopsy";
    case v1::FOLLOW_UP_STAGE_MAMMOGRAPHY:
      return "mammography";
    default:
      return "unspecified stage";
  }
}

const char* KindName(v1::ScreeningKind kind) {
  switch (kind) {
    case v1::SCREENING_KIND_CERVICAL:
      return "cervical";
    case v1::SCREENING_KIND_BREAST:
      return "breast";
    default:
      return "unspecified";
  }
}

const char* MethodName(v1::ScreeningMethod method) {
  switch (method) {
    case v1::SCREENING_METHOD_CYTOLOGY:
      return "cytology";
    case v1::SCREENING_METHOD_HPV:
      return "HPV";
    case v1::SCREENING_METHOD_VIA_VILI:
      return "VIA/VILI";
    case v1::SCREENING_METHOD_CLINICAL_ULTRASOUND:
      return "clinical exam and ultrasound";
    case v1::SCREENING_METHOD_MAMMOGRAPHY:
      return "mammography";
    default:
      return "unspecified";
  }
}

}  // namespace jinguo::health::domain
