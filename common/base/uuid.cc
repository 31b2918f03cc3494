#include "common/base/uuid.h"

namespace jinguo {

UuidV7Generator::UuidV7Generator(const Clock& clock, uint64_t seed)
    : clock_(clock), rng_(seed != 0 ? seed : (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {}

std::string UuidV7Generator::Next() {
  uint64_t ms, rand_b;
  uint16_t rand_a;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ms = static_cast<uint64_t>(absl::ToUnixMillis(clock_.Now()));
    if (ms <= last_ms_) {
      ms = last_ms_;
      if (++counter_ > 0xfff) {  // counter exhausted: borrow the next millisecond
        ++ms;
        counter_ = 0;
      }
    } else {
      counter_ = static_cast<uint16_t>(rng_() & 0x3ff);  // leave room to count up within the millisecond
    }
    last_ms_ = ms;
    rand_a = counter_;
    rand_b = rng_();
  }
  unsigned char b[16];
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
  b[6] = static_cast<unsigned char>(0x70 | ((rand_a >> 8) & 0x0f));
  b[7] = static_cast<unsigned char>(rand_a & 0xff);
  for (int i = 0; i < 8; ++i) b[8 + i] = static_cast<unsigned char>(rand_b >> (56 - 8 * i));
  b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3f));
  // 8-4-4-4-12 lowercase hex digits. Ids are made for every record and event, so not through printf.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t at = 0;
  for (int i = 0; i < 16; ++i) {
    if (at == 8 || at == 13 || at == 18 || at == 23) ++at;
    out[at++] = kHex[b[i] >> 4];
    out[at++] = kHex[b[i] & 0x0f];
  }
  return out;
}

bool IsUuidV7(const std::string& text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return text[14] == '7' && (text[19] == '8' || text[19] == '9' || text[19] == 'a' || text[19] == 'b');
}

}  // namespace jinguo
