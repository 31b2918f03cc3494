#include "tests/integration/registration_client.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/validate/id_number.h"
#include "google/rpc/status.pb.h"

namespace jinguo::testing {

std::unique_ptr<grpc::ClientContext> Authorized(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return ctx;
}

std::vector<std::string> ViolatedFields(const grpc::Status& status) {
  std::vector<std::string> out;
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return out;
  for (const auto& any : details.details()) {
    google::rpc::BadRequest br;
    if (any.UnpackTo(&br)) {
      for (const auto& v : br.field_violations()) out.push_back(v.field());
    }
  }
  return out;
}

std::string NewRequestId() {
  static std::atomic<int64_t> n{0};
  return absl::StrCat("req-", absl::ToUnixNanos(absl::Now()), "-", n++);
}

std::string TestIdNumber(absl::CivilDay birth, int serial, bool male) {
  // Address codes vary with the serial so that many people share a birth date without colliding.
  std::string address = absl::StrCat(130200 + (serial / 500) % 99);
  int sequence = (serial % 500) * 2 + (male ? 1 : 0);
  return validate::ComposeIdNumber(address, birth, sequence);
}

rv1::RegisterHouseholdRequest HouseholdRequest(const std::string& region_code) {
  rv1::RegisterHouseholdRequest r;
  r.set_request_id(NewRequestId());
  r.set_region_code(region_code);
  r.set_attribute(rv1::HOUSEHOLD_ATTRIBUTE_GENERAL);
  r.set_head_name("王建国");
  return r;
}

rv1::RegisterBeneficiaryRequest BeneficiaryRequest(const std::string& household_id, const std::string& id_number,
                                                   const std::string& name) {
  rv1::RegisterBeneficiaryRequest r;
  r.set_request_id(NewRequestId());
  auto* b = r.mutable_beneficiary();
  b->set_id_number(id_number);
  b->set_name(name);
  b->set_household_id(household_id);
  b->add_poverty_causes(rv1::POVERTY_CAUSE_ILLNESS);
  return r;
}

rv1::RegisterCadreRequest CadreRequest(const std::string& name, const std::string& region_code) {
  rv1::RegisterCadreRequest r;
  r.set_request_id(NewRequestId());
  r.set_name(name);
  r.set_region_code(region_code);
  return r;
}

rv1::PairCadreRequest PairRequest(const std::string& cadre_id, const std::string& beneficiary_id) {
  rv1::PairCadreRequest r;
  r.set_request_id(NewRequestId());
  r.set_cadre_id(cadre_id);
  r.set_beneficiary_id(beneficiary_id);
  return r;
}

}  // namespace jinguo::testing
