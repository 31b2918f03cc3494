// Helpers for tests that need running processes: a real Kafka broker started by deploy/local/kafka.sh on a free
// port in a temporary directory, temporary directories, waiting for a condition. Not thread-safe.
#pragma once

#include <fcntl.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace jinguo::testing {

// The source tree (JINGUO_SOURCE_DIR, set by ctest).
std::string SourceDir();

// A fresh directory under $TMPDIR, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A free TCP port on 127.0.0.1.
int FreePort();

// The flags every service takes in a test: gRPC on `grpc_port`, HTTP on any port, its data in `dir`/`name`, the
// broker, the tokens file `dir`/tokens, the project's region table, warnings only.
std::vector<std::string> ServiceArgs(const std::string& name, int grpc_port, const std::string& dir,
                                     const std::string& brokers);

// Runs a shell command; returns its exit status.
int Shell(const std::string& command);
// Runs `command` with its stdout and stderr collected into *out; returns its exit status (-1 when killed).
int RunCommand(const std::string& command, std::string* out);

// One Kafka broker for one test. Stopped and deleted by the destructor.
class KafkaBroker {
 public:
  // Starts a broker; aborts the test (ASSERT) on failure via the returned nullptr.
  static std::unique_ptr<KafkaBroker> Start();
  // A broker with a TLS listener beside the plaintext one: its certificate from `pki` (make_test_certs.sh), client
  // certificates signed by pki/ca.pem required.
  static std::unique_ptr<KafkaBroker> StartWithTls(const std::string& pki);
  ~KafkaBroker();
  std::string brokers() const { return "127.0.0.1:" + std::to_string(port_); }
  // The TLS listener ("" without one).
  std::string tls_brokers() const { return ssl_port_ ? "127.0.0.1:" + std::to_string(ssl_port_) : ""; }
  // Stops the broker process (SIGTERM, clean shutdown); its data stays.
  bool Stop();
  // Starts it again on the same port with the same data.
  bool Restart();

 private:
  KafkaBroker() = default;
  int port_ = 0;
  int ssl_port_ = 0;
  std::string pki_;
  std::unique_ptr<TempDir> dir_;
};

// Makes test certificates in `dir` with tests/integration/make_test_certs.sh (see there); whether it worked.
bool MakeTestCertificates(const std::string& dir);

// Writes a fresh key file for --data-key-file (one data key "k1", one index key) to `dir`/data-keys; returns its
// path. Each test's registry is sealed under keys of its own, as each deployment's is.
std::string WriteDataKeyFile(const std::string& dir);

// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout);

}  // namespace jinguo::testing

// ---- Processes and topics, for service tests ----
#include <sys/types.h>

#include <vector>

#include "common/bus/kafka.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"
#include "jinguo/common/v1/event.pb.h"

namespace jinguo::testing {

// A service binary run as a child process, as an operator would run it. Stopped with SIGTERM by the destructor.
class ServiceProcess {
 public:
  // Starts `binary` with `args` and waits until its gRPC health check on `grpc_port` says SERVING.
  // Returns nullptr (and prints the log) when it does not within `timeout`.
  // `credentials` are those of its channel (and of the health checks): plain text unless given. A process that
  // serves no gRPC (the REST gateway) passes `ready`, polled instead of the health check.
  static std::unique_ptr<ServiceProcess> Start(const std::string& binary, const std::vector<std::string>& args,
                                               int grpc_port, const std::string& log_path,
                                               absl::Duration timeout = absl::Seconds(60),
                                               std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr,
                                               std::function<bool()> ready = nullptr);
  ~ServiceProcess();
  // SIGTERM, then waits; returns the exit status (or -1 if killed by a signal).
  int Stop();
  // Sends `signal` (SIGKILL: a crash) without waiting.
  void Signal(int signal);
  // Waits for the process to end; returns its exit status (or -1 if killed by a signal).
  int Wait();
  // The gRPC health status, or UNKNOWN when the service does not answer within a second.
  int HealthStatus() const;
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

 private:
  pid_t pid_ = -1;
  std::shared_ptr<grpc::Channel> channel_;
};

// Service `name` from `binary` on `port`: ServiceArgs plus `extra`, its log at `dir`/<name>.log; nullptr (the log
// printed) when it does not come up.
std::unique_ptr<ServiceProcess> StartService(const std::string& binary, const std::string& name, int port,
                                             const std::string& dir, const std::string& brokers,
                                             const std::vector<std::string>& extra = {});

// Registration on `port` beside a domain service under test: ServiceArgs plus a data-key file of its own in `dir`.
std::unique_ptr<ServiceProcess> StartRegistration(const std::string& binary, int port, const std::string& dir,
                                                  const std::string& brokers);

// Stops `services` together (SIGTERM to each, then a wait for each: every one takes seconds to leave its consumer
// groups, and they need not wait for each other) and deletes them; the names of those that did not exit 0.
std::vector<std::string> StopAll(const std::vector<std::pair<std::string, ServiceProcess*>>& services);

// The flags of a service with a registry replica: registration's address, and the token the service sends when its
// replica asks registration about a beneficiary it has not seen (`token`, written to `dir`/service-token; the
// tokens file must grant it the service role).
std::vector<std::string> ReplicaArgs(int registration_port, const std::string& dir, const std::string& token);

// Every event on a topic from its beginning, decoded, as a test reads them. Not thread-safe.
class EventTap {
 public:
  // Subscribes and waits until the topic's partitions are assigned, so nothing published afterwards is missed.
  EventTap(const std::string& brokers, const std::string& topic);
  ~EventTap();
  // Reads until at least `count` events have arrived in all (or `timeout`); returns every event so far.
  const std::vector<common::v1::EventEnvelope>& WaitForCount(size_t count, absl::Duration timeout);
  // Reads until at least `count` events of `aggregate` have arrived (or `timeout`).
  void WaitForAggregate(const std::string& aggregate, size_t count, absl::Duration timeout = absl::Seconds(30));
  // Reads until nothing new arrives for `quiet`.
  const std::vector<common::v1::EventEnvelope>& Settle(absl::Duration quiet = absl::Milliseconds(1500));
  // The raw bytes of every message read so far, concatenated (to search for what must not be there).
  const std::string& raw() const { return raw_; }

 private:
  bool ReadOne(int timeout_ms);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::vector<common::v1::EventEnvelope> events_;
  std::string raw_;
};

}  // namespace jinguo::testing
