// One runtime for every Jinguo service. A service's main() declares what it is (ServiceSpec) and wires its API,
// its projections and its routes in one function; the runtime does the rest, in this order:
//
//   start:    flags → config → logging → region table → authenticator → page-token key → store (the service's
//             families plus the common ones: outbox, requests and audit for every service, the projection
//             families for one that consumes) → outbox, audit chain, commit queue, request log and write path →
//             wire() → HTTP (/metrics, /healthz, the service's routes) and gRPC → outbox relay → topics ensured on
//             a thread of the runtime's own, then each projection subscribed → SERVING once the topics exist, every
//             projection has caught up and the store takes writes.
//   SIGTERM/SIGINT: NOT_SERVING and new calls UNAVAILABLE for --drain-ms → gRPC finishes the calls in flight →
//             HTTP stops → the relay flushes what is waiting → projections stop after their batch → what wire()
//             kept is destroyed, newest first → commit queue, outbox and store close.
//
// Everything is started and stopped from the thread that calls Main; the runtime's own threads (the topic
// starter, the relay, the projections, the servers') are joined before Main returns.
//
//   int main(int argc, char** argv) {
//     service::Runtime rt({.name = "health", .about = "…", .families = HealthStore::Families()});
//     return rt.Main(argc, argv, [&](service::Runtime& rt) -> absl::Status {
//       auto& api = rt.Make<HealthService>(rt.Writes(), …);
//       rt.AddService(&api);
//       return absl::OkStatus();
//     });
//   }
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "common/base/clock.h"
#include "common/base/uuid.h"
#include "common/bus/kafka.h"
#include "common/config/service_config.h"
#include "common/projection/projection.h"
#include "common/rpc/readiness.h"
#include "common/rpc/server.h"
#include "prometheus/registry.h"

namespace httplib {
class Server;
}

namespace jinguo {
namespace regions {
class RegionTable;
}
namespace rpc {
class Authenticator;
class PageTokens;
class RequestLog;
class WritePath;
}  // namespace rpc
namespace outbox {
class Outbox;
class CommitQueue;
class OutboxRelay;
}  // namespace outbox
namespace obs {
class HttpEndpoint;
}
namespace replica {
class RegistryReplica;
}
namespace audit {
class AuditChain;
}
namespace crypto {
class FieldCipher;
}
}  // namespace jinguo

namespace jinguo::service {

struct ServiceSpec {
  // "registration": names the flags' defaults (var/<name>), the log lines, the page tokens and the topic it
  // publishes to (jinguo.<name>.events.v1).
  std::string name;
  // The --help line.
  std::string about;
  // The service's own column families; the runtime adds the common ones.
  std::vector<std::string> families;
  // Those of `families` scanned by a key's first part (see store::StoreOptions::scanned_by_first_part).
  std::vector<std::string> scanned_by_first_part;
  // Whether the service has an event topic of its own (jinguo.<name>.events.v1). Every service, publishing or
  // not, has an outbox, its relay, a commit queue, a request log and an audit chain recording every write and
  // sensitive read (with AuditService, --audit-retention-days and jinguo.audit.v1).
  bool publishes = true;
  // Whether the service runs projections (their offset and version families are added).
  bool consumes = false;
  // Adjusts the store's options before it is opened (e.g. a read-model store's unlogged writes).
  std::function<void(store::StoreOptions&)> tune_store;
  // Whether the service keeps a copy of the registry facts (common/replica), fed from registration's topic, with
  // the flags --registration-address and --service-token-file for its fallback to registration's GetBeneficiary.
  bool registry_replica = false;
  // Whether the service stores ID numbers or mobile numbers: it then takes --data-key-file (JINGUO_DATA_KEY_FILE),
  // loaded first at start-up, before the store opens, and checked against the keys the store was written with
  // (common/crypto/key_check.h); a missing, unreadable, malformed or wrong key file ends start-up with the reason.
  // The request log seals its records with that cipher, and wire() takes it from cipher() for the service's own.
  bool holds_identifiers = false;
};

class Runtime {
 public:
  explicit Runtime(ServiceSpec spec);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // The command line, to add the service's own flags before Main.
  CLI::App& app() { return app_; }

  // Parses the command line, starts the service with `wire` called once the store is open, serves until SIGTERM
  // or SIGINT and shuts down. Returns the process's exit code: 0 after a clean stop, 2 for a bad flag, 1 when
  // start-up fails (the reason is logged). `wire` adds the API, projections and routes; an error from it ends
  // start-up with that reason (INVALID_ARGUMENT: one of the service's own flags is wrong, exit code 2).
  int Main(int argc, char** argv, absl::FunctionRef<absl::Status(Runtime&)> wire);

