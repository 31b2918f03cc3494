#include "common/rpc/server.h"

#include <signal.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"

namespace jinguo::rpc {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(what, " ", path, " cannot be read"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ClientCredentials(const std::string& cert_file,
                                                                            const std::string& key_file,
                                                                            const std::string& ca_file) {
  if (cert_file.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  auto cert = ReadFile(cert_file, "TLS certificate");
  if (!cert.ok()) return cert.status();
  auto key = ReadFile(key_file, "TLS key");
  if (!key.ok()) return key.status();
  ssl.pem_cert_chain = *cert;
  ssl.pem_private_key = *key;
  if (!ca_file.empty()) {
    auto ca = ReadFile(ca_file, "TLS client CA");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
  }
  return grpc::SslCredentials(ssl);
}

namespace {

const char* CodeName(grpc::StatusCode code) {
  static const char* kNames[] = {
      "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
      "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
      "DATA_LOSS", "UNAUTHENTICATED"};
  int i = static_cast<int>(code);
  return i >= 0 && i <= 16 ? kNames[i] : "UNKNOWN";
}

// Counts every call by method and status code and observes its latency.
class CallMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  CallMetricsInterceptor(grpc::experimental::ServerRpcInfo* info, prometheus::Family<prometheus::Counter>* calls,
                         prometheus::Family<prometheus::Histogram>* latency)
      : method_(info->method()), calls_(calls), latency_(latency), start_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      calls_->Add({{"method", method_}, {"code", CodeName(status.error_code())}}).Increment();
      latency_
          ->Add({{"method", method_}},
                prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                        1, 2.5, 5, 10})
          .Observe(absl::ToDoubleSeconds(absl::Now() - start_));
    }
    methods->Proceed();
  }

 private:
  std::string method_;
  prometheus::Family<prometheus::Counter>* calls_;
  prometheus::Family<prometheus::Histogram>* latency_;
  absl::Time start_;
};

class CallMetricsFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallMetricsFactory(prometheus::Registry* registry)
      : calls_(&prometheus::BuildCounter()
                    .Name("jinguo_grpc_server_handled_total")
                    .Help("gRPC calls completed, by method and status code")
                    .Register(*registry)),
        latency_(&prometheus::BuildHistogram()
                      .Name("jinguo_grpc_server_handling_seconds")
                      .Help("gRPC call latency, by method")
                      .Register(*registry)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new CallMetricsInterceptor(info, calls_, latency_);
  }

 private:
  prometheus::Family<prometheus::Counter>* calls_;
  prometheus::Family<prometheus::Histogram>* latency_;
};

}  // namespace

RpcServer::RpcServer(ServerOptions options, std::shared_ptr<prometheus::Registry> metrics)
    : options_(std::move(options)), metrics_(std::move(metrics)) {
  // Debian's Abseil is built with deadlock detection on: every absl::Mutex (gRPC takes several per call) is then
  // entered into a global lock graph and removed again when destroyed. Lock order here is fixed by design; skip it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

RpcServer::~RpcServer() { Shutdown(absl::Seconds(1)); }

absl::StatusOr<int> RpcServer::Start() {
  std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
  if (!options_.tls_cert_file.empty() || !options_.tls_key_file.empty()) {
    grpc::SslServerCredentialsOptions ssl(options_.tls_client_ca_file.empty()
                                              ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                              : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    auto cert = ReadFile(options_.tls_cert_file, "TLS certificate");
    if (!cert.ok()) return cert.status();
    auto key = ReadFile(options_.tls_key_file, "TLS key");
    if (!key.ok()) return key.status();
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    if (!options_.tls_client_ca_file.empty()) {
      auto ca = ReadFile(options_.tls_client_ca_file, "TLS client CA");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
    }
    creds = grpc::SslServerCredentials(ssl);
  }
  grpc::EnableDefaultHealthCheckService(true);
  // The default health service carries no descriptor; linking ours lets reflection describe grpc.health.v1.Health,
  // so grpcurl (and every readiness check that uses it) can call it on any service.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options_.address, creds, &port);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(options_.keepalive_time)));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(options_.keepalive_timeout)));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  // Handlers block (locks, synced RocksDB writes), so many threads are busy at once. gRPC's default keeps at most
  // two idle pollers: every thread beyond that exits when its call ends and a new one is cloned for the next call.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, options_.min_pollers);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, options_.max_pollers);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<CallMetricsFactory>(metrics_.get()));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  for (grpc::Service* s : services_) builder.RegisterService(s);
  server_ = builder.BuildAndStart();
  if (!server_ || port == 0)
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ", options_.address));
  if (!options_.health_address.empty()) {
    // No services registered: the default health service is all it serves.
    grpc::ServerBuilder health_builder;
    int health_port = 0;
    health_builder.AddListeningPort(options_.health_address, grpc::InsecureServerCredentials(), &health_port);
    health_server_ = health_builder.BuildAndStart();
    if (!health_server_ || health_port == 0) {
      return absl::UnavailableError(absl::StrCat("cannot listen for gRPC health on ", options_.health_address));
    }
  }
  SetServing(false);
  return port;
}

void RpcServer::SetServing(bool serving) {
  for (grpc::Server* s : {server_.get(), health_server_.get()}) {
    if (s == nullptr || s->GetHealthCheckService() == nullptr) continue;
    grpc::HealthCheckServiceInterface* health = s->GetHealthCheckService();
    health->SetServingStatus(serving);
    // Liveness answers SERVING whatever the readiness: a replica still catching up (reporting replaying its
    // topics) is alive and must not be restarted for it.
    health->SetServingStatus(std::string(kLivenessService), true);
  }
}

absl::Status DrainGate::Admit() const {
  if (!closed_.load(std::memory_order_acquire)) return absl::OkStatus();
  return absl::UnavailableError("the server is shutting down; retry (another replica, or this one once restarted)");
}

void RpcServer::Shutdown(absl::Duration grace) {
  if (!server_) return;
  SetServing(false);
  if (options_.gate != nullptr) {
    options_.gate->Close();
    absl::SleepFor(options_.drain);
  }
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  server_->Wait();
  server_.reset();
  if (health_server_) {
    health_server_->Shutdown(std::chrono::system_clock::now());
    health_server_->Wait();
    health_server_.reset();
  }
}

void BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::string WaitForShutdownSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  return sig == SIGINT ? "SIGINT" : "SIGTERM";
}

}  // namespace jinguo::rpc
