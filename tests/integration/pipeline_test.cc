// The foundation's pipeline against a real Kafka broker: outbox → relay → Kafka → projection.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/status.h"
#include "common/outbox/outbox.h"
#include "common/projection/projection.h"
#include "common/store/keys.h"
#include "gtest/gtest.h"
#include "tests/integration/event_log.h"
#include "tests/integration/harness.h"

extern char** environ;

namespace jinguo::testing {
namespace {

constexpr char kTopic[] = "jinguo.test.events.v1";
constexpr char kStateFamily[] = "state";

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    broker_ = KafkaBroker::Start();
    ASSERT_NE(broker_, nullptr) << "the Kafka broker did not start (see deploy/local/kafka.sh)";
    kafka_.brokers = broker_->brokers();
    kafka_.partitions = 3;
    ASSERT_TRUE(bus::EnsureTopics(kafka_, {{kTopic}, {std::string(bus::kDeadLetterTopic), 1}}, absl::Seconds(30)).ok());
  }

  // A projection with its own store, consuming kTopic.
  void StartProjection(projection::ProjectionHandler* handler,
                       projection::ProjectionOptions options = {"pipeline-test", {kTopic}}) {
    std::vector<std::string> families = projection::ProjectionFamilies();
    families.push_back(kStateFamily);
    auto store = store::Store::Open({projection_dir_.path(), families, 16 << 20});
    ASSERT_TRUE(store.ok()) << store.status();
    projection_store_ = *std::move(store);
    projection_ =
        std::make_unique<projection::Projection>(projection_store_.get(), kafka_, handler, &metrics_, options);
    if (on_lag_change_) projection_->OnLagChange(on_lag_change_);
    ASSERT_TRUE(projection_->Start().ok());
  }

  // A store with an outbox, and its relay publishing to the broker.
  void StartWriterSide() {
    auto store = store::Store::Open({writer_dir_.path(), {outbox::kOutboxFamily}, 16 << 20});
    ASSERT_TRUE(store.ok()) << store.status();
    writer_store_ = *std::move(store);
    auto box = outbox::Outbox::Open(writer_store_.get());
    ASSERT_TRUE(box.ok()) << box.status();
    box_ = *std::move(box);
    relay_ = std::make_unique<outbox::OutboxRelay>(box_.get(), kafka_, &metrics_, SystemClock::Get());
    relay_->Start();
  }

  // A producer to kTopic's broker that counts the messages the broker acknowledged into `*delivered`.
  absl::StatusOr<std::unique_ptr<bus::Producer>> CountingProducer(std::atomic<int>* delivered) {
    return bus::Producer::Create(kafka_, [delivered](uint64_t, RdKafka::ErrorCode e, int32_t, int64_t) {
      if (e == RdKafka::ERR_NO_ERROR) ++*delivered;
    });
  }

  void TearDown() override {
    if (projection_) projection_->Stop();
    if (relay_) IgnoreError(relay_->Stop(absl::Seconds(5)));
  }

  std::unique_ptr<KafkaBroker> broker_;
  bus::KafkaOptions kafka_;
  prometheus::Registry metrics_;
  TempDir projection_dir_;
  std::unique_ptr<store::Store> projection_store_;
  std::unique_ptr<projection::Projection> projection_;
  std::function<void(absl::Status)> on_lag_change_;
  TempDir writer_dir_;
  std::unique_ptr<store::Store> writer_store_;
  std::unique_ptr<outbox::Outbox> box_;
  std::unique_ptr<outbox::OutboxRelay> relay_;
};

// (a) 100,000 events: every one arrives once, and each aggregate's events arrive in version order.
TEST_F(PipelineTest, HundredThousandEventsArriveExactlyOnceInAggregateOrder) {
  ASSERT_NO_FATAL_FAILURE(StartWriterSide());
  outbox::Outbox* box = box_.get();
  outbox::OutboxRelay& relay = *relay_;
  RecordingHandler handler;
  StartProjection(&handler);

  constexpr int kAggregates = 1000, kVersions = 100, kPerCommit = 100;
  UuidV7Generator ids(SystemClock::Get());
  for (int v = 1; v <= kVersions; ++v) {
    for (int a = 0; a < kAggregates; a += kPerCommit) {
      std::vector<common::v1::OutboxRecord> records;
      for (int i = a; i < a + kPerCommit; ++i) {
        records.push_back(TestEvent(kTopic, absl::StrCat("agg-", i), v, ids, SystemClock::Get()));
      }
      rocksdb::WriteBatch batch;
      ASSERT_TRUE(box->Commit(&batch, records).ok());
    }
  }
  ASSERT_TRUE(WaitFor([&] { return handler.applications() >= kAggregates * kVersions; }, absl::Seconds(120)))
      << "applied " << handler.applications();
  absl::SleepFor(absl::Milliseconds(500));  // anything extra would show up now
  EXPECT_EQ(handler.applications(), kAggregates * kVersions);
  EXPECT_EQ(handler.order_violations(), 0);
  auto counts = handler.counts();
  EXPECT_EQ(counts.size(), static_cast<size_t>(kAggregates * kVersions));
  for (const auto& [event, n] : counts) ASSERT_EQ(n, 1) << event.first << " v" << event.second;
  for (const auto& [aggregate, last] : handler.last_versions()) EXPECT_EQ(last, kVersions) << aggregate;
  EXPECT_TRUE(WaitFor([&] { return box->depth() == 0; }, absl::Seconds(10)));
  EXPECT_TRUE(relay.Stop(absl::Seconds(10)).ok());
}