  // --- available from wire() on ---
  const ServiceSpec& spec() const { return spec_; }
  const config::ServiceConfig& config() const { return config_; }
  const regions::RegionTable& regions() const { return *regions_; }
  const rpc::Authenticator& auth() const { return *auth_; }
  const rpc::PageTokens& pages() const { return *pages_; }
  rpc::DrainGate& gate() { return gate_; }
  rpc::Readiness& readiness() { return readiness_; }
  prometheus::Registry& metrics() { return *metrics_; }
  const Clock& clock() const { return *clock_; }
  UuidV7Generator& ids() { return *ids_; }
  store::Store& store() { return *store_; }
  const bus::KafkaOptions& kafka() const { return kafka_; }
  // The service's outbox, commit queue, request log, and the write path built on them (every service).
  outbox::Outbox& outbox();
  outbox::CommitQueue& commits();
  rpc::RequestLog& requests();
  rpc::WritePath& writes();
  // The service's audit chain.
  audit::AuditChain& audit();
  // A service with a registry replica only.
  replica::RegistryReplica& replica();
  // A service that holds identifiers only: the cipher of its --data-key-file.
  const crypto::FieldCipher& cipher() const;
  // Once serving: the outbox's relay (nullptr before), and the projections added so far.
  const outbox::OutboxRelay* relay() const { return relay_.get(); }
  const std::vector<std::unique_ptr<projection::Projection>>& projections() const { return projections_; }

  // A projection the runtime subscribes once the topics exist and stops at shutdown; the service is not ready
  // until it has caught up. `handler` must outlive the runtime's shutdown (e.g. kept with Keep/Make).
  projection::Projection& AddProjection(projection::ProjectionHandler* handler, projection::ProjectionOptions options);
  // Topics the runtime creates when missing, before anything subscribes (the service's own topic and the
  // dead-letter topic are always ensured).
  void EnsureTopic(std::string topic);
  // A gRPC service, served from start-up on. Must outlive the server (e.g. kept with Keep/Make).
  void AddService(grpc::Service* service);
  // The HTTP server, to add routes to.
  httplib::Server& http();
  // Extra words for the start-up line ("dashboard http://…/").
  void Announce(std::string words) { announce_.push_back(std::move(words)); }

  // Keeps `object` until shutdown; kept objects are destroyed newest first, after the servers, the relay and the
  // projections have stopped and before the store closes.
  template <typename T>
  T& Keep(std::unique_ptr<T> object) {
    T* raw = object.get();
    kept_.push_back(std::shared_ptr<void>(std::move(object)));
    return *raw;
  }
  template <typename T, typename... Args>
  T& Make(Args&&... args) {
    return Keep(std::make_unique<T>(std::forward<Args>(args)...));
  }

 private:
  absl::Status Start(absl::FunctionRef<absl::Status(Runtime&)> wire);
  // The topic starter: ensures the topics, then subscribes the projections, retrying with a back-off.
  void EnsureTopicsLoop();
  // On the starter thread once serving: prunes the audit trail now and every hour until shutdown.
  void PruneAuditLoop();
  void Shutdown();
  void ReleaseAll();

  ServiceSpec spec_;
  CLI::App app_;
  config::ServiceFlags flags_;
  config::ServiceConfig config_;
  const Clock* clock_ = &SystemClock::Get();
  std::unique_ptr<UuidV7Generator> ids_;
  std::shared_ptr<prometheus::Registry> metrics_;
  rpc::Readiness readiness_;
  rpc::DrainGate gate_;
  bus::KafkaOptions kafka_;
  std::vector<std::string> topics_;
  std::unique_ptr<regions::RegionTable> regions_;
  std::unique_ptr<rpc::Authenticator> auth_;
  std::unique_ptr<rpc::PageTokens> pages_;
  std::string data_key_file_;
  std::unique_ptr<crypto::FieldCipher> cipher_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<audit::AuditChain> audit_;
  std::unique_ptr<grpc::Service> audit_service_;
  std::unique_ptr<grpc::Service> operations_service_;
  int audit_retention_days_ = 180;
  int64_t max_lag_events_ = 100000;
  std::unique_ptr<outbox::Outbox> outbox_;
  std::unique_ptr<outbox::CommitQueue> commits_;
  std::unique_ptr<rpc::RequestLog> requests_;
  std::unique_ptr<rpc::WritePath> writes_;
  std::string registration_address_ = "127.0.0.1:50051";
  std::string service_token_file_;
  std::unique_ptr<replica::RegistryReplica> replica_;
  std::vector<std::unique_ptr<projection::Projection>> projections_;
  std::vector<grpc::Service*> services_;
  std::vector<std::string> announce_;
  std::vector<std::shared_ptr<void>> kept_;
  std::unique_ptr<obs::HttpEndpoint> http_;
  std::unique_ptr<rpc::RpcServer> server_;
  std::unique_ptr<outbox::OutboxRelay> relay_;
  std::thread starter_;
  absl::Notification stopping_;
};

}  // namespace jinguo::service
