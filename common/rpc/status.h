// absl::Status → grpc::Status, at the edge of every api/ adapter. A status carrying field violations (see
// validate/field_violations.h) becomes INVALID_ARGUMENT with a google.rpc.Status in grpc-status-details-bin whose
// details hold the google.rpc.BadRequest. Messages are masked (base/mask.h) as a last line of defence.
#pragma once

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace jinguo::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace jinguo::rpc
