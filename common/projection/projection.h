// A projection: consumes event topics and applies each event to read models in RocksDB. The partition offsets and
// each aggregate's last applied version are written in the same write batch as the read models, so after a crash
// the projection resumes exactly where its state ends: an event is applied once, whatever Kafka redelivers.
//
//  - On partition assignment it seeks to the offsets stored in its own RocksDB (from the beginning when none).
//  - An event whose aggregate version is not above the last processed one is skipped (a relay that republished).
//    Processed: applied, or dead-lettered by the handler. The runtime keeps each aggregate's last processed version
//    under a key of its own, unless the handler keeps it in a row of its own (ProjectionHandler::KeepsVersion).
//  - Three batches are under way at once, each on a thread of its own: one is consumed and decoded
//    ("projection-read"), the one before is applied ("projection"), and the one before that is written
//    ("projection-write"). The batch being applied reads the batch in flight as well as the store, so the handler
//    reads every earlier batch's writes; it is written only once the batch before has landed, and is discarded
//    with it when that write fails.
//  - A message that cannot be decoded, or that the handler rejects as invalid, goes to jinguo.dlq.v1 with the
//    reason, and the projection goes on with the next.
//  - Every projection also reads jinguo.dlq.replay.v1, where an operator sends dead letters back after a fix
//    (jinguoctl dlq replay). A letter addressed to this projection is applied once (its place on jinguo.dlq.v1 is
//    kept as a processed version of its own), and only while no later event of its aggregate has been processed
//    since: a later event would otherwise be overtaken by an older one. Such a letter is skipped as superseded.
//
// Thread-safety: Start/Stop from one controlling thread; the handler is called only on the projection's thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/base/clock.h"
#include "common/bus/kafka.h"
#include "common/store/store.h"
#include "google/protobuf/arena.h"
#include "jinguo/common/v1/event.pb.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "rocksdb/utilities/write_batch_with_index.h"

namespace jinguo::projection {

// Column families a store must be opened with to host projections.
inline constexpr char kOffsetsFamily[] = "projection_offsets";
inline constexpr char kVersionsFamily[] = "projection_versions";
std::vector<std::string> ProjectionFamilies();

// The write batch one group of events is applied in. Reads see the batch's own writes, then those of the batch
// still being written (`behind`, when there is one), then the store.
class ProjectionTx {
 public:
  using LaterWrite = absl::AnyInvocable<void(rocksdb::WriteBatch&) &&>;
  // `behind` is only read (RocksDB's read calls on it are not const). `retired` (optional) collects what
  // FreeLater hands over, `later` (optional) what WriteLater does.
  ProjectionTx(store::Store* store, rocksdb::WriteBatchWithIndex* batch, rocksdb::WriteBatchWithIndex* behind = nullptr,
               std::vector<std::shared_ptr<void>>* retired = nullptr, std::vector<LaterWrite>* later = nullptr)
      : store_(store), batch_(batch), behind_(behind), retired_(retired), later_(later) {}
  absl::StatusOr<std::optional<std::string>> Get(rocksdb::ColumnFamilyHandle* cf, absl::string_view key);
  void Put(rocksdb::ColumnFamilyHandle* cf, absl::string_view key, absl::string_view value) {
    batch_->Put(cf, rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size()));
  }
  void Delete(rocksdb::ColumnFamilyHandle* cf, absl::string_view key) {
    batch_->Delete(cf, rocksdb::Slice(key.data(), key.size()));
  }
  // Has `write` add its writes to the batch on the writer thread, as the batch is written, after every other
  // write of the batch: for writes whose values take time to build (e.g. serialized messages) and that no read
  // through a ProjectionTx sees, neither in this batch nor in the next. Whatever `write` reads must stay unchanged
  // until the batch is written (e.g. kept until the next batch's BeforeCommit and freed with FreeLater). Without
  // a writer thread (a ProjectionTx made without `later`), `write` runs at once.
  void WriteLater(LaterWrite write) {
    if (later_ != nullptr) {
      later_->push_back(std::move(write));
    } else {
      std::move(write)(*batch_->GetWriteBatch());
    }
  }
  store::Store& store() { return *store_; }
  // Whether the event being applied is a dead letter sent back for replay (see ProjectionHandler::KeepsVersion).
  bool replaying() const { return replaying_; }
  void set_replaying(bool replaying) { replaying_ = replaying; }
  // Frees `object` with this batch, on the reading thread once the batch is written (e.g. a handler's caches of an
  // earlier batch: tens of thousands of small objects whose freeing would hold up the next batch).
  void FreeLater(std::shared_ptr<void> object) {
    if (retired_ != nullptr) retired_->push_back(std::move(object));
  }

