// A service's RocksDB: one database with named column families, writes through write batches with sync=true, and
// a bounded block cache. Thread-safe: every method may be called from any thread (RocksDB's own guarantees).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace jinguo::store {

struct StoreOptions {
  std::string path;
  // Column families besides "default". Every library that keeps state names its own (outbox, offsets, …).
  std::vector<std::string> column_families;
  // Bound on the shared LRU block cache.
  size_t block_cache_bytes = 64 << 20;
  // Families among `column_families` whose keys begin with a KeyBuilder string part and are scanned by that part
  // (a household's members, the beneficiaries under one duplicate key). They get bloom filters on the first part,
  // so a Scan whose prefix is exactly one first part skips every file and memtable without it.
  std::vector<std::string> scanned_by_first_part;
  // Allows WriteUnlogged: memtables of every family are then flushed together (RocksDB's atomic flush), so after a
  // crash the families agree with each other at the last flush even for writes the write-ahead log never saw.
  bool unlogged_writes = false;
  // Memtable size per column family, and how many flushed files gather before they are compacted. A store written
  // in large bursts (a projection catching up) takes larger memtables and lets more files gather: fewer, larger
  // flushes, and compactions that wait for a quiet moment instead of competing with the writes.
  size_t write_buffer_bytes = 32 << 20;
  int level0_compaction_trigger = 4;
  // Whether writes come as batches in key order (a projection's): memtable inserts then start from where the one
  // before went (RocksDB's insert hint) instead of from the top of the skiplist, when the one before is close.
  bool sorted_batches = false;
  // Whether flushed files (level 0) are compressed. A store that flushes far more than it keeps (a projection
  // replaying a topic) can leave them uncompressed: compaction compresses what stays, once.
  bool compress_level0 = true;
  // Metrics (optional): jinguo_store_write_errors_total{reason="disk_full"|"io"} and jinguo_store_writable.
  prometheus::Registry* metrics = nullptr;
  // Called (from a writer's thread or the recovery thread) when the store stops accepting writes, with the status
  // writers get, and with OK once it accepts them again; e.g. to turn readiness off and on.
  std::function<void(const absl::Status&)> on_writable_change;
  // How often a store that stopped accepting writes tries to resume them (RocksDB's Resume).
  absl::Duration recovery_interval = absl::Seconds(1);
};

// Converts a RocksDB status; `what` says what was being done ("open /var/jinguo/db").
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what);

// What a caller is told when a write fails on the disk: RESOURCE_EXHAUSTED "the server's disk is full" or
// UNAVAILABLE, with no path or RocksDB detail (those go to the log). Nothing of the write was saved.
absl::Status WriteFailure(const rocksdb::Status& s);

class Store {
 public:
  // Creates the data directory (and its parents) when missing. Fails naming the directory when it cannot be
  // created or written ("data directory is not writable: <dir>"), or with RocksDB's reason otherwise.
  static absl::StatusOr<std::unique_ptr<Store>> Open(StoreOptions options);
  ~Store();

  // The handle of a column family named at Open; aborts on a name not declared (a programming error).
  rocksdb::ColumnFamilyHandle* Family(absl::string_view name) const;

  // Writes `batch` atomically. sync=true (the default) returns only once it is on disk. When the disk fails (full,
  // or an I/O error) the write is refused with WriteFailure's status, the store stops accepting writes (later
  // writes are refused at once, without reaching RocksDB), and a recovery thread resumes them, with no write beside
  // it, once the disk takes writes again (see StoreOptions::on_writable_change). Writes reach RocksDB one at a
  // time.
  [[nodiscard]] absl::Status Write(rocksdb::WriteBatch* batch, bool sync = true);

  // Writes `batch` atomically without the write-ahead log: a crash loses it, and every write after the last flush,
  // together. For state that can be derived again, such as a projection's read models with their offsets.
  // Only on a store opened with unlogged_writes (aborts otherwise, a programming error).
  [[nodiscard]] absl::Status WriteUnlogged(rocksdb::WriteBatch* batch);
  bool unlogged_writes() const { return unlogged_writes_; }

  // Adds `from`'s puts and deletes, in order, to `into` (so several callers' batches commit as one write).
  [[nodiscard]] absl::Status AppendBatch(rocksdb::WriteBatch* into, const rocksdb::WriteBatch& from) const;

  // The value under `key`, or nullopt.
  absl::StatusOr<std::optional<std::string>> Get(rocksdb::ColumnFamilyHandle* cf, absl::string_view key) const;

