// A process that writes numbered events through the outbox while its relay publishes them, for the crash test.
// It keeps its progress in its own RocksDB (in the same write batch as the events), so after a SIGKILL a restart
// continues where the last acknowledged write ended. Each acknowledged event is appended to ACK_FILE as
// "aggregate version" only after Commit returned OK. Exits 0 once every event is written and delivered.
//
//   outbox_writer DB_DIR BROKERS TOPIC AGGREGATES VERSIONS ACK_FILE
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/base/status.h"
#include "common/outbox/outbox.h"
#include "common/store/keys.h"
#include "tests/integration/event_log.h"

using namespace jinguo;

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: outbox_writer DB_DIR BROKERS TOPIC AGGREGATES VERSIONS ACK_FILE\n");
    return 2;
  }
  const std::string topic = argv[3];
  const int aggregates = std::atoi(argv[4]);
  const int versions = std::atoi(argv[5]);
  const int64_t total = int64_t{aggregates} * versions;
  auto store = store::Store::Open({argv[1], {outbox::kOutboxFamily, "writer_state"}, 8 << 20});
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  auto* state = (*store)->Family("writer_state");
  auto box = outbox::Outbox::Open(store->get());
  if (!box.ok()) return 1;
  prometheus::Registry metrics;
  bus::KafkaOptions kafka;
  kafka.brokers = argv[2];
  outbox::OutboxRelay relay(box->get(), kafka, &metrics, SystemClock::Get());
  relay.Start();

  uint64_t next = 0;
  if (auto v = (*store)->Get(state, "next"); v.ok() && v->has_value()) store::DecodeU64(**v, &next);
  FILE* acks = std::fopen(argv[6], "a");
  UuidV7Generator ids(SystemClock::Get());
  constexpr int kPerCommit = 10;
  while (static_cast<int64_t>(next) < total) {
    std::vector<common::v1::OutboxRecord> records;
    uint64_t k = next;
    for (; k < next + kPerCommit && static_cast<int64_t>(k) < total; ++k) {
      records.push_back(testing::TestEvent(topic, absl::StrCat("agg-", k % aggregates),
                                           static_cast<int64_t>(k / aggregates) + 1, ids, SystemClock::Get()));
    }
    rocksdb::WriteBatch batch;
    batch.Put(state, "next", store::EncodeU64(k));
    if (absl::Status s = (*box)->Commit(&batch, records); !s.ok()) {
      std::fprintf(stderr, "commit: %s\n", s.ToString().c_str());
      return 1;
    }
    for (const auto& r : records) {
      std::fprintf(acks, "%s %lld\n", r.key().c_str(), static_cast<long long>(r.envelope().aggregate_version()));
    }
    std::fflush(acks);
    next = k;
  }
  std::fclose(acks);
  while ((*box)->depth() > 0) absl::SleepFor(absl::Milliseconds(20));
  return relay.Stop(absl::Seconds(30)).ok() ? 0 : 1;
}
