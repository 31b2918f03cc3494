// The CSV export writer: any text written as fields reads back as the same fields (a value a spreadsheet would run
// as a formula comes back with its leading apostrophe), and no field breaks its record across lines unquoted.
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "common/base/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  // The input split at its first NUL byte into two fields.
  size_t cut = input.find('\0');
  std::vector<std::string> values = {std::string(input.substr(0, cut)),
                                     cut == absl::string_view::npos ? "" : std::string(input.substr(cut + 1))};
  std::string record;
  jinguo::AppendCsvField(&record, values[0]);
  record.push_back(',');
  jinguo::AppendCsvField(&record, values[1]);
  auto fields = jinguo::ParseCsvRecord(record);
  if (!fields || fields->size() != 2) std::abort();
  for (size_t i = 0; i < 2; ++i) {
    const std::string& v = values[i];
    bool formula =
        !v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r');
    if ((*fields)[i] != (formula ? "'" + v : v)) std::abort();
    // What a spreadsheet sees first in a field is never a formula sign.
    const std::string& shown = (*fields)[i];
    if (!shown.empty() && (shown[0] == '=' || shown[0] == '+' || shown[0] == '-' || shown[0] == '@')) std::abort();
  }
  return 0;
}
