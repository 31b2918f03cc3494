#include "services/health/domain/insurance_rules.h"

#include "common/base/civil_date.h"
#include "gtest/gtest.h"

namespace jinguo::health::domain {
namespace {

namespace reg = ::jinguo::registration::v1;

v1::CreateInsurancePolicyRequest Tangshan2026() {
  v1::CreateInsurancePolicyRequest r;
  r.set_insurer("中国人寿唐山分公司");
  r.set_policy_year(2026);
  *r.mutable_starts_on() = ToProto(absl::CivilDay(2026, 1, 1));
  *r.mutable_ends_on() = ToProto(absl::CivilDay(2026, 12, 31));
  r.set_sum_insured_fen(1000000);  // 10,000 元
  r.set_premium_fen(5000);
  r.set_region_code("1302");
  r.set_funder("唐山市妇联");
  return r;
}

std::vector<std::string> Fields(const validate::FieldViolations& v) {
  std::vector<std::string> out;
  for (const auto& fv : v.violations().field_violations()) out.push_back(fv.field());
  return out;
}

TEST(Policy, AGoodPolicyTakesTheDefaultAgesAndBadFieldsAreNamed) {
  validate::FieldViolations v;
  v1::InsurancePolicy p = PolicyFrom(Tangshan2026(), v);
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(p.min_age(), 35);
  EXPECT_EQ(p.max_age(), 64);
  EXPECT_EQ(p.sum_insured_fen(), 1000000);

  v1::CreateInsurancePolicyRequest bad = Tangshan2026();
  bad.set_insurer(" ");
  bad.set_policy_year(26);
  *bad.mutable_ends_on() = ToProto(absl::CivilDay(2025, 12, 31));
  bad.set_sum_insured_fen(0);
  bad.set_premium_fen(-1);
  bad.set_min_age(40);
  bad.set_max_age(30);
  validate::FieldViolations w;
  PolicyFrom(bad, w);
  EXPECT_EQ(Fields(w), (std::vector<std::string>{"insurer", "policy_year", "ends_on", "sum_insured_fen", "premium_fen",
                                                 "max_age"}));

  // A period over several years covers the policy year within it; one that misses it is refused.
  v1::CreateInsurancePolicyRequest long_one = Tangshan2026();
  *long_one.mutable_starts_on() = ToProto(absl::CivilDay(2025, 7, 1));
  *long_one.mutable_ends_on() = ToProto(absl::CivilDay(2027, 6, 30));
  validate::FieldViolations x;
  PolicyFrom(long_one, x);
  EXPECT_TRUE(x.empty());
  *long_one.mutable_ends_on() = ToProto(absl::CivilDay(2025, 12, 31));
  validate::FieldViolations y;
  PolicyFrom(long_one, y);
  EXPECT_EQ(Fields(y), std::vector<std::string>{"starts_on"});
}

replica::v1::RegistryFacts Woman(int birth_year, const std::string& region = "130207104201") {
  replica::v1::RegistryFacts f;
  f.set_beneficiary_id("b-1");
  f.set_region_code(region);
  f.set_sex(reg::SEX_FEMALE);
  *f.mutable_birth_date() = ToProto(absl::CivilDay(birth_year, 7, 1));
  f.set_category(reg::CATEGORY_WOMAN);
  return f;
}

TEST(Policy, CoversWomenOfItsRegionAndAgesInThePolicyYear) {
  validate::FieldViolations v;
  v1::InsurancePolicy p = PolicyFrom(Tangshan2026(), v);
  EXPECT_TRUE(CheckInsurable(Woman(1991), p, "beneficiary_id").ok());  // 35 in 2026
  EXPECT_TRUE(CheckInsurable(Woman(1962), p, "beneficiary_id").ok());  // 64
  absl::Status young = CheckInsurable(Woman(1992), p, "beneficiary_id");
  EXPECT_EQ(young.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(young.message().find("is aged 34 in 2026; the policy covers women aged 35-64"), std::string::npos) << young;
  EXPECT_NE(CheckInsurable(Woman(1961), p, "beneficiary_id").message().find("aged 65"), std::string::npos);
  absl::Status away = CheckInsurable(Woman(1980, "130102001001"), p, "beneficiary_id");
  EXPECT_NE(away.message().find("outside the policy's region 1302"), std::string::npos) << away;
  replica::v1::RegistryFacts boy = Woman(1980);
  boy.set_sex(reg::SEX_MALE);
  EXPECT_EQ(CheckInsurable(boy, p, "beneficiary_id").code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Claims, PayWithinTheCoverLeftAndMoreThanNothing) {
  validate::FieldViolations v;
  v1::InsurancePolicy p = PolicyFrom(Tangshan2026(), v);
  v1::Enrollment e;
  e.set_claimed_fen(600000);
  EXPECT_TRUE(CheckClaim(e, p, 400000).ok());
  absl::Status above = CheckClaim(e, p, 400001);
  EXPECT_EQ(above.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(above.message().find("cover left: 4000.00 元 of 10000.00 元 (6000.00 元 paid already)"), std::string::npos)
      << above;
  EXPECT_EQ(CheckClaim(e, p, 0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckClaim(e, p, -5).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace jinguo::health::domain
