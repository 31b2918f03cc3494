#include "common/projection/projection.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/arena_string.h"
#include "common/base/status.h"
#include "common/base/thread_name.h"
#include "common/base/timestamp.h"
#include "common/store/keys.h"
#include "google/protobuf/arena.h"
#include "librdkafka/rdkafka.h"
#include "spdlog/spdlog.h"

namespace jinguo::projection {

std::vector<std::string> ProjectionFamilies() { return {kOffsetsFamily, kVersionsFamily}; }

namespace {

// Offsets are keyed by an 8-byte hash of the projection's name, then topic and partition. Version keys, written
// for every aggregate of every batch, put the aggregate id first and the name hash last: keys then differ from
// their first bytes, which keeps RocksDB's memtable comparisons short.
uint64_t NameHash(const std::string& name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string OffsetKey(const std::string& name, const std::string& topic, int32_t partition) {
  return store::KeyBuilder().U64(NameHash(name)).Str(topic).U32(static_cast<uint32_t>(partition)).key();
}

// The Kafka consumer group: the projection's name and a fingerprint of what it subscribes to. Offsets live in the
// store, so the group holds nothing but membership; a static member that rejoins its group is handed its previous
// assignment even when it now subscribes to more (the coordinator does not rebalance for it), so a new topic list
// joins a new group and is assigned every partition of every topic.
std::string GroupId(const std::string& name, std::vector<std::string> topics) {
  std::sort(topics.begin(), topics.end());
  // Each topic followed by 0xff, a byte no topic name holds.
  uint64_t h = NameHash(absl::StrCat(absl::StrJoin(topics, "\xff"), "\xff"));
  return absl::StrCat(name, ".", absl::Hex(h >> 32, absl::kZeroPad8));
}

std::string VersionKey(const std::string& name, absl::string_view aggregate_id) {
  return store::KeyBuilder().Str(aggregate_id).U64(NameHash(name)).key();
}

// Bound on the in-memory copy of last applied versions; past it the copy is dropped and refilled from RocksDB.
constexpr size_t kVersionCacheLimit = 2'000'000;
// Decoded envelopes kept for reuse (Projection::envelope_pool_), at most this many times options_.max_batch; an
// envelope whose payload needed more than kPooledPayloadBytes is freed instead, so one large event does not stay
// held.
constexpr size_t kEnvelopePoolBatches = 2;
constexpr size_t kPooledPayloadBytes = 4096;

bool DeadLetterCode(absl::StatusCode code) {
  return code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kFailedPrecondition ||
         code == absl::StatusCode::kDataLoss;
}

// What `batch` holds for `key`: nothing (nullopt), a delete (a null value) or a value.
std::optional<std::optional<std::string>> FromBatch(rocksdb::WriteBatchWithIndex* batch,
                                                    rocksdb::ColumnFamilyHandle* cf, absl::string_view key) {
  rocksdb::Slice k(key.data(), key.size());
  std::unique_ptr<rocksdb::WBWIIterator> it(batch->NewIterator(cf));
  it->Seek(k);
  if (!it->Valid()) return std::nullopt;
  rocksdb::WriteEntry e = it->Entry();
  if (e.key != k) return std::nullopt;
  // The batch overwrites keys in its index, so the entry found is the key's last write.
  if (e.type == rocksdb::kPutRecord) return std::optional<std::string>(e.value.ToString());
  return std::optional<std::string>();
}

}  // namespace

absl::StatusOr<std::optional<std::string>> ProjectionTx::Get(rocksdb::ColumnFamilyHandle* cf, absl::string_view key) {
  for (rocksdb::WriteBatchWithIndex* b : {batch_, behind_}) {
    if (b == nullptr) continue;
    if (auto found = FromBatch(b, cf, key)) return *std::move(found);
  }
  return store_->Get(cf, key);
}

class Projection::Rebalancer final : public RdKafka::RebalanceCb {
 public:
  explicit Rebalancer(Projection* p) : p_(p) {}
  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    // Runs inside consume() on the reading thread: everything handed over is applied and reaches the store before
    // offsets are read back or partitions are handed to another member.
    p_->Drain();
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      p_->assigned_from_.clear();
      for (RdKafka::TopicPartition* tp : partitions) {
        tp->set_offset(p_->StartOffset(tp->topic(), tp->partition()));
        p_->assigned_from_[{tp->topic(), tp->partition()}] = tp->offset();
      }
      p_->SetCatchUpTargets(partitions);
      consumer->assign(partitions);
      spdlog::info("projection {}: assigned {} partitions, resuming at stored offsets", p_->options_.name,
                   partitions.size());
    } else {
      p_->assigned_from_.clear();
      consumer->unassign();
    }
  }