// Fails once on each chosen event with an error that is not the event's fault, and counts an application only once
// its batch is committed, noting whether each aggregate's versions were committed in order.
class CommitCountingHandler : public projection::ProjectionHandler {
 public:
  using Key = std::pair<std::string, int64_t>;  // aggregate, version
  explicit CommitCountingHandler(std::set<Key> fail_once) : fail_once_(std::move(fail_once)) {}
  absl::Status BeforeCommit(projection::ProjectionTx&) override {
    applied_.Seal();
    return absl::OkStatus();
  }
  void Committed() override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& key : applied_.TakeCommitted()) {
      ++counts_[key];
      int64_t& last = last_[key.first];
      if (key.second != last + 1) ++order_violations_;
      last = key.second;
    }
  }
  void Discarded() override { applied_.Clear(); }

  // For an aggregate whose version the handler keeps (in kStateFamily): false when `event` was processed already
  // (for a replayed dead letter: when a later event was), else records its version as processed and returns true.
  static absl::StatusOr<bool> KeepVersion(const common::v1::EventEnvelope& event, projection::ProjectionTx& tx) {
    rocksdb::ColumnFamilyHandle* state = tx.store().Family(kStateFamily);
    ASSIGN_OR_RETURN(auto row, tx.Get(state, event.aggregate_id()));
    uint64_t stored = 0;
    if (row) store::DecodeU64(*row, &stored);
    const int64_t kept = static_cast<int64_t>(stored), v = event.aggregate_version();
    if (tx.replaying() ? v < kept : v <= kept) return false;
    tx.Put(state, event.aggregate_id(), store::EncodeU64(static_cast<uint64_t>(std::max(kept, v))));
    return true;
  }

  std::map<Key, int> counts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return counts_;
  }
  int64_t order_violations() const {
    std::lock_guard<std::mutex> lock(mu_);
    return order_violations_;
  }

 protected:
  // Counts `event` as applied in the batch being applied, unless it is a chosen one's first try.
  absl::Status Record(const common::v1::EventEnvelope& event) {
    Key key{event.aggregate_id(), event.aggregate_version()};
    if (fail_once_.erase(key) > 0) return absl::UnavailableError("disk hiccup");
    applied_.current().push_back(key);
    return absl::OkStatus();
  }
  // What the batch being applied has recorded so far.
  const std::vector<Key>& recorded() { return applied_.current(); }

 private:
  std::set<Key> fail_once_;
  projection::PerBatch<std::vector<Key>> applied_;
  mutable std::mutex mu_;
  std::map<Key, int> counts_;
  std::map<std::string, int64_t> last_;
  int64_t order_violations_ = 0;
};

// Fails once each on two chosen events; each batch also stores each aggregate's last version through WriteLater,
// on the writer thread.
class FlakyHandler final : public CommitCountingHandler {
 public:
  FlakyHandler() : CommitCountingHandler({{"agg-7", 10}, {"agg-150", 40}}) {}
  absl::StatusOr<projection::Applied> Apply(const common::v1::EventEnvelope& event,
                                            projection::ProjectionTx&) override {
    RETURN_IF_ERROR(Record(event));
    return projection::Applied::kApplied;
  }
  absl::Status BeforeCommit(projection::ProjectionTx& tx) override {
    std::map<std::string, int64_t> last;
    for (const auto& [aggregate, version] : recorded()) last[aggregate] = version;
    tx.WriteLater([state = tx.store().Family(kStateFamily), last = std::move(last)](rocksdb::WriteBatch& batch) {
      for (const auto& [aggregate, version] : last) batch.Put(state, aggregate, std::to_string(version));
    });
    return CommitCountingHandler::BeforeCommit(tx);
  }
};

