// The registration service's RocksDB schema: which column family holds what, under which key, and the typed
// reads and batch writes over it. Keeps every index consistent with the records it indexes: PutBeneficiary
// updates the ID-number, region, household-member and duplicate indexes in the same batch as the record.
//
//   beneficiaries     id                                → StoredBeneficiary (ID number and mobile sealed)
//   id_numbers        blind index of the ID number      → beneficiary id (the survivor's after a merge)
//   region_index      region code \0 id                 → ""    (ListBeneficiaries: stable order, prefix scans)
//   members           household id \0 beneficiary id    → ""
//   duplicate_keys    county|birth|name \0 id           → ""
//   aliases           merged id                         → survivor id
//   households        id                                → Household (member_ids filled on read)
//   cadres            id                                → StoredCadre (mobile sealed)
//   pairings          beneficiary id \0 cadre id        → version (8 bytes) + active (1 byte)
//   visits            beneficiary id \0 visit id        → Visit
//   duplicates        candidate id                      → DuplicateCandidate (identifiers in conflicts masked)
//   duplicate_region  region code \0 candidate id       → ""
// plus the common outbox and requests families (the request log seals its answers with the same cipher).
//
// Identifiers at rest: no ID number or mobile is stored in clear, in a value or in a key. A record that holds one
// is stored as a storage-only message (jinguo/registration/v1/state.proto): the API record with the identifier
// fields cleared, and beside it each identifier as a crypto::FieldCipher ciphertext bound to its record and field
// ("beneficiary/<id>/id_number", "beneficiary/<id>/mobile", "cadre/<id>/mobile"), so a ciphertext copied to
// another record does not decrypt. Keys built from an ID number use its HMAC blind index (purpose "id_number")
// instead. Reads decrypt: every method here takes and returns the API records with their identifiers in clear,
// and a record that does not decrypt (corrupted, or sealed under a key the key file lacks) is DATA_LOSS naming the
// record, never its value. Other records hold no identifier (a household its head's name, a duplicate candidate's
// conflicts masked values; a visit's notes are free text written by a cadre and stored as given).
//
// Thread-safety: reads are thread-safe; callers serialize read-decide-write sequences (see api/).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/crypto/field_cipher.h"
#include "common/crypto/rekey.h"
#include "common/store/store.h"
#include "jinguo/registration/v1/state.pb.h"
#include "jinguo/registration/v1/types.pb.h"

namespace jinguo::registration::store {

namespace v1 = ::jinguo::registration::v1;

struct PairingState {
  int64_t version = 0;  // events so far on the pairing aggregate
  bool active = false;
};

class RegistryStore {
 public:
  // Every column family the service's store must be opened with.
  static std::vector<std::string> Families();
  // Those among them scanned by their first key part (see StoreOptions::scanned_by_first_part).
  static std::vector<std::string> ScannedByFirstPart();

  // `cipher` seals and opens the identifiers; both must outlive the store object.
  RegistryStore(jinguo::store::Store* db, const crypto::FieldCipher* cipher);

  absl::StatusOr<std::optional<v1::Beneficiary>> GetBeneficiary(const std::string& id) const;
  // The id itself, or the survivor's id when it was merged; nullopt when unknown.
  absl::StatusOr<std::optional<std::string>> ResolveBeneficiaryId(const std::string& id) const;
  absl::StatusOr<std::optional<std::string>> BeneficiaryIdForNumber(const std::string& id_number) const;
  // The household with its member ids.
  absl::StatusOr<std::optional<v1::Household>> GetHousehold(const std::string& id) const;
  // The household record alone (member_ids empty): for decisions that need only its region and attribute.
  absl::StatusOr<std::optional<v1::Household>> GetHouseholdRecord(const std::string& id) const;
  absl::StatusOr<std::vector<std::string>> HouseholdMembers(const std::string& household_id) const;
  absl::StatusOr<std::optional<v1::Cadre>> GetCadre(const std::string& id) const;
  absl::StatusOr<PairingState> GetPairing(const std::string& beneficiary_id, const std::string& cadre_id) const;
  absl::StatusOr<std::optional<v1::DuplicateCandidate>> GetCandidate(const std::string& id) const;
  // Ids of beneficiaries under a duplicate key.
  absl::StatusOr<std::vector<std::string>> DuplicateMatches(const std::string& key) const;

