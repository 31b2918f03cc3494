// jinguoctl import: a clerk's roster (.xlsx or CSV, roster.h) into registration's ImportBeneficiaries, with a
// progress line (rows/s, time left) and a rejection file beside the input (<name>.rejected.csv: row, column, value,
// reason, in Chinese) for the rows that were refused. Rows imported before count as repeated when the file (fixed)
// is imported again. Identifiers in the rejection file are masked: the row number finds the row.
#pragma once

#include <string>

namespace jinguo::tools {

struct ImportOptions {
  std::string registration = "127.0.0.1:50051";
  std::string token;
  std::string file;
  bool quiet = false;  // no progress line
};

// 0: every row imported (or repeated); 1: some rows refused (see the rejection file); 2: the file could not be read
// or its header is wrong (nothing was sent); 3: the service refused the import.
int ImportRoster(const ImportOptions& options);

// The rejection file written for `input`: "x/名单.xlsx" → "x/名单.rejected.csv".
std::string RejectionPath(const std::string& input);

}  // namespace jinguo::tools
