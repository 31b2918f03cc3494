// Relief decisions, as pure functions: who may have which relief, how much, and how an application moves from
// applied to approved or rejected (by someone other than the applicant) and then to paid. Money in fen.
// Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "jinguo/health/v1/health.pb.h"
#include "jinguo/health/v1/types.pb.h"
#include "jinguo/replica/v1/replica.pb.h"
#include "services/health/domain/screening_rules.h"

namespace jinguo::health::domain {

// The relief an application asks for, checked: the kind's rules for `person` on `on`, the amount (two-cancer
// relief: the fixed sum; children's: more than 0 and within the fund's cap), and, for two-cancer relief, her
// confirmed cancer (`cancer_confirmed`: a case of hers diagnosed as cancer was named, or evidence given) and no
// earlier grant among `earlier` (FAILED_PRECONDITION naming it). Errors name the request's field.
absl::StatusOr<v1::Relief> CheckReliefApplication(const v1::ApplyReliefRequest& req,
                                                  const replica::v1::RegistryFacts& person, absl::CivilDay on,
                                                  bool cancer_confirmed, const std::vector<v1::Relief>& earlier,
                                                  const Settings& settings);

// Approval or rejection by `who` on `on`: FAILED_PRECONDITION unless the relief is applied for; PERMISSION_DENIED
// when `who` applied for it (maker-checker).
absl::Status DecideRelief(v1::Relief& r, bool approve, const std::string& who, absl::CivilDay on,
                          const std::string& reason);

// Payment on `on` with the bank transfer's reference: FAILED_PRECONDITION unless approved.
absl::Status PayRelief(v1::Relief& r, absl::CivilDay on, const std::string& transfer_reference);

}  // namespace jinguo::health::domain
