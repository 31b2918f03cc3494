// Serializes work per key (e.g. per aggregate id or request id) with a fixed set of stripes, so unrelated keys
// rarely wait on each other. Thread-safe.
#pragma once

#include <algorithm>
#include <array>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace jinguo {

class KeyedMutex {
 public:
  std::unique_lock<std::mutex> Lock(std::string_view key) { return std::unique_lock<std::mutex>(stripes_[Stripe(key)]); }

  // Locks every key's stripe, in stripe order (so two callers never wait on each other in a cycle).
  std::vector<std::unique_lock<std::mutex>> LockAll(const std::vector<std::string>& keys) {
    std::vector<size_t> stripes;
    for (const auto& k : keys) stripes.push_back(Stripe(k));
    std::sort(stripes.begin(), stripes.end());
    stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
    std::vector<std::unique_lock<std::mutex>> locks;
    for (size_t s : stripes) locks.emplace_back(stripes_[s]);
    return locks;
  }

 private:
  size_t Stripe(std::string_view key) const { return std::hash<std::string_view>{}(key) % stripes_.size(); }
  std::array<std::mutex, 1024> stripes_;
};

}  // namespace jinguo
