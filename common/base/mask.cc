#include "common/base/mask.h"

namespace jinguo {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string MaskIdNumber(std::string_view id) {
  if (id.size() <= 7) return std::string(id.size(), '*');
  std::string out(id.substr(0, 3));
  out.append(id.size() - 7, '*');
  out.append(id.substr(id.size() - 4));
  return out;
}

std::string MaskPhone(std::string_view phone) {
  if (phone.size() <= 7) return std::string(phone.size(), '*');
  std::string out(phone.substr(0, 3));
  out.append(phone.size() - 7, '*');
  out.append(phone.substr(phone.size() - 4));
  return out;
}

void AppendMaskedSensitive(std::string_view text, std::string* out) {
  out->reserve(out->size() + text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i])) {
      out->push_back(text[i++]);
      continue;
    }
    size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    size_t run = i - start;
    if (run == 17 && i < text.size() && (text[i] == 'X' || text[i] == 'x') &&
        !(i + 1 < text.size() && (IsDigit(text[i + 1]) || text[i + 1] == 'X' || text[i + 1] == 'x'))) {
      ++i;
      out->append(MaskIdNumber(text.substr(start, 18)));
    } else if (run == 18) {
      out->append(MaskIdNumber(text.substr(start, 18)));
    } else if (run == 11 && text[start] == '1' && text[start + 1] >= '3') {
      out->append(MaskPhone(text.substr(start, 11)));
    } else {
      out->append(text.substr(start, run));
    }
  }
}

std::string MaskSensitive(std::string_view text) {
  std::string out;
  AppendMaskedSensitive(text, &out);
  return out;
}

}  // namespace jinguo
