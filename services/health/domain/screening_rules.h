// The two-cancer (两癌) screening decisions, as pure functions: who may be screened, which methods and results fit
// a kind, when she is next due, which results are abnormal, and where a follow-up case goes from each result until
// a diagnosis. No I/O, no clock (the caller passes the dates). Thread-safe.
//
// Routing (the national programme's pathway):
//   cervical  cytology ≥ ASC-US, HPV 16/18, VIA positive → colposcopy
//             HPV positive (other types)                → cytology triage: NILM closes; ≥ ASC-US → colposcopy
//             colposcopy normal closes; abnormal        → biopsy (histopathology): NORMAL, CIN1-3, cancer; closes
//   breast    BI-RADS 0 or 3                            → mammography: 1-3 close; 0 repeats; 4-6 → biopsy
//             BI-RADS 4, 5 or 6                         → biopsy: benign or malignant; closes
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/validate/field_violations.h"
#include "jinguo/health/v1/types.pb.h"
#include "jinguo/replica/v1/replica.pb.h"

namespace jinguo::health::domain {

namespace v1 = ::jinguo::health::v1;

// What a deployment sets (flags of the service).
struct Settings {
  int min_age = 35;  // screening age range, inclusive, on the screening date
  int max_age = 64;
  int cytology_interval_years = 3;          // a normal cytology: next due after
  int hpv_interval_years = 5;               // a negative HPV test
  int via_interval_years = 3;               // a negative VIA/VILI
  int breast_interval_years = 2;            // a normal breast examination (ultrasound or mammography)
  int stage_due_days = 30;                  // each follow-up stage is due this many days after the step before
  int64_t two_cancer_relief_fen = 1000000;  // 两癌救助: 10,000 元, once in a woman's life
  // Children's serious-illness relief: the funds it is paid from, each with its cap per case (fen).
  std::map<std::string, int64_t> relief_funds = {{"儿童大病救助金", 1000000}};
};

// FAILED_PRECONDITION naming `field` unless `woman` may be screened on `on`: a registered woman (not a man, not a
// child), not merged into another record, aged within the settings' range (the message gives her age and the
// range).
absl::Status CheckEligible(const replica::v1::RegistryFacts& woman, absl::CivilDay on, const Settings& settings,
                           absl::string_view field);

// Adds violations for a screening's kind, method, result and date: `method` must belong to `kind`, `result` must
// be the kind of finding `method` reports, and `screened_on` must not be before she was born (the future is refused
// by the caller's date check).
void CheckScreening(v1::ScreeningKind kind, v1::ScreeningMethod method, const v1::TestResult& result,
                    absl::CivilDay screened_on, absl::CivilDay born, validate::FieldViolations& v);

// Whether a (valid) screening result needs a follow-up.
bool IsAbnormal(v1::ScreeningMethod method, const v1::TestResult& result);

// When a woman with a normal result is next due for the same kind; nullopt after an abnormal one (her follow-up
// decides).
std::optional<absl::CivilDay> NextDue(v1::ScreeningMethod method, const v1::TestResult& result,
                                      absl::CivilDay screened_on, const Settings& settings);

// The first follow-up stage of an abnormal screening result.
v1::FollowUpStage FirstStage(v1::ScreeningKind kind, v1::ScreeningMethod method, const v1::TestResult& result);

// A case opened on `opened_on` by `screening`, its first stage scheduled.
v1::FollowUpCase OpenCase(const std::string& id, const v1::Screening& screening, absl::CivilDay opened_on,
                          const Settings& settings);

// What recording a stage's result does to a case.
struct StageOutcome {
  v1::FollowUpStage next = v1::FOLLOW_UP_STAGE_UNSPECIFIED;  // unset: the case closes
  v1::Diagnosis diagnosis = v1::DIAGNOSIS_UNSPECIFIED;       // set when the case closes with a diagnosis
};

// The outcome of `result` at `stage` of a `kind` case; INVALID_ARGUMENT naming `field` when the result does not
// fit the stage (a colposcopy reports normal or abnormal, a biopsy a diagnosis of its kind, …).
absl::StatusOr<StageOutcome> AfterStage(v1::ScreeningKind kind, v1::FollowUpStage stage, const v1::TestResult& result,
                                        absl::string_view field);

// Records the current stage of `c` as done on `done_on` with `result` (at `facility`) and schedules the next, or
// closes the case. FAILED_PRECONDITION when the case is closed or `stage` is not its current stage (the message
// names the stage it waits for); INVALID_ARGUMENT when the result does not fit the stage or `done_on` is before
// the stage was scheduled.
absl::Status RecordStage(v1::FollowUpCase& c, v1::FollowUpStage stage, absl::CivilDay done_on,
                         const v1::TestResult& result, const std::string& facility, const Settings& settings);

// Marks the current stage of `c` lost to follow-up for `reason` on `on`, and closes the case.
absl::Status RecordLost(v1::FollowUpCase& c, v1::FollowUpStage stage, absl::CivilDay on, const std::string& reason);

// Whether the current stage of open case `c` is scheduled and due before `business_date` (then MarkOverdue).
bool IsOverdue(const v1::FollowUpCase& c, absl::CivilDay business_date);
void MarkOverdue(v1::FollowUpCase& c);

// The current stage of `c` (its last one); nullptr when it has none.
const v1::StageRecord* CurrentStage(const v1::FollowUpCase& c);

// What a diagnosis means for the figures.
v1::Finding FindingOf(v1::Diagnosis diagnosis);
bool IsCancer(v1::Diagnosis diagnosis);

// Names for messages ("colposcopy", "cervical").
const char* StageName(v1::FollowUpStage stage);
const char* KindName(v1::ScreeningKind kind);
const char* MethodName(v1::ScreeningMethod method);

}  // namespace jinguo::health::domain
