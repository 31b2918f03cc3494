#include "common/store/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "common/base/check.h"
#include "common/base/status.h"
#include "common/base/thread_name.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/sst_file_manager.h"
#include "rocksdb/table.h"
#include "spdlog/spdlog.h"

namespace jinguo::store {

std::string PrefixSuccessor(absl::string_view prefix) {
  std::string out(prefix);
  while (!out.empty()) {
    unsigned char last = static_cast<unsigned char>(out.back());
    if (last != 0xff) {
      out.back() = static_cast<char>(last + 1);
      return out;
    }
    out.pop_back();
  }
  return out;
}

absl::Status WriteFailure(const rocksdb::Status& s) {
  if (s.IsNoSpace()) {
    return absl::ResourceExhaustedError(
        "the server's disk is full: nothing of this request was saved; retry once the operator has freed space");
  }
  return absl::UnavailableError("the server cannot write to its disk: nothing of this request was saved; retry later");
}

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(what, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut()) return absl::UnavailableError(msg);
  if (s.IsInvalidArgument()) return absl::FailedPreconditionError(msg);
  return absl::InternalError(msg);
}

namespace {

// The first KeyBuilder string part of a key, with its terminating 0x00; keys without one are outside the domain.
class FirstPartTransform final : public rocksdb::SliceTransform {
 public:
  // Stored in every table's properties: never rename.
  const char* Name() const override { return "jinguo.FirstKeyPart"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    const void* end = memchr(key.data(), 0, key.size());
    return rocksdb::Slice(key.data(), static_cast<const char*>(end) - key.data() + 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return memchr(key.data(), 0, key.size()) != nullptr; }
};

// True when `prefix` is exactly one first part: "name\0".
bool IsOneFirstPart(absl::string_view prefix) { return !prefix.empty() && prefix.find('\0') == prefix.size() - 1; }

// An iterator that owns the upper-bound slice its ReadOptions point at.
class BoundedIterator final : public rocksdb::Iterator {
 public:
  BoundedIterator(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, std::string upper, bool prefix_mode)
      : upper_(std::move(upper)) {
    rocksdb::ReadOptions ro;
    // Prefix mode only where the caller's prefix is the extractor's whole prefix; any other scan of a family with
    // an extractor must see keys in total order.
    ro.total_order_seek = !prefix_mode;
    ro.prefix_same_as_start = prefix_mode;
    if (!upper_.empty()) {
      upper_slice_ = rocksdb::Slice(upper_);
      ro.iterate_upper_bound = &upper_slice_;
    }
    it_.reset(db->NewIterator(ro, cf));
  }
  bool Valid() const override { return it_->Valid(); }
  void SeekToFirst() override { it_->SeekToFirst(); }
  void SeekToLast() override { it_->SeekToLast(); }
  void Seek(const rocksdb::Slice& target) override { it_->Seek(target); }
  void SeekForPrev(const rocksdb::Slice& target) override { it_->SeekForPrev(target); }
  void Next() override { it_->Next(); }
  void Prev() override { it_->Prev(); }
  rocksdb::Slice key() const override { return it_->key(); }
  rocksdb::Slice value() const override { return it_->value(); }
  rocksdb::Status status() const override { return it_->status(); }

 private:
  std::string upper_;
  rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

// RocksDB's own log, sent to the service's log instead of a LOG file in the data directory: its warnings and
// errors at their level, the rest (options at open, flushes, compactions) at debug. A LOG file would share the
// disk with the data, and Debian's RocksDB 7.8 aborts on an assertion when it appends a line to a LOG file whose
// previous append failed, as happens on a full disk.
class ServiceLogLogger : public rocksdb::Logger {
 public:
  explicit ServiceLogLogger(std::string path)
      : rocksdb::Logger(spdlog::should_log(spdlog::level::debug) ? rocksdb::InfoLogLevel::INFO_LEVEL
                                                                 : rocksdb::InfoLogLevel::WARN_LEVEL),
        path_(std::move(path)) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char line[1024];
    va_list copy;
    va_copy(copy, ap);
    int n = std::vsnprintf(line, sizeof line, format, copy);
    va_end(copy);
    if (n < 0) return;
    std::string longer;
    absl::string_view text(line, std::min<size_t>(n, sizeof line - 1));
    if (static_cast<size_t>(n) >= sizeof line) {
      longer.resize(n + 1);
      std::vsnprintf(longer.data(), longer.size(), format, ap);
      text = absl::string_view(longer.data(), n);
    }
    spdlog::log(Level(level), "rocksdb {}: {}", path_, std::string_view(text.data(), text.size()));
  }