// (a2) A batch that fails part-way is discarded and consumed again from the stored offsets: every event is
// committed exactly once, in order, although batches are written while the next ones are decoded.
TEST_F(PipelineTest, FailedBatchIsRetriedAndEveryEventCommitsOnce) {
  ASSERT_NO_FATAL_FAILURE(StartWriterSide());
  FlakyHandler handler;
  StartProjection(&handler);
  constexpr int kAggregates = 200, kVersions = 50;
  UuidV7Generator ids(SystemClock::Get());
  for (int v = 1; v <= kVersions; ++v) {
    std::vector<common::v1::OutboxRecord> records;
    for (int a = 0; a < kAggregates; ++a) {
      records.push_back(TestEvent(kTopic, absl::StrCat("agg-", a), v, ids, SystemClock::Get()));
    }
    rocksdb::WriteBatch batch;
    ASSERT_TRUE(box_->Commit(&batch, records).ok());
  }
  ASSERT_TRUE(WaitFor([&] { return handler.counts().size() >= size_t{kAggregates * kVersions}; }, absl::Seconds(120)))
      << "committed " << handler.counts().size();
  absl::SleepFor(absl::Milliseconds(500));  // anything extra would show up now
  auto counts = handler.counts();
  EXPECT_EQ(counts.size(), size_t{kAggregates * kVersions});
  for (const auto& [event, n] : counts) ASSERT_EQ(n, 1) << event.first << " v" << event.second;
  EXPECT_EQ(handler.order_violations(), 0);
  EXPECT_EQ(projection_->applied(), kAggregates * kVersions);
  for (int a = 0; a < kAggregates; ++a) {
    auto stored = projection_store_->Get(projection_store_->Family(kStateFamily), absl::StrCat("agg-", a));
    ASSERT_TRUE(stored.ok() && stored->has_value()) << "no state written later for agg-" << a;
    EXPECT_EQ(**stored, std::to_string(kVersions)) << "agg-" << a;
  }
}

pid_t SpawnWriter(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
  return pid;
}

std::vector<std::pair<std::string, int64_t>> ReadAcks(const std::string& path) {
  std::vector<std::pair<std::string, int64_t>> out;
  std::ifstream in(path);
  std::string aggregate;
  int64_t version;
  while (in >> aggregate >> version) out.emplace_back(aggregate, version);
  return out;
}

