#include "common/base/uuid.h"

#include <cstdio>

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
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return std::string(out, 36);
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
