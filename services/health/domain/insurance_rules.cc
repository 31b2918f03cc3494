#include "services/health/domain/insurance_rules.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/money.h"
#include "common/validate/text.h"

namespace jinguo::health::domain {

namespace reg = ::jinguo::registration::v1;

v1::InsurancePolicy PolicyFrom(const v1::CreateInsurancePolicyRequest& req, validate::FieldViolations& v) {
  v1::InsurancePolicy p;
  auto insurer = validate::CleanText(req.insurer(), {.max_characters = 100, .required = true});
  if (v.Check("insurer", insurer.status())) p.set_insurer(*insurer);
  auto funder = validate::CleanText(req.funder(), {.max_characters = 100, .required = false});
  if (v.Check("funder", funder.status())) p.set_funder(*funder);
  bool year_ok = req.policy_year() >= 2000 && req.policy_year() <= 2100;
  if (!year_ok) v.Add("policy_year", "must be a year such as 2026");
  p.set_policy_year(req.policy_year());
  auto starts = FromProto(req.starts_on());
  auto ends = FromProto(req.ends_on());
  if (!req.has_starts_on() || !starts.ok()) v.Add("starts_on", "is required: the first day of cover");
  if (!req.has_ends_on() || !ends.ok()) v.Add("ends_on", "is required: the last day of cover");
  if (starts.ok() && ends.ok() && req.has_starts_on() && req.has_ends_on()) {
    if (*ends < *starts) v.Add("ends_on", "is before starts_on");
    if (year_ok && (starts->year() > req.policy_year() || ends->year() < req.policy_year())) {
      v.Add("starts_on", absl::StrCat("the period does not touch the policy year ", req.policy_year()));
    }
  }
  *p.mutable_starts_on() = req.starts_on();
  *p.mutable_ends_on() = req.ends_on();
  if (req.sum_insured_fen() <= 0) v.Add("sum_insured_fen", "must be more than 0 (the cover per woman, in fen)");
  if (req.premium_fen() <= 0) v.Add("premium_fen", "must be more than 0 (the premium per woman, in fen)");
  if (req.premium_fen() > 0 && req.sum_insured_fen() > 0 && req.premium_fen() > req.sum_insured_fen()) {
    v.Add("premium_fen", "is more than the sum insured");
  }
  p.set_sum_insured_fen(req.sum_insured_fen());
  p.set_premium_fen(req.premium_fen());
  int min_age = req.min_age() == 0 ? kDefaultInsuredMinAge : req.min_age();
  int max_age = req.max_age() == 0 ? kDefaultInsuredMaxAge : req.max_age();
  if (min_age < 16 || min_age > 120) v.Add("min_age", "must be 16-120 (0 for 35)");
  if (max_age < min_age || max_age > 120) v.Add("max_age", "must be at least min_age and at most 120 (0 for 64)");
  p.set_min_age(min_age);
  p.set_max_age(max_age);
  p.set_region_code(req.region_code());
  return p;
}

absl::Status CheckInsurable(const replica::v1::RegistryFacts& woman, const v1::InsurancePolicy& policy,
                            absl::string_view field) {
  auto refuse = [&](absl::string_view why) {
    return validate::FieldError(absl::StatusCode::kFailedPrecondition, field, why);
  };
  if (!woman.merged_into().empty()) return refuse(absl::StrCat("was merged into ", woman.merged_into()));
  if (woman.sex() != reg::SEX_FEMALE) return refuse("is not a woman; two-cancer insurance covers women");
  if (!absl::StartsWith(woman.region_code(), policy.region_code())) {
    return refuse(
        absl::StrCat("lives in ", woman.region_code(), ", outside the policy's region ", policy.region_code()));
  }
  if (woman.birth_date().year() <= 0) return refuse("has no birth date in the registry");
  int age = policy.policy_year() - woman.birth_date().year();
  if (age < policy.min_age() || age > policy.max_age()) {
    return refuse(absl::StrCat("is aged ", age, " in ", policy.policy_year(), "; the policy covers women aged ",
                               policy.min_age(), "-", policy.max_age()));
  }
  return absl::OkStatus();
}

absl::Status CheckClaim(const v1::Enrollment& enrollment, const v1::InsurancePolicy& policy, int64_t amount_fen) {
  if (amount_fen <= 0) {
    return validate::FieldError(absl::StatusCode::kInvalidArgument, "amount_fen", "must be more than 0");
  }
  int64_t left = policy.sum_insured_fen() - enrollment.claimed_fen();
  if (amount_fen > left) {
    return validate::FieldError(absl::StatusCode::kInvalidArgument, "amount_fen",
                                absl::StrCat("is above the cover left: ", FormatYuan(Fen{left}), " 元 of ",
                                             FormatYuan(Fen{policy.sum_insured_fen()}), " 元 (",
                                             FormatYuan(Fen{enrollment.claimed_fen()}), " 元 paid already)"));
  }
  return absl::OkStatus();
}

}  // namespace jinguo::health::domain
