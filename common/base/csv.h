// CSV for people who open exports in a spreadsheet (RFC 4180 quoting, UTF-8).
//
// A field holding a comma, a quote, a line break or a carriage return is quoted, its quotes doubled. A field a
// spreadsheet would run as a formula (one starting with = + - @, a tab or a carriage return) is written with a
// leading apostrophe, so that a name typed as "=HYPERLINK(…)" by whoever registered it is shown, not run, on the
// clerk's machine that opens the export (OWASP: CSV injection).
//
// Thread-safe: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace jinguo {

// One field as it goes into a CSV line.
std::string CsvField(absl::string_view value);

// Appends `value` as one field to `line` (no separator).
void AppendCsvField(std::string* line, absl::string_view value);

// Splits one CSV record (without its line end) into fields; nullopt when its quotes are unbalanced or a quoted
// field is followed by anything but a comma. The reader for tests and for files Jinguo itself wrote.
std::optional<std::vector<std::string>> ParseCsvRecord(absl::string_view record);

}  // namespace jinguo
