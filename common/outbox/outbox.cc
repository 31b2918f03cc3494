#include "common/outbox/outbox.h"

#include "absl/strings/str_cat.h"
#include "common/base/status.h"
#include "common/base/thread_name.h"
#include "common/base/timestamp.h"
#include "common/store/keys.h"
#include "spdlog/spdlog.h"

namespace jinguo::outbox {

absl::StatusOr<std::unique_ptr<Outbox>> Outbox::Open(store::Store* store) {
  std::unique_ptr<Outbox> outbox(new Outbox(store));
  auto it = store->Scan(outbox->family_, "");
  int64_t count = 0;
  uint64_t last = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ++count;
    store::DecodeU64(absl::string_view(it->key().data(), it->key().size()), &last);
  }
  if (!it->status().ok()) return store::FromRocks(it->status(), "scan outbox");
  {
    absl::MutexLock lock(&outbox->commit_mu_);
    outbox->next_sequence_ = last + 1;
  }
  outbox->depth_ = count;
  return outbox;
}

absl::Status Outbox::Commit(rocksdb::WriteBatch* batch, const std::vector<common::v1::OutboxRecord>& records) {
  uint64_t first;
  {
    absl::MutexLock lock(&commit_mu_);
    first = next_sequence_;
    next_sequence_ += records.size();
    if (!records.empty()) being_written_.insert(first);
  }
  uint64_t seq = first;
  for (const auto& r : records) batch->Put(family_, store::EncodeU64(seq++), r.SerializeAsString());
  absl::Status s = store_->Write(batch, /*sync=*/true);
  if (records.empty()) return s;
  {
    absl::MutexLock lock(&commit_mu_);
    being_written_.erase(being_written_.find(first));
    if (s.ok()) depth_ += static_cast<int64_t>(records.size());
  }
  if (s.ok()) {
    absl::MutexLock lock(&wake_mu_);
    ++commits_;
  }
  return s;
}

uint64_t Outbox::VisibleBelow() {
  absl::MutexLock lock(&commit_mu_);
  return being_written_.empty() ? next_sequence_ : *being_written_.begin();
}

uint64_t Outbox::commits() {
  absl::MutexLock lock(&wake_mu_);
  return commits_;
}

void Outbox::WaitForRecords(uint64_t seen, absl::Duration timeout) {
  absl::MutexLock lock(&wake_mu_);
  struct Args {
    const Outbox* outbox;
    uint64_t seen;
  } args{this, seen};
  wake_mu_.AwaitWithTimeout(
      absl::Condition(
          +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS { return a->outbox->commits_ != a->seen; }, &args),
      timeout);
}

OutboxRelay::OutboxRelay(Outbox* outbox, bus::KafkaOptions kafka, prometheus::Registry* metrics, const Clock& clock,
                         RelayOptions options)
    : outbox_(outbox), kafka_(std::move(kafka)), clock_(clock), options_(options), backoff_(options.initial_backoff) {
  depth_gauge_ = &prometheus::BuildGauge()
                      .Name("jinguo_outbox_depth")
                      .Help("Events committed and not yet delivered to Kafka")
                      .Register(*metrics)
                      .Add({});
  oldest_age_gauge_ = &prometheus::BuildGauge()
                           .Name("jinguo_outbox_oldest_age_seconds")
                           .Help("Age of the oldest event waiting in the outbox (0 when empty)")
                           .Register(*metrics)
                           .Add({});
  published_total_ = &prometheus::BuildCounter()
                          .Name("jinguo_outbox_published_total")
                          .Help("Events delivered to Kafka and removed from the outbox")
                          .Register(*metrics)
                          .Add({});
  failures_total_ = &prometheus::BuildCounter()
                         .Name("jinguo_outbox_delivery_failures_total")
                         .Help("Deliveries Kafka refused; the relay backs off and sends again from the oldest event")
                         .Register(*metrics)
                         .Add({});
  restarts_total_ = &prometheus::BuildCounter()
                         .Name("jinguo_outbox_producer_restarts_total")
                         .Help("Times the relay rebuilt its Kafka producer after a failure")
                         .Register(*metrics)
                         .Add({});
}

OutboxRelay::~OutboxRelay() {
  if (thread_.joinable()) IgnoreError(Stop(absl::Seconds(5)));
}

void OutboxRelay::Start() {
  stopping_ = false;
  thread_ = std::thread([this] {
    NameThisThread("outbox-relay");
    Run();
  });
}

absl::Status OutboxRelay::Stop(absl::Duration flush_timeout) {
  if (!thread_.joinable()) return stop_status_;
  flush_timeout_ = flush_timeout;
  stopping_ = true;
  {
    absl::MutexLock lock(&outbox_->wake_mu_);
    ++outbox_->commits_;
  }
  thread_.join();
  return stop_status_;
}

absl::Status OutboxRelay::ResetProducer() {
  producer_.reset();
  in_flight_.clear();
  delivered_.clear();
  cursor_ = 0;  // read again from the oldest record still in the outbox
  failed_ = false;
  auto producer = bus::Producer::Create(kafka_, [this](uint64_t seq, RdKafka::ErrorCode err, int32_t, int64_t) {
    in_flight_.erase(seq);
    if (err == RdKafka::ERR_NO_ERROR) {
      delivered_.push_back(seq);
    } else {
      failures_total_->Increment();
      if (!failed_) spdlog::warn("outbox: delivery failed: {}", RdKafka::err2str(err));
      failed_ = true;
    }
  });
  if (!producer.ok()) return producer.status();
  producer_ = *std::move(producer);
  return absl::OkStatus();
}

