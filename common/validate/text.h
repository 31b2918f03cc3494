// Text a person types into one field (a name, a note): well-formed UTF-8, lengths counted in characters (code
// points, so 王丽 is 2), and none of the characters that change how text reads without showing themselves:
// controls (C0, DEL, C1 such as U+0085), bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069),
// zero-width and other format characters (U+200B-U+200F, U+2060-U+2064, U+FEFF, U+00AD), line and paragraph
// separators. Middle dots (U+00B7, U+30FB, U+2027) of minority and foreign names are ordinary characters.
// Thread-safe (pure functions).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/validate/field_violations.h"

namespace jinguo::validate {

// The number of code points in `text`, which must be valid UTF-8.
size_t CharacterCount(absl::string_view text);

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
bool IsValidUtf8(absl::string_view text);

// `text` without the whitespace around it (ASCII whitespace, no-break and ideographic spaces).
absl::string_view TrimSpaces(absl::string_view text);

struct TextRules {
  size_t max_characters = 50;
  bool required = true;
  bool multi_line = false;  // allows \n (and \r\n) inside, as notes have
};

// Checks `text` and returns it trimmed. INVALID_ARGUMENT whose message reads after a field name: "is required",
// "must not be blank", "must be at most 50 characters, got 51", "must not contain U+202E (a control, format or
// bidirectional character)", "is not valid UTF-8".
absl::StatusOr<std::string> CleanText(absl::string_view text, TextRules rules);

// CleanText for a request field: the cleaned text, or "" with the reason added to `v` under `field`.
std::string CleanField(absl::string_view text, absl::string_view field, TextRules rules, FieldViolations& v);

}  // namespace jinguo::validate