 private:
  Projection* p_;
};

Projection::Projection(store::Store* store, bus::KafkaOptions kafka, ProjectionHandler* handler,
                       prometheus::Registry* metrics, ProjectionOptions options)
    : store_(store),
      kafka_(std::move(kafka)),
      handler_(handler),
      options_(std::move(options)),
      offsets_(store->Family(kOffsetsFamily)),
      versions_(store->Family(kVersionsFamily)) {
  auto& events = prometheus::BuildCounter()
                     .Name("jinguo_projection_events_total")
                     .Help("Events seen by a projection, by outcome")
                     .Register(*metrics);
  applied_total_ = &events.Add({{"projection", options_.name}, {"outcome", "applied"}});
  skipped_total_ = &events.Add({{"projection", options_.name}, {"outcome", "skipped_duplicate"}});
  dead_lettered_total_ = &events.Add({{"projection", options_.name}, {"outcome", "dead_lettered"}});
  batch_failures_total_ = &prometheus::BuildCounter()
                               .Name("jinguo_projection_batch_failures_total")
                               .Help("Batches discarded and retried after an error")
                               .Register(*metrics)
                               .Add({{"projection", options_.name}});
  lag_events_ = &prometheus::BuildGauge()
                     .Name("jinguo_projection_lag_events")
                     .Help("Events on the projection's partitions not consumed yet (end offsets less positions)")
                     .Register(*metrics)
                     .Add({{"projection", options_.name}});
}

void Projection::UpdateLag() {
  std::vector<RdKafka::TopicPartition*> parts;
  if (consumer_->assignment(parts) != RdKafka::ERR_NO_ERROR) return;
  consumer_->position(parts);
  int64_t lag = 0;
  for (RdKafka::TopicPartition* tp : parts) {
    int64_t low = 0, high = 0;
    // The end offsets the last fetches brought (no round trip to the broker).
    if (consumer_->get_watermark_offsets(tp->topic(), tp->partition(), &low, &high) != RdKafka::ERR_NO_ERROR ||
        high < 0) {
      continue;
    }
    // Nothing consumed from the partition since it was assigned: its position is where the assignment started.
    int64_t position = tp->offset();
    if (position < 0) {
      auto from = assigned_from_.find({tp->topic(), tp->partition()});
      position = from != assigned_from_.end() && from->second >= 0 ? from->second : low;
    }
    lag += std::max<int64_t>(0, high - position);
  }
  RdKafka::TopicPartition::destroy(parts);
  lag_events_->Set(static_cast<double>(lag));
  lag_ = lag;
  if (options_.max_lag_events <= 0 || !caught_up_ || !on_lag_change_) return;
  bool behind = lag > options_.max_lag_events;
  if (behind == behind_) return;
  behind_ = behind;
  on_lag_change_(behind ? absl::UnavailableError(absl::StrCat("behind: ", lag, " events to apply (more than ",
                                                              options_.max_lag_events, ")"))
                        : absl::OkStatus());
}

Projection::~Projection() { Stop(); }

int64_t Projection::StartOffset(const std::string& topic, int32_t partition) {
  auto stored = StoredOffset(topic, partition);
  if (stored.ok() && *stored >= 0) return *stored;
  // Nothing stored: the partition's first offset, asked of the broker here. Handed the logical "beginning",
  // librdkafka 2.0 looks it up itself, and when the partition has not yet joined its broker's thread (as happens
  // to most partitions of a fresh assignment) it retries only after 500 ms, and a rebuild would start on one
  // partition instead of all of them.
  int64_t low = 0, high = 0;
  // A broker that does not answer within a second leaves the lookup to librdkafka.
  if (consumer_->query_watermark_offsets(topic, partition, &low, &high, 1000) == RdKafka::ERR_NO_ERROR) return low;
  return RdKafka::Topic::OFFSET_BEGINNING;
}

absl::StatusOr<int64_t> Projection::StoredOffset(const std::string& topic, int32_t partition) const {
  ASSIGN_OR_RETURN(auto value, store_->Get(offsets_, OffsetKey(options_.name, topic, partition)));
  uint64_t offset = 0;
  if (!value || !store::DecodeU64(*value, &offset)) return -1;
  return static_cast<int64_t>(offset);
}

