// One import row as a county clerk's file (or a hostile client) sends it: the request id and every field of the
// beneficiary are checked without a crash; a row that is refused names its fields, and no reason repeats the ID
// number or the mobile number in clear; a row that is accepted builds a record whose identifiers are normalized.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/match.h"
#include "common/rpc/request_log.h"
#include "common/validate/field_violations.h"
#include "google/protobuf/stubs/logging.h"
#include "jinguo/registration/v1/registration.pb.h"
#include "services/registration/domain/registry_rules.h"

namespace v1 = ::jinguo::registration::v1;

namespace {

// Digits in `s`: text that looks like an identifier has many (a reason may well contain a few words of the input).
size_t Digits(const std::string& s) {
  return std::count_if(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

// Protobuf's warning for every string field with invalid UTF-8 would drown the fuzzer's own output.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

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
      bool repeats_id = Digits(in.id_number()) >= 15 && absl::StrContains(v.description(), in.id_number());
      bool repeats_mobile = Digits(in.mobile()) >= 11 && absl::StrContains(v.description(), in.mobile());
      if (repeats_id || repeats_mobile) {
        std::fprintf(stderr, "%s: \"%s\" repeats the input's %s\n", v.field().c_str(), v.description().c_str(),
                     repeats_id ? "ID number" : "mobile");
        std::abort();
      }
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
