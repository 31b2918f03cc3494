// Masking of personal identifiers for logs, metrics and error messages. Pure functions; thread-safe.
//   ID number (18 characters)  11010519491231002X → 110***********002X
//   mobile number (11 digits)  13812345678        → 138****5678
#pragma once

#include <string>
#include <string_view>

namespace jinguo {

std::string MaskIdNumber(std::string_view id_number);
std::string MaskPhone(std::string_view phone);

// Masks every ID number (a run of exactly 17 digits followed by a digit or X/x) and every mainland mobile number
// (a run of exactly 11 digits starting 13–19) found in `text`; everything else is copied unchanged.
std::string MaskSensitive(std::string_view text);

// Appends MaskSensitive(text) to *out; for hot paths that reuse a buffer.
void AppendMaskedSensitive(std::string_view text, std::string* out);

}  // namespace jinguo