absl::Status Projection::Start() {
  // With no stored versions at all (a first start, or a rebuild), every version this projection will ever see
  // passes through the cache, so a miss there means "never applied" without a read.
  auto no_versions = store_->Empty(versions_);
  version_cache_complete_ = no_versions.ok() && *no_versions;
  rebalancer_ = std::make_unique<Rebalancer>(this);
  std::vector<std::string> topics = options_.topics;
  topics.emplace_back(bus::kReplayTopic);
  std::map<std::string, std::string> settings = {{"group.id", GroupId(options_.name, topics)},
                                                 {"enable.auto.commit", "false"},
                                                 {"enable.auto.offset.store", "false"},
                                                 {"auto.offset.reset", "earliest"},
                                                 {"fetch.wait.max.ms", "20"},
                                                 {"queued.min.messages", "200000"}};
  if (!options_.instance_id.empty()) settings["group.instance.id"] = options_.instance_id;
  auto conf = bus::MakeConf(kafka_, settings);
  last_flush_ = options_.clock->Now();
  if (!conf.ok()) return conf.status();
  std::string err;
  if ((*conf)->set("rebalance_cb", rebalancer_.get(), err) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(err);
  }
  consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), err));
  if (!consumer_) return absl::InternalError(absl::StrCat("kafka consumer: ", err));
  // The replay topic exists before anything is dead-lettered; the runtime ensures the projection's own topics.
  RETURN_IF_ERROR(bus::EnsureTopics(kafka_, {{std::string(bus::kReplayTopic)}}, absl::Seconds(10)));
  RdKafka::ErrorCode e = consumer_->subscribe(topics);
  if (e != RdKafka::ERR_NO_ERROR) return absl::InternalError(absl::StrCat("subscribe: ", RdKafka::err2str(e)));
  auto dlq = bus::Producer::Create(kafka_, [this](uint64_t, RdKafka::ErrorCode e, int32_t, int64_t) {
    if (e != RdKafka::ERR_NO_ERROR) ++dead_letter_failures_;
  });
  if (!dlq.ok()) return dlq.status();
  dead_letters_ = *std::move(dlq);
  stopping_ = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = false;
  }
  thread_ = std::thread([this] {
    NameThisThread("projection");
    ApplyLoop();
  });
  reader_ = std::thread([this] {
    NameThisThread("projection-read");
    ReadLoop();
  });
  return absl::OkStatus();
}

void Projection::Stop() {
  stopping_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    handed_over_.notify_all();
  }
  if (reader_.joinable()) reader_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = true;
  }
  handed_over_.notify_all();
  if (thread_.joinable()) thread_.join();
  spent_.clear();  // its messages go before the consumer does
  if (consumer_) {
    consumer_->close();
    consumer_.reset();
  }
  dead_letters_.reset();
}

void Projection::Rewind() {
  std::vector<RdKafka::TopicPartition*> parts;
  if (consumer_->assignment(parts) != RdKafka::ERR_NO_ERROR) return;
  for (RdKafka::TopicPartition* tp : parts) {
    tp->set_offset(StartOffset(tp->topic(), tp->partition()));
    consumer_->seek(*tp, 5000);
  }
  RdKafka::TopicPartition::destroy(parts);
}

// A batch on its way through: consumed and sorted out (Prepare) on the reading thread, applied into a write batch
// (Apply) on the projection's thread, written on the writer thread, then freed on the reading thread.
struct Projection::Batch {
  std::vector<std::unique_ptr<RdKafka::Message>> messages;
  // The decoded envelopes, from the reading thread's pool; they go back to it once the batch is spent.
  std::vector<std::unique_ptr<common::v1::EventEnvelope>> envelopes;
  // The events to apply, in order: decoded, well-formed and newer than their aggregate's last processed version
  // (or, for a replayed dead letter, `letter` set, not older than it).
  struct ToApply {
    const RdKafka::Message* m;
    const common::v1::EventEnvelope* event;
    const common::v1::DeadLetter* letter;
  };
  std::vector<ToApply> to_apply;
  // The replayed letters picked, and the version ids that mark them replayed (stable addresses: `to_apply` and
  // `versions` point into them).
  std::deque<common::v1::ReplayedLetter> replays;
  std::deque<std::string> replay_ids;
  // Next offset per partition, keyed by librdkafka's topic handle: naming the topic costs a string per message.
  absl::flat_hash_map<std::pair<const rd_kafka_topic_t*, int32_t>, int64_t> next_offsets;
  // Each event's aggregate (a view of its envelope) and version, for the events to apply: an aggregate's highest
  // entry is its last processed version (applied, or dead-lettered by the handler) as of this batch's end. Only
  // the writer reads it.
  std::vector<std::pair<absl::string_view, int64_t>> versions;
  std::unique_ptr<rocksdb::WriteBatchWithIndex> write;
  std::vector<std::shared_ptr<void>> retired;   // ProjectionTx::FreeLater
  std::vector<ProjectionTx::LaterWrite> later;  // ProjectionTx::WriteLater
  // Prepare's outcome: an error discards the batch like a failed Apply.
  absl::Status prepared;
  int64_t applied = 0, skipped = 0;
  int dead = 0;
};

