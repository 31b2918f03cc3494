// Training decisions, as pure functions: programmes and their sessions, who may enrol and where she is placed
// (enrolled while there is room, otherwise waitlisted and promoted in the order she came), attendance and
// completion, job postings and placements, 春蕾 student aid per school year. Money in fen; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/validate/field_violations.h"
#include "jinguo/replica/v1/replica.pb.h"
#include "jinguo/training/v1/types.pb.h"

namespace jinguo::training::domain {

namespace v1 = ::jinguo::training::v1;

inline constexpr int32_t kDefaultCompletionThresholdBp = 8000;
inline constexpr int kMinTraineeAge = 16;

// "2025-2026" → 2025: two years, the second the first plus one. INVALID_ARGUMENT saying the form otherwise.
absl::StatusOr<int> ParseSchoolYear(absl::string_view text);

// `in` checked, defaults filled in (completion threshold 80%); violations under "programme.<field>".
v1::Programme ProgrammeFrom(const v1::Programme& in, validate::FieldViolations& v);

// A session's date must fall within its programme's dates: INVALID_ARGUMENT on `field` otherwise.
absl::Status CheckSessionDate(const v1::Programme& p, absl::CivilDay held_on, absl::string_view field);

// Whether `person` may be placed in a job on `on`: a registered, unmerged woman aged 16 or more.
// FAILED_PRECONDITION on `field` saying why not.
absl::Status CheckWorker(const replica::v1::RegistryFacts& person, absl::CivilDay on, absl::string_view field);

// Whether `person` may enrol on `on`: a registered, unmerged woman aged 16 or more. FAILED_PRECONDITION on `field`
// saying why not.
absl::Status CheckTrainee(const replica::v1::RegistryFacts& person, absl::CivilDay on, absl::string_view field);

// Where a new participant goes: enrolled while fewer than the capacity are, otherwise waitlisted.
v1::ParticipantState PlaceOf(int enrolled, int capacity);

// The waitlisted participant to promote when a place frees: the one who came first (lowest number); nullopt when
// nobody waits.
std::optional<size_t> NextOnWaitlist(const std::vector<v1::Participant>& participants);

// Present sessions over `sessions_held`, in basis points (0 when none was held).
int32_t AttendanceRateBp(const v1::Participant& p, int sessions_held);

// Whether completion may be decided on `on`: on or after the programme's end date. FAILED_PRECONDITION naming
// programme_id otherwise (checked once per programme, whoever is enrolled).
absl::Status CheckEnded(const v1::Programme& programme, absl::CivilDay on);

// Completion of `p` once the programme has ended (on or after its end date, `on`): completed with a certificate
// number made from `certificate_prefix` and her number when her rate reaches the threshold, otherwise not, with her
// rate. FAILED_PRECONDITION before the end date.
absl::Status Complete(const v1::Programme& programme, int sessions_held, absl::CivilDay on,
                      const std::string& certificate_prefix, v1::Participant& p);

// `in` checked (employer, category among `categories`, positions > 0, a wage range 0 <= min <= max, kind);
// violations under "posting.<field>".
v1::JobPosting PostingFrom(const v1::JobPosting& in, const std::vector<std::string>& categories,
                           validate::FieldViolations& v);

// Whether a placement into `posting` may be made: not closed, not full, and `already_placed` false (a woman has one
// active placement per posting). FAILED_PRECONDITION saying which.
absl::Status CheckPlacement(const v1::JobPosting& posting, bool already_placed);

// A grant of `amount_fen` from `fund` to `child` for `school_year`: a registered child who is a student, a positive
// amount within what the fund has left, and no grant of hers from this fund this school year (`earlier`).
// Errors name the request's field.
absl::Status CheckAidGrant(const replica::v1::RegistryFacts& child, const v1::AidFund& fund, int school_year,
                           int64_t amount_fen, const std::vector<v1::AidGrant>& earlier);

}  // namespace jinguo::training::domain
