// Spreadsheets as county clerks keep them: the first sheet of an .xlsx workbook, or a CSV file in UTF-8 (with or
// without a BOM) or GB18030 (what Excel writes on a Chinese Windows), read into rows of text.
//
// The .xlsx reader takes the workbook apart with minizip and expat and reads the cells as Excel stored them: shared
// and inline strings as text, numbers as Excel wrote them (so "1.10105197803030E+17" stays recognisable as an ID
// number Excel turned into a number), booleans as 0/1. Merged cells are refused (which row would own the value?).
//
// Thread-compatible: plain functions.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace jinguo::tools {

struct Cell {
  std::string text;
  bool number = false;  // Excel stored a number (not text): what an ID number or a date may have become
};

struct Sheet {
  std::vector<std::vector<Cell>> rows;  // the first row is the header
  // How the file was read, for the clerk: "xlsx", "UTF-8", "UTF-8（带BOM）" or "GB18030".
  std::string encoding;
};

// Reads `path` by its extension (.xlsx, .csv). INVALID_ARGUMENT with a message a clerk can act on (in Chinese) for
// a file that is not what it says, merged cells, an empty sheet or text in neither UTF-8 nor GB18030.
absl::StatusOr<Sheet> ReadSpreadsheet(const std::string& path);

// The same for a CSV file's bytes.
absl::StatusOr<Sheet> ParseCsvSheet(const std::string& bytes);

// "A1"-style column letters to a 0-based index ("B" → 1, "AA" → 26); -1 when `ref` starts with no letter.
int ColumnIndex(const std::string& ref);

}  // namespace jinguo::tools