// On a thread of its own: writes one batch at a time.
class Projection::Writer {
 public:
  explicit Writer(Projection* p)
      : p_(p), thread_([this] {
          NameThisThread("projection-write");
          Loop();
        }) {}
  ~Writer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  // Starts writing `batch`, which stays the caller's; its write batch stays unchanged.
  void Submit(Batch* batch) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending_ = batch;
      done_ = false;
    }
    cv_.notify_all();
  }
  absl::Status Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return done_; });
    return result_;
  }
  // Whether the batch submitted last is written (Wait returns at once). When it is, the projection's
  // handed_over_ is notified too.
  bool Done() {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return quit_ || pending_ != nullptr; });
      if (pending_ != nullptr) {
        Batch* batch = pending_;
        pending_ = nullptr;
        lock.unlock();
        absl::Status s = p_->Write(*batch);
        lock.lock();
        result_ = std::move(s);
        done_ = true;
        cv_.notify_all();
        lock.unlock();
        {
          // Wakes the applying thread if it waits for this write or the next batch, whichever comes first.
          std::lock_guard<std::mutex> handing_over(p_->mu_);
        }
        p_->handed_over_.notify_all();
        lock.lock();
      } else {
        return;  // quitting
      }
    }
  }

  Projection* p_;
  std::mutex mu_;
  std::condition_variable cv_;
  Batch* pending_ = nullptr;
  bool done_ = true;
  bool quit_ = false;
  absl::Status result_;
  std::thread thread_;
};

void Projection::ReadLoop() {
  const int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(options_.poll_timeout));
  uint64_t discards_seen = 0;
  absl::Time lag_measured = absl::InfinitePast();
  while (!stopping_) {
    if (absl::Now() - lag_measured > absl::Seconds(1)) {
      UpdateLag();
      lag_measured = absl::Now();
    }
    uint64_t discards;
    {
      std::lock_guard<std::mutex> lock(mu_);
      discards = discards_;
    }
    if (discards != discards_seen) {
      // Batches were discarded after this thread took their versions on trust: forget those, back off, and
      // consume again from what the store holds.
      discards_seen = discards;
      ClearVersionCache();
      absl::SleepFor(options_.retry_backoff);
      Rewind();
      continue;
    }
    {
      std::vector<std::unique_ptr<Batch>> spent;  // freed at the end of this scope, outside the lock
      {
        std::lock_guard<std::mutex> lock(mu_);
        spent.swap(spent_);
      }
      for (auto& b : spent) RecycleEnvelopes(*b);
    }
    auto batch = std::make_unique<Batch>();
    while (static_cast<int>(batch->messages.size()) < options_.max_batch) {
      std::unique_ptr<RdKafka::Message> m(consumer_->consume(batch->messages.empty() ? timeout_ms : 0));
      if (m->err() == RdKafka::ERR__TIMED_OUT || m->err() == RdKafka::ERR__PARTITION_EOF) break;
      if (m->err() != RdKafka::ERR_NO_ERROR) {
        spdlog::warn("projection {}: {}", options_.name, m->errstr());
        break;
      }
      batch->messages.push_back(std::move(m));
    }
    if (batch->messages.empty()) continue;
    if (version_cache_.size() + batch->messages.size() > kVersionCacheLimit) {
      // Versions taken on trust may not be in the store yet: everything handed over lands first.
      Drain();
      ClearVersionCache();
    }
    batch->prepared = Prepare(*batch);
    std::unique_lock<std::mutex> lock(mu_);
    handed_over_.wait(lock, [&] { return ready_ == nullptr || stopping_ || discards_ != discards_seen; });
    if (stopping_ || discards_ != discards_seen) continue;  // dropped: consumed again
    ready_ = std::move(batch);
    handed_over_.notify_all();
  }
}

