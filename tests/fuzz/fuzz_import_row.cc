// One import row as a county clerk's file (or a hostile client) sends it: the request id and every field of the
// beneficiary are checked without a crash; a row that is refused names its fields, and no reason repeats the ID
// number or the mobile number in clear; a row that is accepted builds a record whose identifiers are normalized.
#include <cstdint>
#include <cstdlib>

#include "absl/strings/match.h"
#include "common/rpc/request_log.h"
#include "common/validate/field_violations.h"
#include "jinguo/registration/v1/registration.pb.h"
#include "services/registration/domain/registry_rules.h"

namespace v1 = ::jinguo::registration::v1;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  v1::ImportBeneficiariesRequest row;
  if (!row.ParseFromArray(data, static_cast<int>(size))) return 0;
  (void)jinguo::rpc::CheckRequestId(row.request_id());

  v1::Household household;
  household.set_id("h-1");
  household.set_region_code("130207104201");
  household.set_attribute(v1::HOUSEHOLD_ATTRIBUTE_GENERAL);
  const v1::BeneficiaryInput& in = row.beneficiary();
  jinguo::validate::FieldViolations violations;
  auto facts = jinguo::registration::domain::CheckRegistration(in, in.household_id().empty() ? nullptr : &household,
                                                               absl::CivilDay(2026, 12, 6), "beneficiary.", violations);
  if (!violations.empty()) {
    for (const auto& v : violations.violations().field_violations()) {
      if (!absl::StartsWith(v.field(), "beneficiary.")) std::abort();
      if (in.id_number().size() >= 15 && absl::StrContains(v.description(), in.id_number())) std::abort();
      if (in.mobile().size() >= 11 && absl::StrContains(v.description(), in.mobile())) std::abort();
    }
    return 0;
  }
  if (facts.id_number.size() != 18) std::abort();
  if (!facts.mobile.empty() && facts.mobile.size() != 11) std::abort();
  if (in.household_id().empty()) return 0;
  v1::Beneficiary b = jinguo::registration::domain::BuildBeneficiary("b-1", in, facts, household);
  if (b.region_code() != household.region_code() || b.id_number() != facts.id_number) std::abort();
  return 0;
}