 private:
  store::Store* store_;
  rocksdb::WriteBatchWithIndex* batch_;
  rocksdb::WriteBatchWithIndex* behind_;
  std::vector<std::shared_ptr<void>>* retired_;
  std::vector<LaterWrite>* later_;
  bool replaying_ = false;
};

// What a handler did with an event: applied it, or found it already processed (see KeepsVersion).
enum class Applied { kApplied, kAlreadyProcessed };

class ProjectionHandler {
 public:
  virtual ~ProjectionHandler() = default;
  // Applies one event inside `tx`. INVALID_ARGUMENT, FAILED_PRECONDITION or DATA_LOSS: the event is dead-lettered
  // with that reason and the projection goes on. Any other error: the whole batch is discarded and retried after a
  // back-off (e.g. a disk error).
  virtual absl::StatusOr<Applied> Apply(const common::v1::EventEnvelope& event, ProjectionTx& tx) = 0;
  // Called once per batch after the last Apply and before the batch is written, for writes a handler gathers
  // across events (e.g. counter deltas summed per batch). An error discards and retries the batch. Default: none.
  //
  // Batches overlap by one: the next batch is applied while this one is written, so between BeforeCommit and
  // this batch's Committed() come the next batch's Apply calls and possibly its BeforeCommit. What a handler
  // remembers per batch it therefore hands over here (PerBatch::Seal).
  virtual absl::Status BeforeCommit(ProjectionTx& tx) { return absl::OkStatus(); }
  // Called once the oldest batch past BeforeCommit has been written (e.g. to notify watchers), in batch order.
  // Default: nothing.
  virtual void Committed() {}
  // Called when the batches not yet committed (the one being applied, and the one being written if any) are
  // discarded, before they are consumed again, so whatever was gathered for them can be dropped. Default: nothing.
  virtual void Discarded() {}
  // Whether the handler keeps the last processed version of `event`'s aggregate itself, in a row it writes with
  // every event of that aggregate anyway (a read model keyed by the aggregate's id), instead of the runtime keeping
  // it under a key of its own, which saves a read and a write per event. For such an event the runtime reads and
  // writes no version; every delivery reaches Apply, which must return Applied::kAlreadyProcessed when the
  // event's version is not above the one it keeps, and otherwise record it with the event's effects (also when it
  // rejects the event as invalid: that too is processed). A replayed dead letter (tx.replaying()) is applied when
  // its version is not below the kept one (equal: it is the event dead-lettered, and nothing of its aggregate came
  // after it), and the kept version never goes down. Called on the reading thread; must depend on the envelope
  // alone. Default: the runtime keeps every version.
  virtual bool KeepsVersion(const common::v1::EventEnvelope& event) const { return false; }
};

// What a handler gathers per batch for Committed() to act on (e.g. the nodes it changed): the batch being applied,
// and the batches past BeforeCommit not yet committed, oldest first. Projection thread only.
template <typename T>
class PerBatch {
 public:
  // The batch being applied.
  T& current() { return current_; }
  // From BeforeCommit: the batch being applied is sealed, and the next one starts empty.
  void Seal() {
    sealed_.push_back(std::move(current_));
    current_ = T();
  }
  // From Committed(): the oldest sealed batch's (empty if none).
  T TakeCommitted() {
    if (sealed_.empty()) return T();
    T oldest = std::move(sealed_.front());
    sealed_.pop_front();
    return oldest;
  }
  // From Discarded(): every batch not yet committed.
  void Clear() {
    current_ = T();
    sealed_.clear();
  }

 private:
  T current_;
  std::deque<T> sealed_;
};

