#include "tests/integration/event_log.h"

#include "common/base/timestamp.h"
#include "google/protobuf/wrappers.pb.h"

namespace jinguo::testing {

common::v1::OutboxRecord TestEvent(const std::string& topic, const std::string& aggregate, int64_t version,
                                   UuidV7Generator& ids, const Clock& clock, size_t payload_bytes) {
  common::v1::OutboxRecord r;
  r.set_topic(topic);
  r.set_key(aggregate);
  auto* e = r.mutable_envelope();
  e->set_event_id(ids.Next());
  e->set_event_type("TestEventRecorded");
  e->set_aggregate_id(aggregate);
  e->set_aggregate_version(version);
  *e->mutable_occurred_at() = ToTimestamp(clock.Now());
  e->set_producer("integration-test");
  e->set_region_code("130207104201");
  google::protobuf::StringValue body;
  body.set_value(std::string(payload_bytes, 'x'));
  e->mutable_payload()->PackFrom(body);
  return r;
}

absl::StatusOr<projection::Applied> RecordingHandler::Apply(const common::v1::EventEnvelope& event,
                                                            projection::ProjectionTx&) {
  std::lock_guard<std::mutex> lock(mu_);
  ++applications_;
  ++counts_[{event.aggregate_id(), event.aggregate_version()}];
  int64_t& last = last_[event.aggregate_id()];
  if (event.aggregate_version() != last + 1) ++order_violations_;
  last = event.aggregate_version();
  return projection::Applied::kApplied;
}

int64_t RecordingHandler::applications() const {
  std::lock_guard<std::mutex> lock(mu_);
  return applications_;
}

std::map<std::pair<std::string, int64_t>, int> RecordingHandler::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

int64_t RecordingHandler::order_violations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return order_violations_;
}

std::map<std::string, int64_t> RecordingHandler::last_versions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_;
}

}  // namespace jinguo::testing
