#include "services/health/domain/relief_rules.h"

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/money.h"
#include "common/validate/field_violations.h"

namespace jinguo::health::domain {

namespace reg = ::jinguo::registration::v1;

namespace {

constexpr int kAdultAge = 18;

absl::Status Field(absl::StatusCode code, absl::string_view field, absl::string_view reason) {
  return validate::FieldError(code, field, reason);
}

const char* StateName(v1::ReliefState s) {
  switch (s) {
    case v1::RELIEF_STATE_APPLIED:
      return "applied for";
    case v1::RELIEF_STATE_APPROVED:
      return "approved";
    case v1::RELIEF_STATE_REJECTED:
      return "rejected";
    case v1::RELIEF_STATE_PAID:
      return "paid";
    default:
      return "unknown";
  }
}

}  // namespace

absl::StatusOr<v1::Relief> CheckReliefApplication(const v1::ApplyReliefRequest& req,
                                                  const replica::v1::RegistryFacts& person, absl::CivilDay on,
                                                  bool cancer_confirmed, const std::vector<v1::Relief>& earlier,
                                                  const Settings& settings) {
  v1::Relief r;
  r.set_kind(req.kind());
  r.set_beneficiary_id(person.beneficiary_id());
  r.set_region_code(person.region_code());
  *r.mutable_applied_on() = ToProto(on);
  r.set_state(v1::RELIEF_STATE_APPLIED);
  r.set_version(1);
  auto born = FromProto(person.birth_date());
  if (!born.ok()) {
    return Field(absl::StatusCode::kFailedPrecondition, "beneficiary_id",
                 "has no birth date in the registry; relief depends on her age");
  }
  int age = AgeInYears(*born, on);
  switch (req.kind()) {
    case v1::RELIEF_KIND_TWO_CANCER: {
      if (person.sex() != reg::SEX_FEMALE || age < kAdultAge) {
        return Field(absl::StatusCode::kFailedPrecondition, "beneficiary_id",
                     "two-cancer relief is for women (a child's serious illness has relief of its own)");
      }
      if (req.amount_fen() != 0 && req.amount_fen() != settings.two_cancer_relief_fen) {
        return Field(absl::StatusCode::kInvalidArgument, "amount_fen",
                     absl::StrCat("two-cancer relief is ", FormatYuan(Fen{settings.two_cancer_relief_fen}),
                                  " 元 (give 0 or that sum)"));
      }
      if (!cancer_confirmed) {
        return Field(absl::StatusCode::kFailedPrecondition, "case_id",
                     "needs a confirmed cancer: name her follow-up case diagnosed as cancer, or give the diagnosis "
                     "as evidence_reference");
      }
      for (const v1::Relief& e : earlier) {
        if (e.kind() == v1::RELIEF_KIND_TWO_CANCER && e.state() != v1::RELIEF_STATE_REJECTED) {
          return Field(absl::StatusCode::kFailedPrecondition, "beneficiary_id",
                       absl::StrCat("has two-cancer relief already (", e.id(), ", ", StateName(e.state()),
                                    "); it is granted once in a woman's life"));
        }
      }
      r.set_amount_fen(settings.two_cancer_relief_fen);
      r.set_case_id(req.case_id());
      r.set_evidence_reference(req.evidence_reference());
      return r;
    }
    case v1::RELIEF_KIND_CHILD_SERIOUS_ILLNESS: {
      if (age >= kAdultAge) {
        return Field(absl::StatusCode::kFailedPrecondition, "beneficiary_id",
                     absl::StrCat("is aged ", age, "; children's serious-illness relief is for children under 18"));
      }
      auto fund = settings.relief_funds.find(req.fund());
      if (fund == settings.relief_funds.end()) {
        std::string names;
        for (const auto& [name, cap] : settings.relief_funds) absl::StrAppend(&names, names.empty() ? "" : ", ", name);
        return Field(absl::StatusCode::kInvalidArgument, "fund", absl::StrCat("must be one of: ", names));
      }
      if (req.amount_fen() <= 0) {
        return Field(absl::StatusCode::kInvalidArgument, "amount_fen", "must be more than 0 (the amount of this case)");
      }
      if (req.amount_fen() > fund->second) {
        return Field(
            absl::StatusCode::kInvalidArgument, "amount_fen",
            absl::StrCat("is above ", fund->first, "'s cap of ", FormatYuan(Fen{fund->second}), " 元 per case"));
      }
      r.set_amount_fen(req.amount_fen());
      r.set_fund(fund->first);
      return r;
    }
    default:
      return Field(absl::StatusCode::kInvalidArgument, "kind",
                   "is required: two-cancer relief or children's serious-illness relief");
  }
}

absl::Status DecideRelief(v1::Relief& r, bool approve, const std::string& who, absl::CivilDay on,
                          const std::string& reason) {
  if (r.state() != v1::RELIEF_STATE_APPLIED) {
    return Field(absl::StatusCode::kFailedPrecondition, "relief_id",
                 absl::StrCat("relief ", r.id(), " is ", StateName(r.state()), "; only an application is decided"));
  }
  if (who == r.applied_by()) {
    return absl::PermissionDeniedError(
        absl::StrCat(who, " applied for relief ", r.id(), "; another person approves or rejects it"));
  }
  r.set_state(approve ? v1::RELIEF_STATE_APPROVED : v1::RELIEF_STATE_REJECTED);
  r.set_decided_by(who);
  *r.mutable_decided_on() = ToProto(on);
  if (!approve) r.set_rejection_reason(reason);
  r.set_version(r.version() + 1);
  return absl::OkStatus();
}

absl::Status PayRelief(v1::Relief& r, absl::CivilDay on, const std::string& transfer_reference) {
  if (r.state() != v1::RELIEF_STATE_APPROVED) {
    return Field(absl::StatusCode::kFailedPrecondition, "relief_id",
                 absl::StrCat("relief ", r.id(), " is ", StateName(r.state()), "; only approved relief is paid"));
  }
  auto decided = FromProto(r.decided_on());
  if (decided.ok() && on < *decided) {
    return Field(absl::StatusCode::kInvalidArgument, "paid_on", "is before the relief was approved");
  }
  r.set_state(v1::RELIEF_STATE_PAID);
  *r.mutable_paid_on() = ToProto(on);
  r.set_transfer_reference(transfer_reference);
  r.set_version(r.version() + 1);
  return absl::OkStatus();
}

}  // namespace jinguo::health::domain