struct ProjectionOptions {
  // The projection's name: the metric label, the consumer named in its dead letters, and what namespaces its stored
  // offsets and versions. Its Kafka consumer group is "<name>.<8 hex digits>", the digits a fingerprint of its
  // topics (a new topic list is a new group; the offsets are in the store either way).
  std::string name;
  std::vector<std::string> topics;
  // Events applied per write batch at most. Under a backlog (a rebuild, a catch-up) large batches amortize the
  // bookkeeping: one write, one offset per partition and one version per aggregate per batch.
  int max_batch = 20000;
  absl::Duration poll_timeout = absl::Milliseconds(100);
  absl::Duration retry_backoff = absl::Seconds(1);
  // Static group membership (Kafka's group.instance.id): a member restarted under the same id gets its partitions
  // back at once, instead of after the session timeout of the member it replaces. "" = dynamic membership.
  std::string instance_id;
  // On a store with unlogged writes, the memtables are flushed once this much time or this many events have been
  // written since the last flush, so a crash replays at most about that much.
  absl::Duration flush_interval = absl::Seconds(5);
  int64_t flush_events = 200000;
  // Once caught up, the projection counts as behind (OnLagChange) while more than this many events wait on its
  // partitions, and as caught up again once they are at most this many. 0: never behind once caught up.
  int64_t max_lag_events = 0;
  const Clock* clock = &SystemClock::Get();
};

class Projection {
 public:
  Projection(store::Store* store, bus::KafkaOptions kafka, ProjectionHandler* handler, prometheus::Registry* metrics,
             ProjectionOptions options);
  ~Projection();

  // Subscribes and starts the consuming thread. Fails when the consumer cannot be created.
  [[nodiscard]] absl::Status Start();
  // Stops after the batch in progress; everything applied so far is stored.
  void Stop();

  // OK once every partition of the first assignment has been applied up to the end it had when assigned (at once
  // when nothing was waiting); until then UNAVAILABLE saying how many events are still to apply. Read models read
  // before then may show less than they did before a restart.
  absl::Status CaughtUp() const;
  // Called (on the projection's thread) when CaughtUp() first becomes OK.
  void OnCaughtUp(std::function<void()> callback) { on_caught_up_ = std::move(callback); }
  // Called (on the projection's reading thread) when, after catching up, the lag goes above max_lag_events
  // (UNAVAILABLE, saying by how much) and when it comes back within it (OK). Set before Start.
  void OnLagChange(std::function<void(absl::Status)> callback) { on_lag_change_ = std::move(callback); }

  const ProjectionOptions& options() const { return options_; }
  // Events on its partitions not yet consumed, as last measured (about once a second; 0 before the first).
  int64_t lag_events() const { return lag_.load(); }

  int64_t applied() const { return applied_.load(); }
  int64_t skipped() const { return skipped_.load(); }
  int64_t dead_lettered() const { return dead_lettered_.load(); }

 private:
  class Rebalancer;
  struct Batch;
  class Writer;
  // On the "projection-read" thread: consumes batches, prepares them and hands them over one at a time; after a
  // discard, forgets the versions it took on trust, backs off and rewinds to the stored offsets.
  void ReadLoop();
  // Sets jinguo_projection_lag_events from the assignment's positions and cached end offsets.
  void UpdateLag();
  // On the "projection" thread: applies each batch handed over and has it written.
  void ApplyLoop();
  // On the reading thread: returns once everything handed over has been applied and written (or discarded).
  void Drain();
  // Decodes the batch's messages and picks the events to apply (dead-letters the undecodable, skips the already
  // processed); reads only versions, so it runs while the batches before are applied and written.
  absl::Status Prepare(Batch& batch);
  // An envelope for `batch` to decode into: a spent batch's when the pool has one (its strings keep their
  // buffers, so decoding into it mostly allocates nothing), else a new one. Reading thread.
  common::v1::EventEnvelope* NextEnvelope(Batch& batch);
  // Returns a spent batch's envelopes to the pool, up to its bound. Reading thread.
  void RecycleEnvelopes(Batch& batch);
  // Applies the picked events through the handler into the batch's write batch; reads see `behind` (the batch in
  // flight, or null) before the store.
  absl::Status Apply(Batch& batch, Batch* behind);
  // On the writer thread: writes a copy of the batch's write batch with its versions and offsets added (the
  // original stays untouched, for the next batch's reads).
  absl::Status Write(Batch& batch);
  // Waits for the batch in flight to be written and hands it to the reading thread to be freed; on success
  // announces it (true), on failure discards it and every batch after it (false).
  bool FinishInFlight();
  // Drops every batch not yet written (the handler's Discarded, the batch handed over) and has the reading thread
  // rewind.
  void Discard(const absl::Status& s);
  // Sends the message at topic[partition]@offset to jinguo.dlq.v1 with the reason.
  absl::Status DeadLetter(Batch& batch, const std::string& topic, int32_t partition, int64_t offset,
                          absl::string_view key, absl::string_view value, absl::string_view reason);
  absl::Status DeadLetter(Batch& batch, const RdKafka::Message& m, absl::string_view reason);
  // Picks a replayed dead letter (a message of jinguo.dlq.replay.v1) for `batch` when it is addressed to this
  // projection, is not yet replayed and is not superseded.
  absl::Status PrepareReplay(Batch& batch, const RdKafka::Message& m);
  // The cached last processed version of `id` (read from the store when the cache does not hold it).
  absl::StatusOr<int64_t*> CachedVersion(absl::string_view id);
  void Rewind();
  // Forgets every version taken on trust or read (reading thread).
  void ClearVersionCache();
  absl::StatusOr<int64_t> StoredOffset(const std::string& topic, int32_t partition) const;
  // Where to consume a partition from: its stored offset, or else its first (on the reading thread).
  int64_t StartOffset(const std::string& topic, int32_t partition);

