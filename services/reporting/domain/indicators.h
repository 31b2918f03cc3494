// The reporting service's indicators, as pure functions: which counters exist, what one beneficiary or household
// contributes to each, how contributions move between region nodes, and the "five 100%" built from them.
// No I/O; thread-safe.
//
// Adding an indicator: name it in Indicators() (and in Coverage() if it is half of a coverage pair), and compute it
// in BeneficiaryContributions or HouseholdContributions from the state the events keep (state.proto). The counters,
// the history, the API and the dashboard pick it up from these lists.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "jinguo/reporting/v1/state.pb.h"

namespace jinguo::reporting::domain {

namespace v1 = ::jinguo::reporting::v1;

struct IndicatorDef {
  const char* name;
  const char* label;
};

// Every counter kept per region node, in display order.
const std::vector<IndicatorDef>& Indicators();

// Visits are counted per day (counter "visits@YYYY-MM-DD"); this many days make "visits in the last 90 days".
inline constexpr int kVisitWindowDays = 90;
inline constexpr char kVisitsIndicator[] = "visits_last_90_days";
std::string DailyVisitsCounter(const std::string& yyyy_mm_dd);

struct CoverageDef {
  const char* name;
  const char* label;
  const char* numerator;
  const char* denominator;
};

// The five 100%: publicity reached the household, every woman and child paired, home cleaning done, eligible
// women insured against the two cancers, school-age students aided.
const std::vector<CoverageDef>& Coverage();

struct Settings {
  // Women eligible for two-cancer insurance: aged min..max (inclusive) in the current year.
  int insured_min_age = 35;
  int insured_max_age = 64;
};

using Contributions = std::map<std::string, int64_t>;

// What a beneficiary counts for. Nothing until she is registered, and nothing once merged into another.
// Ages are whole years in `current_year` (year minus birth year), so eligibility moves only at the new year.
Contributions BeneficiaryContributions(const v1::ProfileState& p, int current_year, const Settings& settings);
Contributions HouseholdContributions(const v1::HouseholdState& h);

// The nodes a region code counts in, from the country ("") down: "", "13", "1302", "130207", "130207104",
// "130207104201". Shorter codes give fewer nodes.
std::vector<std::string> NodesOf(const std::string& region_code);

// Calls `apply(region, indicator, delta)` for every change needed to move from `before` counted at `old_region` to
// `after` counted at `new_region` (either region may be "" meaning "not counted anywhere"). The changes are given
// at the two regions; each applies equally to every node of NodesOf(region), where a node both regions share
// receives both and they net out. Callers sum the changes per region and spread them over the nodes once.
void Diff(const std::string& old_region, const Contributions& before, const std::string& new_region,
          const Contributions& after,
          absl::FunctionRef<void(const std::string& region, const std::string& indicator, int64_t delta)> apply);

// numerator / denominator in basis points, rounded down; 0 when the denominator is 0.
int64_t BasisPoints(int64_t numerator, int64_t denominator);

}  // namespace jinguo::reporting::domain
