#include "common/base/civil_date.h"

#include "common/base/clock.h"
#include "gtest/gtest.h"

namespace jinguo {
namespace {

TEST(CivilDate, ParsesRealDatesAndRejectsOthers) {
  EXPECT_EQ(*ParseCivilDate("2024-02-29"), absl::CivilDay(2024, 2, 29));
  EXPECT_FALSE(ParseCivilDate("2023-02-29").ok());
  EXPECT_FALSE(ParseCivilDate("2023-02-31").ok());
  EXPECT_FALSE(ParseCivilDate("2023-13-01").ok());
  EXPECT_FALSE(ParseCivilDate("2023-1-01").ok());
  EXPECT_FALSE(ParseCivilDate("20230101").ok());
  EXPECT_FALSE(ParseCivilDate("2023-0a-01").ok());
}

TEST(CivilDate, RoundTripsThroughProtoAndText) {
  absl::CivilDay d(1991, 1, 1);
  EXPECT_EQ(*FromProto(ToProto(d)), d);
  EXPECT_EQ(FormatCivilDate(d), "1991-01-01");
  common::v1::CivilDate bad;
  bad.set_year(2023);
  bad.set_month(2);
  bad.set_day(30);
  EXPECT_FALSE(FromProto(bad).ok());
}

TEST(CivilDate, AgeCountsWholeYears) {
  EXPECT_EQ(AgeInYears(absl::CivilDay(2008, 6, 1), absl::CivilDay(2024, 5, 31)), 15);
  EXPECT_EQ(AgeInYears(absl::CivilDay(2008, 6, 1), absl::CivilDay(2024, 6, 1)), 16);
  EXPECT_EQ(AgeInYears(absl::CivilDay(2008, 2, 29), absl::CivilDay(2024, 2, 28)), 15);
}

TEST(Clock, ChinaDayIsUtcPlusEight) {
  // 2024-01-01T16:30Z is already 2 January in Beijing.
  absl::Time t = absl::FromCivil(absl::CivilSecond(2024, 1, 1, 16, 30, 0), absl::UTCTimeZone());
  EXPECT_EQ(ChinaDay(t), absl::CivilDay(2024, 1, 2));
  ManualClock clock(t);
  clock.Advance(absl::Hours(24));
  EXPECT_EQ(ChinaDay(clock.Now()), absl::CivilDay(2024, 1, 3));
}

}  // namespace
}  // namespace jinguo
