// Test-side pieces for the outbox → Kafka → projection tests: events numbered per aggregate, and a projection
// handler that records every application so a test can check order and exactly-once. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/base/clock.h"
#include "common/base/uuid.h"
#include "common/projection/projection.h"
#include "jinguo/common/v1/event.pb.h"

namespace jinguo::testing {

// The outbox record of version `version` of aggregate `aggregate`, padded to about `payload_bytes`.
common::v1::OutboxRecord TestEvent(const std::string& topic, const std::string& aggregate, int64_t version,
                                   UuidV7Generator& ids, const Clock& clock, size_t payload_bytes = 64);

class RecordingHandler final : public projection::ProjectionHandler {
 public:
  absl::StatusOr<projection::Applied> Apply(const common::v1::EventEnvelope& event,
                                            projection::ProjectionTx& tx) override;

  int64_t applications() const;
  // Times each (aggregate, version) was applied.
  std::map<std::pair<std::string, int64_t>, int> counts() const;
  // Events applied out of per-aggregate order (version not last+1).
  int64_t order_violations() const;
  std::map<std::string, int64_t> last_versions() const;

 private:
  mutable std::mutex mu_;
  int64_t applications_ = 0;
  int64_t order_violations_ = 0;
  std::map<std::pair<std::string, int64_t>, int> counts_;
  std::map<std::string, int64_t> last_;
};

}  // namespace jinguo::testing
