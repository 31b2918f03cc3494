#include "common/base/csv.h"

namespace jinguo {

namespace {

bool RunsAsFormula(absl::string_view value) {
  if (value.empty()) return false;
  switch (value.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
      return true;
    default:
      return false;
  }
}

}  // namespace

void AppendCsvField(std::string* line, absl::string_view value) {
  bool formula = RunsAsFormula(value);
  bool quote = value.find_first_of(",\"\r\n") != absl::string_view::npos;
  if (!formula && !quote) {
    line->append(value.data(), value.size());
    return;
  }
  if (quote) line->push_back('"');
  if (formula) line->push_back('\'');
  for (char c : value) {
    if (c == '"') line->push_back('"');
    line->push_back(c);
  }
  if (quote) line->push_back('"');
}

std::string CsvField(absl::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  AppendCsvField(&out, value);
  return out;
}

std::optional<std::vector<std::string>> ParseCsvRecord(absl::string_view record) {
  std::vector<std::string> fields(1);
  size_t i = 0;
  bool at_field_start = true;
  while (i < record.size()) {
    char c = record[i];
    if (at_field_start && c == '"') {
      ++i;
      for (;;) {
        if (i >= record.size()) return std::nullopt;  // no closing quote
        if (record[i] == '"') {
          if (i + 1 < record.size() && record[i + 1] == '"') {
            fields.back().push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        fields.back().push_back(record[i++]);
      }
      if (i < record.size() && record[i] != ',') return std::nullopt;
      at_field_start = false;
      continue;
    }
    if (c == ',') {
      fields.emplace_back();
      at_field_start = true;
    } else {
      if (c == '"') return std::nullopt;  // a quote inside an unquoted field
      fields.back().push_back(c);
      at_field_start = false;
    }
    ++i;
  }
  return fields;
}

}  // namespace jinguo
