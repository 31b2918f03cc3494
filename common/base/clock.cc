#include "common/base/clock.h"

namespace jinguo {

const SystemClock& SystemClock::Get() {
  static const SystemClock* clock = new SystemClock();
  return *clock;
}

absl::TimeZone ChinaTimeZone() { return absl::FixedTimeZone(8 * 60 * 60); }

absl::CivilDay ChinaDay(absl::Time t) { return absl::ToCivilDay(t, ChinaTimeZone()); }

}  // namespace jinguo
