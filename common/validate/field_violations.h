// Collects every problem with a request before anything is written, then becomes one INVALID_ARGUMENT status
// whose payload is a google.rpc.BadRequest (rpc/ turns it into the grpc-status-details-bin trailer).
// Not thread-safe: one collector per request.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/rpc/error_details.pb.h"

namespace jinguo::validate {

// The absl::Status payload URL under which the serialized google.rpc.BadRequest travels.
inline constexpr absl::string_view kBadRequestTypeUrl = "type.googleapis.com/google.rpc.BadRequest";

class FieldViolations {
 public:
  // `field` is the request field's path ("beneficiary.id_number", "rows[3].region_code"); `reason` says what is
  // wrong in words a clerk can act on. Neither may contain an unmasked ID or phone number.
  void Add(absl::string_view field, absl::string_view reason);

  // Adds `status`'s message as the reason for `field` when `status` is not OK. Returns status.ok().
  bool Check(absl::string_view field, const absl::Status& status);

  // Adds every violation `status` carries; a failed status without any adds its message under `field_if_none`.
  void Merge(const absl::Status& status, absl::string_view field_if_none = "");

  bool empty() const { return violations_.field_violations_size() == 0; }
  const google::rpc::BadRequest& violations() const { return violations_; }

  // OK when empty; otherwise INVALID_ARGUMENT "field: reason; field: reason" with the BadRequest payload.
  absl::Status ToStatus() const;

 private:
  google::rpc::BadRequest violations_;
};

// A status of `code` (ALREADY_EXISTS, PERMISSION_DENIED, …) that names the field it is about, as a violation in
// its BadRequest payload: "field: reason".
absl::Status FieldError(absl::StatusCode code, absl::string_view field, absl::string_view reason);

// `status` naming `field` when it names no field yet (OK stays OK); the code and message are kept.
absl::Status WithField(const absl::Status& status, absl::string_view field);

// The BadRequest carried by `status`, or an empty one.
google::rpc::BadRequest BadRequestOf(const absl::Status& status);

}  // namespace jinguo::validate
