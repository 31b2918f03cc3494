#include "common/base/clock.h"

namespace jinguo {

const SystemClock& SystemClock::Get() {
  static const SystemClock* clock = new SystemClock();
  return *clock;
}

absl::TimeZone ChinaTimeZone() {
  // Built once: each FixedTimeZone call looks its zone up in Abseil's locked registry.
  static const absl::TimeZone zone = absl::FixedTimeZone(8 * 60 * 60);
  return zone;
}

absl::CivilDay ChinaDay(absl::Time t) { return absl::ToCivilDay(t, ChinaTimeZone()); }

}  // namespace jinguo