void Projection::ApplyLoop() {
  writer_ = std::make_unique<Writer>(this);
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (ready_ == nullptr && in_flight_) {
      // Nothing new yet: once the write is finished, its changes are announced without waiting for more; but a
      // batch handed over sooner is applied at once, while the write goes on.
      handed_over_.wait(lock, [&] { return ready_ != nullptr || quit_ || writer_->Done(); });
      if (ready_ == nullptr) {
        lock.unlock();
        FinishInFlight();
        lock.lock();
      }
      continue;
    }
    if (ready_ == nullptr) {
      idle_ = true;
      handed_over_.notify_all();
      handed_over_.wait(lock, [&] { return ready_ != nullptr || quit_; });
      if (ready_ == nullptr) break;  // quitting
    }
    idle_ = false;
    std::unique_ptr<Batch> batch = std::move(ready_);
    handed_over_.notify_all();
    lock.unlock();
    absl::Status s = batch->prepared;
    if (s.ok()) s = Apply(*batch, in_flight_.get());
    // The batch before must be on disk before this one is written. When it failed, this one, applied on top of
    // it, is discarded with it and consumed again.
    bool landed = !in_flight_ || FinishInFlight();
    if (landed && !s.ok()) Discard(s);
    if (landed && s.ok()) {
      in_flight_ = std::move(batch);
      writer_->Submit(in_flight_.get());
    }
    lock.lock();
  }
  lock.unlock();
  if (in_flight_) FinishInFlight();
  writer_.reset();
  lock.lock();
  ready_.reset();
  idle_ = true;
  handed_over_.notify_all();
}

void Projection::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  handed_over_.wait(lock, [&] { return (ready_ == nullptr && idle_) || quit_; });
}

void Projection::Discard(const absl::Status& s) {
  handler_->Discarded();
  batch_failures_total_->Increment();
  spdlog::error("projection {}: batch not applied, retrying: {}", options_.name, std::string(s.message()));
  std::lock_guard<std::mutex> lock(mu_);
  ready_.reset();
  ++discards_;  // the reading thread forgets the versions, backs off and rewinds
  handed_over_.notify_all();
}

absl::Status Projection::CaughtUp() const {
  if (caught_up_.load(std::memory_order_acquire)) return absl::OkStatus();
  absl::MutexLock lock(&catch_up_mu_);
  if (!catch_up_set_) return absl::UnavailableError("catching up: waiting for the event topics' partitions");
  int64_t left = 0;
  for (const auto& [tp, end] : catch_up_left_) {
    auto at = catch_up_at_.find(tp);
    left += end - (at == catch_up_at_.end() ? 0 : at->second);
  }
  return absl::UnavailableError(absl::StrCat("catching up after a start: ", left,
                                             " events still to apply before the figures are current; retry shortly"));
}

void Projection::SetCatchUpTargets(const std::vector<RdKafka::TopicPartition*>& partitions) {
  bool now_caught_up = false;
  {
    absl::MutexLock lock(&catch_up_mu_);
    if (catch_up_set_) return;  // only the first assignment after a start
    catch_up_set_ = true;
    for (const RdKafka::TopicPartition* tp : partitions) {
      int64_t low = 0, high = 0;
      if (consumer_->query_watermark_offsets(tp->topic(), tp->partition(), &low, &high, 5000) !=
          RdKafka::ERR_NO_ERROR) {
        high = 0;  // unknown: readiness then does not wait for this partition
      }
      int64_t start = tp->offset() >= 0 ? tp->offset() : low;
      if (high > start) {
        catch_up_left_[{tp->topic(), tp->partition()}] = high;
        catch_up_at_[{tp->topic(), tp->partition()}] = start;
      }
    }
    now_caught_up = catch_up_left_.empty();
  }
  if (now_caught_up && !caught_up_.exchange(true)) {
    spdlog::info("projection {}: nothing to catch up; current", options_.name);
    if (on_caught_up_) on_caught_up_();
  }
}

