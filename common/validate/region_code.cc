#include "common/validate/region_code.h"

#include "absl/strings/str_cat.h"

namespace jinguo::validate {

using regions::CodeLength;
using regions::Level;

absl::Status CheckRegionCode(const regions::RegionTable& table, absl::string_view code) {
  if (code.empty()) return absl::InvalidArgumentError("is required");
  for (char c : code) {
    if (c < '0' || c > '9') return absl::InvalidArgumentError("must contain only digits");
  }
  if (code.size() != 12) {
    return absl::InvalidArgumentError(absl::StrCat("must be 12 digits, got ", code.size()));
  }
  struct Part {
    Level level;
    const char* what;
  };
  for (Part p : {Part{Level::kProvince, "province"}, Part{Level::kCity, "city"}, Part{Level::kCounty, "county"},
                 Part{Level::kTownship, "township"}}) {
    absl::string_view prefix = code.substr(0, CodeLength(p.level));
    if (table.Find(prefix) == nullptr) {
      if (p.level == Level::kProvince) {
        return absl::InvalidArgumentError(absl::StrCat("unknown province ", prefix));
      }
      absl::string_view parent = code.substr(0, CodeLength(static_cast<Level>(static_cast<int>(p.level) - 1)));
      return absl::InvalidArgumentError(absl::StrCat(p.what, " ", prefix.substr(parent.size()), " is not under ",
                                                     parent, " (", table.Name(parent), ")"));
    }
  }
  int village = (code[9] - '0') * 100 + (code[10] - '0') * 10 + (code[11] - '0');
  if (village < 1 || village > 399) {
    return absl::InvalidArgumentError(absl::StrCat("village part ", code.substr(9), " must be 001-399"));
  }
  return absl::OkStatus();
}

absl::Status CheckRegionPrefix(const regions::RegionTable& table, absl::string_view prefix) {
  if (prefix.empty()) return absl::OkStatus();
  if (prefix.size() == 12) return CheckRegionCode(table, prefix);
  for (char c : prefix) {
    if (c < '0' || c > '9') return absl::InvalidArgumentError("must contain only digits");
  }
  if (table.Find(prefix) == nullptr) {
    Level level;
    if (!regions::LevelOfLength(prefix.size(), &level)) {
      return absl::InvalidArgumentError("must be 2, 4, 6, 9 or 12 digits (province, city, county, township, village)");
    }
    return absl::InvalidArgumentError(absl::StrCat("no region with code ", prefix));
  }
  return absl::OkStatus();
}

}  // namespace jinguo::validate
