#include "common/rpc/request_log.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/rpc/auth.h"
#include "common/store/keys.h"
#include "common/validate/field_violations.h"

namespace jinguo::rpc {
namespace {

// Hex characters of the fingerprint at the start of every stored value.
constexpr size_t kFingerprintChars = 64;
// The blind index's purpose for request fingerprints.
constexpr char kFingerprintPurpose[] = "request";
// Responses re-encrypted per write batch by Rekey.
constexpr uint64_t kRekeyBatch = 1000;

std::string Key(absl::string_view method, absl::string_view request_id) {
  return store::KeyBuilder().Str(method).Str(request_id).key();
}

// What a sealed response is bound to, and how an error names it.
std::string Context(absl::string_view method, absl::string_view request_id) {
  return absl::StrCat("requests/", method, "/", request_id);
}
std::string What(absl::string_view method, absl::string_view request_id) {
  return absl::StrCat("the recorded answer to ", method, " request ", request_id);
}

// The request as it would be sent again by a retry: deterministic bytes.
std::string Deterministic(const google::protobuf::Message& request) {
  std::string bytes;
  google::protobuf::io::StringOutputStream out(&bytes);
  google::protobuf::io::CodedOutputStream coded(&out);
  coded.SetSerializationDeterministic(true);
  request.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

}  // namespace

std::string RequestLog::Fingerprint(const google::protobuf::Message& request) const {
  std::string bytes = Deterministic(request);
  if (cipher_ == nullptr) return HashToken(bytes);
  return absl::BytesToHexString(cipher_->BlindIndex(kFingerprintPurpose, bytes));
}

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
  absl::string_view stored = **value;
  if (stored.size() < kFingerprintChars || stored.substr(0, kFingerprintChars) != Fingerprint(request)) {
    return RequestIdReused(request_id);
  }
  stored.remove_prefix(kFingerprintChars);
  std::string opened;
  if (cipher_ != nullptr) {
    auto plain = cipher_->Decrypt(stored, Context(method, request_id), What(method, request_id));
    if (!plain.ok()) return plain.status();
    opened = *std::move(plain);
    stored = opened;
  }
  if (!response->ParseFromArray(stored.data(), static_cast<int>(stored.size()))) {
    return absl::DataLossError(absl::StrCat(What(method, request_id), " is unreadable"));
  }
  return true;
}

void RequestLog::Record(rocksdb::WriteBatch* batch, absl::string_view method, absl::string_view request_id,
                        const google::protobuf::Message& request, const google::protobuf::Message& response) const {
  std::string answer = response.SerializeAsString();
  if (cipher_ != nullptr) answer = cipher_->Encrypt(answer, Context(method, request_id));
  batch->Put(family_, Key(method, request_id), absl::StrCat(Fingerprint(request), answer));
}

absl::StatusOr<crypto::RekeyCounts> RequestLog::Rekey(store::Store* store, const crypto::FieldCipher& cipher,
                                                      const std::function<void(const crypto::RekeyCounts&)>& progress) {
  rocksdb::ColumnFamilyHandle* family = store->Family(kRequestsFamily);
  crypto::RekeyCounts counts;
  rocksdb::WriteBatch batch;
  auto flush = [&]() -> absl::Status {
    if (batch.Count() == 0) return absl::OkStatus();
    if (absl::Status s = store->Write(&batch); !s.ok()) return s;
    batch.Clear();
    if (progress) progress(counts);
    return absl::OkStatus();
  };
  auto it = store->Scan(family, "");
  for (it->Seek(""); it->Valid(); it->Next()) {
    ++counts.examined;
    absl::string_view key(it->key().data(), it->key().size());
    absl::string_view value(it->value().data(), it->value().size());
    std::string method, request_id;
    store::KeyReader reader(key);
    if (!reader.Str(&method) || !reader.Str(&request_id) || value.size() < kFingerprintChars) {
      return absl::DataLossError("a request log entry is unreadable (its key or value is cut short)");
    }
    absl::string_view sealed = value.substr(kFingerprintChars);
    std::string key_id = crypto::FieldCipher::KeyIdOf(sealed);
    if (key_id.empty()) {  // a serialized response never starts as a ciphertext does (field number 0)
      batch.Delete(family, it->key());
      ++counts.dropped;
    } else {
      auto plain = cipher.Decrypt(sealed, Context(method, request_id), What(method, request_id));
      if (!plain.ok()) return plain.status();
      if (key_id == cipher.active_key_id()) continue;
      batch.Put(family, it->key(),
                absl::StrCat(value.substr(0, kFingerprintChars), cipher.Encrypt(*plain, Context(method, request_id))));
      ++counts.resealed;
    }
    if (batch.Count() >= kRekeyBatch) {
      if (absl::Status s = flush(); !s.ok()) return s;
    }
  }
  if (!it->status().ok()) return store::FromRocks(it->status(), "scan the request log");
  if (absl::Status s = flush(); !s.ok()) return s;
  return counts;
}

}  // namespace jinguo::rpc
