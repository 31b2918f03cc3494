#include "common/bus/kafka.h"

#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "librdkafka/rdkafka.h"
#include "spdlog/spdlog.h"

namespace jinguo::bus {

std::string EventTopic(absl::string_view service) { return absl::StrCat("jinguo.", service, ".events.v1"); }

namespace {

// Sends librdkafka's own log lines and errors through spdlog, so they are JSON and masked like every other line.
class KafkaLog final : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override {
    switch (event.type()) {
      case RdKafka::Event::EVENT_LOG: {
        auto level = event.severity() <= RdKafka::Event::EVENT_SEVERITY_ERROR     ? spdlog::level::err
                     : event.severity() <= RdKafka::Event::EVENT_SEVERITY_WARNING ? spdlog::level::warn
                                                                                  : spdlog::level::debug;
        spdlog::log(level, "kafka: {} {}", event.fac(), event.str());
        break;
      }
      case RdKafka::Event::EVENT_ERROR:
        spdlog::log(event.fatal() ? spdlog::level::err : spdlog::level::warn, "kafka: {}: {}",
                    RdKafka::err2str(event.err()), event.str());
        break;
      default:
        break;
    }
  }
};

KafkaLog* TheKafkaLog() {
  static KafkaLog* log = new KafkaLog();
  return log;
}

}  // namespace

std::map<std::string, std::string> SecurityProperties(const std::string& protocol, const std::string& ca_file,
                                                      const std::string& cert_file, const std::string& key_file) {
  if (protocol != "ssl") return {};
  std::map<std::string, std::string> p{
      {"security.protocol", "ssl"}, {"ssl.ca.location", ca_file}, {"ssl.endpoint.identification.algorithm", "https"}};
  if (!cert_file.empty()) {
    p["ssl.certificate.location"] = cert_file;
    p["ssl.key.location"] = key_file;
  }
  return p;
}

absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeConf(const KafkaOptions& options,
                                                        const std::map<std::string, std::string>& overrides) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  auto set = [&](const std::string& k, const std::string& v) -> absl::Status {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(absl::StrCat("kafka property ", k, ": ", err));
    }
    return absl::OkStatus();
  };
  absl::Status s = set("bootstrap.servers", options.brokers);
  if (s.ok()) s = set("log.connection.close", "false");
  if (s.ok() && conf->set("event_cb", TheKafkaLog(), err) != RdKafka::Conf::CONF_OK) {
    s = absl::InternalError(absl::StrCat("kafka event_cb: ", err));
  }
  for (const auto& [k, v] : options.properties) {
    if (s.ok()) s = set(k, v);
  }
  for (const auto& [k, v] : overrides) {
    if (s.ok()) s = set(k, v);
  }
  if (!s.ok()) return s;
  return conf;
}

absl::Status EnsureTopics(const KafkaOptions& options, const std::vector<TopicSpec>& topics, absl::Duration timeout) {
  auto conf = MakeConf(options, {});
  if (!conf.ok()) return conf.status();
  std::string err;
  std::unique_ptr<RdKafka::Producer> admin(RdKafka::Producer::create(conf->get(), err));
  if (!admin) return absl::InternalError(absl::StrCat("kafka admin client: ", err));
  rd_kafka_t* rk = admin->c_ptr();

  // Only the topics the brokers do not have yet are created: a client may lack the Create ACL on a topic it only
  // reads (a KafkaTopic made it), and the brokers refuse such a request even for a topic that exists.
  RdKafka::Metadata* raw = nullptr;
  if (admin->metadata(true, nullptr, &raw, static_cast<int>(absl::ToInt64Milliseconds(timeout))) !=
      RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("kafka at ", options.brokers, " did not answer a metadata request"));
  }
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  std::set<std::string> existing;
  for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
    if (t->err() == RdKafka::ERR_NO_ERROR) existing.insert(t->topic());
  }
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  char errstr[512];
  for (const TopicSpec& t : topics) {
    if (existing.count(t.name) > 0) continue;
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(
        t.name.c_str(), t.partitions > 0 ? t.partitions : options.partitions,
        t.replication_factor > 0 ? t.replication_factor : options.replication_factor, errstr, sizeof errstr);
    if (nt == nullptr) {
      for (auto* n : new_topics) rd_kafka_NewTopic_destroy(n);
      return absl::InvalidArgumentError(absl::StrCat("topic ", t.name, ": ", errstr));
    }
    rd_kafka_NewTopic_set_config(nt, "retention.ms", "-1");
    new_topics.push_back(nt);
  }
  if (new_topics.empty()) return absl::OkStatus();
  rd_kafka_AdminOptions_t* admin_options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(admin_options, static_cast<int>(absl::ToInt64Milliseconds(timeout)), errstr,
                                            sizeof errstr);
  rd_kafka_AdminOptions_set_operation_timeout(admin_options, static_cast<int>(absl::ToInt64Milliseconds(timeout)),
                                              errstr, sizeof errstr);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, new_topics.data(), new_topics.size(), admin_options, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, static_cast<int>(absl::ToInt64Milliseconds(timeout)) + 2000);

  absl::Status result;
  if (event == nullptr) {
    result = absl::UnavailableError(absl::StrCat("kafka at ", options.brokers, " did not answer topic creation"));
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    result = absl::UnavailableError(
        absl::StrCat("creating topics on ", options.brokers, ": ", rd_kafka_event_error_string(event)));
  } else {
    const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(event);
    size_t n = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
    for (size_t i = 0; i < n && result.ok(); ++i) {
      rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
      if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        result = absl::UnavailableError(
            absl::StrCat("creating topic ", rd_kafka_topic_result_name(results[i]), ": ", rd_kafka_err2str(e)));
      }
    }
  }
  if (event) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(admin_options);
  for (auto* n : new_topics) rd_kafka_NewTopic_destroy(n);
  return result;
}

