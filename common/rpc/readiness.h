// Whether a service is ready to serve: a set of named conditions (the topics exist, the store takes writes, the
// projections have caught up), each unmet with the reason it gives, e.g. UNAVAILABLE "waiting for Kafka topics".
// The gRPC health status and /healthz follow it: SERVING only while every condition is met.
//
// Thread-safety: every method may be called from any thread. Listener calls are serialized and each reports the
// state at the time of the call, so the last one always reports the current state.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace jinguo::rpc {

class Readiness {
 public:
  // Sets `condition` (OK = met). A condition never set is met.
  void Set(const std::string& condition, absl::Status status);
  // OK when every condition is met, else the first unmet one's status (in the order they were first set).
  absl::Status Check() const;
  bool ready() const { return Check().ok(); }
  // Called with ready() after every change; set before any condition changes. Once OnChange returns, the
  // listener it replaced (e.g. with nullptr, before what it refers to goes) is no longer being called.
  void OnChange(std::function<void(bool)> listener);

 private:
  absl::Mutex notify_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  std::vector<std::pair<std::string, absl::Status>> conditions_ ABSL_GUARDED_BY(mu_);
  std::function<void(bool)> listener_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jinguo::rpc
