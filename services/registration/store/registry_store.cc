#include "services/registration/store/registry_store.h"

#include "absl/strings/str_cat.h"
#include "common/base/check.h"
#include "common/base/civil_date.h"
#include "common/base/status.h"
#include "common/outbox/outbox.h"
#include "common/rpc/request_log.h"
#include "common/store/keys.h"
#include "services/registration/domain/registry_rules.h"

namespace jinguo::registration::store {

using jinguo::store::KeyBuilder;
using jinguo::store::KeyReader;

namespace {

template <typename Message>
absl::StatusOr<std::optional<Message>> GetMessage(const jinguo::store::Store& db, rocksdb::ColumnFamilyHandle* cf,
                                                  const std::string& key) {
  ASSIGN_OR_RETURN(auto value, db.Get(cf, key));
  if (!value) return std::optional<Message>();
  Message m;
  if (!m.ParseFromString(*value)) return absl::DataLossError(absl::StrCat("unreadable record ", key));
  return std::optional<Message>(std::move(m));
}

// Ids stored under `prefix` as the last string part of index keys.
absl::StatusOr<std::vector<std::string>> IdsUnder(const jinguo::store::Store& db, rocksdb::ColumnFamilyHandle* cf,
                                                  const std::string& prefix) {
  std::vector<std::string> out;
  auto it = db.Scan(cf, prefix);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    absl::string_view key(it->key().data(), it->key().size());
    key.remove_prefix(prefix.size());
    if (!key.empty() && key.back() == '\0') key.remove_suffix(1);
    out.emplace_back(key);
  }
  if (!it->status().ok()) return jinguo::store::FromRocks(it->status(), "scan index");
  return out;
}

std::string DuplicateIndexKey(const v1::Beneficiary& b) {
  return domain::DuplicateKey(b.region_code(), *FromProto(b.birth_date()), b.name());
}

// The blind index's purpose for ID numbers: the id_numbers family's keys.
constexpr char kIdNumberPurpose[] = "id_number";
// Records re-encrypted per write batch by Rekey.
constexpr int64_t kRekeyBatch = 1000;

// What a ciphertext is bound to: the record and the field ("beneficiary/<id>/id_number").
std::string Context(absl::string_view kind, absl::string_view id, absl::string_view field) {
  return absl::StrCat(kind, "/", id, "/", field);
}

// The record and field a ciphertext belongs to, for errors ("beneficiary <id> id_number"): never the value.
std::string What(absl::string_view kind, absl::string_view id, absl::string_view field) {
  return absl::StrCat(kind, " ", id, " ", field);
}

absl::Status StoredInClear(absl::string_view kind, absl::string_view id) {
  return absl::DataLossError(absl::StrCat(kind, " ", id,
                                          ": stored in clear, before identifiers were encrypted; stop the service "
                                          "and run `jinguoctl rekey` to seal it"));
}

// Opens `sealed` (empty: the field was empty) into `*into`.
absl::Status OpenField(const crypto::FieldCipher& cipher, const std::string& sealed, absl::string_view kind,
                       absl::string_view id, absl::string_view field, std::string* into) {
  if (sealed.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(*into, cipher.Decrypt(sealed, Context(kind, id, field), What(kind, id, field)));
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> RegistryStore::Families() {
  return {"beneficiaries", "id_numbers", "region_index", "members", "duplicate_keys", "aliases",
          "households",    "cadres",     "pairings",     "visits",  "duplicates",     "duplicate_region"};
}

std::vector<std::string> RegistryStore::ScannedByFirstPart() { return {"members", "duplicate_keys", "pairings"}; }

RegistryStore::RegistryStore(jinguo::store::Store* db, const crypto::FieldCipher* cipher)
    : db_(db),
      cipher_(cipher),
      beneficiaries_(db->Family("beneficiaries")),
      id_numbers_(db->Family("id_numbers")),
      region_index_(db->Family("region_index")),
      members_(db->Family("members")),
      duplicate_keys_(db->Family("duplicate_keys")),
      aliases_(db->Family("aliases")),
      households_(db->Family("households")),
      cadres_(db->Family("cadres")),
      pairings_(db->Family("pairings")),
      visits_(db->Family("visits")),
      duplicates_(db->Family("duplicates")),
      duplicate_region_(db->Family("duplicate_region")) {
  JG_CHECK(cipher_ != nullptr);
}

std::string RegistryStore::IdNumberKey(absl::string_view id_number) const {
  return cipher_->BlindIndex(kIdNumberPurpose, id_number);
}

std::string RegistryStore::SealBeneficiary(const v1::Beneficiary& b) const {
  v1::StoredBeneficiary stored;
  v1::Beneficiary* record = stored.mutable_beneficiary();
  *record = b;
  record->clear_id_number();
  record->clear_mobile();
  if (!b.id_number().empty()) {
    stored.set_id_number_sealed(cipher_->Encrypt(b.id_number(), Context("beneficiary", b.id(), "id_number")));
  }
  if (!b.mobile().empty()) {
    stored.set_mobile_sealed(cipher_->Encrypt(b.mobile(), Context("beneficiary", b.id(), "mobile")));
  }
  return stored.SerializeAsString();
}

absl::StatusOr<v1::Beneficiary> RegistryStore::OpenBeneficiary(absl::string_view id, absl::string_view stored) const {
  v1::StoredBeneficiary s;
  if (!s.ParseFromArray(stored.data(), static_cast<int>(stored.size()))) {
    return absl::DataLossError(absl::StrCat("beneficiary ", id, ": unreadable record"));
  }
  if (!s.has_beneficiary()) return StoredInClear("beneficiary", id);
  v1::Beneficiary b = std::move(*s.mutable_beneficiary());
  RETURN_IF_ERROR(OpenField(*cipher_, s.id_number_sealed(), "beneficiary", id, "id_number", b.mutable_id_number()));
  RETURN_IF_ERROR(OpenField(*cipher_, s.mobile_sealed(), "beneficiary", id, "mobile", b.mutable_mobile()));
  return b;
}

std::string RegistryStore::SealCadre(const v1::Cadre& c) const {
  v1::StoredCadre stored;
  v1::Cadre* record = stored.mutable_cadre();
  *record = c;
  record->clear_mobile();
  if (!c.mobile().empty()) stored.set_mobile_sealed(cipher_->Encrypt(c.mobile(), Context("cadre", c.id(), "mobile")));
  return stored.SerializeAsString();
}

absl::StatusOr<v1::Cadre> RegistryStore::OpenCadre(absl::string_view id, absl::string_view stored) const {
  v1::StoredCadre s;
  if (!s.ParseFromArray(stored.data(), static_cast<int>(stored.size()))) {
    return absl::DataLossError(absl::StrCat("cadre ", id, ": unreadable record"));
  }
  if (!s.has_cadre()) return StoredInClear("cadre", id);
  v1::Cadre c = std::move(*s.mutable_cadre());
  RETURN_IF_ERROR(OpenField(*cipher_, s.mobile_sealed(), "cadre", id, "mobile", c.mutable_mobile()));
  return c;
}

absl::StatusOr<std::optional<v1::Beneficiary>> RegistryStore::GetBeneficiary(const std::string& id) const {
  ASSIGN_OR_RETURN(auto value, db_->Get(beneficiaries_, id));
  if (!value) return std::optional<v1::Beneficiary>();
  ASSIGN_OR_RETURN(v1::Beneficiary b, OpenBeneficiary(id, *value));
  return std::optional<v1::Beneficiary>(std::move(b));
}

absl::StatusOr<std::optional<std::string>> RegistryStore::ResolveBeneficiaryId(const std::string& id) const {
  std::string current = id;
  for (int hop = 0; hop < 16; ++hop) {
    ASSIGN_OR_RETURN(auto alias, db_->Get(aliases_, current));
    if (!alias) break;
    current = *alias;
  }
  ASSIGN_OR_RETURN(auto exists, db_->Get(beneficiaries_, current));
  if (!exists) return std::optional<std::string>();
  return std::optional<std::string>(current);
}

absl::StatusOr<std::optional<std::string>> RegistryStore::BeneficiaryIdForNumber(const std::string& id_number) const {
  return db_->Get(id_numbers_, IdNumberKey(id_number));
}

absl::StatusOr<std::optional<v1::Household>> RegistryStore::GetHouseholdRecord(const std::string& id) const {
  return GetMessage<v1::Household>(*db_, households_, id);
}

absl::StatusOr<std::optional<v1::Household>> RegistryStore::GetHousehold(const std::string& id) const {
  ASSIGN_OR_RETURN(auto h, GetHouseholdRecord(id));
  if (!h) return h;
  ASSIGN_OR_RETURN(auto members, HouseholdMembers(id));
  for (auto& m : members) h->add_member_ids(std::move(m));
  return h;
}

absl::StatusOr<std::vector<std::string>> RegistryStore::HouseholdMembers(const std::string& household_id) const {
  return IdsUnder(*db_, members_, KeyBuilder().Str(household_id).key());
}

absl::StatusOr<std::optional<v1::Cadre>> RegistryStore::GetCadre(const std::string& id) const {
  ASSIGN_OR_RETURN(auto value, db_->Get(cadres_, id));
  if (!value) return std::optional<v1::Cadre>();
  ASSIGN_OR_RETURN(v1::Cadre c, OpenCadre(id, *value));
  return std::optional<v1::Cadre>(std::move(c));
}

absl::StatusOr<PairingState> RegistryStore::GetPairing(const std::string& beneficiary_id,
                                                       const std::string& cadre_id) const {
  ASSIGN_OR_RETURN(auto value, db_->Get(pairings_, KeyBuilder().Str(beneficiary_id).Str(cadre_id).key()));
  PairingState state;
  uint64_t version = 0;
  if (value && value->size() == 9 && jinguo::store::DecodeU64(*value, &version)) {
    state.version = static_cast<int64_t>(version);
    state.active = (*value)[8] != 0;
  }
  return state;
}

absl::StatusOr<std::optional<v1::DuplicateCandidate>> RegistryStore::GetCandidate(const std::string& id) const {
  return GetMessage<v1::DuplicateCandidate>(*db_, duplicates_, id);
}

absl::StatusOr<std::vector<std::string>> RegistryStore::DuplicateMatches(const std::string& key) const {
  return IdsUnder(*db_, duplicate_keys_, KeyBuilder().Str(key).key());
}

void RegistryStore::PutBeneficiary(rocksdb::WriteBatch* batch, const v1::Beneficiary& b,
                                   const v1::Beneficiary* previous) const {
  batch->Put(beneficiaries_, b.id(), SealBeneficiary(b));
  batch->Put(id_numbers_, IdNumberKey(b.id_number()), b.id());
  if (previous != nullptr) {
    batch->Delete(region_index_, KeyBuilder().Str(previous->region_code()).Str(previous->id()).key());
    batch->Delete(members_, KeyBuilder().Str(previous->household_id()).Str(previous->id()).key());
    batch->Delete(duplicate_keys_, KeyBuilder().Str(DuplicateIndexKey(*previous)).Str(previous->id()).key());
  }
  batch->Put(region_index_, KeyBuilder().Str(b.region_code()).Str(b.id()).key(), "");
  batch->Put(members_, KeyBuilder().Str(b.household_id()).Str(b.id()).key(), "");
  batch->Put(duplicate_keys_, KeyBuilder().Str(DuplicateIndexKey(b)).Str(b.id()).key(), "");
}

void RegistryStore::RetireMerged(rocksdb::WriteBatch* batch, const v1::Beneficiary& merged,
                                 const std::string& survivor_id) const {
  batch->Delete(beneficiaries_, merged.id());
  batch->Put(id_numbers_, IdNumberKey(merged.id_number()), survivor_id);
  batch->Delete(region_index_, KeyBuilder().Str(merged.region_code()).Str(merged.id()).key());
  batch->Delete(members_, KeyBuilder().Str(merged.household_id()).Str(merged.id()).key());
  batch->Delete(duplicate_keys_, KeyBuilder().Str(DuplicateIndexKey(merged)).Str(merged.id()).key());
  batch->Put(aliases_, merged.id(), survivor_id);
  for (const std::string& id : merged.merged_ids()) batch->Put(aliases_, id, survivor_id);
}

void RegistryStore::PutHousehold(rocksdb::WriteBatch* batch, const v1::Household& h) const {
  v1::Household stored = h;
  stored.clear_member_ids();  // derived from the members index on read
  batch->Put(households_, h.id(), stored.SerializeAsString());
}

void RegistryStore::PutCadre(rocksdb::WriteBatch* batch, const v1::Cadre& c) const {
  batch->Put(cadres_, c.id(), SealCadre(c));
}

void RegistryStore::PutPairing(rocksdb::WriteBatch* batch, const std::string& beneficiary_id,
                               const std::string& cadre_id, PairingState state) const {
  std::string value = jinguo::store::EncodeU64(static_cast<uint64_t>(state.version));
  value.push_back(state.active ? 1 : 0);
  batch->Put(pairings_, KeyBuilder().Str(beneficiary_id).Str(cadre_id).key(), value);
}

void RegistryStore::PutVisit(rocksdb::WriteBatch* batch, const v1::Visit& v) const {
  batch->Put(visits_, KeyBuilder().Str(v.beneficiary_id()).Str(v.id()).key(), v.SerializeAsString());
}

absl::StatusOr<std::vector<std::string>> RegistryStore::PairedCadres(const std::string& beneficiary_id) const {
  return IdsUnder(*db_, pairings_, KeyBuilder().Str(beneficiary_id).key());
}

void RegistryStore::PutCandidate(rocksdb::WriteBatch* batch, const v1::DuplicateCandidate& c) const {
  batch->Put(duplicates_, c.id(), c.SerializeAsString());
  batch->Put(duplicate_region_, KeyBuilder().Str(c.region_code()).Str(c.id()).key(), "");
}

namespace {

template <typename Message, typename Load>
absl::StatusOr<std::vector<Message>> ListIndex(const jinguo::store::Store& db, rocksdb::ColumnFamilyHandle* index,
                                               const std::string& prefix, const std::string& after, int limit,
                                               const std::function<bool(const Message&)>& keep, Load load,
                                               std::string* next) {
  std::vector<Message> out;
  next->clear();
  auto it = db.ScanAfter(index, prefix, after);
  for (; it->Valid(); it->Next()) {
    std::string key = it->key().ToString();
    KeyReader reader(key);
    std::string region, id;
    if (!reader.Str(&region) || !reader.Str(&id)) continue;
    ASSIGN_OR_RETURN(std::optional<Message> m, load(id));
    if (!m || !keep(*m)) continue;
    out.push_back(std::move(*m));
    if (static_cast<int>(out.size()) == limit) {
      it->Next();
      if (it->Valid()) *next = key;
      break;
    }
  }
  if (!it->status().ok()) return jinguo::store::FromRocks(it->status(), "list");
  return out;
}

}  // namespace

absl::StatusOr<std::vector<v1::Beneficiary>> RegistryStore::ListByRegion(
    const std::string& prefix, const std::string& after, int limit,
    const std::function<bool(const v1::Beneficiary&)>& keep, std::string* next) const {
  return ListIndex<v1::Beneficiary>(
      *db_, region_index_, prefix, after, limit, keep, [this](const std::string& id) { return GetBeneficiary(id); },
      next);
}

absl::StatusOr<std::vector<v1::DuplicateCandidate>> RegistryStore::ListCandidates(
    const std::string& prefix, const std::string& after, int limit,
    const std::function<bool(const v1::DuplicateCandidate&)>& keep, std::string* next) const {
  return ListIndex<v1::DuplicateCandidate>(
      *db_, duplicate_region_, prefix, after, limit, keep, [this](const std::string& id) { return GetCandidate(id); },
      next);
}

absl::StatusOr<crypto::RekeyCounts> RegistryStore::Rekey(
    const std::function<void(const crypto::RekeyCounts&)>& progress) const {
  crypto::RekeyCounts counts;
  rocksdb::WriteBatch batch;
  auto flush = [&]() -> absl::Status {
    if (batch.Count() == 0) return absl::OkStatus();
    RETURN_IF_ERROR(db_->Write(&batch));
    batch.Clear();
    if (progress) progress(counts);
    return absl::OkStatus();
  };
  auto current = [&](const std::string& sealed) {
    return sealed.empty() || crypto::FieldCipher::KeyIdOf(sealed) == cipher_->active_key_id();
  };
  // Calls `reseal(key, value)` for every record of `cf`; it returns the value to store instead, or nullopt to keep
  // the record as it is.
  using Reseal = std::function<absl::StatusOr<std::optional<std::string>>(absl::string_view, absl::string_view)>;
  auto each = [&](rocksdb::ColumnFamilyHandle* cf, const char* what, const Reseal& reseal) -> absl::Status {
    auto it = db_->Scan(cf, "");
    for (it->Seek(""); it->Valid(); it->Next()) {
      ++counts.examined;
      absl::string_view key(it->key().data(), it->key().size());
      ASSIGN_OR_RETURN(std::optional<std::string> value, reseal(key, {it->value().data(), it->value().size()}));
      if (!value) continue;
      batch.Put(cf, rocksdb::Slice(key.data(), key.size()), *value);
      ++counts.resealed;
      if (batch.Count() >= kRekeyBatch) RETURN_IF_ERROR(flush());
    }
    if (!it->status().ok()) return jinguo::store::FromRocks(it->status(), absl::StrCat("scan ", what));
    return flush();
  };

  Reseal beneficiary = [&](absl::string_view id,
                           absl::string_view value) -> absl::StatusOr<std::optional<std::string>> {
    v1::StoredBeneficiary s;
    if (!s.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      return absl::DataLossError(absl::StrCat("beneficiary ", id, ": unreadable record"));
    }
    v1::Beneficiary b;
    if (s.has_beneficiary()) {
      ASSIGN_OR_RETURN(b, OpenBeneficiary(id, value));
      if (current(s.id_number_sealed()) && current(s.mobile_sealed())) return std::nullopt;
    } else if (!b.ParseFromArray(value.data(), static_cast<int>(value.size())) || b.id() != id) {
      return absl::DataLossError(absl::StrCat("beneficiary ", id, ": unreadable record"));
    }
    return SealBeneficiary(b);
  };
  Reseal cadre = [&](absl::string_view id, absl::string_view value) -> absl::StatusOr<std::optional<std::string>> {
    v1::StoredCadre s;
    if (!s.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      return absl::DataLossError(absl::StrCat("cadre ", id, ": unreadable record"));
    }
    v1::Cadre c;
    if (s.has_cadre()) {
      ASSIGN_OR_RETURN(c, OpenCadre(id, value));
      if (current(s.mobile_sealed())) return std::nullopt;
    } else if (!c.ParseFromArray(value.data(), static_cast<int>(value.size())) || c.id() != id) {
      return absl::DataLossError(absl::StrCat("cadre ", id, ": unreadable record"));
    }
    return SealCadre(c);
  };
  RETURN_IF_ERROR(each(beneficiaries_, "beneficiaries", beneficiary));
  RETURN_IF_ERROR(each(cadres_, "cadres", cadre));
  // The blind index never rotates: only entries keyed by an ID number in clear move.
  auto it = db_->Scan(id_numbers_, "");
  for (it->Seek(""); it->Valid(); it->Next()) {
    ++counts.examined;
    if (it->key().size() == crypto::FieldCipher::kIndexBytes) continue;
    batch.Delete(id_numbers_, it->key());
    batch.Put(id_numbers_, IdNumberKey({it->key().data(), it->key().size()}), it->value());
    ++counts.resealed;
    if (batch.Count() >= 2 * kRekeyBatch) RETURN_IF_ERROR(flush());
  }
  if (!it->status().ok()) return jinguo::store::FromRocks(it->status(), "scan id_numbers");
  RETURN_IF_ERROR(flush());
  return counts;
}

}  // namespace jinguo::registration::store
