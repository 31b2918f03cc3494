// Serializes work per key (e.g. per aggregate id or request id) with a fixed set of stripes, so unrelated keys
// rarely wait on each other. Thread-safe.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <string_view>

namespace jinguo {

class KeyedMutex {
 public:
  std::unique_lock<std::mutex> Lock(std::string_view key) {
    return std::unique_lock<std::mutex>(stripes_[std::hash<std::string_view>{}(key) % stripes_.size()]);
  }

 private:
  std::array<std::mutex, 256> stripes_;
};

}  // namespace jinguo
