// Serializes work per key (e.g. per aggregate id or request id) with a fixed set of stripes, so unrelated keys
// rarely wait on each other. Thread-safe.
//
// A hold may be released on another thread than the one that took it: a call that decides on a gRPC thread keeps
// its keys until the commit thread has written its batch, and the commit thread lets them go.
#pragma once

#include <algorithm>
#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace jinguo {

class KeyedMutex {
  // A stripe is held by a flag, not by its mutex, so that another thread (the commit thread) may release it.
  struct Stripe {
    absl::Mutex mu;
    bool held ABSL_GUARDED_BY(mu) = false;
  };

 public:
  static constexpr size_t kStripes = 1024;

  // The stripes a caller holds; released when destroyed (or by Release), from any thread. Move-only.
  class Held {
   public:
    Held() = default;
    Held(Held&& other) noexcept : owner_(other.owner_), stripes_(std::move(other.stripes_)) { other.owner_ = nullptr; }
    Held& operator=(Held&& other) noexcept {
      if (this != &other) {
        Release();
        owner_ = other.owner_;
        stripes_ = std::move(other.stripes_);
        other.owner_ = nullptr;
      }
      return *this;
    }
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    ~Held() { Release(); }

    void Release() {
      if (owner_ == nullptr) return;
      for (size_t s : stripes_) owner_->Unlock(s);
      owner_ = nullptr;
      stripes_.clear();
    }

   private:
    friend class KeyedMutex;
    Held(KeyedMutex* owner, std::vector<size_t> stripes) : owner_(owner), stripes_(std::move(stripes)) {}
    KeyedMutex* owner_ = nullptr;
    std::vector<size_t> stripes_;
  };

  Held Lock(std::string_view key) {
    size_t s = StripeOf(key);
    LockStripe(s);
    return Held(this, {s});
  }

  // Locks every key's stripe, in stripe order (so two callers never wait on each other in a cycle).
  Held LockAll(const std::vector<std::string>& keys) {
    std::vector<size_t> stripes;
    stripes.reserve(keys.size());
    for (const auto& k : keys) stripes.push_back(StripeOf(k));
    std::sort(stripes.begin(), stripes.end());
    stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
    for (size_t s : stripes) LockStripe(s);
    return Held(this, std::move(stripes));
  }

  // Every stripe: excludes every other holder, for work that touches many keys at once.
  Held LockEverything() {
    std::vector<size_t> stripes(kStripes);
    for (size_t s = 0; s < kStripes; ++s) {
      stripes[s] = s;
      LockStripe(s);
    }
    return Held(this, std::move(stripes));
  }

 private:
  size_t StripeOf(std::string_view key) const { return std::hash<std::string_view>{}(key) % kStripes; }
  void LockStripe(size_t s) {
    Stripe& stripe = stripes_[s];
    absl::MutexLock lock(&stripe.mu);
    stripe.mu.Await(absl::Condition(
        +[](Stripe* st) ABSL_EXCLUSIVE_LOCKS_REQUIRED(st->mu) { return !st->held; }, &stripe));
    stripe.held = true;
  }
  void Unlock(size_t s) {
    absl::MutexLock lock(&stripes_[s].mu);
    stripes_[s].held = false;
  }
  std::array<Stripe, kStripes> stripes_;
};

}  // namespace jinguo