void Projection::Reached(const std::vector<std::pair<std::string, std::pair<int32_t, int64_t>>>& written) {
  if (caught_up_.load(std::memory_order_acquire)) return;
  bool now_caught_up = false;
  {
    absl::MutexLock lock(&catch_up_mu_);
    for (const auto& [topic, po] : written) {
      std::pair<std::string, int32_t> key{topic, po.first};
      auto it = catch_up_left_.find(key);
      if (it == catch_up_left_.end()) continue;
      catch_up_at_[key] = po.second;
      if (po.second >= it->second) catch_up_left_.erase(it);
    }
    now_caught_up = catch_up_set_ && catch_up_left_.empty();
  }
  if (now_caught_up && !caught_up_.exchange(true)) {
    spdlog::info("projection {}: caught up with the topics' ends as of its start; current", options_.name);
    if (on_caught_up_) on_caught_up_();
  }
}

bool Projection::FinishInFlight() {
  absl::Status s = writer_->Wait();
  const int64_t applied = in_flight_->applied, skipped = in_flight_->skipped;
  const int dead = in_flight_->dead;
  std::vector<std::pair<std::string, std::pair<int32_t, int64_t>>> written;
  if (s.ok() && !caught_up_.load(std::memory_order_relaxed)) {
    for (const auto& [tp, offset] : in_flight_->next_offsets) {
      written.push_back({rd_kafka_topic_name(tp.first), {tp.second, offset}});
    }
  }
  {
    // Tens of thousands of messages and envelopes, mostly allocated by the reading thread: freed there, where the
    // allocator takes them back fastest and where there is time to spare.
    std::lock_guard<std::mutex> lock(mu_);
    spent_.push_back(std::move(in_flight_));
  }
  if (!s.ok()) {
    Discard(s);
    return false;
  }
  handler_->Committed();
  if (!written.empty()) Reached(written);
  applied_ += applied;
  skipped_ += skipped;
  dead_lettered_ += dead;
  applied_total_->Increment(static_cast<double>(applied));
  skipped_total_->Increment(static_cast<double>(skipped));
  dead_lettered_total_->Increment(dead);
  return true;
}

void Projection::ClearVersionCache() {
  version_cache_.clear();
  version_cache_ids_.Reset();
  version_cache_complete_ = false;
}

absl::Status Projection::DeadLetter(Batch& batch, const std::string& topic, int32_t partition, int64_t offset,
                                    absl::string_view key, absl::string_view value, absl::string_view reason) {
  common::v1::DeadLetter letter;
  letter.set_source_topic(topic);
  letter.set_source_partition(partition);
  letter.set_source_offset(offset);
  letter.set_consumer(options_.name);
  letter.set_reason(std::string(reason));
  letter.set_key(std::string(key));
  letter.set_value(std::string(value));
  *letter.mutable_dead_lettered_at() = ToTimestamp(absl::Now());
  spdlog::warn("projection {}: {}[{}]@{} dead-lettered: {}", options_.name, topic, partition, offset,
               std::string(reason));
  ++batch.dead;
  return dead_letters_->Produce(bus::kDeadLetterTopic, std::string(key), letter.SerializeAsString(), 0);
}

absl::Status Projection::DeadLetter(Batch& batch, const RdKafka::Message& m, absl::string_view reason) {
  return DeadLetter(batch, m.topic_name(), m.partition(), m.offset(), m.key() ? *m.key() : "",
                    absl::string_view(static_cast<const char*>(m.payload()), m.len()), reason);
}

absl::StatusOr<int64_t*> Projection::CachedVersion(absl::string_view id) {
  bool unseen = false;
  auto entry = version_cache_.lazy_emplace(id, [&](const auto& construct) {
    construct(CopyOnArena(&version_cache_ids_, id), 0);
    unseen = true;
  });
  if (unseen && !version_cache_complete_) {
    auto stored = store_->Get(versions_, VersionKey(options_.name, id));
    if (!stored.ok()) {
      version_cache_.erase(entry);
      return stored.status();
    }
    uint64_t v = 0;
    if (*stored && store::DecodeU64(**stored, &v)) entry->second = static_cast<int64_t>(v);
  }
  return &entry->second;
}

