// Which keys a store's ciphertexts and blind indexes were made with, kept in the store itself (family
// "data_keys"), so that a service started with another deployment's key file, or without a key its records still
// need, refuses to start and says why instead of failing on the first read or building a second index.
//
//   index        → HMAC of a fixed text under the index key
//   data/<id>    → a fixed text sealed under data key <id>: one entry per data key records may be sealed under
//
// Thread-safety: call with nothing else writing the family (at start-up, or in a tool on a stopped store).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "common/crypto/field_cipher.h"
#include "common/store/store.h"

namespace jinguo::crypto {

inline constexpr char kDataKeysFamily[] = "data_keys";

// FAILED_PRECONDITION naming `key_file` and the key when `cipher`'s index key is not the store's, when one of its
// data keys has an id the store knows with other bytes, or when it lacks a data key the store's records may still
// be sealed under. Otherwise records the index key (on a new store) and the newest data key, and returns OK.
absl::Status CheckKeys(store::Store* store, const FieldCipher& cipher, const std::string& key_file);

// Once every record is sealed under `cipher`'s newest data key (jinguoctl rekey): forgets the others, so that they
// may leave the key file.
absl::Status ForgetOlderKeys(store::Store* store, const FieldCipher& cipher);

}  // namespace jinguo::crypto
