#include "services/training/domain/job_categories.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace jinguo::training::domain {

absl::StatusOr<std::vector<JobCategory>> ParseJobCategories(absl::string_view text, absl::string_view source) {
  std::vector<JobCategory> out;
  bool header = false;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripTrailingAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", line_number, ": ", why));
    };
    if (!header) {
      if (line != "code,name,group") return bad("the header must be code,name,group");
      header = true;
      continue;
    }
    std::vector<std::string> cells = absl::StrSplit(line, ',');
    if (cells.size() != 3 || cells[0].empty() || cells[1].empty()) {
      return bad("a category is code,name,group with a code and a name");
    }
    for (const auto& c : out) {
      if (c.code == cells[0]) return bad(absl::StrCat("code ", cells[0], " is listed twice"));
    }
    out.push_back({cells[0], cells[1], cells[2]});
  }
  if (out.empty()) return absl::InvalidArgumentError(absl::StrCat(source, " lists no job categories"));
  return out;
}

absl::StatusOr<std::vector<JobCategory>> LoadJobCategories(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the job categories at ", path));
  std::stringstream text;
  text << in.rdbuf();
  return ParseJobCategories(text.str(), path);
}

std::vector<std::string> CodesOf(const std::vector<JobCategory>& categories) {
  std::vector<std::string> codes;
  codes.reserve(categories.size());
  for (const auto& c : categories) codes.push_back(c.code);
  return codes;
}

}  // namespace jinguo::training::domain
