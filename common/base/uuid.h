// UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits; ids sort by creation time. Thread-safe.
#pragma once

#include <mutex>
#include <random>
#include <string>

#include "common/base/clock.h"

namespace jinguo {

class UuidV7Generator {
 public:
  // `clock` must outlive the generator. `seed` fixes the random part (tests); 0 seeds from std::random_device.
  explicit UuidV7Generator(const Clock& clock, uint64_t seed = 0);

  // "0190a6f0-7c3e-7abc-8def-0123456789ab". Ids from one generator strictly increase, even within a millisecond.
  std::string Next();

 private:
  const Clock& clock_;
  std::mutex mu_;
  std::mt19937_64 rng_;
  uint64_t last_ms_ = 0;
  uint16_t counter_ = 0;  // 12-bit rand_a used as a counter within one millisecond
};

// True for the text form of a version-7 UUID.
bool IsUuidV7(const std::string& text);

}  // namespace jinguo
