// The clock every piece of business logic reads time from, so schedules, overdue detection and tests never depend
// on the wall clock. Thread-safe: Now() may be called from any thread; ManualClock's setters too.
#pragma once

#include <atomic>

#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace jinguo {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The real time.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // A process-wide instance.
  static const SystemClock& Get();
};

// A clock that moves only when told to; for tests and replays.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start) : nanos_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override { return absl::FromUnixNanos(nanos_.load()); }
  void Set(absl::Time t) { nanos_.store(absl::ToUnixNanos(t)); }
  void Advance(absl::Duration d) { nanos_.fetch_add(absl::ToInt64Nanoseconds(d)); }

 private:
  std::atomic<int64_t> nanos_;
};

// Asia/Shanghai (UTC+8 all year; China keeps no daylight saving time), the zone of every civil date in Jinguo.
absl::TimeZone ChinaTimeZone();

// The civil day in Asia/Shanghai at `t`.
absl::CivilDay ChinaDay(absl::Time t);

}  // namespace jinguo
