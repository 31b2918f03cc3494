// Idempotent mutating calls: the first answer to a request id is recorded in the same write batch as the state
// it created, and a retry with the same id gets that answer back without doing anything again.
//
// Use:  auto lock = log.Lock(method, id);
//       ASSIGN_OR_RETURN(auto earlier, log.Find(method, id, request));  // the first answer, if any
//       if (earlier) return *earlier;
//       ... decide; batch.Put(state) ...; log.Record(&batch, method, id, request, response); commit.
//
// The same id with a different request is ALREADY_EXISTS: a client bug that must not silently return the wrong
// answer. Thread-safety: all methods thread-safe; hold Lock() across Find … commit.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/base/keyed_mutex.h"
#include "common/store/store.h"
#include "google/protobuf/message.h"

namespace jinguo::rpc {

inline constexpr char kRequestsFamily[] = "requests";

// INVALID_ARGUMENT unless `request_id` is 1-128 printable ASCII characters.
absl::Status CheckRequestId(absl::string_view request_id);

// ALREADY_EXISTS: `request_id` was recorded with a different request.
absl::Status RequestIdReused(absl::string_view request_id);

class RequestLog {
 public:
  explicit RequestLog(store::Store* store) : store_(store), family_(store->Family(kRequestsFamily)) {}

  KeyedMutex::Held Lock(absl::string_view method, absl::string_view request_id);

  // The recorded response (parsed into a new message of `response`'s type) for this method and id, or nullopt.
  absl::StatusOr<bool> Find(absl::string_view method, absl::string_view request_id,
                            const google::protobuf::Message& request, google::protobuf::Message* response) const;

  void Record(rocksdb::WriteBatch* batch, absl::string_view method, absl::string_view request_id,
              const google::protobuf::Message& request, const google::protobuf::Message& response) const;

 private:
  store::Store* store_;
  rocksdb::ColumnFamilyHandle* family_;
  KeyedMutex locks_;
};

}  // namespace jinguo::rpc
