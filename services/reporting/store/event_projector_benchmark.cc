// The reporting projection's own cost per event, without Kafka: registrations of new beneficiaries applied in
// batches of 20,000 (as a rebuild applies them) to a RocksDB store that grows with every batch, including the
// batch's write. `make bench` runs it; the rebuild benchmark in scripts/bench_reporting.sh adds the consumer.
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "benchmark/benchmark.h"
#include "common/base/timestamp.h"
#include "jinguo/registration/v1/events.pb.h"
#include "services/reporting/store/event_projector.h"

namespace jinguo::reporting::store {
namespace {

namespace reg = ::jinguo::registration::v1;

constexpr int kBatch = 20000;

// The serialized envelope of the n-th registration: 200 villages under one county, a fifth of them children.
std::string Registration(int64_t n) {
  reg::BeneficiaryRegistered payload;
  reg::BeneficiaryFacts* f = payload.mutable_beneficiary();
  std::string id = absl::StrFormat("01b0%012d", n);
  f->set_beneficiary_id(id);
  f->set_name("王秀英");
  f->set_id_number_masked("130207********002X");
  bool child = n % 5 == 0;
  f->set_sex(reg::SEX_FEMALE);
  f->mutable_birth_date()->set_year(child ? 2015 : 1960 + static_cast<int>(n % 40));
  f->mutable_birth_date()->set_month(3);
  f->mutable_birth_date()->set_day(12);
  f->set_category(child ? reg::CATEGORY_CHILD : reg::CATEGORY_WOMAN);
  f->set_student(child);
  f->set_region_code(absl::StrFormat("130207%03d%03d", 100 + n % 10, 200 + (n / 10) % 20));
  f->set_household_id(absl::StrFormat("01b1%012d", n / 3));
  f->set_monitoring_status(reg::MONITORING_STATUS_NOT_LIFTED);
  f->add_poverty_causes(reg::POVERTY_CAUSE_ILLNESS);
  common::v1::EventEnvelope e;
  e.set_event_id(absl::StrFormat("01b2%012d", n));
  e.set_event_type("BeneficiaryRegistered");
  e.set_aggregate_id(id);
  e.set_aggregate_version(1);
  *e.mutable_occurred_at() = ToTimestamp(absl::FromUnixSeconds(1795000000 + n / 1000));
  e.set_producer("registration");
  e.set_correlation_id(e.event_id());
  e.set_beneficiary_id(id);
  e.set_region_code(f->region_code());
  e.mutable_payload()->PackFrom(payload);
  return e.SerializeAsString();
}

void BM_ApplyRegistrations(benchmark::State& state) {
  std::string dir =
      absl::StrCat(std::filesystem::temp_directory_path().string(), "/event_projector_benchmark.", getpid());
  std::filesystem::remove_all(dir);
  auto db = jinguo::store::Store::Open(ReadModel::StoreOptions(dir, 64 << 20));  // as the service opens it
  if (!db.ok()) {
    state.SkipWithError(db.status().ToString().c_str());
    return;
  }
  ReadModel model(db->get());
  ChangeFeed feed;
  EventProjector projector(&model, {}, &feed);
  common::v1::EventEnvelope event;
  int64_t next = 0;
  std::vector<std::string> messages(kBatch);
  for (auto _ : state) {
    state.PauseTiming();
    for (auto& m : messages) m = Registration(next++);
    state.ResumeTiming();
    rocksdb::WriteBatchWithIndex batch(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true);
    projection::ProjectionTx tx(db->get(), &batch);
    for (const auto& m : messages) {
      if (!event.ParseFromString(m)) state.SkipWithError("unparsable envelope");
      if (auto s = projector.Apply(event, tx); !s.ok()) state.SkipWithError(s.status().ToString().c_str());
    }
    if (absl::Status s = projector.BeforeCommit(tx); !s.ok()) state.SkipWithError(s.ToString().c_str());
    if (absl::Status s = (*db)->WriteUnlogged(batch.GetWriteBatch()); !s.ok()) {
      state.SkipWithError(s.ToString().c_str());
    }
    projector.Committed();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  db->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ApplyRegistrations)->Unit(benchmark::kMillisecond)->Iterations(50);

}  // namespace
}  // namespace jinguo::reporting::store
