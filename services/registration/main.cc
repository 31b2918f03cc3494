// jinguo-registration: wiring only. Flags → config → logging → region table → RocksDB → outbox and relay →
// topics → gRPC and HTTP → SERVING; on SIGTERM/SIGINT: NOT_SERVING, finish in-flight calls, flush the relay,
// close the store.
#include <memory>

#include "CLI/CLI.hpp"
#include "absl/synchronization/notification.h"
#include "common/base/clock.h"
#include "common/base/uuid.h"
#include "common/bus/kafka.h"
#include "common/config/service_config.h"
#include "common/obs/http_endpoint.h"
#include "common/obs/logging.h"
#include "common/outbox/commit_queue.h"
#include "common/outbox/outbox.h"
#include "common/regions/region_table.h"
#include "common/rpc/auth.h"
#include "common/rpc/paging.h"
#include "common/rpc/readiness.h"
#include "common/rpc/request_log.h"
#include "common/rpc/server.h"
#include "services/registration/api/registration_service.h"
#include "services/registration/store/registry_store.h"
#include "spdlog/spdlog.h"

using namespace jinguo;

int main(int argc, char** argv) {
  rpc::BlockShutdownSignals();
  CLI::App app{"Jinguo registration service: the 建档立卡 registry of women and children"};
  config::ServiceFlags flags("registration");
  flags.Register(app);
  CLI11_PARSE(app, argc, argv);
  auto config = flags.Build();
  if (!config.ok()) {
    std::fprintf(stderr, "jinguo-registration: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  const config::ServiceConfig& c = *config;
  obs::InitLogging("registration", c.log_level);

  auto regions = regions::RegionTable::LoadFromDirectory(c.regions_dir);
  if (!regions.ok()) {
    spdlog::critical("{}", std::string(regions.status().message()));
    return 1;
  }
  auto auth = rpc::Authenticator::Load(c.tokens_file);
  if (!auth.ok()) {
    spdlog::critical("{}", std::string(auth.status().message()));
    return 1;
  }
  std::string page_key = rpc::PageTokens::RandomKey();
  if (!c.page_token_key_file.empty()) {
    auto key = rpc::PageTokens::LoadKey(c.page_token_key_file);
    if (!key.ok()) {
      spdlog::critical("{}", std::string(key.status().message()));
      return 1;
    }
    page_key = *key;
  }
  rpc::PageTokens pages("registration", page_key);
  rpc::DrainGate gate;
  auto metrics = std::make_shared<prometheus::Registry>();
  // SERVING once the topics exist, and while the store takes writes.
  rpc::Readiness readiness;
  readiness.Set("topics", absl::UnavailableError("waiting for Kafka topics"));
  store::StoreOptions store_options{c.data_dir, registration::store::RegistryStore::Families(), c.block_cache_bytes,
                                    registration::store::RegistryStore::ScannedByFirstPart()};
  store_options.metrics = metrics.get();
  store_options.on_writable_change = [&readiness](const absl::Status& s) { readiness.Set("store", s); };
  auto db = store::Store::Open(std::move(store_options));
  if (!db.ok()) {
    spdlog::critical("{}", std::string(db.status().message()));
    return 1;
  }
  auto box = outbox::Outbox::Open(db->get());
  if (!box.ok()) {
    spdlog::critical("{}", std::string(box.status().message()));
    return 1;
  }

  bus::KafkaOptions kafka;
  kafka.brokers = c.kafka_brokers;
  kafka.partitions = c.topic_partitions;
  kafka.replication_factor = c.topic_replication;
  const Clock& clock = SystemClock::Get();
  UuidV7Generator ids(clock);
  registration::store::RegistryStore registry(db->get());
  rpc::RequestLog requests(db->get());
  outbox::CommitQueue commits(box->get(), metrics.get());
  registration::api::RegistrationService service(
      {&registry, &commits, &requests, &*auth, &pages, &gate, regions->get(), &clock, &ids, metrics.get()});

  obs::HttpEndpoint http(metrics, [&readiness] { return readiness.Check(); });
  auto http_port = http.Start(c.http_host, c.http_port);
  if (!http_port.ok()) {
    spdlog::critical("{}", std::string(http_port.status().message()));
    return 1;
  }
  rpc::ServerOptions server_options{c.grpc_listen, c.tls_cert_file, c.tls_key_file, c.tls_client_ca_file,
                                    c.max_message_bytes};
  server_options.gate = &gate;
  server_options.drain = c.drain;
  rpc::RpcServer server(server_options, metrics);
  server.AddService(&service);
  auto grpc_port = server.Start();
  if (!grpc_port.ok()) {
    spdlog::critical("{}", std::string(grpc_port.status().message()));
    return 1;
  }
  readiness.OnChange([&server](bool ready) { server.SetServing(ready); });
  spdlog::info("registration: gRPC on port {}, HTTP on port {}, data in {}, {} outbox events waiting", *grpc_port,
               *http_port, c.data_dir, (*box)->depth());

  outbox::OutboxRelay relay(box->get(), kafka, metrics.get(), clock);
  relay.Start();
  // Serving waits for the topics; writes before that would only queue in the outbox, but a health check that says
  // SERVING promises the whole path works.
  absl::Notification stopping;
  std::thread topics([&] {
    absl::Duration backoff = absl::Milliseconds(500);
    while (!stopping.HasBeenNotified()) {
      absl::Status s = bus::EnsureTopics(kafka, {{bus::EventTopic("registration")}, {std::string(bus::kDeadLetterTopic)}},
                                         absl::Seconds(10));
      if (s.ok()) {
        readiness.Set("topics", absl::OkStatus());
        spdlog::info("registration: topics ready; SERVING");
        break;
      }
      spdlog::warn("registration: {}; retrying in {}", std::string(s.message()), absl::FormatDuration(backoff));
      stopping.WaitForNotificationWithTimeout(backoff);
      backoff = std::min(backoff * 2, absl::Seconds(10));
    }
  });

  std::string signal = rpc::WaitForShutdownSignal();
  spdlog::info("registration: {} received; shutting down", signal);
  stopping.Notify();
  topics.join();
  server.Shutdown(absl::Seconds(10));
  http.Stop();
  absl::Status flushed = relay.Stop(absl::Seconds(10));
  if (!flushed.ok()) spdlog::warn("registration: {}", std::string(flushed.message()));
  spdlog::info("registration: stopped with {} outbox events waiting", (*box)->depth());
  return 0;
}
