// Identifiers at rest (common/crypto): ID numbers and mobile numbers are stored encrypted with AES-256-GCM, and
// found by an HMAC-SHA256 blind index, so that no file under a service's data directory holds them in clear.
//
// Keys come from a key file (--data-key-file; a Kubernetes Secret in production), one key a line:
//
//   # key id   use     32 bytes as 64 hex characters
//   k2026a     data    3f1c…   (older: still decrypts)
//   k2026b     data    9a0e…   (the last data key encrypts every new write)
//   idx1       index   51b7…   (exactly one: the blind index; it never rotates)
//
// Rotation: append a data key; new writes use it, old ciphertexts still decrypt; `jinguoctl rekey` re-encrypts a
// stopped service's store under the newest key. The index key cannot rotate without rebuilding every index.
//
// A ciphertext is "\x01" | key id length (1 byte) | key id | 12-byte random nonce | ciphertext | 16-byte tag. The
// context (e.g. "beneficiary/<id>/id_number") is authenticated with it, so a ciphertext moved to another record
// or field does not decrypt.
//
// Thread-safety: immutable after construction; every method is const and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jinguo::crypto {

struct DataKey {
  std::string id;     // 1-32 printable ASCII characters
  std::string bytes;  // 32 bytes
};

class FieldCipher {
 public:
  static constexpr size_t kKeyBytes = 32;
  static constexpr size_t kIndexBytes = 32;

  // Reads a key file. Errors name the file and the line: a key of the wrong length, bad hex, an unknown use, a
  // repeated id, no data key, not exactly one index key, a file others can read is accepted (the Secret's mode is
  // the operator's) but an empty one is not.
  static absl::StatusOr<FieldCipher> LoadKeyFile(const std::string& path);
  // A key file's text; errors name `path` and the line.
  static absl::StatusOr<FieldCipher> ParseKeyFile(absl::string_view text, absl::string_view path);
  // From keys in hand (tests, tools). `data` oldest first: the last one encrypts.
  static absl::StatusOr<FieldCipher> FromKeys(std::vector<DataKey> data, std::string index_key);
  // A key file's text with fresh random keys: one data key named `data_id` and one index key.
  static std::string NewKeyFile(const std::string& data_id);

  // `plaintext` encrypted under the newest data key, bound to `context`.
  std::string Encrypt(absl::string_view plaintext, absl::string_view context) const;
  // The plaintext of `ciphertext`, which must have been made for `context`. DATA_LOSS naming `what` (the record,
  // never its value) when the ciphertext is corrupted, made for another context or under a key this file lacks.
  absl::StatusOr<std::string> Decrypt(absl::string_view ciphertext, absl::string_view context,
                                      absl::string_view what) const;
  // The key id a ciphertext was made under ("" when it is not one).
  static std::string KeyIdOf(absl::string_view ciphertext);

  // The blind index of `value` for `purpose` ("id_number"): HMAC-SHA256 under the index key over the purpose and
  // the value, kIndexBytes raw bytes. Equal values give equal indexes; nothing about the value can be read from it
  // without the key.
  std::string BlindIndex(absl::string_view purpose, absl::string_view value) const;

  const std::string& active_key_id() const { return data_.back().id; }
  // Whether the key file holds a data key with this id.
  bool HasDataKey(absl::string_view id) const { return Find(id) != nullptr; }

 private:
  FieldCipher(std::vector<DataKey> data, std::string index_key)
      : data_(std::move(data)), index_key_(std::move(index_key)) {}
  const DataKey* Find(absl::string_view id) const;

  std::vector<DataKey> data_;
  std::string index_key_;
};

}  // namespace jinguo::crypto
