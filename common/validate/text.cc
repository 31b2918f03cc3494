#include "common/validate/text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace jinguo::validate {

namespace {

// Decodes the code point at `text[*pos]` and advances past it; -1 for malformed UTF-8 (overlong forms,
// surrogates and values past U+10FFFF included).
int32_t NextCodePoint(absl::string_view text, size_t* pos) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char b0 = byte(*pos);
  int len;
  int32_t cp;
  if (b0 < 0x80) {
    ++*pos;
    return b0;
  } else if ((b0 & 0xe0) == 0xc0) {
    len = 2;
    cp = b0 & 0x1f;
  } else if ((b0 & 0xf0) == 0xe0) {
    len = 3;
    cp = b0 & 0x0f;
  } else if ((b0 & 0xf8) == 0xf0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return -1;
  }
  if (*pos + len > text.size()) return -1;
  for (int i = 1; i < len; ++i) {
    unsigned char b = byte(*pos + i);
    if ((b & 0xc0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3f);
  }
  static constexpr int32_t kMinOfLength[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinOfLength[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
  *pos += len;
  return cp;
}

bool IsHidden(int32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0xad || cp == 0x61c || cp == 0x180e ||
         (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) ||
         cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) || cp == 0xfffe || cp == 0xffff;
}

bool IsSpace(int32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f' || cp == 0xa0 ||
         cp == 0x3000 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x202f || cp == 0x205f;
}

}  // namespace

bool IsValidUtf8(absl::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    if (NextCodePoint(text, &pos) < 0) return false;
  }
  return true;
}

size_t CharacterCount(absl::string_view text) {
  size_t n = 0;
  for (size_t pos = 0; pos < text.size();) {
    if (NextCodePoint(text, &pos) < 0) ++pos;
    ++n;
  }
  return n;
}

absl::string_view TrimSpaces(absl::string_view text) {
  size_t begin = 0;
  while (begin < text.size()) {
    size_t pos = begin;
    int32_t cp = NextCodePoint(text, &pos);
    if (cp < 0 || !IsSpace(cp)) break;
    begin = pos;
  }
  size_t end = begin;  // one past the last character that is not a space
  for (size_t pos = begin; pos < text.size();) {
    int32_t cp = NextCodePoint(text, &pos);
    if (cp < 0) return text.substr(begin);  // malformed: CleanText refuses it whole
    if (!IsSpace(cp)) end = pos;
  }
  return text.substr(begin, end - begin);
}

absl::StatusOr<std::string> CleanText(absl::string_view text, TextRules rules) {
  if (text.empty()) {
    if (rules.required) return absl::InvalidArgumentError("is required");
    return std::string();
  }
  size_t count = 0;
  for (size_t pos = 0; pos < text.size();) {
    int32_t cp = NextCodePoint(text, &pos);
    if (cp < 0) return absl::InvalidArgumentError("is not valid UTF-8");
    ++count;
  }
  absl::string_view trimmed = TrimSpaces(text);
  if (trimmed.empty()) {
    if (rules.required) return absl::InvalidArgumentError("must not be blank (it holds only spaces)");
    return std::string();
  }
  for (size_t pos = 0; pos < trimmed.size();) {
    int32_t cp = NextCodePoint(trimmed, &pos);
    if (rules.multi_line && (cp == '\n' || cp == '\r')) continue;
    if (IsHidden(cp)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "must not contain U+%04X (a control, format or bidirectional character that changes how text reads)", cp));
    }
  }
  size_t kept = CharacterCount(trimmed);
  if (kept > rules.max_characters) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be at most ", rules.max_characters, " characters, got ", kept));
  }
  return std::string(trimmed);
}

std::string CleanField(absl::string_view text, absl::string_view field, TextRules rules, FieldViolations& v) {
  absl::StatusOr<std::string> clean = CleanText(text, rules);
  if (!v.Check(field, clean.status())) return "";
  return *std::move(clean);
}

}  // namespace jinguo::validate
