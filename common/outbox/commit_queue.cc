#include "common/outbox/commit_queue.h"

#include <future>

#include "common/base/thread_name.h"

namespace jinguo::outbox {

CommitQueue::CommitQueue(Outbox* outbox, prometheus::Registry* metrics, audit::AuditChain* audit)
    : outbox_(outbox), audit_(audit) {
  group_size_ = &prometheus::BuildHistogram()
                     .Name("jinguo_commit_group_size")
                     .Help("Write batches committed together in one synced RocksDB write")
                     .Register(*metrics)
                     .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128});
  thread_ = std::thread([this] {
    NameThisThread("commit");
    Run();
  });
}

CommitQueue::~CommitQueue() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void CommitQueue::Submit(rocksdb::WriteBatch batch, std::vector<common::v1::OutboxRecord> events, Done done,
                         std::vector<audit::v1::AuditRecord> audits) {
  absl::MutexLock lock(&mu_);
  pending_.push_back(Entry{std::move(batch), std::move(events), std::move(done), std::move(audits)});
}

absl::Status CommitQueue::Commit(rocksdb::WriteBatch batch, std::vector<common::v1::OutboxRecord> events,
                                 std::vector<audit::v1::AuditRecord> audits) {
  std::promise<absl::Status> outcome;
  std::future<absl::Status> result = outcome.get_future();
  Submit(
      std::move(batch), std::move(events), [&outcome](const absl::Status& s) { outcome.set_value(s); },
      std::move(audits));
  return result.get();
}

void CommitQueue::Run() {
  std::vector<Entry> group;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](CommitQueue* q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu_) { return q->stopping_ || !q->pending_.empty(); },
          this));
      if (pending_.empty()) return;  // stopping, and everything submitted is written
      group.swap(pending_);
    }
    group_size_->Observe(static_cast<double>(group.size()));
    absl::Status s = WriteGroup(group);
    for (Entry& e : group) std::move(e.done)(s);
    group.clear();
  }
}

absl::Status CommitQueue::WriteGroup(std::vector<Entry>& group) {
  auto commit = [this](rocksdb::WriteBatch* batch, std::vector<common::v1::OutboxRecord>& events,
                       std::vector<audit::v1::AuditRecord>& audits) {
    if (audit_ == nullptr || audits.empty()) return outbox_->Commit(batch, events);
    // Sealed here, on the one commit thread, so the chain follows commit order; undone when the write fails.
    audit::AuditChain::Head before = audit_->Seal(audits, batch, &events);
    absl::Status s = outbox_->Commit(batch, events);
    if (!s.ok()) audit_->Rollback(before);
    return s;
  };
  if (group.size() == 1) return commit(&group[0].batch, group[0].events, group[0].audits);
  rocksdb::WriteBatch merged;
  std::vector<common::v1::OutboxRecord> events;
  std::vector<audit::v1::AuditRecord> audits;
  for (Entry& e : group) {
    if (absl::Status s = outbox_->store()->AppendBatch(&merged, e.batch); !s.ok()) return s;
    for (auto& r : e.events) events.push_back(std::move(r));
    for (auto& a : e.audits) audits.push_back(std::move(a));
  }
  return commit(&merged, events, audits);
}

}  // namespace jinguo::outbox
