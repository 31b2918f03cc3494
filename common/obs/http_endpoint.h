// The operator's HTTP port: Prometheus text at /metrics and readiness at /healthz (200 "ok" when ready, 503 with
// the reason otherwise). Further routes (a dashboard) can be added before Start. Thread-safe once started.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "prometheus/registry.h"

namespace httplib {
class Server;
}

namespace jinguo::obs {

class HttpEndpoint {
 public:
  // `ready` answers /healthz: OK when the service can serve, otherwise the reason.
  HttpEndpoint(std::shared_ptr<prometheus::Registry> registry, std::function<absl::Status()> ready);
  ~HttpEndpoint();

  // The underlying server, to add routes before Start.
  httplib::Server& server() { return *server_; }

  // Listens on host:port (port 0 picks a free one) and serves on a thread; returns the port.
  absl::StatusOr<int> Start(const std::string& host, int port);
  void Stop();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::function<absl::Status()> ready_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace jinguo::obs
