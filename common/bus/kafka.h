// librdkafka wrappers: configuration, topic creation at start-up, a producer and a consumer.
//
// Thread-safety: Producer::Produce/Poll/Flush may be called from any thread (librdkafka's producer is
// thread-safe); a Consumer belongs to the one thread that polls it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "librdkafka/rdkafkacpp.h"

namespace jinguo::bus {

// The dead-letter topic: messages a consumer could not process, with the reason.
inline constexpr absl::string_view kDeadLetterTopic = "jinguo.dlq.v1";
// Dead letters an operator sends back to their consumer after a fix (jinguoctl dlq replay): every projection reads
// it and applies the letters addressed to it (common::v1::ReplayedLetter), each once.
inline constexpr absl::string_view kReplayTopic = "jinguo.dlq.replay.v1";

// The event topic of a service: "jinguo.<service>.events.v1".
std::string EventTopic(absl::string_view service);

struct KafkaOptions {
  std::string brokers = "127.0.0.1:9092";
  int partitions = 3;
  int replication_factor = 1;
  // Extra librdkafka properties, applied last (e.g. {"security.protocol", "ssl"}).
  std::map<std::string, std::string> properties;
};

struct TopicSpec {
  std::string name;
  int partitions = 0;          // 0: KafkaOptions::partitions
  int replication_factor = 0;  // 0: KafkaOptions::replication_factor
};

// Creates the topics that do not exist yet (an existing topic is left as it is). Event topics keep everything
// (retention.ms=-1): they are the changelog. UNAVAILABLE when the brokers do not answer within `timeout`.
absl::Status EnsureTopics(const KafkaOptions& options, const std::vector<TopicSpec>& topics, absl::Duration timeout);

// Called once for every produced message, on the thread that calls Poll/Flush.
// `tag` is the value given to Produce; `error` is ERR_NO_ERROR on success.
using DeliveryCallback = std::function<void(uint64_t tag, RdKafka::ErrorCode error, int32_t partition, int64_t offset)>;

class Producer {
 public:
  // An idempotent producer (enable.idempotence=true, acks=all). Messages never time out in the client
  // (message.timeout.ms=0): while the brokers are away they wait and are delivered in order when they return.
  static absl::StatusOr<std::unique_ptr<Producer>> Create(const KafkaOptions& options, DeliveryCallback on_delivery,
                                                          std::map<std::string, std::string> overrides = {});
  ~Producer();

  // Enqueues one message; RESOURCE_EXHAUSTED when the local queue is full (call Poll and retry).
  [[nodiscard]] absl::Status Produce(absl::string_view topic, absl::string_view key, absl::string_view value,
                                     uint64_t tag);
  // Serves delivery callbacks; returns how many were served.
  int Poll(absl::Duration timeout);
  // Waits until every enqueued message is delivered; DEADLINE_EXCEEDED if some are still queued.
  [[nodiscard]] absl::Status Flush(absl::Duration timeout);
  // Messages enqueued and not yet reported.
  int InFlight() const;
  // A fatal producer error (e.g. idempotence state lost), or OK.
  absl::Status FatalError() const;

 private:
  class DeliveryReporter;
  Producer() = default;
  std::unique_ptr<DeliveryReporter> reporter_;
  std::unique_ptr<RdKafka::Producer> producer_;
};

// The common librdkafka configuration for `options`; INVALID_ARGUMENT naming a property librdkafka refuses.
absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeConf(const KafkaOptions& options,
                                                        const std::map<std::string, std::string>& overrides);

// The librdkafka properties of a listener: none for "plaintext"; for "ssl", TLS with the brokers' certificates
// checked against `ca_file` (and their host names), presenting `cert_file`/`key_file` when given (mutual TLS).
std::map<std::string, std::string> SecurityProperties(const std::string& protocol, const std::string& ca_file,
                                                      const std::string& cert_file, const std::string& key_file);

// True when the brokers answer a metadata request within `timeout`.
bool BrokersReachable(const KafkaOptions& options, absl::Duration timeout);

}  // namespace jinguo::bus
