// Checks of request fields every service shares: civil dates where "unset means today", dates a request must
// carry, and the expected version of an optimistic update. Pure functions; thread-safe.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/validate/field_violations.h"
#include "jinguo/common/v1/types.pb.h"

namespace jinguo::validate {

// The date a request gives in `field` (`has` = the field is set), or `today` when it is unset. A set date must
// be a real day and not after `today`; otherwise a violation of `field` is added and `today` returned.
absl::CivilDay DateOrToday(const common::v1::CivilDate& date, bool has, absl::CivilDay today, absl::string_view field,
                           FieldViolations& v);

// A date the request must carry, not after `today`: "is required" when unset.
void RequiredPastDate(const common::v1::CivilDate& date, bool has, absl::CivilDay today, absl::string_view field,
                      FieldViolations& v);

// An update names the version it read: INVALID_ARGUMENT on expected_version when it names none, ABORTED when
// `what` ("the household") has changed since.
absl::Status CheckExpectedVersion(int64_t expected, int64_t actual, absl::string_view what);

}  // namespace jinguo::validate
