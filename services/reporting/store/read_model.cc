#include "services/reporting/store/read_model.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/base/status.h"
#include "common/store/keys.h"
#include "services/reporting/domain/indicators.h"
#include "spdlog/spdlog.h"

namespace jinguo::reporting::store {

using jinguo::store::KeyBuilder;
using jinguo::store::KeyReader;

uint32_t DayNumber(absl::CivilDay day) { return static_cast<uint32_t>(day - absl::CivilDay(1970, 1, 1)); }
absl::CivilDay DayOfNumber(uint32_t number) { return absl::CivilDay(1970, 1, 1) + number; }

namespace {

std::string EncodeI64(int64_t v) { return jinguo::store::EncodeU64(static_cast<uint64_t>(v)); }

int64_t DecodeI64(absl::string_view bytes) {
  uint64_t v = 0;
  jinguo::store::DecodeU64(bytes, &v);
  return static_cast<int64_t>(v);
}

template <typename Message>
absl::StatusOr<std::optional<Message>> Parse(const absl::StatusOr<std::optional<std::string>>& value,
                                             const std::string& what) {
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::optional<Message>();
  Message m;
  if (!m.ParseFromString(**value)) return absl::DataLossError(absl::StrCat("unreadable ", what));
  return std::optional<Message>(std::move(m));
}

}  // namespace

std::vector<std::string> ReadModel::DerivedFamilies() {
  std::vector<std::string> f = {"counters", "history", "daily_visits", "last_visits", "profiles", "households"};
  for (auto& p : projection::ProjectionFamilies()) f.push_back(p);
  return f;
}

std::vector<std::string> ReadModel::Families() {
  std::vector<std::string> f = DerivedFamilies();
  f.push_back("meta");
  return f;
}

jinguo::store::StoreOptions ReadModel::StoreOptions(std::string path, size_t block_cache_bytes) {
  jinguo::store::StoreOptions options{std::move(path), Families(), block_cache_bytes};
  Tune(options);
  return options;
}

void ReadModel::Tune(jinguo::store::StoreOptions& options) {
  // Everything here but the consumer group id is derived from the topics, so the projection writes without the
  // write-ahead log (a crash rolls it back to the last flush, offsets included, and it consumes from there again).
  options.unlogged_writes = true;
  // Written in batches of up to 20,000 events at a time, and replayed whole by --rebuild: larger memtables and
  // more files per compaction mean fewer flushes and compactions that wait for a quiet moment.
  options.write_buffer_bytes = 64 << 20;
  options.level0_compaction_trigger = 8;
  // Flushed files are rewritten (and compressed) by compaction anyway; compressing them first costs CPU for nothing.
  options.compress_level0 = false;
  // Profiles, counters and history are written in key order within each batch.
  options.sorted_batches = true;
}

std::string ReadModel::Layout() {
  std::string layout = "4";
  for (const auto& d : domain::Indicators()) absl::StrAppend(&layout, " ", d.name);
  return layout;
}

absl::StatusOr<bool> ReadModel::OtherLayout(const jinguo::store::Store& db) {
  ASSIGN_OR_RETURN(auto layout, db.Get(db.Family("meta"), "layout"));
  if (layout && *layout == Layout()) return false;
  ASSIGN_OR_RETURN(bool none, db.Empty(db.Family(projection::kOffsetsFamily)));
  return !none;
}

absl::Status ReadModel::MarkLayout(jinguo::store::Store& db) {
  rocksdb::WriteBatch batch;
  batch.Put(db.Family("meta"), "layout", Layout());
  return db.Write(&batch);
}

absl::Status ReadModel::Prepare(jinguo::store::Store& db, bool rebuild) {
  ASSIGN_OR_RETURN(bool other_layout, OtherLayout(db));
  if (rebuild || other_layout) {
    if (rebuild) {
      spdlog::info("reporting: --rebuild: clearing read models; replaying every topic from the beginning");
    } else {
      spdlog::warn(
          "reporting: the read models in {} were written in another layout (an earlier version of this "
          "service, or another list of indicators): clearing them and replaying every topic from the "
          "beginning",
          db.path());
    }
    RETURN_IF_ERROR(db.Recreate(DerivedFamilies()));
  }
  return MarkLayout(db);
}

absl::StatusOr<std::string> ReadModel::GroupId(UuidV7Generator& ids) const {
  ASSIGN_OR_RETURN(std::string group_id, Meta("group_id"));
  if (group_id.empty()) {
    group_id = absl::StrCat("reporting-", ids.Next());
    RETURN_IF_ERROR(PutMeta("group_id", group_id));
  }
  return group_id;
}

ReadModel::ReadModel(jinguo::store::Store* db)
    : db_(db),
      counters_(db->Family("counters")),
      history_(db->Family("history")),
      daily_visits_(db->Family("daily_visits")),
      last_visits_(db->Family("last_visits")),
      profiles_(db->Family("profiles")),
      households_(db->Family("households")),
      meta_(db->Family("meta")) {}

absl::StatusOr<std::map<std::string, int64_t>> ReadModel::Counters(const std::string& node,
                                                                   const std::vector<std::string>& indicators) const {
  std::map<std::string, int64_t> out;
  for (const std::string& indicator : indicators) {
    ASSIGN_OR_RETURN(auto value, db_->Get(counters_, KeyBuilder().Str(node).Str(indicator).key()));
    if (value) out[indicator] = DecodeI64(*value);
  }
  return out;
}

absl::StatusOr<std::map<std::string, int64_t>> ReadModel::CountersAsOf(const std::string& node,
                                                                       const std::vector<std::string>& indicators,
                                                                       absl::CivilDay day) const {
  std::map<std::string, int64_t> out;
  for (const std::string& indicator : indicators) {
    std::string prefix = KeyBuilder().Str(node).Str(indicator).key();
    auto it = db_->Scan(history_, prefix);
    it->SeekForPrev(KeyBuilder().Str(node).Str(indicator).U32(DayNumber(day)).key());
    if (it->Valid() && it->key().starts_with(prefix)) {
      out[indicator] = DecodeI64(absl::string_view(it->value().data(), it->value().size()));
    }
    if (!it->status().ok()) return jinguo::store::FromRocks(it->status(), "scan history");
  }
  return out;
}

namespace {

// The sum of a daily family's values for `node` on the `days` days ending with `last`.
absl::StatusOr<int64_t> SumOfDays(const jinguo::store::Store& db, rocksdb::ColumnFamilyHandle* family,
                                  const std::string& node, absl::CivilDay last, int days) {
  std::string prefix = KeyBuilder().Str(node).key();
  auto it = db.Scan(family, prefix);
  uint32_t first_day = DayNumber(last - (days - 1)), last_day = DayNumber(last);
  int64_t total = 0;
  for (it->Seek(KeyBuilder().Str(node).U32(first_day).key()); it->Valid(); it->Next()) {
    KeyReader r(absl::string_view(it->key().data(), it->key().size()));
    std::string n;
    uint32_t d = 0;
    if (!r.Str(&n) || !r.U32(&d) || d > last_day) break;
    total += DecodeI64(absl::string_view(it->value().data(), it->value().size()));
  }
  if (!it->status().ok()) return jinguo::store::FromRocks(it->status(), "scan days");
  return total;
}

// value += delta at `key` of a daily family.
absl::Status AddToDay(projection::ProjectionTx& tx, rocksdb::ColumnFamilyHandle* family, const std::string& node,
                      absl::CivilDay day, int64_t delta) {
  std::string key = KeyBuilder().Str(node).U32(DayNumber(day)).key();
  ASSIGN_OR_RETURN(auto current, tx.Get(family, key));
  tx.Put(family, key, EncodeI64((current ? DecodeI64(*current) : 0) + delta));
  return absl::OkStatus();
}

template <typename Message>
absl::Status ForEachMessage(const jinguo::store::Store& db, rocksdb::ColumnFamilyHandle* family, const char* what,
                            absl::FunctionRef<bool(const Message&)> visit) {
  auto it = db.Scan(family, "");
  Message m;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (!m.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat("unreadable ", what));
    }
    if (!visit(m)) break;
  }
  if (!it->status().ok()) return jinguo::store::FromRocks(it->status(), absl::StrCat("scan ", what, "s"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int64_t> ReadModel::VisitsInWindow(const std::string& node, absl::CivilDay last, int days) const {
  return SumOfDays(*db_, daily_visits_, node, last, days);
}

absl::StatusOr<int64_t> ReadModel::WomenVisitedInWindow(const std::string& node, absl::CivilDay last, int days) const {
  return SumOfDays(*db_, last_visits_, node, last, days);
}

absl::Status ReadModel::ForEachProfile(absl::FunctionRef<bool(const v1::ProfileState&)> visit) const {
  return ForEachMessage<v1::ProfileState>(*db_, profiles_, "profile", visit);
}

absl::Status ReadModel::ForEachHousehold(absl::FunctionRef<bool(const v1::HouseholdState&)> visit) const {
  return ForEachMessage<v1::HouseholdState>(*db_, households_, "household", visit);
}

absl::StatusOr<std::vector<std::string>> ReadModel::VillagesUnder(const std::string& township) const {
  std::vector<std::string> out;
  auto it = db_->Scan(counters_, township);
  for (it->Seek(township); it->Valid();) {
    KeyReader r(absl::string_view(it->key().data(), it->key().size()));
    std::string node;
    if (!r.Str(&node)) break;
    if (node.size() == 12) out.push_back(node);
    it->Seek(jinguo::store::PrefixSuccessor(KeyBuilder().Str(node).key()));  // next node
  }
  if (!it->status().ok()) return jinguo::store::FromRocks(it->status(), "scan villages");
  return out;
}

absl::StatusOr<std::optional<v1::ProfileState>> ReadModel::Profile(const std::string& id) const {
  return Parse<v1::ProfileState>(db_->Get(profiles_, id), "profile");
}

absl::StatusOr<bool> ReadModel::ReadProfile(projection::ProjectionTx& tx, const std::string& id,
                                            v1::ProfileState* into) const {
  ASSIGN_OR_RETURN(auto value, tx.Get(profiles_, id));
  if (!value) return false;
  if (!into->ParseFromString(*value)) return absl::DataLossError("unreadable profile");
  return true;
}

void ReadModel::PutProfiles(projection::ProjectionTx& tx, std::vector<IdAndProfile> profiles) const {
  tx.WriteLater([family = profiles_, profiles = std::move(profiles)](rocksdb::WriteBatch& batch) mutable {
    // In key order: RocksDB inserts a sorted run into its memtable far faster than scattered keys.
    std::sort(profiles.begin(), profiles.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string bytes;  // one buffer for every profile
    for (const auto& [id, p] : profiles) {
      p->SerializeToString(&bytes);
      batch.Put(family, rocksdb::Slice(id.data(), id.size()), bytes);
    }
  });
}

absl::StatusOr<std::optional<v1::HouseholdState>> ReadModel::Household(projection::ProjectionTx& tx,
                                                                       const std::string& id) const {
  return Parse<v1::HouseholdState>(tx.Get(households_, id), "household");
}

void ReadModel::PutHousehold(projection::ProjectionTx& tx, const v1::HouseholdState& h) const {
  tx.Put(households_, h.household_id(), h.SerializeAsString());
}

absl::Status ReadModel::AddToCounter(projection::ProjectionTx& tx, const std::string& node,
                                     const std::string& indicator, int64_t delta, absl::CivilDay day) const {
  std::string key = KeyBuilder().Str(node).Str(indicator).key();
  ASSIGN_OR_RETURN(auto current, tx.Get(counters_, key));
  int64_t value = (current ? DecodeI64(*current) : 0) + delta;
  tx.Put(counters_, key, EncodeI64(value));
  tx.Put(history_, KeyBuilder().Str(node).Str(indicator).U32(DayNumber(day)).key(), EncodeI64(value));
  return absl::OkStatus();
}

absl::Status ReadModel::AddVisits(projection::ProjectionTx& tx, const std::string& node, absl::CivilDay day,
                                  int64_t delta) const {
  return AddToDay(tx, daily_visits_, node, day, delta);
}

absl::Status ReadModel::AddLastVisit(projection::ProjectionTx& tx, const std::string& node, absl::CivilDay day,
                                     int64_t delta) const {
  return AddToDay(tx, last_visits_, node, day, delta);
}

absl::StatusOr<std::string> ReadModel::Meta(const std::string& name) const {
  ASSIGN_OR_RETURN(auto v, db_->Get(meta_, name));
  return v ? *v : std::string();
}

absl::Status ReadModel::PutMeta(const std::string& name, const std::string& value) const {
  rocksdb::WriteBatch batch;
  batch.Put(meta_, name, value);
  return db_->Write(&batch);
}

}  // namespace jinguo::reporting::store
