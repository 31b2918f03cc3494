// The training service's RocksDB layout. Every write goes into a caller's batch (committed by the write path with
// its events and audit record); reads go to the store.
//
//   programmes            programme id → Programme
//   programmes_by_region  region \0 programme id \0 → ""
//   sessions              programme id \0 session id \0 → Session
//   participants          programme id \0 number(u32) → Participant       (in the order they came)
//   participants_by_woman beneficiary \0 programme id \0 → number(u32)    (once per programme)
//   postings              posting id → JobPosting
//   postings_by_region    region \0 posting id \0 → ""
//   placements            placement id → Placement
//   placements_by_woman   beneficiary \0 placement id \0 → ""
//   funds                 fund id → AidFund
//   grants                grant id → AidGrant
//   grants_by_student     beneficiary \0 grant id \0 → ""
//   donor_pairs           fund id \0 beneficiary \0 → ""
//
// Thread-safety: thread-safe (RocksDB is); callers serialize the decisions that read and write one programme,
// posting or fund.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/store/store.h"
#include "jinguo/training/v1/types.pb.h"
#include "rocksdb/write_batch.h"

namespace jinguo::training::store {

namespace v1 = ::jinguo::training::v1;

class TrainingStore {
 public:
  static std::vector<std::string> Families();
  static std::vector<std::string> ScannedByFirstPart();
  explicit TrainingStore(jinguo::store::Store* db);

  absl::StatusOr<std::optional<v1::Programme>> GetProgramme(const std::string& id) const;
  void PutProgramme(rocksdb::WriteBatch* batch, const v1::Programme& p, bool first_write) const;
  // Programme ids under `region_prefix` after `after` (a programmes_by_region key, "" to start), in region order.
  std::unique_ptr<rocksdb::Iterator> ScanProgrammes(const std::string& region_prefix, const std::string& after) const;
  // The second part of a two-part index key (region \0 id \0 → id).
  static std::string IdOf(absl::string_view index_key);

  absl::StatusOr<std::vector<v1::Session>> Sessions(const std::string& programme_id) const;
  void PutSession(rocksdb::WriteBatch* batch, const v1::Session& s) const;

  // Every participant of the programme, by number.
  absl::StatusOr<std::vector<v1::Participant>> Participants(const std::string& programme_id) const;
  void PutParticipant(rocksdb::WriteBatch* batch, const v1::Participant& p) const;
  // Her number in the programme, if she enrolled.
  absl::StatusOr<std::optional<int>> NumberOf(const std::string& beneficiary_id, const std::string& programme_id) const;

  absl::StatusOr<std::optional<v1::JobPosting>> GetPosting(const std::string& id) const;
  void PutPosting(rocksdb::WriteBatch* batch, const v1::JobPosting& p, bool first_write) const;
  std::unique_ptr<rocksdb::Iterator> ScanPostings(const std::string& region_prefix, const std::string& after) const;

  absl::StatusOr<std::optional<v1::Placement>> GetPlacement(const std::string& id) const;
  void PutPlacement(rocksdb::WriteBatch* batch, const v1::Placement& p) const;
  // Her placements, by id.
  absl::StatusOr<std::vector<v1::Placement>> PlacementsOf(const std::string& beneficiary_id) const;

  absl::StatusOr<std::optional<v1::AidFund>> GetFund(const std::string& id) const;
  void PutFund(rocksdb::WriteBatch* batch, const v1::AidFund& f) const;
  absl::StatusOr<std::optional<v1::AidGrant>> GetGrant(const std::string& id) const;
  void PutGrant(rocksdb::WriteBatch* batch, const v1::AidGrant& g) const;
  // Her grants, by id.
  absl::StatusOr<std::vector<v1::AidGrant>> GrantsOf(const std::string& beneficiary_id) const;
  void PutDonorPair(rocksdb::WriteBatch* batch, const std::string& fund_id, const std::string& beneficiary_id) const;
  absl::StatusOr<bool> DonorPaired(const std::string& fund_id, const std::string& beneficiary_id) const;

 private:
  jinguo::store::Store* db_;
  rocksdb::ColumnFamilyHandle* programmes_;
  rocksdb::ColumnFamilyHandle* programmes_by_region_;
  rocksdb::ColumnFamilyHandle* sessions_;
  rocksdb::ColumnFamilyHandle* participants_;
  rocksdb::ColumnFamilyHandle* participants_by_woman_;
  rocksdb::ColumnFamilyHandle* postings_;
  rocksdb::ColumnFamilyHandle* postings_by_region_;
  rocksdb::ColumnFamilyHandle* placements_;
  rocksdb::ColumnFamilyHandle* placements_by_woman_;
  rocksdb::ColumnFamilyHandle* funds_;
  rocksdb::ColumnFamilyHandle* grants_;
  rocksdb::ColumnFamilyHandle* grants_by_student_;
  rocksdb::ColumnFamilyHandle* donor_pairs_;
};

}  // namespace jinguo::training::store