// (b) The producing process is killed with SIGKILL mid-stream and restarted: every acknowledged event reaches the
// projection exactly once, and none is missing.
TEST_F(PipelineTest, SigkilledProducerLosesAndDoublesNothing) {
  RecordingHandler handler;
  StartProjection(&handler);
  TempDir dir;
  const std::string acks = dir.path() + "/acks.txt";
  constexpr int kAggregates = 200, kVersions = 100;
  std::vector<std::string> args = {OUTBOX_WRITER_PATH,
                                   dir.path() + "/db",
                                   kafka_.brokers,
                                   kTopic,
                                   std::to_string(kAggregates),
                                   std::to_string(kVersions),
                                   acks};
  pid_t first = SpawnWriter(args);
  ASSERT_GT(first, 0);
  ASSERT_TRUE(WaitFor([&] { return ReadAcks(acks).size() >= 4000; }, absl::Seconds(60)));
  ASSERT_EQ(kill(first, SIGKILL), 0);
  int status = 0;
  waitpid(first, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  size_t acked_before_kill = ReadAcks(acks).size();
  ASSERT_LT(acked_before_kill, static_cast<size_t>(kAggregates * kVersions)) << "killed too late to test anything";

  pid_t second = SpawnWriter(args);
  ASSERT_GT(second, 0);
  absl::Time deadline = absl::Now() + absl::Seconds(120);
  while (waitpid(second, &status, WNOHANG) == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "restarted writer failed";

  auto acked = ReadAcks(acks);
  // The kill may fall between a commit and its line in the ack file: at most one commit (10 events) is written
  // but not acknowledged. Those are published too; the acknowledged ones must all be there.
  EXPECT_GE(acked.size(), static_cast<size_t>(kAggregates * kVersions - 10));
  std::set<std::pair<std::string, int64_t>> distinct(acked.begin(), acked.end());
  EXPECT_EQ(distinct.size(), acked.size()) << "an event was acknowledged twice";
  ASSERT_TRUE(WaitFor([&] { return handler.applications() >= kAggregates * kVersions; }, absl::Seconds(60)))
      << "applied " << handler.applications();
  absl::SleepFor(absl::Seconds(1));
  auto counts = handler.counts();
  for (const auto& event : acked) {
    auto it = counts.find(event);
    ASSERT_NE(it, counts.end()) << "acknowledged and lost: " << event.first << " v" << event.second;
    ASSERT_EQ(it->second, 1) << event.first << " v" << event.second;
  }
  EXPECT_EQ(handler.applications(), kAggregates * kVersions);
  EXPECT_EQ(handler.order_violations(), 0);
}

// (c) The broker is stopped for 20 s while writes go on: writes keep succeeding, the outbox grows, and it drains
// after the broker returns with nothing lost or doubled.
TEST_F(PipelineTest, BrokerOutageGrowsTheOutboxAndItDrainsAfterwards) {
  ASSERT_NO_FATAL_FAILURE(StartWriterSide());
  outbox::Outbox* box = box_.get();
  outbox::OutboxRelay& relay = *relay_;
  RecordingHandler handler;
  StartProjection(&handler);

  std::atomic<bool> writing{true};
  std::atomic<int64_t> written{0}, failed{0};
  std::thread writer([&] {
    UuidV7Generator ids(SystemClock::Get());
    int64_t n = 0;
    while (writing) {
      std::vector<common::v1::OutboxRecord> records;
      for (int i = 0; i < 5; ++i, ++n) {
        records.push_back(TestEvent(kTopic, absl::StrCat("agg-", n % 50), n / 50 + 1, ids, SystemClock::Get()));
      }
      rocksdb::WriteBatch batch;
      if (box->Commit(&batch, records).ok()) {
        written += 5;
      } else {
        ++failed;
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  });
  absl::SleepFor(absl::Seconds(3));
  ASSERT_TRUE(broker_->Stop());
  int64_t written_at_stop = written.load();
  absl::SleepFor(absl::Seconds(20));
  int64_t written_during_outage = written.load() - written_at_stop;
  int64_t depth_during_outage = box->depth();
  ASSERT_TRUE(broker_->Restart());
  absl::SleepFor(absl::Seconds(3));
  writing = false;
  writer.join();

  EXPECT_EQ(failed.load(), 0) << "writes failed while Kafka was down";
  EXPECT_GT(written_during_outage, 1000) << "writes did not go on during the outage";
  EXPECT_GE(depth_during_outage, written_during_outage) << "the outbox did not hold the events written meanwhile";
  ASSERT_TRUE(WaitFor([&] { return box->depth() == 0; }, absl::Seconds(90))) << "outbox did not drain";
  ASSERT_TRUE(WaitFor([&] { return handler.applications() >= written.load(); }, absl::Seconds(60)))
      << "applied " << handler.applications() << " of " << written.load();
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(handler.applications(), written.load());
  auto counts = handler.counts();
  EXPECT_EQ(counts.size(), static_cast<size_t>(written.load()));
  for (const auto& [event, n] : counts) ASSERT_EQ(n, 1) << event.first << " v" << event.second;
  EXPECT_EQ(handler.order_violations(), 0);
  EXPECT_TRUE(relay.Stop(absl::Seconds(10)).ok());
}

// Field 1 declared 127 bytes long with only a few following: no protobuf parser accepts it.
const std::string kGarbage = std::string("\x0a\x7f", 2) + "this is not an event";

// (d) An undecodable message lands in jinguo.dlq.v1 with the reason, and the projection goes on with the next.
TEST_F(PipelineTest, UndecodableMessageIsDeadLetteredAndTheNextIsApplied) {
  RecordingHandler handler;
  StartProjection(&handler);
  std::atomic<int> delivered{0};
  auto producer = CountingProducer(&delivered);
  ASSERT_TRUE(producer.ok());
  UuidV7Generator ids(SystemClock::Get());
  // Same key, so both land in one partition: garbage first, then a good event.
  ASSERT_TRUE((*producer)->Produce(kTopic, "agg-x", kGarbage, 1).ok());
  ASSERT_TRUE((*producer)
                  ->Produce(kTopic, "agg-x",
                            TestEvent(kTopic, "agg-x", 1, ids, SystemClock::Get()).envelope().SerializeAsString(), 2)
                  .ok());
  ASSERT_TRUE((*producer)->Flush(absl::Seconds(10)).ok());
  ASSERT_EQ(delivered.load(), 2);

  ASSERT_TRUE(
      WaitFor([&] { return handler.applications() == 1 && projection_->dead_lettered() == 1; }, absl::Seconds(30)))
      << "applied " << handler.applications() << ", dead-lettered " << projection_->dead_lettered();

  // Read the dead letter back from its topic.
  auto conf = bus::MakeConf(kafka_, {{"group.id", "dlq-reader"}, {"auto.offset.reset", "earliest"}});
  ASSERT_TRUE(conf.ok());
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> reader(RdKafka::KafkaConsumer::create(conf->get(), err));
  ASSERT_NE(reader, nullptr) << err;
  reader->subscribe({std::string(bus::kDeadLetterTopic)});
  common::v1::DeadLetter letter;
  bool found = WaitFor(
      [&] {
        std::unique_ptr<RdKafka::Message> m(reader->consume(200));
        return m->err() == RdKafka::ERR_NO_ERROR && letter.ParseFromArray(m->payload(), static_cast<int>(m->len()));
      },
      absl::Seconds(30));
  reader->close();
  ASSERT_TRUE(found) << "nothing on " << bus::kDeadLetterTopic;
  EXPECT_EQ(letter.source_topic(), kTopic);
  EXPECT_EQ(letter.consumer(), "pipeline-test");
  EXPECT_NE(letter.reason().find("not a jinguo.common.v1.EventEnvelope"), std::string::npos) << letter.reason();
  EXPECT_EQ(letter.value(), kGarbage);
}

// Keeps a copy of every envelope it is handed, in order.
class CopyingHandler final : public projection::ProjectionHandler {
 public:
  absl::StatusOr<projection::Applied> Apply(const common::v1::EventEnvelope& event,
                                            projection::ProjectionTx&) override {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.push_back(event);
    return projection::Applied::kApplied;
  }
  std::vector<common::v1::EventEnvelope> seen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<common::v1::EventEnvelope> seen_;
};

// (e) The projection decodes into the envelopes of batches already written: an event with fewer fields than the
// one decoded there before is handed over with nothing of that one.
TEST_F(PipelineTest, EnvelopesDecodedIntoSpentOnesCarryNothingOver) {
  CopyingHandler handler;
  StartProjection(&handler);
  std::atomic<int> delivered{0};
  auto producer = CountingProducer(&delivered);
  ASSERT_TRUE(producer.ok());
  UuidV7Generator ids(SystemClock::Get());
  constexpr int kEach = 300;
  auto produce = [&](const std::string& prefix, bool full) {
    for (int i = 0; i < kEach; ++i) {
      common::v1::EventEnvelope e = TestEvent(kTopic, absl::StrCat(prefix, i), 1, ids, SystemClock::Get()).envelope();
      if (full) {
        e.set_beneficiary_id(absl::StrCat("beneficiary-", i));
        e.set_region_code("130207104201");
        e.set_correlation_id(absl::StrCat("request-", i));
      } else {
        e.clear_beneficiary_id();
        e.clear_region_code();
        e.clear_correlation_id();
        e.clear_producer();
        e.clear_occurred_at();
        e.clear_payload();
      }
      ASSERT_TRUE((*producer)->Produce(kTopic, e.aggregate_id(), e.SerializeAsString(), i).ok());
    }
    ASSERT_TRUE((*producer)->Flush(absl::Seconds(10)).ok());
  };
  produce("full-", true);
  ASSERT_TRUE(WaitFor([&] { return handler.seen().size() == kEach; }, absl::Seconds(30)))
      << "applied " << handler.seen().size() << " of " << kEach;
  // The first events' batches are written, then freed by the reading thread within a poll or two.
  absl::SleepFor(absl::Seconds(1));
  produce("bare-", false);
  ASSERT_TRUE(WaitFor([&] { return handler.seen().size() == 2 * kEach; }, absl::Seconds(30)))
      << "applied " << handler.seen().size() << " of " << 2 * kEach;
  ASSERT_EQ(delivered.load(), 2 * kEach);

  int full = 0, bare = 0;
  for (const common::v1::EventEnvelope& e : handler.seen()) {
    if (absl::StartsWith(e.aggregate_id(), "full-")) {
      ++full;
      EXPECT_EQ(e.region_code(), "130207104201") << e.aggregate_id();
      EXPECT_TRUE(e.has_payload()) << e.aggregate_id();
      continue;
    }
    ++bare;
    EXPECT_EQ(e.beneficiary_id(), "") << e.aggregate_id();
    EXPECT_EQ(e.region_code(), "") << e.aggregate_id();
    EXPECT_EQ(e.correlation_id(), "") << e.aggregate_id();
    EXPECT_EQ(e.producer(), "") << e.aggregate_id();
    EXPECT_FALSE(e.has_occurred_at()) << e.aggregate_id();
    EXPECT_FALSE(e.has_payload()) << e.aggregate_id();
    EXPECT_EQ(e.aggregate_version(), 1) << e.aggregate_id();
  }
  EXPECT_EQ(full, kEach);
  EXPECT_EQ(bare, kEach);
}

// Keeps the last processed version of the "kept-" aggregates in its own row (KeepsVersion), and fails once on one
// of their events.
class VersionKeepingHandler final : public CommitCountingHandler {
 public:
  VersionKeepingHandler() : CommitCountingHandler({{"kept-3", 7}}) {}
  bool KeepsVersion(const common::v1::EventEnvelope& event) const override {
    return absl::StartsWith(event.aggregate_id(), "kept-");
  }
  absl::StatusOr<projection::Applied> Apply(const common::v1::EventEnvelope& event,
                                            projection::ProjectionTx& tx) override {
    if (KeepsVersion(event)) {
      ASSIGN_OR_RETURN(bool fresh, KeepVersion(event, tx));
      if (!fresh) return projection::Applied::kAlreadyProcessed;
    }
    RETURN_IF_ERROR(Record(event));
    return projection::Applied::kApplied;
  }
};

// (f) Aggregates whose versions the handler keeps: every delivery reaches the handler, which skips the repeats,
// whether they come in the same batch, in a later one or after a discarded batch; the runtime keeps versions only
// for the other aggregates.
TEST_F(PipelineTest, HandlerKeptVersionsSkipRepeatsAndTheRuntimeKeepsNoneForThem) {
  VersionKeepingHandler handler;
  StartProjection(&handler);
  std::atomic<int> delivered{0};
  auto producer = CountingProducer(&delivered);
  ASSERT_TRUE(producer.ok());
  UuidV7Generator ids(SystemClock::Get());
  constexpr int kAggregates = 100, kVersions = 10;
  constexpr int kEvents = 2 * kAggregates * kVersions;  // "kept-" and "runtime-" aggregates
  // Every event is sent twice in a row, then, once applied, all of them once more.
  std::vector<common::v1::EventEnvelope> events;
  for (int v = 1; v <= kVersions; ++v) {
    for (int a = 0; a < kAggregates; ++a) {
      for (const char* kind : {"kept-", "runtime-"}) {
        events.push_back(TestEvent(kTopic, absl::StrCat(kind, a), v, ids, SystemClock::Get()).envelope());
      }
    }
  }
  auto produce = [&](int copies) {
    for (const auto& e : events) {
      for (int c = 0; c < copies; ++c) {
        ASSERT_TRUE((*producer)->Produce(kTopic, e.aggregate_id(), e.SerializeAsString(), 0).ok());
      }
    }
    ASSERT_TRUE((*producer)->Flush(absl::Seconds(10)).ok());
  };
  produce(2);
  ASSERT_TRUE(
      WaitFor([&] { return projection_->applied() + projection_->skipped() == 2 * kEvents; }, absl::Seconds(60)))
      << "applied " << projection_->applied() << ", skipped " << projection_->skipped();
  produce(1);
  ASSERT_TRUE(
      WaitFor([&] { return projection_->applied() + projection_->skipped() == 3 * kEvents; }, absl::Seconds(60)))
      << "applied " << projection_->applied() << ", skipped " << projection_->skipped();
  absl::SleepFor(absl::Milliseconds(500));  // anything extra would show up now
  ASSERT_EQ(delivered.load(), 3 * kEvents);
  EXPECT_EQ(projection_->applied(), kEvents);
  EXPECT_EQ(projection_->skipped(), 2 * kEvents);
  auto counts = handler.counts();
  EXPECT_EQ(counts.size(), size_t{kEvents});
  for (const auto& [event, n] : counts) ASSERT_EQ(n, 1) << event.first << " v" << event.second;

  // Version keys start with the aggregate id: the runtime kept one per "runtime-" aggregate and none for the others.
  int runtime_keys = 0;
  auto it = projection_store_->Scan(projection_store_->Family(projection::kVersionsFamily), "");
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string key = it->key().ToString();
    EXPECT_FALSE(absl::StartsWith(key, "kept-")) << "a version key for " << key.c_str();
    if (absl::StartsWith(key, "runtime-")) ++runtime_keys;
  }
  EXPECT_EQ(runtime_keys, kAggregates);
}

// Refuses every event of an aggregate named "bad-…" or "kept-bad-…" until fixed; keeps the versions of "kept-…"
// aggregates itself, as a handler with read models keyed by aggregate does.
class FixableHandler final : public CommitCountingHandler {
 public:
  FixableHandler() : CommitCountingHandler({}) {}
  void Fix() { fixed_ = true; }
  bool KeepsVersion(const common::v1::EventEnvelope& event) const override {
    return absl::StartsWith(event.aggregate_id(), "kept-");
  }
  absl::StatusOr<projection::Applied> Apply(const common::v1::EventEnvelope& event,
                                            projection::ProjectionTx& tx) override {
    if (KeepsVersion(event)) {  // processed even when refused: a redelivery is skipped, a replay is not
      ASSIGN_OR_RETURN(bool fresh, KeepVersion(event, tx));
      if (!fresh) return projection::Applied::kAlreadyProcessed;
    }
    if (!fixed_ && absl::StrContains(event.aggregate_id(), "bad-")) {
      return absl::InvalidArgumentError("bad aggregates are refused until the fix");
    }
    RETURN_IF_ERROR(Record(event));
    return projection::Applied::kApplied;
  }

 private:
  std::atomic<bool> fixed_{false};
};

// Runs jinguoctl with `args`; its exit code, and stdout+stderr in *out.
int Jinguoctl(const std::string& args, std::string* out) {
  return RunCommand(absl::StrCat(JINGUOCTL_BINARY, " ", args), out);
}

// (g) Dead letters go back to their consumer with jinguoctl once the reason is fixed: each is applied once however
// often it is sent, and a letter whose aggregate has moved on since is skipped instead of overtaking the later event.
TEST_F(PipelineTest, DeadLettersReplayedAfterAFixApplyOnceAndNeverOvertakeALaterEvent) {
  FixableHandler handler;
  StartProjection(&handler);
  std::atomic<int> delivered{0};
  auto producer = CountingProducer(&delivered);
  ASSERT_TRUE(producer.ok());
  UuidV7Generator ids(SystemClock::Get());
  auto send = [&](const std::string& aggregate, int version) {
    common::v1::EventEnvelope e = TestEvent(kTopic, aggregate, version, ids, SystemClock::Get()).envelope();
    ASSERT_TRUE((*producer)->Produce(kTopic, aggregate, e.SerializeAsString(), 0).ok());
    ASSERT_TRUE((*producer)->Flush(absl::Seconds(10)).ok());
  };
  // Refused: bad-1 v1 and kept-bad-1 v1 (to be replayed), bad-3 v1 (to be overtaken by its v2).
  send("bad-1", 1);
  send("kept-bad-1", 1);
  send("bad-3", 1);
  send("good-1", 1);
  ASSERT_TRUE(
      WaitFor([&] { return projection_->dead_lettered() == 3 && projection_->applied() == 1; }, absl::Seconds(30)))
      << "dead-lettered " << projection_->dead_lettered() << ", applied " << projection_->applied();
  handler.Fix();
  send("bad-3", 2);
  ASSERT_TRUE(WaitFor([&] { return projection_->applied() == 2; }, absl::Seconds(30)));

  std::string out;
  const std::string kafka = absl::StrCat("--kafka-brokers ", broker_->brokers());
  ASSERT_EQ(Jinguoctl(absl::StrCat("dlq list ", kafka, " --consumer pipeline-test"), &out), 0) << out;
  EXPECT_NE(out.find("dlq: 3 dead letter(s) of pipeline-test"), std::string::npos) << out;
  EXPECT_NE(out.find("bad aggregates are refused until the fix"), std::string::npos) << out;
  EXPECT_NE(out.find("kept-bad-1 v1"), std::string::npos) << out;
  ASSERT_EQ(Jinguoctl(absl::StrCat("dlq list ", kafka, " --consumer someone-else"), &out), 0) << out;
  EXPECT_NE(out.find("dlq: 0 dead letter(s)"), std::string::npos) << out;
  EXPECT_EQ(Jinguoctl(absl::StrCat("dlq replay ", kafka, " --consumer pipeline-test --letter 0:999999"), &out), 2);
  EXPECT_NE(out.find("not pipeline-test's"), std::string::npos) << out;

  const int64_t skipped_before = projection_->skipped();
  ASSERT_EQ(Jinguoctl(absl::StrCat("dlq replay ", kafka, " --consumer pipeline-test --all"), &out), 0) << out;
  EXPECT_NE(out.find("3 letter(s) sent back to pipeline-test"), std::string::npos) << out;
  // bad-1 v1 and kept-bad-1 v1 applied; bad-3 v1 skipped, its v2 came after it.
  ASSERT_TRUE(WaitFor([&] { return projection_->applied() == 4 && projection_->skipped() == skipped_before + 1; },
                      absl::Seconds(30)))
      << "applied " << projection_->applied() << ", skipped " << projection_->skipped() - skipped_before;
  // The letters sent back no longer wait for a replay; --replayed lists them with when they were sent.
  ASSERT_EQ(Jinguoctl(absl::StrCat("dlq list ", kafka, " --consumer pipeline-test"), &out), 0) << out;
  EXPECT_NE(out.find("dlq: 0 dead letter(s) of pipeline-test waiting for a replay, 3 sent back already"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("kept-bad-1 v1"), std::string::npos) << out;
  ASSERT_EQ(Jinguoctl(absl::StrCat("dlq list ", kafka, " --consumer pipeline-test --replayed"), &out), 0) << out;
  EXPECT_NE(out.find("sent back (Beijing)"), std::string::npos) << out;
  EXPECT_NE(out.find("kept-bad-1 v1"), std::string::npos) << out;
  ASSERT_EQ(Jinguoctl(absl::StrCat("dlq replay ", kafka, " --consumer pipeline-test --all"), &out), 0) << out;
  EXPECT_NE(out.find("pipeline-test has no dead letters waiting for a replay (3 sent back already"), std::string::npos)
      << out;
  // Sent again: nothing is applied twice.
  ASSERT_EQ(Jinguoctl(absl::StrCat("dlq replay ", kafka, " --consumer pipeline-test --all --replayed"), &out), 0)
      << out;
  EXPECT_NE(out.find("3 letter(s) sent back to pipeline-test"), std::string::npos) << out;
  ASSERT_TRUE(WaitFor([&] { return projection_->skipped() == skipped_before + 4; }, absl::Seconds(30)))
      << "skipped " << projection_->skipped() - skipped_before;
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(projection_->applied(), 4);
  EXPECT_EQ(projection_->dead_lettered(), 3);
  auto counts = handler.counts();
  EXPECT_EQ((counts[{"bad-1", 1}]), 1);
  EXPECT_EQ((counts[{"kept-bad-1", 1}]), 1);
  EXPECT_EQ((counts.count({"bad-3", 1})), 0u) << "a replayed letter overtook a later event of its aggregate";
  EXPECT_EQ((counts[{"bad-3", 2}]), 1);
  EXPECT_EQ((counts[{"good-1", 1}]), 1);
}

// Applies each event slowly (a projection falling behind a burst).
class SlowHandler final : public projection::ProjectionHandler {
 public:
  absl::StatusOr<projection::Applied> Apply(const common::v1::EventEnvelope&, projection::ProjectionTx&) override {
    absl::SleepFor(absl::Milliseconds(4));
    return projection::Applied::kApplied;
  }
};

// (h) Once caught up, a projection more than max_lag_events behind says so (the service then reports NOT_SERVING,
// so Kubernetes sends reads to a replica that is current), and says it is back once within the threshold.
TEST_F(PipelineTest, AProjectionFallingBehindTheLagThresholdSaysSoAndRecovers) {
  std::mutex mu;
  std::vector<absl::Status> changes;
  on_lag_change_ = [&](absl::Status s) {
    std::lock_guard<std::mutex> lock(mu);
    changes.push_back(std::move(s));
  };
  SlowHandler handler;
  projection::ProjectionOptions options{"pipeline-lag-test", {kTopic}};
  options.max_batch = 20;  // the reading thread stays close to what is applied
  options.max_lag_events = 200;
  StartProjection(&handler, options);
  ASSERT_TRUE(WaitFor([&] { return projection_->CaughtUp().ok(); }, absl::Seconds(30)));
  std::atomic<int> delivered{0};
  auto producer = CountingProducer(&delivered);
  ASSERT_TRUE(producer.ok());
  UuidV7Generator ids(SystemClock::Get());
  constexpr int kBurst = 1500;  // about 6 s of work
  for (int i = 0; i < kBurst; ++i) {
    const std::string id = absl::StrCat("lag-", i);
    ASSERT_TRUE(
        (*producer)
            ->Produce(kTopic, id, TestEvent(kTopic, id, 1, ids, SystemClock::Get()).envelope().SerializeAsString(), 0)
            .ok());
  }
  ASSERT_TRUE((*producer)->Flush(absl::Seconds(10)).ok());
  ASSERT_TRUE(WaitFor([&] { return projection_->applied() == kBurst; }, absl::Seconds(60)));
  ASSERT_TRUE(WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return changes.size() >= 2;
      },
      absl::Seconds(5)));
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_EQ(changes[0].code(), absl::StatusCode::kUnavailable);
    EXPECT_TRUE(absl::StrContains(changes[0].message(), "behind")) << changes[0];
    EXPECT_TRUE(changes[1].ok()) << changes[1];
    changes.clear();
  }

  // Restarted with nothing new to apply, it is not behind: partitions it has consumed nothing from since count from
  // where it resumed, not from their beginning.
  projection_->Stop();
  projection_.reset();
  projection_store_.reset();
  StartProjection(&handler, options);
  ASSERT_TRUE(WaitFor([&] { return projection_->CaughtUp().ok(); }, absl::Seconds(30)));
  absl::SleepFor(absl::Milliseconds(2500));  // two lag measurements
  EXPECT_EQ(projection_->lag_events(), 0);
  EXPECT_EQ(projection_->applied(), 0);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_TRUE(changes.empty()) << changes.front();
}

// (i) A projection with static membership restarted with one more topic reads it at once: the broker hands a static
// member that rejoins its group the assignment it had, so a new topic list is a new group.
TEST_F(PipelineTest, AStaticMemberRestartedWithAnotherTopicIsAssignedIt) {
  constexpr char kSecondTopic[] = "jinguo.test2.events.v1";
  ASSERT_TRUE(bus::EnsureTopics(kafka_, {{kSecondTopic}}, absl::Seconds(30)).ok());
  CopyingHandler handler;
  projection::ProjectionOptions options{"pipeline-static-test", {kTopic}};
  options.instance_id = "pipeline-static-test";
  StartProjection(&handler, options);
  ASSERT_TRUE(WaitFor([&] { return projection_->CaughtUp().ok(); }, absl::Seconds(30)));
  projection_->Stop();
  projection_.reset();
  projection_store_.reset();

  options.topics.push_back(kSecondTopic);
  StartProjection(&handler, options);
  std::atomic<int> delivered{0};
  auto producer = CountingProducer(&delivered);
  ASSERT_TRUE(producer.ok());
  UuidV7Generator ids(SystemClock::Get());
  for (int i = 0; i < 6; ++i) {  // over every partition of the new topic
    const std::string id = absl::StrCat("second-", i);
    ASSERT_TRUE((*producer)
                    ->Produce(kSecondTopic, id,
                              TestEvent(kSecondTopic, id, 1, ids, SystemClock::Get()).envelope().SerializeAsString(), 0)
                    .ok());
  }
  ASSERT_TRUE((*producer)->Flush(absl::Seconds(10)).ok());
  EXPECT_TRUE(WaitFor([&] { return projection_->applied() == 6; }, absl::Seconds(30)))
      << "applied " << projection_->applied() << " of the 6 events on the topic added";
}

}  // namespace
}  // namespace jinguo::testing
