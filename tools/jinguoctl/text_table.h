// A plain-text table for a terminal: columns padded to the widest cell, where a CJK character takes two columns
// (East Asian Wide and Fullwidth), so Chinese labels and region names line up with numbers. Not thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace jinguo::tools {

// Terminal columns `utf8` takes: 2 per wide or fullwidth character, 1 per other character.
int DisplayWidth(absl::string_view utf8);

class TextTable {
 public:
  void AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  // Every row, cells separated by two spaces, each padded to its column's width; the first `left_columns` are
  // aligned left, the rest right.
  std::string Render(size_t left_columns = 1) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace jinguo::tools