 private:
  static spdlog::level::level_enum Level(rocksdb::InfoLogLevel level) {
    switch (level) {
      case rocksdb::InfoLogLevel::DEBUG_LEVEL:
        return spdlog::level::trace;
      case rocksdb::InfoLogLevel::INFO_LEVEL:
      case rocksdb::InfoLogLevel::HEADER_LEVEL:
        return spdlog::level::debug;
      case rocksdb::InfoLogLevel::WARN_LEVEL:
        return spdlog::level::warn;
      default:
        return spdlog::level::err;
    }
  }

  std::string path_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(StoreOptions options) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.cache_index_and_filter_blocks = false;

  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf_options.write_buffer_size = options.write_buffer_bytes;
  cf_options.level0_file_num_compaction_trigger = options.level0_compaction_trigger;
  if (!options.compress_level0) {
    cf_options.compression_per_level.assign(cf_options.num_levels, cf_options.compression);
    cf_options.compression_per_level[0] = rocksdb::kNoCompression;
  }
  // A bloom filter over the memtable too: most point reads here are misses (is this ID number, request id,
  // profile new?), and without it every miss walks the memtable's skiplist.
  cf_options.memtable_whole_key_filtering = true;
  cf_options.memtable_prefix_bloom_size_ratio = 0.05;
  if (options.sorted_batches) {
    // One hint for all keys (an empty prefix), kept per memtable.
    cf_options.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(0));
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.enable_pipelined_write = false;
  db_options.allow_concurrent_memtable_write = false;
  // Writers waiting for their group's leader sleep instead of spinning: with two cores, a spinning follower takes
  // the CPU the leader needs.
  db_options.enable_write_thread_adaptive_yield = false;
  db_options.info_log = std::make_shared<ServiceLogLogger>(options.path);
  db_options.max_total_wal_size = 256 << 20;
  db_options.atomic_flush = options.unlogged_writes;
  // RocksDB stops writes after a failed one; with an SstFileManager it recovers from a full disk by itself once
  // space is back (it polls the free space), and RecoverLoop sees the store take writes again.
  db_options.sst_file_manager.reset(rocksdb::NewSstFileManager(rocksdb::Env::Default()));

  rocksdb::ColumnFamilyOptions first_part_options = cf_options;
  first_part_options.prefix_extractor = std::make_shared<FirstPartTransform>();

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors{{rocksdb::kDefaultColumnFamilyName, cf_options}};
  for (const auto& name : options.column_families) {
    bool first_part = absl::c_linear_search(options.scanned_by_first_part, name);
    descriptors.emplace_back(name, first_part ? first_part_options : cf_options);
  }

  {
    std::error_code ec;
    std::filesystem::create_directories(options.path, ec);
    if (ec)
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create data directory ", options.path, ": ", ec.message()));
    std::string probe = (std::filesystem::path(options.path) / ".write-probe").string();
    int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool written = fd >= 0 && ::write(fd, "1", 1) == 1 && ::fsync(fd) == 0;
    int error = errno;
    if (fd >= 0) ::close(fd);
    ::unlink(probe.c_str());
    if (!written) {
      return absl::FailedPreconditionError(
          absl::StrCat("data directory is not writable: ", options.path, " (", std::strerror(error), ")"));
    }
  }