void OutboxRelay::FillWindow() {
  int room = options_.max_in_flight - static_cast<int>(in_flight_.size());
  if (room <= 0) return;
  // Taken before the iterator: every record below it that will ever exist is already visible to the iterator.
  uint64_t limit = outbox_->VisibleBelow();
  if (cursor_ >= limit) return;
  auto it = outbox_->store_->Scan(outbox_->family_, "");
  common::v1::OutboxRecord record;
  for (it->Seek(store::EncodeU64(cursor_)); it->Valid() && room > 0; it->Next(), --room) {
    uint64_t seq = 0;
    store::DecodeU64(absl::string_view(it->key().data(), it->key().size()), &seq);
    if (seq >= limit) break;
    if (!record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      // Written by this process's own Commit; unreadable means disk corruption. Skip it rather than block.
      spdlog::error("outbox: record {} is unreadable; dropped", seq);
      rocksdb::WriteBatch drop;
      drop.Delete(outbox_->family_, it->key());
      IgnoreError(outbox_->store_->Write(&drop, false));
      --outbox_->depth_;
      cursor_ = seq + 1;
      continue;
    }
    std::string value = record.envelope().SerializeAsString();
    absl::Status s = producer_->Produce(record.topic(), record.key(), value, seq);
    if (absl::IsResourceExhausted(s)) break;  // local queue full: poll, then continue from here
    if (!s.ok()) {
      spdlog::warn("outbox: {}", std::string(s.message()));
      failures_total_->Increment();
      failed_ = true;
      break;
    }
    in_flight_.insert(seq);
    cursor_ = seq + 1;
  }
}

void OutboxRelay::SettleDeliveries() {
  if (delivered_.empty()) return;
  rocksdb::WriteBatch batch;
  for (uint64_t seq : delivered_) batch.Delete(outbox_->family_, store::EncodeU64(seq));
  // Not synced: if this delete is lost in a crash, the records are published again and consumers skip them by
  // aggregate version.
  absl::Status s = outbox_->store_->Write(&batch, /*sync=*/false);
  if (!s.ok()) {
    spdlog::error("outbox: deleting delivered records: {}", std::string(s.message()));
    return;
  }
  outbox_->depth_ -= static_cast<int64_t>(delivered_.size());
  published_total_->Increment(static_cast<double>(delivered_.size()));
  delivered_.clear();
}

absl::StatusOr<std::optional<absl::Time>> Outbox::OldestCommittedAt() const {
  auto it = store_->Scan(family_, "");
  it->SeekToFirst();
  if (!it->Valid()) {
    if (!it->status().ok()) return absl::InternalError(it->status().ToString());
    return std::nullopt;
  }
  common::v1::OutboxRecord record;
  if (!record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
    return absl::DataLossError("unreadable outbox record");
  }
  return FromTimestamp(record.envelope().occurred_at());
}

void OutboxRelay::UpdateOldestAge() {
  absl::Time now = clock_.Now();
  if (now - last_age_update_ < absl::Milliseconds(500)) return;
  last_age_update_ = now;
  depth_gauge_->Set(static_cast<double>(outbox_->depth()));
  uint64_t oldest = in_flight_.empty() ? cursor_ : *in_flight_.begin();
  auto it = outbox_->store_->Scan(outbox_->family_, "");
  it->Seek(store::EncodeU64(oldest));
  double age = 0;
  common::v1::OutboxRecord record;
  if (it->Valid() && record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
    age = std::max(0.0, absl::ToDoubleSeconds(now - FromTimestamp(record.envelope().occurred_at())));
  }
  oldest_age_gauge_->Set(age);
}

void OutboxRelay::Run() {
  if (absl::Status s = ResetProducer(); !s.ok()) {
    spdlog::error("outbox relay cannot start: {}", std::string(s.message()));
    stop_status_ = s;
    return;
  }
  while (!stopping_) {
    if (failed_) {
      // Let everything in flight report, then start over from the oldest undelivered record.
      producer_->Poll(absl::Milliseconds(100));
      if (!in_flight_.empty() && !stopping_) continue;
      SettleDeliveries();
      spdlog::warn("outbox: restarting the producer in {}", absl::FormatDuration(backoff_));
      absl::SleepFor(backoff_);
      backoff_ = std::min(backoff_ * 2, options_.max_backoff);
      restarts_total_->Increment();
      if (absl::Status s = ResetProducer(); !s.ok()) spdlog::error("outbox: {}", std::string(s.message()));
      continue;
    }
    uint64_t commits_seen = outbox_->commits();
    size_t before = in_flight_.size();
    FillWindow();
    bool produced = in_flight_.size() != before;
    int served = producer_->Poll(produced ? absl::ZeroDuration() : absl::Milliseconds(5));
    if (!delivered_.empty()) backoff_ = options_.initial_backoff;
    SettleDeliveries();
    UpdateOldestAge();
    if (!produced && served == 0 && in_flight_.empty()) outbox_->WaitForRecords(commits_seen, absl::Milliseconds(100));
  }
  // Stopping: wait for what is in flight, within the flush timeout.
  absl::Time deadline = absl::Now() + flush_timeout_;
  while (!in_flight_.empty() && absl::Now() < deadline) producer_->Poll(absl::Milliseconds(50));
  SettleDeliveries();
  UpdateOldestAge();
  stop_status_ = in_flight_.empty() ? absl::OkStatus()
                                    : absl::DeadlineExceededError(absl::StrCat(
                                          in_flight_.size(), " outbox events not confirmed; kept for next start"));
  producer_.reset();
}

}  // namespace jinguo::outbox
