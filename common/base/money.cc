#include "common/base/money.h"

#include "absl/numeric/int128.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace jinguo {

absl::StatusOr<Fen> AddFen(Fen a, Fen b) {
  int64_t out;
  if (__builtin_add_overflow(a.value, b.value, &out)) return absl::OutOfRangeError("amount overflows int64 fen");
  return Fen{out};
}

absl::StatusOr<Fen> ApplyBasisPoints(Fen amount, int64_t basis_points) {
  absl::int128 product = absl::int128(amount.value) * basis_points;
  absl::int128 q = product / 10000;
  absl::int128 r = product % 10000;
  if (r * 2 >= 10000) q += 1;
  if (r * 2 <= -10000) q -= 1;
  if (q > absl::int128(INT64_MAX) || q < absl::int128(INT64_MIN)) {
    return absl::OutOfRangeError("amount overflows int64 fen");
  }
  return Fen{static_cast<int64_t>(q)};
}

std::string FormatYuan(Fen amount) {
  absl::uint128 magnitude = amount.value < 0 ? -absl::int128(amount.value) : absl::int128(amount.value);
  uint64_t m = absl::Uint128Low64(magnitude);
  return absl::StrFormat("%s%d.%02d", amount.value < 0 ? "-" : "", m / 100, m % 100);
}

std::string YuanText(Fen amount) { return absl::StrCat(FormatYuan(amount), " 元"); }

absl::StatusOr<Fen> ParseYuan(absl::string_view text) {
  bool negative = absl::ConsumePrefix(&text, "-");
  if (text.empty()) return absl::InvalidArgumentError("must be an amount in yuan, e.g. 1234.05");
  int64_t whole = 0, cents = 0;
  int decimals = -1;
  for (char c : text) {
    if (c == '.' && decimals < 0) {
      decimals = 0;
      continue;
    }
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError("must be an amount in yuan, e.g. 1234.05");
    }
    if (decimals >= 0) {
      if (++decimals > 2) return absl::InvalidArgumentError("has more than two decimals (fen is the smallest unit)");
      cents = cents * 10 + (c - '0');
    } else if (__builtin_mul_overflow(whole, 10, &whole) || __builtin_add_overflow(whole, c - '0', &whole)) {
      return absl::OutOfRangeError("amount is too large");
    }
  }
  if (decimals == 1) cents *= 10;
  int64_t fen;
  if (__builtin_mul_overflow(whole, 100, &fen) || __builtin_add_overflow(fen, cents, &fen)) {
    return absl::OutOfRangeError("amount is too large");
  }
  return Fen{negative ? -fen : fen};
}

}  // namespace jinguo
