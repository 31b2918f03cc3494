#include "common/base/money.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace jinguo {
namespace {

TEST(Money, FormatsAndParsesYuan) {
  EXPECT_EQ(FormatYuan(Fen{123405}), "1234.05");
  EXPECT_EQ(FormatYuan(Fen{-50}), "-0.50");
  EXPECT_EQ(FormatYuan(Fen{INT64_MIN}), "-92233720368547758.08");
  EXPECT_EQ(ParseYuan("1234.05")->value, 123405);
  EXPECT_EQ(ParseYuan("1234.5")->value, 123450);
  EXPECT_EQ(ParseYuan("7")->value, 700);
  EXPECT_EQ(ParseYuan("-0.01")->value, -1);
  EXPECT_FALSE(ParseYuan("1.234").ok());
  EXPECT_FALSE(ParseYuan("1,000").ok());
  EXPECT_FALSE(ParseYuan("").ok());
  EXPECT_EQ(ParseYuan("999999999999999999999").status().code(), absl::StatusCode::kOutOfRange);
}

TEST(Money, AddsWithoutOverflow) {
  EXPECT_EQ(AddFen(Fen{1}, Fen{2})->value, 3);
  EXPECT_EQ(AddFen(Fen{INT64_MAX}, Fen{1}).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(Money, BasisPointsRoundHalfAwayFromZero) {
  // 10,000.00 yuan at 4.35% = 435.00 yuan.
  EXPECT_EQ(ApplyBasisPoints(Fen{1000000}, 435)->value, 43500);
  EXPECT_EQ(ApplyBasisPoints(Fen{5}, 1000)->value, 1);    // 0.5 fen rounds up
  EXPECT_EQ(ApplyBasisPoints(Fen{-5}, 1000)->value, -1);  // and away from zero
  EXPECT_EQ(ApplyBasisPoints(Fen{4}, 1000)->value, 0);
  EXPECT_EQ(ApplyBasisPoints(Fen{INT64_MAX}, 20000).status().code(), absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace jinguo
