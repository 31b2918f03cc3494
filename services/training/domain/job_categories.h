// The job-category code list postings name (data/job_categories.csv): `#` comments, a header `code,name,group`,
// then one category per line. Operators extend it by adding rows; a code is never renamed or reused.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jinguo::training::domain {

struct JobCategory {
  std::string code;
  std::string name;
  std::string group;
};

// The categories of `text`; INVALID_ARGUMENT naming `source` and the line of the first bad row or repeated code.
absl::StatusOr<std::vector<JobCategory>> ParseJobCategories(absl::string_view text, absl::string_view source);

// The categories of the file at `path` (read once, at start): NOT_FOUND naming it when it cannot be read.
absl::StatusOr<std::vector<JobCategory>> LoadJobCategories(const std::string& path);

// Their codes, in the list's order.
std::vector<std::string> CodesOf(const std::vector<JobCategory>& categories);

}  // namespace jinguo::training::domain
