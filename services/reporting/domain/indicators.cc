#include "services/reporting/domain/indicators.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "jinguo/registration/v1/types.pb.h"

namespace jinguo::reporting::domain {

namespace reg = ::jinguo::registration::v1;

const std::vector<IndicatorDef>& Indicators() {
  static const auto* defs = new std::vector<IndicatorDef>{
      {"women_registered", "登记妇女"},
      {"children_registered", "登记儿童"},
      {"beneficiaries_registered", "登记妇女儿童"},
      {"households", "登记户数"},
      {"households_general", "一般贫困户"},
      {"households_low_income", "低保贫困户"},
      {"households_destitute", "特困供养户"},
      {"status_not_lifted", "未脱贫"},
      {"status_lifted", "已脱贫"},
      {"status_unstable", "脱贫不稳定户"},
      {"status_marginal", "边缘易致贫户"},
      {"status_sudden_hardship", "突发严重困难户"},
      {"status_risk_eliminated", "风险已消除"},
      {"paired", "已结对帮扶"},
      {kVisitsIndicator, "近90天走访"},
      {"duplicates_open", "待核疑似重复"},
      {"households_publicity_reached", "宣传入户"},
      {"households_home_cleaned", "家政清洁完成户"},
      {"eligible_women", "两癌保险适龄妇女"},
      {"two_cancer_insured", "两癌保险已参保"},
      {"school_age_students", "在校学生"},
      {"students_aided", "已资助学生"},
  };
  return *defs;
}

std::string DailyVisitsCounter(const std::string& yyyy_mm_dd) { return absl::StrCat("visits@", yyyy_mm_dd); }

const std::vector<CoverageDef>& Coverage() {
  static const auto* defs = new std::vector<CoverageDef>{
      {"publicity_reached", "宣传到户", "households_publicity_reached", "households"},
      {"paired", "结对帮扶", "paired", "beneficiaries_registered"},
      {"home_cleaning", "家政清洁", "households_home_cleaned", "households"},
      {"two_cancer_insured", "两癌保险", "two_cancer_insured", "eligible_women"},
      {"students_aided", "学生资助", "students_aided", "school_age_students"},
  };
  return *defs;
}

namespace {

const char* StatusIndicator(int status) {
  switch (status) {
    case reg::MONITORING_STATUS_NOT_LIFTED: return "status_not_lifted";
    case reg::MONITORING_STATUS_LIFTED: return "status_lifted";
    case reg::MONITORING_STATUS_UNSTABLE: return "status_unstable";
    case reg::MONITORING_STATUS_MARGINAL: return "status_marginal";
    case reg::MONITORING_STATUS_SUDDEN_HARDSHIP: return "status_sudden_hardship";
    case reg::MONITORING_STATUS_RISK_ELIMINATED: return "status_risk_eliminated";
    default: return nullptr;
  }
}

}  // namespace

void Contributions::Set(absl::string_view indicator, int64_t value) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), indicator,
                             [](const Entry& e, absl::string_view name) { return e.first < name; });
  if (it != entries_.end() && it->first == indicator) {
    it->second = value;
  } else {
    entries_.insert(it, Entry{indicator, value});
  }
}

int64_t Contributions::Get(absl::string_view indicator) const {
  for (const auto& [name, value] : entries_) {
    if (name == indicator) return value;
  }
  return 0;
}

bool Contributions::Contains(absl::string_view indicator) const {
  for (const auto& e : entries_) {
    if (e.first == indicator) return true;
  }
  return false;
}

Contributions BeneficiaryContributions(const v1::ProfileState& p, int current_year, const Settings& settings) {
  Contributions c;
  if (!p.registered() || !p.merged_into().empty()) return c;
  c.Set("beneficiaries_registered", 1);
  bool woman = p.category() == reg::CATEGORY_WOMAN;
  c.Set(woman ? "women_registered" : "children_registered", 1);
  if (const char* status = StatusIndicator(p.monitoring_status())) c.Set(status, 1);
  if (p.cadre_ids_size() > 0) c.Set("paired", 1);
  int age = current_year - p.birth_year();
  if (woman && age >= settings.insured_min_age && age <= settings.insured_max_age) {
    c.Set("eligible_women", 1);
    if (p.two_cancer_insured()) c.Set("two_cancer_insured", 1);
  }
  if (!woman && p.student()) {
    c.Set("school_age_students", 1);
    if (p.student_aided()) c.Set("students_aided", 1);
  }
  return c;
}

Contributions HouseholdContributions(const v1::HouseholdState& h) {
  Contributions c;
  if (h.region_code().empty()) return c;
  c.Set("households", 1);
  switch (h.attribute()) {
    case reg::HOUSEHOLD_ATTRIBUTE_GENERAL: c.Set("households_general", 1); break;
    case reg::HOUSEHOLD_ATTRIBUTE_LOW_INCOME: c.Set("households_low_income", 1); break;
    case reg::HOUSEHOLD_ATTRIBUTE_DESTITUTE: c.Set("households_destitute", 1); break;
    default: break;
  }
  if (h.publicity_reached()) c.Set("households_publicity_reached", 1);
  if (h.home_cleaning_done()) c.Set("households_home_cleaned", 1);
  return c;
}

std::vector<std::string> NodesOf(const std::string& region_code) {
  std::vector<std::string> nodes{""};
  for (size_t len : {2u, 4u, 6u, 9u, 12u}) {
    if (region_code.size() >= len) nodes.push_back(region_code.substr(0, len));
  }
  return nodes;
}

void Diff(const std::string& old_region, const Contributions& before, const std::string& new_region,
          const Contributions& after,
          absl::FunctionRef<void(const std::string&, absl::string_view, int64_t)> apply) {
  if (old_region == new_region) {
    // Both are sorted by indicator: one merge pass.
    auto b = before.begin(), a = after.begin();
    while (b != before.end() || a != after.end()) {
      if (a == after.end() || (b != before.end() && b->first < a->first)) {
        if (b->second != 0) apply(new_region, b->first, -b->second);
        ++b;
      } else if (b == before.end() || a->first < b->first) {
        if (a->second != 0) apply(new_region, a->first, a->second);
        ++a;
      } else {
        if (a->second != b->second) apply(new_region, a->first, a->second - b->second);
        ++a;
        ++b;
      }
    }
    return;
  }
  // Moving: everything out of the old region, the new values into the new one.
  for (const auto& [indicator, v] : before) {
    if (v != 0) apply(old_region, indicator, -v);
  }
  for (const auto& [indicator, v] : after) {
    if (v != 0) apply(new_region, indicator, v);
  }
}

int64_t BasisPoints(int64_t numerator, int64_t denominator) {
  if (denominator <= 0) return 0;
  return numerator * 10000 / denominator;
}

}  // namespace jinguo::reporting::domain
