// The reporting service's RocksDB schema and the reads and writes over it.
//
//   counters      node \0 indicator \0             → int64 (8 bytes, big-endian two's complement)
//   history       node \0 indicator \0 day (u32)   → int64: the counter's value at the end of that day
//   daily_visits  node \0 day (u32)                → int64 visits recorded on that day
//   last_visits   node \0 day (u32)                → int64 counted women whose latest visit was on that day
//   profiles      beneficiary id                   → ProfileState
//   households    household id                     → HouseholdState
//   meta          name                             → value (e.g. the consumer group id)
// plus the projection runtime's offsets and versions. A node is a region-code prefix: "" (country), 2, 4, 6, 9
// or 12 digits. Days are days since 1970-01-01 in Asia/Shanghai.
//
// Thread-safety: reads are thread-safe; writes go through the projection's single thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/base/uuid.h"
#include "common/projection/projection.h"
#include "common/store/store.h"
#include "jinguo/reporting/v1/state.pb.h"

namespace jinguo::reporting::store {

namespace v1 = ::jinguo::reporting::v1;

// Days since 1970-01-01, and back.
uint32_t DayNumber(absl::CivilDay day);
absl::CivilDay DayOfNumber(uint32_t number);

class ReadModel {
 public:
  static std::vector<std::string> Families();
  // Everything derived from the topics: the read models and the projection's offsets and versions. A rebuild
  // empties these (Store::Recreate) before the model is constructed; "meta" (the consumer group id) stays.
  static std::vector<std::string> DerivedFamilies();
  // How the store is opened, by the service and by its benchmark: every family, unlogged writes, larger memtables.
  static jinguo::store::StoreOptions StoreOptions(std::string path, size_t block_cache_bytes);
  // What StoreOptions sets beyond the path, families and cache: unlogged writes, memtables, compaction.
  static void Tune(jinguo::store::StoreOptions& options);
  // The layout of the derived families this code reads and writes, kept in "meta": a number, then the indicators
  // in their order (stored contributions are by place in it, and a new indicator must count everyone). Read models
  // written in another layout are rebuilt at start: they derive from the topics.
  //   2: a profile keeps her own aggregate's last processed version; the projection keeps no version key for it.
  //   3: contributions are stored by the indicator's place, not its name.
  static std::string Layout();
  // Whether `db` holds read models written in another layout (false when it holds none).
  static absl::StatusOr<bool> OtherLayout(const jinguo::store::Store& db);
  // Records that the read models follow Layout().
  [[nodiscard]] static absl::Status MarkLayout(jinguo::store::Store& db);
  // Readies `db` for a ReadModel at start: clears the derived families when `rebuild` asks or they were written
  // in another layout (saying so in the log), then marks the layout. Before any ReadModel is made on `db`.
  [[nodiscard]] static absl::Status Prepare(jinguo::store::Store& db, bool rebuild);
  explicit ReadModel(jinguo::store::Store* db);

  // Current counters of a node (indicators never touched are absent, i.e. 0). Point reads, not a scan: a counter
  // rewritten by every batch leaves many versions in the memtable, which a scan would step over one by one.
  absl::StatusOr<std::map<std::string, int64_t>> Counters(const std::string& node,
                                                          const std::vector<std::string>& indicators) const;
  // Counters as they stood at the end of `day`.
  absl::StatusOr<std::map<std::string, int64_t>> CountersAsOf(const std::string& node,
                                                              const std::vector<std::string>& indicators,
                                                              absl::CivilDay day) const;
  // Visits recorded at the node on the `days` days ending with `last`.
  absl::StatusOr<int64_t> VisitsInWindow(const std::string& node, absl::CivilDay last, int days) const;
  // Counted women at the node whose latest visit falls on the `days` days ending with `last`.
  absl::StatusOr<int64_t> WomenVisitedInWindow(const std::string& node, absl::CivilDay last, int days) const;
  // 12-digit village nodes under a township that have any counter.
  absl::StatusOr<std::vector<std::string>> VillagesUnder(const std::string& township) const;

  absl::StatusOr<std::optional<v1::ProfileState>> Profile(const std::string& id) const;
  // Calls `visit` with every stored profile (then every household) until it returns false: the work lists' scan,
  // whose cost grows with the number stored, so it is for lists, never for figures.
  absl::Status ForEachProfile(absl::FunctionRef<bool(const v1::ProfileState&)> visit) const;
  absl::Status ForEachHousehold(absl::FunctionRef<bool(const v1::HouseholdState&)> visit) const;
  // Whether no profile is stored.
  absl::StatusOr<bool> NoProfiles() const { return db_->Empty(profiles_); }

  // --- writes, inside a projection batch ---
  // Reads her stored state into `*into`; false (and `*into` untouched) when there is none.
  absl::StatusOr<bool> ReadProfile(projection::ProjectionTx& tx, const std::string& id, v1::ProfileState* into) const;
  // Once per batch, when the batch is about to commit, its changed profiles, each with a view of its id: they are
  // sorted, serialized and written on the projection's writer thread, so they (and the ids) must stay unchanged
  // until the batch is written; the writes are not readable through `tx`.
  using IdAndProfile = std::pair<absl::string_view, const v1::ProfileState*>;
  void PutProfiles(projection::ProjectionTx& tx, std::vector<IdAndProfile> profiles) const;
  absl::StatusOr<std::optional<v1::HouseholdState>> Household(projection::ProjectionTx& tx,
                                                              const std::string& id) const;
  void PutHousehold(projection::ProjectionTx& tx, const v1::HouseholdState& h) const;
  // counter += delta, and the day's history entry follows it.
  absl::Status AddToCounter(projection::ProjectionTx& tx, const std::string& node, const std::string& indicator,
                            int64_t delta, absl::CivilDay day) const;
  absl::Status AddVisits(projection::ProjectionTx& tx, const std::string& node, absl::CivilDay day,
                         int64_t delta) const;
  // The bucket of women whose latest visit was on `day` += delta.
  absl::Status AddLastVisit(projection::ProjectionTx& tx, const std::string& node, absl::CivilDay day,
                            int64_t delta) const;

  absl::StatusOr<std::string> Meta(const std::string& name) const;
  // This replica's consumer group: named once ("reporting-<uuid>") and kept in "meta", so each replica is a full
  // projection in a group of its own and keeps it across restarts.
  absl::StatusOr<std::string> GroupId(UuidV7Generator& ids) const;
  [[nodiscard]] absl::Status PutMeta(const std::string& name, const std::string& value) const;

 private:
  jinguo::store::Store* db_;
  rocksdb::ColumnFamilyHandle *counters_, *history_, *daily_visits_, *last_visits_, *profiles_, *households_, *meta_;
};

}  // namespace jinguo::reporting::store