absl::Status Projection::PrepareReplay(Batch& batch, const RdKafka::Message& m) {
  common::v1::ReplayedLetter& replay = batch.replays.emplace_back();
  if (!replay.ParseFromArray(m.payload(), static_cast<int>(m.len()))) {
    spdlog::warn("projection {}: {}[{}]@{} is not a replayed dead letter; ignored", options_.name, m.topic_name(),
                 m.partition(), m.offset());
    batch.replays.pop_back();
    return absl::OkStatus();
  }
  const common::v1::DeadLetter& letter = replay.letter();
  if (letter.consumer() != options_.name) {  // another projection's
    batch.replays.pop_back();
    return absl::OkStatus();
  }
  const std::string& id =
      batch.replay_ids.emplace_back(absl::StrCat("dlq-replay/", replay.dlq_partition(), "/", replay.dlq_offset()));
  ASSIGN_OR_RETURN(int64_t * replayed, CachedVersion(id));
  if (*replayed > 0) {  // sent again: applied (or skipped) already
    ++batch.skipped;
    return absl::OkStatus();
  }
  *replayed = 1;
  batch.versions.emplace_back(id, 1);
  common::v1::EventEnvelope* event = NextEnvelope(batch);
  auto again = [&](absl::string_view reason) {
    return DeadLetter(batch, letter.source_topic(), letter.source_partition(), letter.source_offset(), letter.key(),
                      letter.value(), reason);
  };
  if (!event->ParseFromString(letter.value())) return again("not a jinguo.common.v1.EventEnvelope");
  if (event->aggregate_id().empty() || event->aggregate_version() <= 0 || event->event_type().empty()) {
    return again("envelope lacks aggregate_id, a positive aggregate_version or event_type");
  }
  if (!handler_->KeepsVersion(*event)) {
    ASSIGN_OR_RETURN(int64_t * processed, CachedVersion(event->aggregate_id()));
    if (event->aggregate_version() < *processed) {
      spdlog::warn("projection {}: replayed dead letter {}[{}]@{} skipped: {} {} is at version {}, past its {}",
                   options_.name, letter.source_topic(), letter.source_partition(), letter.source_offset(),
                   event->event_type(), event->aggregate_id(), *processed, event->aggregate_version());
      ++batch.skipped;
      return absl::OkStatus();
    }
  }
  batch.to_apply.push_back({&m, event, &letter});
  return absl::OkStatus();
}

common::v1::EventEnvelope* Projection::NextEnvelope(Batch& batch) {
  if (envelope_pool_.empty()) {
    batch.envelopes.push_back(std::make_unique<common::v1::EventEnvelope>());
  } else {
    batch.envelopes.push_back(std::move(envelope_pool_.back()));
    envelope_pool_.pop_back();
  }
  return batch.envelopes.back().get();
}

void Projection::RecycleEnvelopes(Batch& batch) {
  const size_t limit = kEnvelopePoolBatches * static_cast<size_t>(options_.max_batch);
  for (auto& e : batch.envelopes) {
    if (envelope_pool_.size() >= limit) break;
    if (e->payload().value().capacity() > kPooledPayloadBytes) continue;
    envelope_pool_.push_back(std::move(e));
  }
  batch.envelopes.clear();
}

absl::Status Projection::Prepare(Batch& batch) {
  batch.to_apply.reserve(batch.messages.size());
  batch.versions.reserve(batch.messages.size());
  batch.envelopes.reserve(batch.messages.size());
  for (const auto& m : batch.messages) {
    batch.next_offsets[{m->c_ptr()->rkt, m->partition()}] = m->offset() + 1;
    if (rd_kafka_topic_name(m->c_ptr()->rkt) == bus::kReplayTopic) {
      RETURN_IF_ERROR(PrepareReplay(batch, *m));
      continue;
    }
    common::v1::EventEnvelope* event = NextEnvelope(batch);
    if (!event->ParseFromArray(m->payload(), static_cast<int>(m->len()))) {
      RETURN_IF_ERROR(DeadLetter(batch, *m, "not a jinguo.common.v1.EventEnvelope"));
      continue;
    }
    if (event->aggregate_id().empty() || event->aggregate_version() <= 0 || event->event_type().empty()) {
      RETURN_IF_ERROR(DeadLetter(batch, *m, "envelope lacks aggregate_id, a positive aggregate_version or event_type"));
      continue;
    }
    if (handler_->KeepsVersion(*event)) {  // the handler skips what it has processed
      batch.to_apply.push_back({m.get(), event, nullptr});
      continue;
    }
    // The aggregate's last processed version, taken on trust from the batches before (the cache is dropped when
    // one of them is discarded).
    ASSIGN_OR_RETURN(int64_t * processed, CachedVersion(event->aggregate_id()));
    if (event->aggregate_version() <= *processed) {
      ++batch.skipped;
      continue;
    }
    *processed = event->aggregate_version();
    batch.versions.emplace_back(event->aggregate_id(), event->aggregate_version());
    batch.to_apply.push_back({m.get(), event, nullptr});
  }
  return absl::OkStatus();
}

