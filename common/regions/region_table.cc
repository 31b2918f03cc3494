#include "common/regions/region_table.h"

#include <algorithm>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace jinguo::regions {
namespace {

// Splits one CSV line of this table's simple form: fields separated by commas, optionally in double quotes
// (names never contain quotes or commas in the NBS data, but quoted commas are honoured).
std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.push_back(std::move(field));
      field.clear();
    } else if (c != '\r') {
      field.push_back(c);
    }
  }
  out.push_back(std::move(field));
  return out;
}

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool LevelOfLength(size_t length, Level* level) {
  for (Level l : {Level::kCountry, Level::kProvince, Level::kCity, Level::kCounty, Level::kTownship, Level::kVillage}) {
    if (CodeLength(l) == length) {
      *level = l;
      return true;
    }
  }
  return false;
}

absl::StatusOr<std::unique_ptr<RegionTable>> RegionTable::LoadFromDirectory(const std::string& dir) {
  std::unique_ptr<RegionTable> table(new RegionTable());
  struct File {
    const char* name;
    Level level;
  };
  for (File f : {File{"provinces.csv", Level::kProvince}, File{"cities.csv", Level::kCity},
                 File{"areas.csv", Level::kCounty}, File{"streets.csv", Level::kTownship}}) {
    std::string path = absl::StrCat(dir, "/", f.name);
    std::ifstream in(path);
    if (!in) return absl::NotFoundError(absl::StrCat("region table: cannot open ", path));
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
      if (++line_no == 1 || line.empty()) continue;  // header
      std::vector<std::string> cols = SplitCsv(line);
      auto where = [&] { return absl::StrCat("region table: ", path, ":", line_no, ": "); };
      if (cols.size() < 2) return absl::DataLossError(absl::StrCat(where(), "expected code,name,..."));
      const std::string& code = cols[0];
      if (code.size() != CodeLength(f.level) || !AllDigits(code)) {
        return absl::DataLossError(absl::StrCat(where(), "code must be ", CodeLength(f.level), " digits"));
      }
      Region r{code, cols[1], f.level, "", {}};
      if (f.level != Level::kProvince) {
        r.parent = code.substr(0, CodeLength(static_cast<Level>(static_cast<int>(f.level) - 1)));
        auto parent = table->by_code_.find(r.parent);
        if (parent == table->by_code_.end()) {
          return absl::DataLossError(absl::StrCat(where(), "parent ", r.parent, " of ", code, " is not in the table"));
        }
        parent->second.children.push_back(code);
      } else {
        table->provinces_.push_back(code);
      }
      if (!table->by_code_.emplace(code, std::move(r)).second) {
        return absl::DataLossError(absl::StrCat(where(), "duplicate code ", code));
      }
    }
  }
  std::sort(table->provinces_.begin(), table->provinces_.end());
  for (auto& [code, region] : table->by_code_) std::sort(region.children.begin(), region.children.end());
  return table;
}

const Region* RegionTable::Find(absl::string_view code) const {
  auto it = by_code_.find(std::string(code));
  return it == by_code_.end() ? nullptr : &it->second;
}

absl::string_view RegionTable::Name(absl::string_view code) const {
  if (code.size() == CodeLength(Level::kVillage)) code = code.substr(0, CodeLength(Level::kTownship));
  const Region* r = Find(code);
  return r ? absl::string_view(r->name) : absl::string_view();
}

std::vector<std::string> RegionTable::Ancestors(absl::string_view code) const {
  std::vector<std::string> out;
  for (Level l : {Level::kProvince, Level::kCity, Level::kCounty, Level::kTownship}) {
    if (CodeLength(l) < code.size()) out.emplace_back(code.substr(0, CodeLength(l)));
  }
  return out;
}

const std::vector<std::string>& RegionTable::Children(absl::string_view code) const {
  static const std::vector<std::string>* const kNone = new std::vector<std::string>();
  if (code.empty()) return provinces_;
  const Region* r = Find(code);
  return r ? r->children : *kNone;
}

std::string RegionTable::FullName(absl::string_view code) const {
  std::vector<absl::string_view> names;
  for (const std::string& a : Ancestors(code)) names.push_back(Name(a));
  if (code.size() != CodeLength(Level::kVillage)) names.push_back(Name(code));
  return absl::StrJoin(names, " ");
}

}  // namespace jinguo::regions
