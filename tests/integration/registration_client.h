// A test client of the registration service: typed calls with a bearer token, and small builders of valid
// requests. Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "google/rpc/error_details.pb.h"
#include "jinguo/registration/v1/registration.grpc.pb.h"

namespace jinguo::testing {

namespace rv1 = ::jinguo::registration::v1;

// A client context carrying `token` (none when empty).
std::unique_ptr<grpc::ClientContext> Authorized(const std::string& token);

// The fields named by the BadRequest details of an INVALID_ARGUMENT status.
std::vector<std::string> ViolatedFields(const grpc::Status& status);

// A fresh request id.
std::string NewRequestId();

// A valid ID number (female unless `male`) born on `birth`, distinct per `serial`.
std::string TestIdNumber(absl::CivilDay birth, int serial, bool male = false);

rv1::RegisterHouseholdRequest HouseholdRequest(const std::string& region_code);
rv1::RegisterBeneficiaryRequest BeneficiaryRequest(const std::string& household_id, const std::string& id_number,
                                                   const std::string& name);
rv1::RegisterCadreRequest CadreRequest(const std::string& name, const std::string& region_code);
rv1::PairCadreRequest PairRequest(const std::string& cadre_id, const std::string& beneficiary_id);

}  // namespace jinguo::testing
