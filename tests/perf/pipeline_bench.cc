// Throughput of the outbox relay and of the projection runtime against a real broker, for scripts/bench.sh,
// which runs Kafka's own ProducerPerformance and ConsumerPerformance with the same record size on the same broker
// and prints the ratios.
//
//   pipeline_bench relay BROKERS TOPIC COUNT DIR        fills an outbox with COUNT events, then times the relay
//                                                      until all are delivered; prints the record size too
//   pipeline_bench project BROKERS TOPIC COUNT DIR      times a projection applying COUNT events of TOPIC from the
//                                                      first event to the last
// Prints "key=value" lines.
#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/outbox/outbox.h"
#include "common/projection/projection.h"
#include "common/replica/registry_replica.h"
#include "google/protobuf/wrappers.pb.h"
#include "tests/integration/event_log.h"

using namespace jinguo;

namespace {

// Unpacks each event's payload and counts it: the work ConsumerPerformance does per record (read it), so the
// ratio measures the projection runtime itself — decoding, version checks, offsets and versions stored in one
// write batch per poll. What a real read model costs on top is measured by the reporting service's rebuild
// benchmark.
class CountingHandler final : public projection::ProjectionHandler {
 public:
  absl::StatusOr<projection::Applied> Apply(const common::v1::EventEnvelope& event,
                                            projection::ProjectionTx&) override {
    if (count_.fetch_add(1) == 0) first_ = absl::Now();
    google::protobuf::StringValue body;
    if (!event.payload().UnpackTo(&body)) return absl::InvalidArgumentError("payload is not a StringValue");
    bytes_ += body.value().size();
    return projection::Applied::kApplied;
  }
  std::atomic<int64_t> count_{0};
  int64_t bytes_ = 0;
  absl::Time first_;
};

int Relay(const bus::KafkaOptions& kafka, const std::string& topic, int64_t count, const std::string& dir) {
  auto store = store::Store::Open({dir, {outbox::kOutboxFamily}, 64 << 20});
  if (!store.ok()) return 1;
  auto box = outbox::Outbox::Open(store->get());
  if (!box.ok()) return 1;
  UuidV7Generator ids(SystemClock::Get());
  size_t record_size = 0;
  for (int64_t i = 0; i < count; i += 1000) {
    std::vector<common::v1::OutboxRecord> records;
    for (int64_t k = i; k < std::min(count, i + 1000); ++k) {
      records.push_back(
          testing::TestEvent(topic, absl::StrCat("agg-", k % 10000), k / 10000 + 1, ids, SystemClock::Get(), 100));
    }
    record_size = records.back().envelope().ByteSizeLong();
    rocksdb::WriteBatch batch;
    if (!(*box)->Commit(&batch, records).ok()) return 1;
  }
  prometheus::Registry metrics;
  outbox::OutboxRelay relay(box->get(), kafka, &metrics, SystemClock::Get());
  absl::Time start = absl::Now();
  relay.Start();
  while ((*box)->depth() > 0) absl::SleepFor(absl::Milliseconds(2));
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (!relay.Stop(absl::Seconds(10)).ok()) return 1;
  std::printf("record_size=%zu\nrecords=%lld\nseconds=%.3f\nrecords_per_sec=%.0f\n", record_size,
              static_cast<long long>(count), seconds, count / seconds);
  return 0;
}

int Project(const bus::KafkaOptions& kafka, const std::string& topic, int64_t count, const std::string& dir) {
  std::vector<std::string> families = projection::ProjectionFamilies();
  auto store = store::Store::Open({dir, families, 64 << 20});
  if (!store.ok()) return 1;
  CountingHandler handler;
  prometheus::Registry metrics;
  projection::Projection p(
      store->get(), kafka, &handler, &metrics,
      projection::ProjectionOptions{absl::StrCat("bench-", absl::ToUnixMillis(absl::Now())), {topic}});
  if (!p.Start().ok()) return 1;
  absl::Time deadline = absl::Now() + absl::Minutes(5);
  while (handler.count_.load() < count && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  absl::Time last = absl::Now();
  p.Stop();
  double seconds = absl::ToDoubleSeconds(last - handler.first_);
  std::printf("records=%lld\nseconds=%.3f\nrecords_per_sec=%.0f\n", static_cast<long long>(handler.count_.load()),
              seconds, handler.count_.load() / seconds);
  return handler.count_.load() >= count ? 0 : 1;
}

// The registry replica (common/replica) fed from `topic` (registration's) in a fresh store, timed from its
// subscription to the last of `count` events processed, as the reporting rebuild is.
int Replica(const bus::KafkaOptions& kafka, const std::string& topic, int64_t count, const std::string& dir) {
  std::vector<std::string> families = projection::ProjectionFamilies();
  families.push_back(replica::kReplicaFamily);
  auto store = store::Store::Open({dir, families, 64 << 20});
  if (!store.ok()) return 1;
  replica::RegistryReplica registry(store->get(), {});
  prometheus::Registry metrics;
  projection::ProjectionOptions options =
      replica::RegistryReplica::Feed(absl::StrCat("bench-", absl::ToUnixMillis(absl::Now())));
  options.topics = {topic};
  projection::Projection p(store->get(), kafka, &registry, &metrics, options);
  absl::Time start = absl::Now();
  if (!p.Start().ok()) return 1;
  absl::Time deadline = absl::Now() + absl::Minutes(5);
  auto done = [&] { return p.applied() + p.skipped() + p.dead_lettered(); };
  while (done() < count && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  absl::Time last = absl::Now();
  p.Stop();
  double seconds = absl::ToDoubleSeconds(last - start);
  std::printf("records=%lld\nseconds=%.3f\nrecords_per_sec=%.0f\n", static_cast<long long>(done()), seconds,
              done() / seconds);
  return done() >= count ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: pipeline_bench relay|project|replica BROKERS TOPIC COUNT DIR\n");
    return 2;
  }
  bus::KafkaOptions kafka;
  kafka.brokers = argv[2];
  std::string mode = argv[1];
  int64_t count = std::atoll(argv[4]);
  if (mode == "relay") return Relay(kafka, argv[3], count, argv[5]);
  if (mode == "project") return Project(kafka, argv[3], count, argv[5]);
  if (mode == "replica") return Replica(kafka, argv[3], count, argv[5]);
  return 2;
}