  // Writes `b` and its indexes; `previous` is the stored record it replaces (nullptr for a new one).
  void PutBeneficiary(rocksdb::WriteBatch* batch, const v1::Beneficiary& b, const v1::Beneficiary* previous) const;
  // Removes a merged beneficiary: record and indexes go; her id and ID number resolve to `survivor_id`.
  void RetireMerged(rocksdb::WriteBatch* batch, const v1::Beneficiary& merged, const std::string& survivor_id) const;
  void PutHousehold(rocksdb::WriteBatch* batch, const v1::Household& h) const;
  void PutCadre(rocksdb::WriteBatch* batch, const v1::Cadre& c) const;
  void PutPairing(rocksdb::WriteBatch* batch, const std::string& beneficiary_id, const std::string& cadre_id,
                  PairingState state) const;
  void PutVisit(rocksdb::WriteBatch* batch, const v1::Visit& v) const;
  // Cadre ids with a pairing record (active or not) for the beneficiary.
  absl::StatusOr<std::vector<std::string>> PairedCadres(const std::string& beneficiary_id) const;
  void PutCandidate(rocksdb::WriteBatch* batch, const v1::DuplicateCandidate& c) const;

  // One page of beneficiaries whose region starts with `prefix`, in (region, id) order, after the index key
  // `after` (exclusive; "" from the start), keeping those `keep` accepts. `next` is set to the key to continue
  // after, or "" at the end. Reads at most `scan_limit` index entries per call.
  absl::StatusOr<std::vector<v1::Beneficiary>> ListByRegion(const std::string& prefix, const std::string& after,
                                                            int limit,
                                                            const std::function<bool(const v1::Beneficiary&)>& keep,
                                                            std::string* next) const;

  absl::StatusOr<std::vector<v1::DuplicateCandidate>> ListCandidates(
      const std::string& prefix, const std::string& after, int limit,
      const std::function<bool(const v1::DuplicateCandidate&)>& keep, std::string* next) const;

  // Re-encrypts, in batches, every identifier not sealed under the cipher's newest data key; one stored in clear
  // (before identifiers were encrypted) is sealed, and an ID-number index entry keyed in clear is moved to its
  // blind index. For a stopped service's store (jinguoctl rekey): nothing else may write meanwhile. `progress` is
  // called after each batch. Every record is opened, so one that does not decrypt (corrupted, or sealed under a key
  // the file lacks) is found: Rekey stops there with DATA_LOSS naming it (batches before it stay written).
  absl::StatusOr<crypto::RekeyCounts> Rekey(const std::function<void(const crypto::RekeyCounts&)>& progress) const;

  // What the beneficiaries and cadres families hold for a record (exposed for tests and Rekey).
  std::string SealBeneficiary(const v1::Beneficiary& b) const;
  absl::StatusOr<v1::Beneficiary> OpenBeneficiary(absl::string_view id, absl::string_view stored) const;
  std::string SealCadre(const v1::Cadre& c) const;
  absl::StatusOr<v1::Cadre> OpenCadre(absl::string_view id, absl::string_view stored) const;
  // The key of the id_numbers family for an ID number.
  std::string IdNumberKey(absl::string_view id_number) const;

  jinguo::store::Store& db() const { return *db_; }

 private:
  jinguo::store::Store* db_;
  const crypto::FieldCipher* cipher_;
  rocksdb::ColumnFamilyHandle *beneficiaries_, *id_numbers_, *region_index_, *members_, *duplicate_keys_, *aliases_,
      *households_, *cadres_, *pairings_, *visits_, *duplicates_, *duplicate_region_;
};

}  // namespace jinguo::registration::store
