// Idempotent mutating calls: the first answer to a request id is recorded in the same write batch as the state
// it created, and a retry with the same id gets that answer back without doing anything again.
//
// Use:  auto lock = log.Lock(method, id);
//       ASSIGN_OR_RETURN(auto earlier, log.Find(method, id, request));  // the first answer, if any
//       if (earlier) return *earlier;
//       ... decide; batch.Put(state) ...; log.Record(&batch, method, id, request, response); commit.
//
// The same id with a different request is ALREADY_EXISTS: a client bug that must not silently return the wrong
// answer.
//
// Stored under (method, request id): a 64-hex-character fingerprint of the request, then the response. With a
// cipher (a service holding identifiers, common/crypto) nothing of either can be read from the disk: the
// fingerprint is an HMAC-SHA256 under the cipher's index key (a plain hash could be brute-forced over the small
// space of ID numbers and phones a request holds), and the response is a FieldCipher ciphertext bound to the
// method and request id. Without one, a SHA-256 and the serialized response.
//
// Thread-safety: all methods thread-safe; hold Lock() across Find … commit.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/base/keyed_mutex.h"
#include "common/crypto/field_cipher.h"
#include "common/crypto/rekey.h"
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
  // `cipher` (optional; must outlive the log) seals what is recorded.
  explicit RequestLog(store::Store* store, const crypto::FieldCipher* cipher = nullptr)
      : store_(store), family_(store->Family(kRequestsFamily)), cipher_(cipher) {}

  KeyedMutex::Held Lock(absl::string_view method, absl::string_view request_id);

  // The recorded response (parsed into a new message of `response`'s type) for this method and id, or nullopt.
  // DATA_LOSS naming the method and request id when it does not decrypt or parse.
  absl::StatusOr<bool> Find(absl::string_view method, absl::string_view request_id,
                            const google::protobuf::Message& request, google::protobuf::Message* response) const;

  void Record(rocksdb::WriteBatch* batch, absl::string_view method, absl::string_view request_id,
              const google::protobuf::Message& request, const google::protobuf::Message& response) const;

  // Re-encrypts every recorded response not sealed under `cipher`'s newest data key, for a stopped service's store
  // (jinguoctl rekey). A response recorded in clear (before the service had a key file) is dropped: its request's
  // keyed fingerprint cannot be made without the request, and a retry of it is long past. `progress` is called
  // after each batch; a response that does not decrypt stops it with DATA_LOSS naming the request.
  static absl::StatusOr<crypto::RekeyCounts> Rekey(store::Store* store, const crypto::FieldCipher& cipher,
                                                   const std::function<void(const crypto::RekeyCounts&)>& progress);

 private:
  std::string Fingerprint(const google::protobuf::Message& request) const;

  store::Store* store_;
  rocksdb::ColumnFamilyHandle* family_;
  const crypto::FieldCipher* cipher_;
  KeyedMutex locks_;
};

}  // namespace jinguo::rpc
