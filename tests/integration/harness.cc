#include "tests/integration/harness.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/crypto/field_cipher.h"

namespace jinguo::testing {

std::string SourceDir() {
  const char* src = std::getenv("JINGUO_SOURCE_DIR");
  return src ? src : ".";
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "jinguo-test-XXXXXX").string();
  path_ = mkdtemp(tmpl.data());
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string WriteDataKeyFile(const std::string& dir) {
  std::string path = dir + "/data-keys";
  std::ofstream(path) << crypto::FieldCipher::NewKeyFile("k1");
  return path;
}

std::vector<std::string> ServiceArgs(const std::string& name, int grpc_port, const std::string& dir,
                                     const std::string& brokers) {
  return {"--grpc-listen",   absl::StrCat("127.0.0.1:", grpc_port),
          "--http-listen",   "127.0.0.1:0",
          "--data-dir",      dir + "/" + name,
          "--kafka-brokers", brokers,
          "--tokens-file",   dir + "/tokens",
          "--regions-dir",   SourceDir() + "/data/regions",
          "--log-level",     "warn"};
}

int FreePort() {
  // One rule for every test and script: kafka.sh free-port (a port below the kernel's ephemeral range, checked free).
  int port = 0;
  if (FILE* out = popen((SourceDir() + "/deploy/local/kafka.sh free-port").c_str(), "r")) {
    if (fscanf(out, "%d", &port) != 1) port = 0;
    pclose(out);
  }
  return port;
}

int Shell(const std::string& command) {
  int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int RunCommand(const std::string& command, std::string* out) {
  out->clear();
  FILE* p = popen(absl::StrCat(command, " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  int rc = pclose(p);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::unique_ptr<KafkaBroker> KafkaBroker::Start() {
  std::unique_ptr<KafkaBroker> b(new KafkaBroker());
  b->dir_ = std::make_unique<TempDir>();
  b->port_ = FreePort();
  if (!b->Restart()) return nullptr;
  return b;
}

std::unique_ptr<KafkaBroker> KafkaBroker::StartWithTls(const std::string& pki) {
  std::unique_ptr<KafkaBroker> b(new KafkaBroker());
  b->dir_ = std::make_unique<TempDir>();
  b->port_ = FreePort();
  b->ssl_port_ = FreePort();
  b->pki_ = pki;
  if (!b->Restart()) return nullptr;
  return b;
}

bool MakeTestCertificates(const std::string& dir) {
  return Shell(SourceDir() + "/tests/integration/make_test_certs.sh " + dir) == 0;
}

KafkaBroker::~KafkaBroker() { Stop(); }

bool KafkaBroker::Stop() { return Shell(SourceDir() + "/deploy/local/kafka.sh stop " + dir_->path()) == 0; }

bool KafkaBroker::Restart() {
  // Owned by this process: a test killed before its destructors run (a timeout, a signal) leaves no broker behind.
  std::string tls;
  if (ssl_port_ != 0) {
    tls = absl::StrCat("KAFKA_SSL_PORT=", ssl_port_, " KAFKA_SSL_KEYSTORE=", pki_, "/server-keystore.pem ",
                       "KAFKA_SSL_TRUSTSTORE=", pki_, "/ca.pem ");
  }
  return Shell(tls + "KAFKA_OWNER_PID=" + std::to_string(getpid()) + " " + SourceDir() +
               "/deploy/local/kafka.sh start " + std::to_string(port_) + " " + dir_->path()) == 0;
}

bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return condition();
}

}  // namespace jinguo::testing

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"

extern char** environ;

namespace jinguo::testing {

std::unique_ptr<ServiceProcess> ServiceProcess::Start(const std::string& binary, const std::vector<std::string>& args,
                                                      int grpc_port, const std::string& log_path,
                                                      absl::Duration timeout,
                                                      std::shared_ptr<grpc::ChannelCredentials> credentials,
                                                      std::function<bool()> ready) {
  std::unique_ptr<ServiceProcess> p(new ServiceProcess());
  std::vector<std::string> all = {binary};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  int rc = posix_spawn(&p->pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return nullptr;
  p->channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port),
                                    credentials ? credentials : grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(p->channel_);
  bool serving = WaitFor(
      [&] {
        if (ready) return ready();
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
        grpc::health::v1::HealthCheckRequest req;
        grpc::health::v1::HealthCheckResponse resp;
        return health->Check(&ctx, req, &resp).ok() && resp.status() == grpc::health::v1::HealthCheckResponse::SERVING;
      },
      timeout);
  if (!serving) {
    std::cerr << "service " << binary << " did not become SERVING; log " << log_path << ":\n";
    Shell("tail -n 30 " + log_path + " >&2");
    return nullptr;
  }
  return p;
}

ServiceProcess::~ServiceProcess() { Stop(); }

int ServiceProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  return Wait();
}

void ServiceProcess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

int ServiceProcess::HealthStatus() const {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  if (!health->Check(&ctx, req, &resp).ok()) return grpc::health::v1::HealthCheckResponse::UNKNOWN;
  return resp.status();
}

int ServiceProcess::Wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

EventTap::EventTap(const std::string& brokers, const std::string& topic) {
  bus::KafkaOptions options;
  options.brokers = brokers;
  auto conf = bus::MakeConf(options, {{"group.id", absl::StrCat("tap-", absl::ToUnixNanos(absl::Now()))},
                                      {"auto.offset.reset", "earliest"},
                                      {"enable.auto.commit", "false"}});
  std::string err;
  consumer_.reset(RdKafka::KafkaConsumer::create(conf->get(), err));
  consumer_->subscribe({topic});
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    ReadOne(100);
    std::vector<RdKafka::TopicPartition*> parts;
    consumer_->assignment(parts);
    bool assigned = !parts.empty();
    RdKafka::TopicPartition::destroy(parts);
    if (assigned) break;
  }
}

void EventTap::WaitForAggregate(const std::string& aggregate, size_t count, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  auto seen = [&] {
    size_t n = 0;
    for (const auto& e : events_) n += e.aggregate_id() == aggregate;
    return n;
  };
  while (seen() < count && absl::Now() < deadline) ReadOne(100);
}

EventTap::~EventTap() {
  if (consumer_) consumer_->close();
}

bool EventTap::ReadOne(int timeout_ms) {
  std::unique_ptr<RdKafka::Message> m(consumer_->consume(timeout_ms));
  if (m->err() != RdKafka::ERR_NO_ERROR) return false;
  common::v1::EventEnvelope e;
  e.ParseFromArray(m->payload(), static_cast<int>(m->len()));
  raw_.append(static_cast<const char*>(m->payload()), m->len());
  events_.push_back(std::move(e));
  return true;
}

const std::vector<common::v1::EventEnvelope>& EventTap::WaitForCount(size_t count, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (events_.size() < count && absl::Now() < deadline) ReadOne(100);
  return events_;
}

const std::vector<common::v1::EventEnvelope>& EventTap::Settle(absl::Duration quiet) {
  absl::Time last = absl::Now();
  while (absl::Now() - last < quiet) {
    if (ReadOne(100)) last = absl::Now();
  }
  return events_;
}

std::unique_ptr<ServiceProcess> StartService(const std::string& binary, const std::string& name, int port,
                                             const std::string& dir, const std::string& brokers,
                                             const std::vector<std::string>& extra) {
  auto args = ServiceArgs(name, port, dir, brokers);
  args.insert(args.end(), extra.begin(), extra.end());
  return ServiceProcess::Start(binary, args, port, absl::StrCat(dir, "/", name, ".log"));
}

std::unique_ptr<ServiceProcess> StartRegistration(const std::string& binary, int port, const std::string& dir,
                                                  const std::string& brokers) {
  return StartService(binary, "registration", port, dir, brokers, {"--data-key-file", WriteDataKeyFile(dir)});
}

std::vector<std::string> StopAll(const std::vector<std::pair<std::string, ServiceProcess*>>& services) {
  for (const auto& [name, p] : services) {
    if (p) p->Signal(SIGTERM);
  }
  std::vector<std::string> unclean;
  for (const auto& [name, p] : services) {
    if (p && p->Wait() != 0) unclean.push_back(name);
    delete p;
  }
  return unclean;
}

std::vector<std::string> ReplicaArgs(int registration_port, const std::string& dir, const std::string& token) {
  std::ofstream(dir + "/service-token") << token << "\n";
  return {"--registration-address", absl::StrCat("127.0.0.1:", registration_port), "--service-token-file",
          dir + "/service-token"};
}

}  // namespace jinguo::testing
