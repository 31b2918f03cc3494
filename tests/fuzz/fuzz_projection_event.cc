// Events as they come off Kafka, written by anyone who can reach a topic: the envelope and every payload decoder
// of every projection handler (reporting's read models, a domain service's registry replica). An event is applied
// or refused with a reason the runtime dead-letters (INVALID_ARGUMENT, FAILED_PRECONDITION, DATA_LOSS); any other
// error would stop the projection behind it, so it is a finding too.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "common/projection/projection.h"
#include "common/replica/registry_replica.h"
#include "common/store/store.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/stubs/logging.h"
#include "jinguo/health/v1/events.pb.h"
#include "jinguo/registration/v1/events.pb.h"
#include "rocksdb/utilities/write_batch_with_index.h"
#include "services/reporting/store/event_projector.h"

namespace {

namespace store = ::jinguo::store;
namespace projection = ::jinguo::projection;

struct Target {
  std::unique_ptr<store::Store> db;
  std::unique_ptr<projection::ProjectionHandler> handler;
};

std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "jinguo-fuzz-XXXXXX").string();
  return mkdtemp(tmpl.data());
}

std::vector<Target>* targets = nullptr;
std::unique_ptr<jinguo::reporting::store::ReadModel> model;
jinguo::reporting::store::ChangeFeed feed;
std::vector<std::string> payload_types;  // every event payload a producing service publishes

void Apply(Target& t, const jinguo::common::v1::EventEnvelope& e) {
  rocksdb::WriteBatchWithIndex batch(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true);
  projection::ProjectionTx tx(t.db.get(), &batch);
  auto applied = t.handler->Apply(e, tx);
  if (!applied.ok()) {
    switch (applied.status().code()) {
      case absl::StatusCode::kInvalidArgument:
      case absl::StatusCode::kFailedPrecondition:
      case absl::StatusCode::kDataLoss:
        break;
      default:
        std::fprintf(stderr, "an event stops the projection: %s\n", applied.status().ToString().c_str());
        std::abort();
    }
  }
  if (!t.handler->BeforeCommit(tx).ok()) std::abort();
  if (!t.db->Write(batch.GetWriteBatch(), /*sync=*/false).ok()) std::abort();
  t.handler->Committed();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // its warning for each string with invalid UTF-8 drowns the output
  targets = new std::vector<Target>();
  {
    auto db = store::Store::Open(jinguo::reporting::store::ReadModel::StoreOptions(TempDir(), 8 << 20));
    if (!db.ok()) std::abort();
    Target t{*std::move(db), nullptr};
    model = std::make_unique<jinguo::reporting::store::ReadModel>(t.db.get());
    t.handler = std::make_unique<jinguo::reporting::store::EventProjector>(
        model.get(), jinguo::reporting::domain::Settings{}, &feed);
    targets->push_back(std::move(t));
  }
  {
    std::vector<std::string> families = projection::ProjectionFamilies();
    families.push_back(jinguo::replica::kReplicaFamily);
    auto db = store::Store::Open({TempDir(), families, 8 << 20});
    if (!db.ok()) std::abort();
    Target t{*std::move(db), nullptr};
    t.handler = std::make_unique<jinguo::replica::RegistryReplica>(t.db.get(), jinguo::replica::ReplicaOptions{});
    targets->push_back(std::move(t));
  }
  for (const auto* file : {jinguo::registration::v1::BeneficiaryRegistered::descriptor()->file(),
                           jinguo::health::v1::ScreeningRecorded::descriptor()->file()}) {
    for (int i = 0; i < file->message_type_count(); ++i) payload_types.push_back(file->message_type(i)->full_name());
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  jinguo::common::v1::EventEnvelope e;
  // The first byte picks the form: a whole envelope as the bytes say, or a well-formed envelope of one payload type
  // whose payload is the bytes (so each decoder is reached without first guessing a type URL).
  uint8_t form = data[0];
  ++data;
  --size;
  if (form % 2 == 0) {
    if (!e.ParseFromArray(data, static_cast<int>(size))) return 0;
  } else {
    const std::string& type = payload_types[(form / 2) % payload_types.size()];
    e.set_event_id("e-1");
    e.set_event_type(type.substr(type.rfind('.') + 1));
    e.set_aggregate_id("b-1");
    e.set_aggregate_version(1 + form / 2);
    e.set_producer("registration");
    e.set_beneficiary_id("b-1");
    e.set_region_code("130207104201");
    e.mutable_occurred_at()->set_seconds(1795000000);
    e.mutable_payload()->set_type_url("type.googleapis.com/" + type);
    e.mutable_payload()->set_value(data, size);
  }
  for (Target& t : *targets) Apply(t, e);
  return 0;
}
