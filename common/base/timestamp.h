// google.protobuf.Timestamp ↔ absl::Time, for envelopes and dead letters. Pure; thread-safe.
#pragma once

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace jinguo {

inline google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  int64_t nanos = absl::ToUnixNanos(t);
  int64_t seconds = nanos / 1000000000, rest = nanos % 1000000000;
  if (rest < 0) {  // Timestamp nanos are never negative
    rest += 1000000000;
    --seconds;
  }
  google::protobuf::Timestamp out;
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(rest));
  return out;
}

inline absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace jinguo