  // Whether `cf` holds no key at all.
  absl::StatusOr<bool> Empty(rocksdb::ColumnFamilyHandle* cf) const;

  // An iterator over `cf` limited to keys starting with `prefix` (all keys when empty). Position it with Seek.
  // In a family scanned by first part, a prefix that is one whole first part uses the prefix bloom filters.
  std::unique_ptr<rocksdb::Iterator> Scan(rocksdb::ColumnFamilyHandle* cf, absl::string_view prefix) const;

  // An iterator positioned at the first key of `cf` that starts with `prefix` and sorts after `after` ("" for the
  // first key under `prefix`), ending after the last key under `prefix`. Resumes a listing: whatever `after` holds,
  // the scan never yields a key outside `prefix`.
  std::unique_ptr<rocksdb::Iterator> ScanAfter(rocksdb::ColumnFamilyHandle* cf, absl::string_view prefix,
                                               absl::string_view after) const;

  // Empties the named families at once by dropping and creating them again (old tables are deleted, not read
  // through range tombstones). Their handles change: call before anything has taken them with Family().
  [[nodiscard]] absl::Status Recreate(const std::vector<std::string>& families);

  // Starts flushing every family's memtable (together, on a store with unlogged writes) without waiting for it.
  [[nodiscard]] absl::Status FlushAsync();

  // OK while the store accepts writes; the status writers get while it does not.
  absl::Status Writable() const;

  rocksdb::DB* db() const { return db_.get(); }
  const std::string& path() const { return path_; }

 private:
  Store() = default;
  // Takes a failed write's status: logs it, counts it, stops writes and starts recovery; returns WriteFailure's.
  absl::Status WriteFailed(const rocksdb::Status& s);
  // The recovery thread: tries RocksDB's Resume every recovery_interval until it succeeds.
  void RecoverLoop();

  std::string path_;
  std::function<void(const absl::Status&)> on_writable_change_;
  absl::Duration recovery_interval_;
  prometheus::Counter* disk_full_errors_ = nullptr;
  prometheus::Counter* io_errors_ = nullptr;
  prometheus::Gauge* writable_gauge_ = nullptr;
  mutable absl::Mutex recovery_mu_;
  absl::Status write_failure_ ABSL_GUARDED_BY(recovery_mu_);
  // write_failure_ is set: writes are refused without reaching RocksDB.
  std::atomic<bool> refusing_{false};
  // Held by every write and by recovery's Resume: one at a time.
  mutable absl::Mutex write_mu_;
  bool stopping_ ABSL_GUARDED_BY(recovery_mu_) = false;
  std::thread recovery_;
  bool unlogged_writes_ = false;
  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> families_;
  std::map<std::string, rocksdb::ColumnFamilyOptions, std::less<>> family_options_;
  std::set<const rocksdb::ColumnFamilyHandle*> first_part_families_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  // Upper bounds live as long as their iterators; kept per iterator via the wrapper in store.cc.
};

// The message `M` stored under `key` in `cf`: nullopt when there is none, DATA_LOSS naming `what` and the key when
// it does not parse.
template <typename M>
absl::StatusOr<std::optional<M>> GetMessage(const Store& db, rocksdb::ColumnFamilyHandle* cf, absl::string_view key,
                                            absl::string_view what) {
  absl::StatusOr<std::optional<std::string>> value = db.Get(cf, key);
  if (!value.ok()) return value.status();
  if (!*value) return std::optional<M>();
  M m;
  if (!m.ParseFromString(**value)) return absl::DataLossError(absl::StrCat(what, " ", key, ": unreadable record"));
  return std::optional<M>(std::move(m));
}

// Every message `M` of family `cf` whose key starts with `prefix`, in key order; DATA_LOSS naming `what` when one
// does not parse.
template <typename M>
absl::StatusOr<std::vector<M>> ScanMessages(const Store& db, rocksdb::ColumnFamilyHandle* cf, const std::string& prefix,
                                            absl::string_view what) {
  std::vector<M> out;
  auto it = db.Scan(cf, prefix);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    M m;
    if (!m.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError(absl::StrCat(what, ": unreadable record"));
    }
    out.push_back(std::move(m));
  }
  absl::Status s = FromRocks(it->status(), absl::StrCat("scan ", what));
  if (!s.ok()) return s;
  return out;
}

}  // namespace jinguo::store
