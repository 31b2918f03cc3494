// The health service's RocksDB layout. Every write goes into a caller's batch (committed by the write path with
// its events and audit record); reads go to the store.
//
//   screenings           screening id → Screening
//   screenings_by_woman  beneficiary \0 yyyymmdd(u32) screening id \0 → ""          (her history, by date)
//   cases                case id → FollowUpCase
//   cases_by_region      region \0 case id \0 → ""                                  (work queues by region prefix)
//   due_index            yyyymmdd(u32) case id \0 → ""                              (open cases whose current stage
//                                                                                    is scheduled, by due date)
//   health_meta          "swept_through" → yyyymmdd                                (the daily sweep's last date)
//   policies             policy id → InsurancePolicy
//   enrollments          beneficiary \0 policy year(u32) → Enrollment               (once per woman and year)
//   claims               claim id → Claim
//   reliefs              relief id → Relief
//   reliefs_by_woman     beneficiary \0 relief id \0 → ""
//
// Thread-safety: thread-safe (RocksDB is); callers serialize the decisions that read and write one case.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/store/store.h"
#include "jinguo/health/v1/types.pb.h"
#include "rocksdb/write_batch.h"

namespace jinguo::health::store {

namespace v1 = ::jinguo::health::v1;

class HealthStore {
 public:
  static std::vector<std::string> Families();
  static std::vector<std::string> ScannedByFirstPart();
  explicit HealthStore(jinguo::store::Store* db);

  absl::StatusOr<std::optional<v1::Screening>> GetScreening(const std::string& id) const;
  void PutScreening(rocksdb::WriteBatch* batch, const v1::Screening& s) const;
  // Her screenings, newest first.
  absl::StatusOr<std::vector<v1::Screening>> ScreeningsOf(const std::string& beneficiary_id) const;

  absl::StatusOr<std::optional<v1::FollowUpCase>> GetCase(const std::string& id) const;
  // Writes `c` and keeps the indexes: the region index on the first write, the due index following its current
  // stage (`before` is the case as stored, nullptr for a new one).
  void PutCase(rocksdb::WriteBatch* batch, const v1::FollowUpCase& c, const v1::FollowUpCase* before) const;
  // Case ids under `region_prefix` after `after` (a cases_by_region key, "" to start), in region order.
  std::unique_ptr<rocksdb::Iterator> ScanCases(const std::string& region_prefix, const std::string& after) const;
  // The case id of a cases_by_region key.
  static std::string CaseIdOf(absl::string_view region_key);
  // Up to `limit` entries of the due index before `day`, earliest first, after the key `after` (from the start when
  // empty): open cases whose current stage is scheduled and due before it. A caller going through the index in
  // chunks passes the last key it saw, so each chunk seeks past the entries earlier chunks deleted instead of
  // stepping over their tombstones again.
  struct Due {
    std::string key;
    std::string case_id;
  };
  absl::StatusOr<std::vector<Due>> DueBefore(absl::CivilDay day, size_t limit, const std::string& after = "") const;
  // Removes an entry that no longer matches its case.
  void DropDue(rocksdb::WriteBatch* batch, const std::string& key) const;

  absl::StatusOr<std::optional<v1::InsurancePolicy>> GetPolicy(const std::string& id) const;
  void PutPolicy(rocksdb::WriteBatch* batch, const v1::InsurancePolicy& p) const;
  // Her enrolment of `policy_year`, under whichever policy.
  absl::StatusOr<std::optional<v1::Enrollment>> GetEnrollment(const std::string& beneficiary_id, int policy_year) const;
  void PutEnrollment(rocksdb::WriteBatch* batch, const v1::Enrollment& e) const;
  void PutClaim(rocksdb::WriteBatch* batch, const v1::Claim& c) const;

  absl::StatusOr<std::optional<v1::Relief>> GetRelief(const std::string& id) const;
  void PutRelief(rocksdb::WriteBatch* batch, const v1::Relief& r) const;
  // Every relief of hers, oldest first.
  absl::StatusOr<std::vector<v1::Relief>> ReliefsOf(const std::string& beneficiary_id) const;

  absl::StatusOr<std::optional<absl::CivilDay>> SweptThrough() const;
  void PutSweptThrough(rocksdb::WriteBatch* batch, absl::CivilDay day) const;

  // Key builders, exposed for tests.
  static std::string DueKey(absl::CivilDay due, const std::string& case_id);

 private:
  jinguo::store::Store* db_;
  rocksdb::ColumnFamilyHandle* screenings_;
  rocksdb::ColumnFamilyHandle* by_woman_;
  rocksdb::ColumnFamilyHandle* cases_;
  rocksdb::ColumnFamilyHandle* by_region_;
  rocksdb::ColumnFamilyHandle* due_;
  rocksdb::ColumnFamilyHandle* meta_;
  rocksdb::ColumnFamilyHandle* policies_;
  rocksdb::ColumnFamilyHandle* enrollments_;
  rocksdb::ColumnFamilyHandle* claims_;
  rocksdb::ColumnFamilyHandle* reliefs_;
  rocksdb::ColumnFamilyHandle* reliefs_by_woman_;
};

}  // namespace jinguo::health::store
