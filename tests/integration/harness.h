// Helpers for tests that need running processes: a real Kafka broker started by deploy/local/kafka.sh on a free
// port in a temporary directory, temporary directories, waiting for a condition. Not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>

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

// Runs a shell command; returns its exit status.
int Shell(const std::string& command);

// One Kafka broker for one test. Stopped and deleted by the destructor.
class KafkaBroker {
 public:
  // Starts a broker; aborts the test (ASSERT) on failure via the returned nullptr.
  static std::unique_ptr<KafkaBroker> Start();
  ~KafkaBroker();
  std::string brokers() const { return "127.0.0.1:" + std::to_string(port_); }
  // Stops the broker process (SIGTERM, clean shutdown); its data stays.
  bool Stop();
  // Starts it again on the same port with the same data.
  bool Restart();

 private:
  KafkaBroker() = default;
  int port_ = 0;
  std::unique_ptr<TempDir> dir_;
};

// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout);

}  // namespace jinguo::testing
