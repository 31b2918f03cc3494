#include "common/obs/http_endpoint.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/base/thread_name.h"
#include "httplib.h"
#include "prometheus/text_serializer.h"

namespace jinguo::obs {

HttpEndpoint::HttpEndpoint(std::shared_ptr<prometheus::Registry> registry, std::function<absl::Status()> ready)
    : registry_(std::move(registry)), ready_(std::move(ready)), server_(std::make_unique<httplib::Server>()) {
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    prometheus::TextSerializer serializer;
    res.set_content(serializer.Serialize(registry_->Collect()), "text/plain; version=0.0.4");
  });
  server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    absl::Status s = ready_();
    if (s.ok()) {
      res.set_content("ok\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content(absl::StrCat("not ready: ", s.message(), "\n"), "text/plain");
    }
  });
}

HttpEndpoint::~HttpEndpoint() { Stop(); }

absl::StatusOr<int> HttpEndpoint::Start(const std::string& host, int port) {
  int bound = port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) return absl::UnavailableError(absl::StrCat("cannot listen for HTTP on ", host, ":", port));
  thread_ = std::thread([this] {
    NameThisThread("http");
    server_->listen_after_bind();
  });
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return bound;
}

void HttpEndpoint::Stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace jinguo::obs
