#include "common/crypto/key_check.h"

#include <vector>

#include "absl/strings/str_cat.h"

namespace jinguo::crypto {
namespace {

constexpr char kIndexEntry[] = "index";
constexpr char kDataPrefix[] = "data/";
constexpr char kCheckText[] = "jinguo data key check";

std::string Context(absl::string_view id) { return absl::StrCat("data_keys/", id); }

}  // namespace

absl::Status CheckKeys(store::Store* store, const FieldCipher& cipher, const std::string& key_file) {
  rocksdb::ColumnFamilyHandle* family = store->Family(kDataKeysFamily);
  rocksdb::WriteBatch batch;
  std::string index = cipher.BlindIndex("key_check", kCheckText);
  auto recorded = store->Get(family, kIndexEntry);
  if (!recorded.ok()) return recorded.status();
  if (!recorded->has_value()) {
    batch.Put(family, kIndexEntry, index);
  } else if (**recorded != index) {
    return absl::FailedPreconditionError(
        absl::StrCat("the index key in ", key_file,
                     " is not the one this store's ID-number index was built with (another deployment's key file?)"));
  }
  auto it = store->Scan(family, kDataPrefix);
  for (it->Seek(kDataPrefix); it->Valid(); it->Next()) {
    std::string id = it->key().ToString().substr(sizeof kDataPrefix - 1);
    if (!cipher.HasDataKey(id)) {
      return absl::FailedPreconditionError(
          absl::StrCat("this store's records may be sealed under data key ", id, ", which ", key_file,
                       " does not hold (keep a key in the file until `jinguoctl rekey` has re-encrypted the "
                       "store under a newer one)"));
    }
    auto opened = cipher.Decrypt(it->value().ToString(), Context(id), absl::StrCat("data key ", id));
    if (!opened.ok() || *opened != kCheckText) {
      return absl::FailedPreconditionError(absl::StrCat("data key ", id, " in ", key_file,
                                                        " is not the one this store's records were sealed with "
                                                        "(another deployment's key file?)"));
    }
  }
  if (!it->status().ok()) return store::FromRocks(it->status(), "read the data key checks");
  std::string active = absl::StrCat(kDataPrefix, cipher.active_key_id());
  auto known = store->Get(family, active);
  if (!known.ok()) return known.status();
  if (!known->has_value()) batch.Put(family, active, cipher.Encrypt(kCheckText, Context(cipher.active_key_id())));
  if (batch.Count() == 0) return absl::OkStatus();
  return store->Write(&batch);
}

absl::Status ForgetOlderKeys(store::Store* store, const FieldCipher& cipher) {
  rocksdb::ColumnFamilyHandle* family = store->Family(kDataKeysFamily);
  rocksdb::WriteBatch batch;
  std::string active = absl::StrCat(kDataPrefix, cipher.active_key_id());
  auto it = store->Scan(family, kDataPrefix);
  for (it->Seek(kDataPrefix); it->Valid(); it->Next()) {
    if (it->key().ToString() != active) batch.Delete(family, it->key());
  }
  if (!it->status().ok()) return store::FromRocks(it->status(), "read the data key checks");
  batch.Put(family, active, cipher.Encrypt(kCheckText, Context(cipher.active_key_id())));
  return store->Write(&batch);
}

}  // namespace jinguo::crypto