absl::Status Projection::Apply(Batch& batch, Batch* behind) {
  batch.write = std::make_unique<rocksdb::WriteBatchWithIndex>(rocksdb::BytewiseComparator(), 0,
                                                               /*overwrite_key=*/true);
  ProjectionTx tx(store_, batch.write.get(), behind != nullptr ? behind->write.get() : nullptr, &batch.retired,
                  &batch.later);
  for (const auto& [m, event, letter] : batch.to_apply) {
    tx.set_replaying(letter != nullptr);
    absl::StatusOr<Applied> applied = handler_->Apply(*event, tx);
    if (applied.ok()) {
      ++(*applied == Applied::kApplied ? batch.applied : batch.skipped);
      if (letter != nullptr) {
        spdlog::info("projection {}: replayed dead letter {}[{}]@{} ({} {}): {}", options_.name, letter->source_topic(),
                     letter->source_partition(), letter->source_offset(), event->event_type(), event->aggregate_id(),
                     *applied == Applied::kApplied ? "applied" : "skipped, superseded");
      }
    } else if (DeadLetterCode(applied.status().code())) {
      RETURN_IF_ERROR(letter == nullptr ? DeadLetter(batch, *m, applied.status().message())
                                        : DeadLetter(batch, letter->source_topic(), letter->source_partition(),
                                                     letter->source_offset(), letter->key(), letter->value(),
                                                     applied.status().message()));
    } else {
      return applied.status();
    }
  }
  RETURN_IF_ERROR(handler_->BeforeCommit(tx));
  if (batch.dead > 0) {
    // The dead letters must be on their topic before the offsets move past them.
    int failures_before = dead_letter_failures_.load();
    RETURN_IF_ERROR(dead_letters_->Flush(absl::Seconds(30)));
    if (dead_letter_failures_.load() != failures_before) return absl::UnavailableError("dead-letter delivery failed");
  }
  return absl::OkStatus();
}

absl::Status Projection::Write(Batch& batch) {
  // The next batch reads this one's index (and the records it points into) while this runs, so versions and
  // offsets go into a copy: a flat buffer copied in a few milliseconds, against a write of the same size.
  rocksdb::WriteBatch sealed(*batch.write->GetWriteBatch());
  for (auto& write : batch.later) std::move(write)(sealed);
  // In key order: RocksDB inserts a sorted run into its memtable far faster than scattered keys. Version keys
  // sort as their aggregate ids do, so the ids are sorted (highest version first) and the keys built in that
  // order, once per aggregate.
  auto& versions = batch.versions;
  std::sort(versions.begin(), versions.end(),
            [](const auto& a, const auto& b) { return a.first != b.first ? a.first < b.first : a.second > b.second; });
  for (size_t i = 0; i < versions.size(); ++i) {
    if (i > 0 && versions[i].first == versions[i - 1].first) continue;
    sealed.Put(versions_, VersionKey(options_.name, versions[i].first),
               store::EncodeU64(static_cast<uint64_t>(versions[i].second)));
  }
  for (const auto& [tp, offset] : batch.next_offsets) {
    sealed.Put(offsets_, OffsetKey(options_.name, rd_kafka_topic_name(tp.first), tp.second),
               store::EncodeU64(static_cast<uint64_t>(offset)));
  }
  // Not synced, and not logged where the store allows it: a crash may lose the last batches, and their offsets
  // with them, so they are consumed again.
  if (!store_->unlogged_writes()) return store_->Write(&sealed, /*sync=*/false);
  RETURN_IF_ERROR(store_->WriteUnlogged(&sealed));
  // Unlogged writes live only in the memtables until they are flushed: flushing every few seconds (or so many
  // events) bounds what a crash rolls back, and so the replay after it.
  events_since_flush_ += static_cast<int64_t>(batch.to_apply.size());
  absl::Time now = options_.clock->Now();
  if (events_since_flush_ >= options_.flush_events || now - last_flush_ >= options_.flush_interval) {
    events_since_flush_ = 0;
    last_flush_ = now;
    return store_->FlushAsync();
  }
  return absl::OkStatus();
}

}  // namespace jinguo::projection
