#include "common/rpc/request_log.h"

#include "absl/strings/str_cat.h"
#include "common/rpc/auth.h"
#include "common/store/keys.h"
#include "common/validate/field_violations.h"

namespace jinguo::rpc {
namespace {

std::string Key(absl::string_view method, absl::string_view request_id) {
  return store::KeyBuilder().Str(method).Str(request_id).key();
}

// The request as it would be sent again by a retry: deterministic bytes, hashed.
std::string Fingerprint(const google::protobuf::Message& request) {
  std::string bytes;
  google::protobuf::io::StringOutputStream out(&bytes);
  google::protobuf::io::CodedOutputStream coded(&out);
  coded.SetSerializationDeterministic(true);
  request.SerializeToCodedStream(&coded);
  coded.Trim();
  return HashToken(bytes);
}

}  // namespace

absl::Status CheckRequestId(absl::string_view request_id) {
  if (request_id.empty()) return absl::InvalidArgumentError("is required (a client-chosen id that makes retries safe)");
  if (request_id.size() > 128) return absl::InvalidArgumentError("must be at most 128 characters");
  for (char c : request_id) {
    if (c < 0x21 || c > 0x7e) return absl::InvalidArgumentError("must be printable ASCII without spaces");
  }
  return absl::OkStatus();
}

KeyedMutex::Held RequestLog::Lock(absl::string_view method, absl::string_view request_id) {
  return locks_.Lock(absl::StrCat(method, "/", request_id));
}

absl::Status RequestIdReused(absl::string_view request_id) {
  return validate::FieldError(absl::StatusCode::kAlreadyExists, "request_id",
                              absl::StrCat(request_id, " was already used for a different request; use a new id"));
}

absl::StatusOr<bool> RequestLog::Find(absl::string_view method, absl::string_view request_id,
                                      const google::protobuf::Message& request,
                                      google::protobuf::Message* response) const {
  auto value = store_->Get(family_, Key(method, request_id));
  if (!value.ok()) return value.status();
  if (!value->has_value()) return false;
  const std::string& stored = **value;
  if (stored.size() < 64 || stored.compare(0, 64, Fingerprint(request)) != 0) return RequestIdReused(request_id);
  if (!response->ParseFromArray(stored.data() + 64, static_cast<int>(stored.size() - 64))) {
    return absl::DataLossError("recorded response is unreadable");
  }
  return true;
}

void RequestLog::Record(rocksdb::WriteBatch* batch, absl::string_view method, absl::string_view request_id,
                        const google::protobuf::Message& request, const google::protobuf::Message& response) const {
  batch->Put(family_, Key(method, request_id), absl::StrCat(Fingerprint(request), response.SerializeAsString()));
}

}  // namespace jinguo::rpc
