// Group commit: callers hand in a write batch with its events; one thread writes everything handed in while the
// previous write was on its way to disk as a single RocksDB write with one fsync, then tells each caller.
//
// Why: a call blocking in its own synced write costs a thread hand-off inside RocksDB's write group and keeps a
// gRPC thread parked per call in flight. Here a call's thread (or a gRPC callback) only queues its batch; the
// commit thread's write covers all of them.
//
// An entry's batch and events commit atomically with the entries written alongside it: on a failed write none of
// them is on disk and every caller gets the error.
//
// Thread-safety: Submit and Commit may be called from any thread. `done` runs on the commit thread and must not
// block on the queue (it must not call Commit).
#pragma once

#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/audit/audit_chain.h"
#include "common/outbox/outbox.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace jinguo::outbox {

class CommitQueue {
 public:
  using Done = absl::AnyInvocable<void(const absl::Status&) &&>;

  // Starts the commit thread. `outbox` and its store (and `audit`, when given) must outlive the queue. With an
  // audit chain, the audit records handed in with a batch are sealed into the same write, in commit order.
  CommitQueue(Outbox* outbox, prometheus::Registry* metrics, audit::AuditChain* audit = nullptr);
  // Commits everything submitted so far, then stops the thread.
  ~CommitQueue();

  // Queues `batch`, `events` and `audits`; `done` gets the outcome once they are on disk (or failed).
  void Submit(rocksdb::WriteBatch batch, std::vector<common::v1::OutboxRecord> events, Done done,
              std::vector<audit::v1::AuditRecord> audits = {});

  // Submits and waits for the outcome.
  [[nodiscard]] absl::Status Commit(rocksdb::WriteBatch batch, std::vector<common::v1::OutboxRecord> events,
                                    std::vector<audit::v1::AuditRecord> audits = {});

 private:
  struct Entry {
    rocksdb::WriteBatch batch;
    std::vector<common::v1::OutboxRecord> events;
    Done done;
    std::vector<audit::v1::AuditRecord> audits;
  };
  void Run();
  absl::Status WriteGroup(std::vector<Entry>& group);

  Outbox* outbox_;
  audit::AuditChain* audit_;
  absl::Mutex mu_;
  std::vector<Entry> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  prometheus::Histogram* group_size_;
  std::thread thread_;
};

}  // namespace jinguo::outbox
