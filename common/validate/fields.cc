#include "common/validate/fields.h"

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"

namespace jinguo::validate {

absl::CivilDay DateOrToday(const common::v1::CivilDate& date, bool has, absl::CivilDay today, absl::string_view field,
                           FieldViolations& v) {
  if (!has) return today;
  auto d = FromProto(date);
  if (!d.ok()) {
    v.Add(field, d.status().message());
    return today;
  }
  if (*d > today) {
    v.Add(field, "is in the future");
    return today;
  }
  return *d;
}

void RequiredPastDate(const common::v1::CivilDate& date, bool has, absl::CivilDay today, absl::string_view field,
                      FieldViolations& v) {
  if (!has) {
    v.Add(field, "is required");
    return;
  }
  DateOrToday(date, true, today, field, v);
}

absl::Status CheckExpectedVersion(int64_t expected, int64_t actual, absl::string_view what) {
  if (expected <= 0) {
    FieldViolations v;
    v.Add("expected_version", "is required (the version you read)");
    return v.ToStatus();
  }
  if (expected != actual) {
    return absl::AbortedError(absl::StrCat(what, " was changed by someone else (version ", actual, ", you sent ",
                                           expected, "); read it again and retry"));
  }
  return absl::OkStatus();
}

}  // namespace jinguo::validate
