// Money as int64 fen (分). No floating point anywhere near it. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jinguo {

struct Fen {
  int64_t value = 0;
  friend bool operator==(Fen a, Fen b) { return a.value == b.value; }
  friend bool operator<(Fen a, Fen b) { return a.value < b.value; }
};

// a + b, or OUT_OF_RANGE on overflow.
absl::StatusOr<Fen> AddFen(Fen a, Fen b);

// amount × rate (basis points, 1/10000) rounded half away from zero, or OUT_OF_RANGE on overflow.
absl::StatusOr<Fen> ApplyBasisPoints(Fen amount, int64_t basis_points);

// "1234.05" for 123405 fen; "-0.50" for -50.
std::string FormatYuan(Fen amount);
// "1234.05 元": an amount as a message to a person says it.
std::string YuanText(Fen amount);

// Parses "1234", "1234.5" or "1234.05" yuan into fen; at most two decimals.
absl::StatusOr<Fen> ParseYuan(absl::string_view text);

}  // namespace jinguo