bool BrokersReachable(const KafkaOptions& options, absl::Duration timeout) {
  auto conf = MakeConf(options, {});
  if (!conf.ok()) return false;
  std::string err;
  std::unique_ptr<RdKafka::Producer> probe(RdKafka::Producer::create(conf->get(), err));
  if (!probe) return false;
  RdKafka::Metadata* md = nullptr;
  RdKafka::ErrorCode e = probe->metadata(false, nullptr, &md, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  delete md;
  return e == RdKafka::ERR_NO_ERROR;
}

class Producer::DeliveryReporter final : public RdKafka::DeliveryReportCb {
 public:
  explicit DeliveryReporter(DeliveryCallback cb) : cb_(std::move(cb)) {}
  void dr_cb(RdKafka::Message& message) override {
    cb_(reinterpret_cast<uint64_t>(message.msg_opaque()), message.err(), message.partition(), message.offset());
  }

 private:
  DeliveryCallback cb_;
};

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(const KafkaOptions& options, DeliveryCallback on_delivery,
                                                           std::map<std::string, std::string> overrides) {
  std::map<std::string, std::string> props = {
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"message.timeout.ms", "0"},
      // Up to 25 ms for a batch to fill: a broker flooded with small produce requests spends many times the CPU
      // per event that it spends on full batches, CPU the services on the same machine need. The price is a few
      // milliseconds of freshness (see docs/performance.md).
      {"linger.ms", "25"},
      // One produce request in flight per connection. With librdkafka 2.0's idempotent producer and more in flight,
      // its broker thread polls without sleeping while a partition waits on its in-flight requests, taking CPU
      // from a broker that is already slow to answer. A batch still carries up to batch.num.messages, and
      // ordering holds through retries either way.
      {"max.in.flight.requests.per.connection", "1"},
      {"batch.num.messages", "10000"},
      {"queue.buffering.max.messages", "200000"},
      {"compression.type", "lz4"},
  };
  for (auto& [k, v] : overrides) props[k] = v;
  auto conf = MakeConf(options, props);
  if (!conf.ok()) return conf.status();
  std::unique_ptr<Producer> p(new Producer());
  p->reporter_ = std::make_unique<DeliveryReporter>(std::move(on_delivery));
  std::string err;
  if ((*conf)->set("dr_cb", p->reporter_.get(), err) != RdKafka::Conf::CONF_OK) {
    return absl::InternalError(absl::StrCat("kafka producer: ", err));
  }
  p->producer_.reset(RdKafka::Producer::create(conf->get(), err));
  if (!p->producer_) return absl::InternalError(absl::StrCat("kafka producer: ", err));
  return p;
}

Producer::~Producer() {
  // Messages still queued are dropped here; the outbox keeps their records, so they are sent again next time.
  producer_.reset();
}

absl::Status Producer::Produce(absl::string_view topic, absl::string_view key, absl::string_view value, uint64_t tag) {
  RdKafka::ErrorCode e = producer_->produce(std::string(topic), RdKafka::Topic::PARTITION_UA,
                                            RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(value.data()),
                                            value.size(), key.data(), key.size(), 0, reinterpret_cast<void*>(tag));
  if (e == RdKafka::ERR_NO_ERROR) return absl::OkStatus();
  if (e == RdKafka::ERR__QUEUE_FULL) return absl::ResourceExhaustedError("kafka producer queue is full");
  return absl::InternalError(absl::StrCat("produce to ", topic, ": ", RdKafka::err2str(e)));
}

int Producer::Poll(absl::Duration timeout) {
  return producer_->poll(static_cast<int>(absl::ToInt64Milliseconds(timeout)));
}

absl::Status Producer::Flush(absl::Duration timeout) {
  RdKafka::ErrorCode e = producer_->flush(static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  if (e == RdKafka::ERR_NO_ERROR) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat(producer_->outq_len(), " messages still queued after flush"));
}

int Producer::InFlight() const { return producer_->outq_len(); }

absl::Status Producer::FatalError() const {
  std::string reason;
  RdKafka::ErrorCode e = producer_->fatal_error(reason);
  if (e == RdKafka::ERR_NO_ERROR) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("kafka producer fatal error: ", reason));
}

}  // namespace jinguo::bus
