#include "services/registration/api/registration_service.h"

#include "absl/strings/str_cat.h"
#include "common/base/status.h"
#include "common/validate/field_violations.h"

namespace jinguo::registration::api {

RegistrationService::RegistrationService(Dependencies deps)
    : d_(deps), events_("registration", *deps.clock, *deps.ids) {
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

absl::StatusOr<v1::Beneficiary> RegistrationService::LoadBeneficiary(const std::string& id, const char* field) const {
  if (id.empty()) return validate::FieldError(absl::StatusCode::kInvalidArgument, field, "is required");
  ASSIGN_OR_RETURN(auto resolved, d_.registry->ResolveBeneficiaryId(id));
  if (!resolved) return absl::NotFoundError(absl::StrCat("no beneficiary ", id));
  ASSIGN_OR_RETURN(auto b, d_.registry->GetBeneficiary(*resolved));
  if (!b) return absl::NotFoundError(absl::StrCat("no beneficiary ", id));
  return *std::move(b);
}

}  // namespace jinguo::registration::api
