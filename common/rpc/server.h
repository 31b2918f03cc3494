// gRPC server bootstrap shared by every service: the standard health service (NOT_SERVING until the service says
// it is ready), server reflection, optional TLS or mutual TLS from files, keepalive, message-size limits,
// per-method call counters and latency histograms, and graceful shutdown.
//
// Thread-safety: configure and Start from one thread; SetServing and Shutdown from any.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/server.h"
#include "prometheus/registry.h"

namespace jinguo::rpc {

// Closed when a service starts shutting down: calls that reach a handler after that are answered UNAVAILABLE
// (clients retry them, elsewhere or after the restart) instead of being started, so that when gRPC stops accepting
// calls none is left half done. Thread-safe.
class DrainGate {
 public:
  void Close() { closed_.store(true, std::memory_order_release); }
  // OK while open; UNAVAILABLE once closed.
  absl::Status Admit() const;

 private:
  std::atomic<bool> closed_{false};
};

struct ServerOptions {
  std::string address = "127.0.0.1:0";
  // TLS when both are set; mutual TLS when the client CA is set too (clients must present a certificate it signed).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  int max_message_bytes = 16 << 20;
  absl::Duration keepalive_time = absl::Seconds(60);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  // Idle threads waiting for calls: at least / at most. Threads above the maximum exit when their call ends.
  int min_pollers = 2;
  int max_pollers = 64;
  // When set, a second, plain-text listener serving grpc.health.v1.Health alone (the same statuses): Kubernetes'
  // native gRPC probes present no client certificate, so they cannot reach a mutual-TLS port.
  std::string health_address;
  // Handlers consult it (optional); Shutdown closes it first.
  DrainGate* gate = nullptr;
  // Between health going NOT_SERVING (and the gate closing) and gRPC refusing new calls: time for load balancers
  // and clients to stop sending here, while the calls they still send are answered UNAVAILABLE.
  absl::Duration drain = absl::Seconds(1);
};

class RpcServer {
 public:
  RpcServer(ServerOptions options, std::shared_ptr<prometheus::Registry> metrics);
  ~RpcServer();

  // Services must outlive the server.
  void AddService(grpc::Service* service) { services_.push_back(service); }

  // The grpc.health.v1 service name a liveness probe asks for ("" is readiness): SERVING from the start until
  // shutdown, while readiness follows SetServing.
  static constexpr absl::string_view kLivenessService = "jinguo.liveness";
  // Builds and starts listening; health is NOT_SERVING until SetServing(true). Returns the bound port.
  absl::StatusOr<int> Start();
  void SetServing(bool serving);
  // Says NOT_SERVING and closes the gate; after options.drain stops accepting calls and waits up to `grace` for
  // those in flight (they finish normally), then cancels the rest.
  void Shutdown(absl::Duration grace);

 private:
  ServerOptions options_;
  std::shared_ptr<prometheus::Registry> metrics_;
  std::vector<grpc::Service*> services_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;  // options_.health_address
};

// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts afterwards. Call first in main.
// The credentials of this service's calls to other services: plain text when `cert_file` is empty; otherwise TLS,
// presenting this service's certificate and key (mutual TLS), the server checked against `ca_file` (the CA that
// signs every service's certificate; the system's roots when empty). Errors name the file that cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientCredentials(const std::string& cert_file,
                                                                            const std::string& key_file,
                                                                            const std::string& ca_file);

void BlockShutdownSignals();
// Waits for SIGINT or SIGTERM (after BlockShutdownSignals); returns the signal's name.
std::string WaitForShutdownSignal();

}  // namespace jinguo::rpc