  std::unique_ptr<Store> store(new Store());
  store->path_ = options.path;
  store->on_writable_change_ = std::move(options.on_writable_change);
  store->recovery_interval_ = options.recovery_interval;
  if (options.metrics != nullptr) {
    auto& errors = prometheus::BuildCounter()
                       .Name("jinguo_store_write_errors_total")
                       .Help("Writes the disk refused, by reason (disk_full, io); each stops writes until recovery")
                       .Register(*options.metrics);
    store->disk_full_errors_ = &errors.Add({{"reason", "disk_full"}});
    store->io_errors_ = &errors.Add({{"reason", "io"}});
    store->writable_gauge_ = &prometheus::BuildGauge()
                                  .Name("jinguo_store_writable")
                                  .Help("1 while the store accepts writes, 0 while the disk refuses them")
                                  .Register(*options.metrics)
                                  .Add({});
    store->writable_gauge_->Set(1);
  }
  store->unlogged_writes_ = options.unlogged_writes;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, descriptors, &store->handles_, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("open RocksDB at ", options.path));
  store->db_.reset(raw);
  for (size_t i = 0; i < descriptors.size(); ++i) {
    store->families_[descriptors[i].name] = store->handles_[i];
    store->family_options_[descriptors[i].name] = descriptors[i].options;
    if (descriptors[i].options.prefix_extractor) store->first_part_families_.insert(store->handles_[i]);
  }
  return store;
}

absl::Status Store::Recreate(const std::vector<std::string>& families) {
  for (const std::string& name : families) {
    auto it = families_.find(name);
    JG_CHECK(it != families_.end());
    rocksdb::ColumnFamilyHandle* old = it->second;
    RETURN_IF_ERROR(FromRocks(db_->DropColumnFamily(old), absl::StrCat("drop column family ", name)));
    rocksdb::ColumnFamilyHandle* fresh = nullptr;
    RETURN_IF_ERROR(FromRocks(db_->CreateColumnFamily(family_options_[name], name, &fresh),
                              absl::StrCat("create column family ", name)));
    std::replace(handles_.begin(), handles_.end(), old, fresh);
    if (first_part_families_.erase(old) > 0) first_part_families_.insert(fresh);
    it->second = fresh;
    RETURN_IF_ERROR(FromRocks(db_->DestroyColumnFamilyHandle(old), absl::StrCat("release column family ", name)));
  }
  return absl::OkStatus();
}

Store::~Store() {
  {
    absl::MutexLock lock(&recovery_mu_);
    stopping_ = true;
  }
  if (recovery_.joinable()) recovery_.join();
  if (!db_) return;
  // Memtables go to disk now, so the next start reads tables instead of replaying the write-ahead log (a second
  // or more after a large load). A failure here only means that replay happens.
  rocksdb::FlushOptions flush;
  db_->Flush(flush, handles_).PermitUncheckedError();
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
}

rocksdb::ColumnFamilyHandle* Store::Family(absl::string_view name) const {
  auto it = families_.find(name);
  JG_CHECK(it != families_.end());
  return it->second;
}

absl::Status Store::Write(rocksdb::WriteBatch* batch, bool sync) {
  // One write reaches RocksDB at a time (callers' synced writes are already grouped by the commit queue); once
  // one has failed, RocksDB is not asked again until recovery has resumed it, and recovery never runs beside a
  // write, so a failed disk costs one refused RocksDB write, not one per caller.
  absl::MutexLock writing(&write_mu_);
  if (refusing_.load(std::memory_order_acquire)) return Writable();
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  rocksdb::Status s = db_->Write(wo, batch);
  return s.ok() ? absl::OkStatus() : WriteFailed(s);
}

absl::Status Store::WriteUnlogged(rocksdb::WriteBatch* batch) {
  JG_CHECK(unlogged_writes_);
  absl::MutexLock writing(&write_mu_);
  if (refusing_.load(std::memory_order_acquire)) return Writable();
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  rocksdb::Status s = db_->Write(wo, batch);
  return s.ok() ? absl::OkStatus() : WriteFailed(s);
}

absl::Status Store::FlushAsync() {
  rocksdb::FlushOptions flush;
  flush.wait = false;
  flush.allow_write_stall = true;
  rocksdb::Status s = db_->Flush(flush, handles_);
  return s.ok() ? absl::OkStatus() : WriteFailed(s);
}

absl::Status Store::Writable() const {
  absl::MutexLock lock(&recovery_mu_);
  return write_failure_;
}

absl::Status Store::WriteFailed(const rocksdb::Status& s) {
  if (!s.IsIOError()) return FromRocks(s, "write batch");
  absl::Status failure = WriteFailure(s);
  if (prometheus::Counter* errors = s.IsNoSpace() ? disk_full_errors_ : io_errors_) errors->Increment();
  bool first = false;
  {
    absl::MutexLock lock(&recovery_mu_);
    if (write_failure_.ok() && !stopping_) {
      first = true;
      write_failure_ = failure;
      refusing_.store(true, std::memory_order_release);
      if (!recovery_.joinable()) recovery_ = std::thread([this] { RecoverLoop(); });
    }
  }
  if (first) {
    spdlog::error("store {}: {}; writes are refused until the disk takes them again ({})", path_,
                  s.IsNoSpace() ? "the disk is full" : "the disk failed a write", s.ToString());
    if (writable_gauge_ != nullptr) writable_gauge_->Set(0);
    if (on_writable_change_) on_writable_change_(failure);
  }
  return failure;
}

void Store::RecoverLoop() {
  NameThisThread("store-recovery");
  int failed_resumes = 0;
  absl::MutexLock lock(&recovery_mu_);
  while (true) {
    auto failed_or_stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(recovery_mu_) {
      return stopping_ || !write_failure_.ok();
    };
    recovery_mu_.Await(absl::Condition(&failed_or_stopping));
    if (stopping_) return;
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(recovery_mu_) { return stopping_; };
    if (recovery_mu_.AwaitWithTimeout(absl::Condition(&stopping), recovery_interval_)) return;
    recovery_mu_.Unlock();
    rocksdb::Status resumed;
    {
      absl::MutexLock no_writes(&write_mu_);
      resumed = db_->Resume();
    }
    if (!resumed.ok() && ++failed_resumes % 30 == 1) {
      spdlog::warn("store {}: writes still refused: {}", path_, resumed.ToString());
    }
    recovery_mu_.Lock();
    if (!resumed.ok() || stopping_) continue;
    failed_resumes = 0;
    write_failure_ = absl::OkStatus();
    refusing_.store(false, std::memory_order_release);
    recovery_mu_.Unlock();
    spdlog::info("store {}: the disk takes writes again; writes resumed", path_);
    if (writable_gauge_ != nullptr) writable_gauge_->Set(1);
    if (on_writable_change_) on_writable_change_(absl::OkStatus());
    recovery_mu_.Lock();
  }
}

namespace {

// Replays a write batch into another, mapping column family ids back to this store's handles.
class Appender final : public rocksdb::WriteBatch::Handler {
 public:
  Appender(rocksdb::WriteBatch* into, const std::vector<rocksdb::ColumnFamilyHandle*>& handles)
      : into_(into), handles_(handles) {}
  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice& value) override {
    auto* h = Handle(cf);
    return h ? into_->Put(h, key, value) : Unknown(cf);
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    auto* h = Handle(cf);
    return h ? into_->Delete(h, key) : Unknown(cf);
  }
  rocksdb::Status SingleDeleteCF(uint32_t cf, const rocksdb::Slice& key) override {
    auto* h = Handle(cf);
    return h ? into_->SingleDelete(h, key) : Unknown(cf);
  }
  rocksdb::Status DeleteRangeCF(uint32_t cf, const rocksdb::Slice& begin, const rocksdb::Slice& end) override {
    auto* h = Handle(cf);
    return h ? into_->DeleteRange(h, begin, end) : Unknown(cf);
  }
  rocksdb::Status MergeCF(uint32_t cf, const rocksdb::Slice& key, const rocksdb::Slice& value) override {
    auto* h = Handle(cf);
    return h ? into_->Merge(h, key, value) : Unknown(cf);
  }
  void LogData(const rocksdb::Slice& blob) override { into_->PutLogData(blob).PermitUncheckedError(); }

