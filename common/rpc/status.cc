#include "common/rpc/status.h"

#include "common/base/mask.h"
#include "common/validate/field_violations.h"
#include "google/rpc/status.pb.h"

namespace jinguo::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  std::string message = MaskSensitive(std::string_view(status.message().data(), status.message().size()));
  auto code = static_cast<grpc::StatusCode>(status.code());
  auto payload = status.GetPayload(validate::kBadRequestTypeUrl);
  if (!payload) return grpc::Status(code, message);
  google::rpc::Status details;
  details.set_code(static_cast<int>(code));
  details.set_message(message);
  auto* any = details.add_details();
  any->set_type_url(std::string(validate::kBadRequestTypeUrl));
  any->set_value(std::string(*payload));
  return grpc::Status(code, message, details.SerializeAsString());
}

}  // namespace jinguo::rpc
