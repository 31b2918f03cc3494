// The national region-code table (NBS statistical division codes, data/regions): province (2 digits), city (4),
// county (6), township (9). Loaded once at start-up; immutable afterwards, so every const method is thread-safe.
//
// A node is named by its code prefix: "13" 河北省, "1302" 唐山市, "130207" 丰南区, "130207104" 黄各庄镇. Village
// codes (12 digits) are not in the table; their form is checked by validate/region_code.h.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jinguo::regions {

enum class Level { kCountry = 0, kProvince = 1, kCity = 2, kCounty = 3, kTownship = 4, kVillage = 5 };

// Length of a node's code at each level ("" is the country).
constexpr size_t CodeLength(Level level) {
  constexpr size_t kLengths[] = {0, 2, 4, 6, 9, 12};
  return kLengths[static_cast<int>(level)];
}

// The level of a code of `length` digits, or nullopt-like kCountry for 0; lengths other than 0/2/4/6/9/12 → false.
bool LevelOfLength(size_t length, Level* level);

struct Region {
  std::string code;
  std::string name;
  Level level;
  std::string parent;                 // "" for a province
  std::vector<std::string> children;  // sorted by code
};

class RegionTable {
 public:
  // Reads provinces.csv, cities.csv, areas.csv and streets.csv from `dir`. A row whose parent is missing, a code of
  // the wrong length or a duplicate code is an error naming the file and line.
  static absl::StatusOr<std::unique_ptr<RegionTable>> LoadFromDirectory(const std::string& dir);

  // The node with exactly this code (2, 4, 6 or 9 digits), or nullptr.
  const Region* Find(absl::string_view code) const;

  // The name of a node, or "" when unknown. For a 12-digit village code, the township's name.
  absl::string_view Name(absl::string_view code) const;

  // The codes of the node's ancestors from the province down, not including the node itself.
  // For "130207104" → {"13", "1302", "130207"}.
  std::vector<std::string> Ancestors(absl::string_view code) const;

  // The node's children in code order; for "" (the country), the provinces.
  const std::vector<std::string>& Children(absl::string_view code) const;

  // "河北省 唐山市 丰南区 黄各庄镇" for a code of any level in the table.
  std::string FullName(absl::string_view code) const;

  size_t size() const { return by_code_.size(); }

 private:
  RegionTable() = default;
  std::unordered_map<std::string, Region> by_code_;
  std::vector<std::string> provinces_;
};

}  // namespace jinguo::regions
