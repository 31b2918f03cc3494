#include "common/rpc/readiness.h"

namespace jinguo::rpc {

void Readiness::Set(const std::string& condition, absl::Status status) {
  absl::MutexLock notify(&notify_mu_);
  std::function<void(bool)> listener;
  {
    absl::MutexLock lock(&mu_);
    bool found = false;
    for (auto& [name, s] : conditions_) {
      if (name == condition) {
        s = status;
        found = true;
      }
    }
    if (!found) conditions_.emplace_back(condition, std::move(status));
    listener = listener_;
  }
  if (listener) listener(ready());
}

absl::Status Readiness::Check() const {
  absl::MutexLock lock(&mu_);
  for (const auto& [name, s] : conditions_) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

void Readiness::OnChange(std::function<void(bool)> listener) {
  absl::MutexLock notify(&notify_mu_);  // no call of the listener it replaces is under way once this returns
  absl::MutexLock lock(&mu_);
  listener_ = std::move(listener);
}

}  // namespace jinguo::rpc
