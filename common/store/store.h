// A service's RocksDB: one database with named column families, writes through write batches with sync=true, and
// a bounded block cache. Thread-safe: every method may be called from any thread (RocksDB's own guarantees).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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
};

// Converts a RocksDB status; `what` says what was being done ("open /var/jinguo/db").
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what);

class Store {
 public:
  static absl::StatusOr<std::unique_ptr<Store>> Open(StoreOptions options);
  ~Store();

  // The handle of a column family named at Open; aborts on a name not declared (a programming error).
  rocksdb::ColumnFamilyHandle* Family(absl::string_view name) const;

  // Writes `batch` atomically. sync=true (the default) returns only once it is on disk.
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

  // Empties the named families at once by dropping and creating them again (old tables are deleted, not read
  // through range tombstones). Their handles change: call before anything has taken them with Family().
  [[nodiscard]] absl::Status Recreate(const std::vector<std::string>& families);

  rocksdb::DB* db() const { return db_.get(); }
  const std::string& path() const { return path_; }

 private:
  Store() = default;
  std::string path_;
  bool unlogged_writes_ = false;
  std::unique_ptr<rocksdb::DB> db_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> families_;
  std::map<std::string, rocksdb::ColumnFamilyOptions, std::less<>> family_options_;
  std::set<const rocksdb::ColumnFamilyHandle*> first_part_families_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  // Upper bounds live as long as their iterators; kept per iterator via the wrapper in store.cc.
};

}  // namespace jinguo::store
