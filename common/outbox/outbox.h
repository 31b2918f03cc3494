// The transactional outbox: a service's events are written into its own RocksDB, in the same write batch as the
// state they describe, and a relay thread publishes them to Kafka afterwards. An acknowledged write is on disk
// with its events; Kafka being down only makes the outbox grow.
//
// Records live in the column family "outbox" under an 8-byte big-endian sequence number. Commit() reserves its
// numbers under a lock and writes outside it, so concurrent commits reach RocksDB together and share one fsync
// (RocksDB's write group). A reserved number may become visible after a higher one; the relay therefore reads only
// below the lowest number still being written (VisibleBelow), and never skips a record that is about to appear.
//
// Thread-safety: Outbox::Commit may be called from any thread. OutboxRelay owns one thread; Start/Stop are called
// from one controlling thread.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/base/clock.h"
#include "common/bus/kafka.h"
#include "common/store/store.h"
#include "jinguo/common/v1/event.pb.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace jinguo::outbox {

inline constexpr char kOutboxFamily[] = "outbox";

class Outbox {
 public:
  // `store` must have been opened with kOutboxFamily and outlive the outbox. Counts the records left from before.
  static absl::StatusOr<std::unique_ptr<Outbox>> Open(store::Store* store);

  // Adds one record per event to `batch` and writes it with sync=true. On success every event is durable and
  // will be published; on failure nothing of `batch` is written.
  [[nodiscard]] absl::Status Commit(rocksdb::WriteBatch* batch, const std::vector<common::v1::OutboxRecord>& records);

  store::Store* store() const { return store_; }

  // Records written and not yet delivered.
  int64_t depth() const { return depth_.load(); }
  // When the oldest record not yet delivered was committed (its event's time); nullopt when there is none.
  absl::StatusOr<std::optional<absl::Time>> OldestCommittedAt() const;

  // Commits that added records so far; pass it to WaitForRecords.
  uint64_t commits();

  // Waits until the commit count differs from `seen` (taken before looking at the outbox) or `timeout` passes.
  // Taking the count first means a commit that lands between the look and the wait is not slept through.
  void WaitForRecords(uint64_t seen, absl::Duration timeout);

  // Every record with a lower sequence number is either on disk or will never be (its write failed).
  uint64_t VisibleBelow();

 private:
  friend class OutboxRelay;
  explicit Outbox(store::Store* store) : store_(store), family_(store->Family(kOutboxFamily)) {}
  store::Store* store_;
  rocksdb::ColumnFamilyHandle* family_;
  absl::Mutex commit_mu_;
  uint64_t next_sequence_ ABSL_GUARDED_BY(commit_mu_) = 1;
  // First sequence of each commit in progress.
  std::multiset<uint64_t> being_written_ ABSL_GUARDED_BY(commit_mu_);
  std::atomic<int64_t> depth_{0};
  // Commits that added records, for the relay to wait on (WaitForRecords).
  absl::Mutex wake_mu_;
  uint64_t commits_ ABSL_GUARDED_BY(wake_mu_) = 0;
};

struct RelayOptions {
  // Records handed to the producer and not yet acknowledged, at most.
  int max_in_flight = 50000;
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(10);
};

class OutboxRelay {
 public:
  OutboxRelay(Outbox* outbox, bus::KafkaOptions kafka, prometheus::Registry* metrics, const Clock& clock,
              RelayOptions options = {});
  ~OutboxRelay();

  void Start();
  // Stops reading new records, waits up to `flush_timeout` for the ones in flight, deletes those delivered and
  // joins the thread. Records not delivered stay in the outbox for the next start. Returns DEADLINE_EXCEEDED
  // when some were still in flight.
  absl::Status Stop(absl::Duration flush_timeout);

  // Records published (delivery confirmed) since start.
  int64_t published() const { return published_total_->Value(); }

 private:
  void Run();
  absl::Status ResetProducer();
  void FillWindow();
  void SettleDeliveries();
  void UpdateOldestAge();

  Outbox* outbox_;
  bus::KafkaOptions kafka_;
  const Clock& clock_;
  RelayOptions options_;

  std::atomic<bool> stopping_{false};
  absl::Duration flush_timeout_;
  absl::Status stop_status_;
  std::thread thread_;

  // Relay-thread state.
  std::unique_ptr<bus::Producer> producer_;
  uint64_t cursor_ = 0;              // next sequence to read
  std::set<uint64_t> in_flight_;     // produced, not yet reported
  std::vector<uint64_t> delivered_;  // reported OK, not yet deleted
  bool failed_ = false;              // a delivery failed: restart from the oldest record
  absl::Duration backoff_;
  absl::Time last_age_update_ = absl::InfinitePast();

  prometheus::Gauge* depth_gauge_;
  prometheus::Gauge* oldest_age_gauge_;
  prometheus::Counter* published_total_;
  prometheus::Counter* failures_total_;
  prometheus::Counter* restarts_total_;
};

}  // namespace jinguo::outbox
