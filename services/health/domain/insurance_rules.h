// Two-cancer insurance decisions, as pure functions: what a valid policy is, which women a policy covers, and what
// a claim may pay. Money is in fen (int64). Thread-safe.
#pragma once

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "common/validate/field_violations.h"
#include "jinguo/health/v1/health.pb.h"
#include "jinguo/health/v1/types.pb.h"
#include "jinguo/replica/v1/replica.pb.h"

namespace jinguo::health::domain {

namespace v1 = ::jinguo::health::v1;

inline constexpr int kDefaultInsuredMinAge = 35;
inline constexpr int kDefaultInsuredMaxAge = 64;

// The policy a request creates, with its violations added to `v` (insurer, year, period, amounts, ages; the
// region is checked by the caller against the region table).
v1::InsurancePolicy PolicyFrom(const v1::CreateInsurancePolicyRequest& req, validate::FieldViolations& v);

// FAILED_PRECONDITION naming `field` unless `woman` is covered by `policy`: a registered woman, not merged, living
// in the policy's region, aged (in the policy year: year minus birth year) within its ages.
absl::Status CheckInsurable(const replica::v1::RegistryFacts& woman, const v1::InsurancePolicy& policy,
                            absl::string_view field);

// INVALID_ARGUMENT on amount_fen unless 0 < amount and what she has been paid plus amount stays within the cover.
absl::Status CheckClaim(const v1::Enrollment& enrollment, const v1::InsurancePolicy& policy, int64_t amount_fen);

}  // namespace jinguo::health::domain
