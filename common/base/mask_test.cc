#include "common/base/mask.h"

#include "gtest/gtest.h"

namespace jinguo {
namespace {

TEST(Mask, IdNumbersAndPhones) {
  EXPECT_EQ(MaskIdNumber("11010519491231002X"), "110***********002X");
  EXPECT_EQ(MaskPhone("13812345678"), "138****5678");
}

TEST(Mask, FindsIdentifiersInFreeText) {
  EXPECT_EQ(MaskSensitive("id=11010519491231002X phone 13812345678."), "id=110***********002X phone 138****5678.");
  EXPECT_EQ(MaskSensitive("\"id_number\":\"360426199101010071\""), "\"id_number\":\"360***********0071\"");
  EXPECT_EQ(MaskSensitive("lower 11010519491231002x"), "lower 110***********002x");
}

TEST(Mask, LeavesOtherNumbersAlone) {
  // Region codes (12 digits), counts, timestamps, and digit runs of other lengths stay as they are.
  EXPECT_EQ(MaskSensitive("region 130207104201 count 3468 ts 1700000000000"),
            "region 130207104201 count 3468 ts 1700000000000");
  EXPECT_EQ(MaskSensitive("12345678901"), "12345678901");                  // 11 digits not starting 13-19
  EXPECT_EQ(MaskSensitive("1234567890123456789"), "1234567890123456789");  // 19 digits
}

}  // namespace
}  // namespace jinguo
