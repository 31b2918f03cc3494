// 12-digit region codes (NBS statistical division codes) checked against the region table. Thread-safe.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/regions/region_table.h"

namespace jinguo::validate {

// OK when `code` is 12 digits whose province, city, county and township exist in `table` (each under the one
// before) and whose village part is 001-399. The reason names the first part that is wrong.
absl::Status CheckRegionCode(const regions::RegionTable& table, absl::string_view code);

// OK for a region prefix that names a node: "" (the country), or 2, 4, 6, 9 digits in the table, or a valid
// 12-digit village code. For filters and scopes.
absl::Status CheckRegionPrefix(const regions::RegionTable& table, absl::string_view prefix);

}  // namespace jinguo::validate
