#include "common/base/uuid.h"

#include <set>

#include "gtest/gtest.h"

namespace jinguo {
namespace {

TEST(UuidV7, CarriesTheClockMillisecondsAndVersion) {
  ManualClock clock(absl::FromUnixMillis(0x0190a6f07c3e));
  UuidV7Generator gen(clock, 42);
  std::string id = gen.Next();
  EXPECT_TRUE(IsUuidV7(id)) << id;
  EXPECT_EQ(id.substr(0, 13), "0190a6f0-7c3e");
}

TEST(UuidV7, StrictlyIncreasesWithinAMillisecondAndAcrossTime) {
  ManualClock clock(absl::FromUnixMillis(1700000000000));
  UuidV7Generator gen(clock, 7);
  std::string prev = gen.Next();
  std::set<std::string> seen{prev};
  for (int i = 0; i < 10000; ++i) {
    if (i % 1000 == 0) clock.Advance(absl::Milliseconds(1));
    std::string id = gen.Next();
    EXPECT_LT(prev, id);
    EXPECT_TRUE(IsUuidV7(id));
    seen.insert(id);
    prev = id;
  }
  EXPECT_EQ(seen.size(), 10001u);
}

TEST(UuidV7, RecognizesOtherVersionsAsNotV7) {
  EXPECT_FALSE(IsUuidV7("0190a6f0-7c3e-4abc-8def-0123456789ab"));
  EXPECT_FALSE(IsUuidV7("0190a6f0-7c3e-7abc-cdef-0123456789ab"));
  EXPECT_FALSE(IsUuidV7("not a uuid"));
}

}  // namespace
}  // namespace jinguo
