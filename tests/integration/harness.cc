#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/time/clock.h"

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

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

int Shell(const std::string& command) {
  int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::unique_ptr<KafkaBroker> KafkaBroker::Start() {
  std::unique_ptr<KafkaBroker> b(new KafkaBroker());
  b->dir_ = std::make_unique<TempDir>();
  b->port_ = FreePort();
  if (!b->Restart()) return nullptr;
  return b;
}

KafkaBroker::~KafkaBroker() { Stop(); }

bool KafkaBroker::Stop() {
  return Shell(SourceDir() + "/deploy/local/kafka.sh stop " + dir_->path()) == 0;
}

bool KafkaBroker::Restart() {
  return Shell(SourceDir() + "/deploy/local/kafka.sh start " + std::to_string(port_) + " " + dir_->path()) == 0;
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
