#include "services/health/domain/relief_rules.h"

#include "common/base/civil_date.h"
#include "gtest/gtest.h"

namespace jinguo::health::domain {
namespace {

namespace reg = ::jinguo::registration::v1;

const absl::CivilDay kDay(2026, 9, 1);

replica::v1::RegistryFacts Person(absl::CivilDay born, reg::Sex sex = reg::SEX_FEMALE) {
  replica::v1::RegistryFacts f;
  f.set_beneficiary_id("b-1");
  f.set_region_code("130207104201");
  f.set_sex(sex);
  *f.mutable_birth_date() = ToProto(born);
  return f;
}

v1::ApplyReliefRequest Apply(v1::ReliefKind kind, int64_t fen = 0, const std::string& fund = "") {
  v1::ApplyReliefRequest r;
  r.set_kind(kind);
  r.set_beneficiary_id("b-1");
  r.set_amount_fen(fen);
  r.set_fund(fund);
  return r;
}

std::string FieldOf(const absl::Status& s) {
  auto br = validate::BadRequestOf(s);
  return br.field_violations_size() ? br.field_violations(0).field() : "";
}

TEST(Relief, TwoCancerReliefIsTheFixedSumOnceInHerLifeForAConfirmedCancer) {
  Settings settings;
  auto woman = Person(absl::CivilDay(1975, 1, 1));
  auto granted = CheckReliefApplication(Apply(v1::RELIEF_KIND_TWO_CANCER), woman, kDay, true, {}, settings);
  ASSERT_TRUE(granted.ok()) << granted.status();
  EXPECT_EQ(granted->amount_fen(), 1000000);
  EXPECT_EQ(granted->state(), v1::RELIEF_STATE_APPLIED);

  auto unconfirmed = CheckReliefApplication(Apply(v1::RELIEF_KIND_TWO_CANCER), woman, kDay, false, {}, settings);
  EXPECT_EQ(unconfirmed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FieldOf(unconfirmed.status()), "case_id");

  v1::Relief earlier = *granted;
  earlier.set_id("r-1");
  auto twice = CheckReliefApplication(Apply(v1::RELIEF_KIND_TWO_CANCER), woman, kDay, true, {earlier}, settings);
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(twice.status().message().find("(r-1, applied for)"), std::string::npos) << twice.status();
  earlier.set_state(v1::RELIEF_STATE_REJECTED);
  EXPECT_TRUE(CheckReliefApplication(Apply(v1::RELIEF_KIND_TWO_CANCER), woman, kDay, true, {earlier}, settings).ok())
      << "a rejected application does not count";

  auto other_sum = CheckReliefApplication(Apply(v1::RELIEF_KIND_TWO_CANCER, 500000), woman, kDay, true, {}, settings);
  EXPECT_EQ(FieldOf(other_sum.status()), "amount_fen");
  auto girl = CheckReliefApplication(Apply(v1::RELIEF_KIND_TWO_CANCER), Person(absl::CivilDay(2015, 1, 1)), kDay, true,
                                     {}, settings);
  EXPECT_EQ(girl.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Relief, ChildrensReliefIsPerCaseFromANamedFundWithinItsCap) {
  Settings settings;
  auto child = Person(absl::CivilDay(2012, 3, 1), reg::SEX_MALE);
  auto ok = CheckReliefApplication(Apply(v1::RELIEF_KIND_CHILD_SERIOUS_ILLNESS, 400000, "儿童大病救助金"), child, kDay,
                                   false, {}, settings);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->amount_fen(), 400000);
  EXPECT_EQ(FieldOf(CheckReliefApplication(Apply(v1::RELIEF_KIND_CHILD_SERIOUS_ILLNESS, 1000001, "儿童大病救助金"),
                                           child, kDay, false, {}, settings)
                        .status()),
            "amount_fen");
  EXPECT_EQ(FieldOf(CheckReliefApplication(Apply(v1::RELIEF_KIND_CHILD_SERIOUS_ILLNESS, 0, "儿童大病救助金"), child,
                                           kDay, false, {}, settings)
                        .status()),
            "amount_fen");
  EXPECT_EQ(FieldOf(CheckReliefApplication(Apply(v1::RELIEF_KIND_CHILD_SERIOUS_ILLNESS, 100, "no fund"), child, kDay,
                                           false, {}, settings)
                        .status()),
            "fund");
  auto adult = CheckReliefApplication(Apply(v1::RELIEF_KIND_CHILD_SERIOUS_ILLNESS, 100, "儿童大病救助金"),
                                      Person(absl::CivilDay(2008, 8, 31)), kDay, false, {}, settings);
  EXPECT_NE(adult.status().message().find("is aged 18"), std::string::npos) << adult.status();
  EXPECT_EQ(
      FieldOf(CheckReliefApplication(Apply(v1::RELIEF_KIND_UNSPECIFIED), child, kDay, false, {}, settings).status()),
      "kind");
}

TEST(Relief, AnotherPersonDecidesAndOnlyApprovedReliefIsPaid) {
  v1::Relief r;
  r.set_id("r-1");
  r.set_state(v1::RELIEF_STATE_APPLIED);
  r.set_applied_by("clerk");
  r.set_version(1);
  EXPECT_EQ(PayRelief(r, kDay, "TX-1").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecideRelief(r, true, "clerk", kDay, "").code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(DecideRelief(r, true, "director", kDay, "").ok());
  EXPECT_EQ(r.state(), v1::RELIEF_STATE_APPROVED);
  EXPECT_EQ(DecideRelief(r, false, "director", kDay, "no").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(PayRelief(r, kDay - 1, "TX-1").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(PayRelief(r, kDay + 3, "TX-1").ok());
  EXPECT_EQ(r.state(), v1::RELIEF_STATE_PAID);
  EXPECT_EQ(r.version(), 3);
  EXPECT_EQ(PayRelief(r, kDay + 4, "TX-2").code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace jinguo::health::domain