 private:
  rocksdb::ColumnFamilyHandle* Handle(uint32_t cf) const {
    for (auto* h : handles_) {
      if (h->GetID() == cf) return h;
    }
    return nullptr;
  }
  static rocksdb::Status Unknown(uint32_t cf) {
    return rocksdb::Status::InvalidArgument("write batch names an unknown column family " + std::to_string(cf));
  }
  rocksdb::WriteBatch* into_;
  const std::vector<rocksdb::ColumnFamilyHandle*>& handles_;
};

}  // namespace

absl::Status Store::AppendBatch(rocksdb::WriteBatch* into, const rocksdb::WriteBatch& from) const {
  Appender appender(into, handles_);
  return FromRocks(from.Iterate(&appender), "append write batch");
}

absl::StatusOr<bool> Store::Empty(rocksdb::ColumnFamilyHandle* cf) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf));
  it->SeekToFirst();
  if (!it->status().ok()) return FromRocks(it->status(), "scan column family");
  return !it->Valid();
}

absl::StatusOr<std::optional<std::string>> Store::Get(rocksdb::ColumnFamilyHandle* cf, absl::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf, rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s, "get");
  return value;
}

std::unique_ptr<rocksdb::Iterator> Store::Scan(rocksdb::ColumnFamilyHandle* cf, absl::string_view prefix) const {
  bool prefix_mode = first_part_families_.count(cf) > 0 && IsOneFirstPart(prefix);
  return std::make_unique<BoundedIterator>(db_.get(), cf, PrefixSuccessor(prefix), prefix_mode);
}

std::unique_ptr<rocksdb::Iterator> Store::ScanAfter(rocksdb::ColumnFamilyHandle* cf, absl::string_view prefix,
                                                    absl::string_view after) const {
  auto it = Scan(cf, prefix);
  if (after <= prefix) {
    it->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
  } else {
    rocksdb::Slice target(after.data(), after.size());
    it->Seek(target);
    if (it->Valid() && it->key() == target) it->Next();
  }
  return it;
}

}  // namespace jinguo::store