  store::Store* store_;
  bus::KafkaOptions kafka_;
  ProjectionHandler* handler_;
  ProjectionOptions options_;
  rocksdb::ColumnFamilyHandle* offsets_;
  rocksdb::ColumnFamilyHandle* versions_;

  std::unique_ptr<Rebalancer> rebalancer_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::unique_ptr<bus::Producer> dead_letters_;
  std::atomic<int> dead_letter_failures_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;  // applies
  std::thread reader_;  // consumes and prepares
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<Batch> in_flight_;  // applied and being written; the applying thread's

  // Hand-over between the reading and the applying thread.
  std::mutex mu_;
  std::condition_variable handed_over_;
  std::unique_ptr<Batch> ready_;               // prepared, not yet taken
  std::vector<std::unique_ptr<Batch>> spent_;  // written (or discarded), for the reading thread to free
  bool idle_ = true;                           // the applying thread holds no batch and has none in flight
  bool quit_ = false;
  uint64_t discards_ = 0;

  // Envelopes of spent batches, for the next batches to decode into (NextEnvelope); reading thread only.
  std::vector<std::unique_ptr<common::v1::EventEnvelope>> envelope_pool_;
  // Last processed version per aggregate, as stored or as taken on trust from the batches prepared since (dropped
  // whenever a batch is discarded); only touched on the reading thread.
  absl::flat_hash_map<absl::string_view, int64_t> version_cache_;
  google::protobuf::Arena version_cache_ids_;  // the bytes of version_cache_'s keys: no allocation per aggregate
  // The cache holds every stored version (none were stored when the projection started, and it was never
  // trimmed since): a miss needs no read.
  bool version_cache_complete_ = false;
  std::atomic<int64_t> applied_{0}, skipped_{0}, dead_lettered_{0};
  // Catching up (CaughtUp): the end offset of each partition of the first assignment not yet reached.
  void SetCatchUpTargets(const std::vector<RdKafka::TopicPartition*>& partitions);
  void Reached(const std::vector<std::pair<std::string, std::pair<int32_t, int64_t>>>& written);
  mutable absl::Mutex catch_up_mu_;
  bool catch_up_set_ ABSL_GUARDED_BY(catch_up_mu_) = false;
  std::map<std::pair<std::string, int32_t>, int64_t> catch_up_left_ ABSL_GUARDED_BY(catch_up_mu_);  // → end
  std::map<std::pair<std::string, int32_t>, int64_t> catch_up_at_ ABSL_GUARDED_BY(catch_up_mu_);    // → written
  std::atomic<bool> caught_up_{false};
  std::function<void()> on_caught_up_;
  // Flushing (flush_interval, flush_events); writer thread only.
  absl::Time last_flush_;
  int64_t events_since_flush_ = 0;
  prometheus::Counter* applied_total_;
  prometheus::Counter* skipped_total_;
  prometheus::Counter* dead_lettered_total_;
  prometheus::Counter* batch_failures_total_;
  prometheus::Gauge* lag_events_;  // jinguo_projection_lag_events, measured about once a second by ReadLoop
  std::atomic<int64_t> lag_{0};
  // Where each assigned partition started (reading thread): the position of one nothing was consumed from yet.
  std::map<std::pair<std::string, int32_t>, int64_t> assigned_from_;
  std::function<void(absl::Status)> on_lag_change_;
  bool behind_ = false;  // reading thread: the lag is above max_lag_events, after catching up
};

}  // namespace jinguo::projection
