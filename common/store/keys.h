// Typed, order-preserving RocksDB keys. Integers are big-endian (so byte order is numeric order for unsigned
// values); strings end with 0x00 and must not contain it, so a key built from a prefix of the parts is a byte
// prefix of the full key (prefix scans). Not thread-safe per object; cheap to create.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace jinguo::store {

class KeyBuilder {
 public:
  KeyBuilder& U64(uint64_t v) {
    for (int i = 7; i >= 0; --i) key_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  KeyBuilder& U32(uint32_t v) {
    for (int i = 3; i >= 0; --i) key_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  // A day as yyyymmdd in four bytes: byte order is date order.
  KeyBuilder& Day(absl::CivilDay d) { return U32(static_cast<uint32_t>(d.year() * 10000 + d.month() * 100 + d.day())); }
  // A string part; `s` must not contain '\0'.
  KeyBuilder& Str(absl::string_view s) {
    key_.append(s.data(), s.size());
    key_.push_back('\0');
    return *this;
  }
  const std::string& key() const& { return key_; }
  std::string key() && { return std::move(key_); }

 private:
  std::string key_;
};

// Reads the parts of a key in the order they were built. Each read returns false when the key is too short.
class KeyReader {
 public:
  explicit KeyReader(absl::string_view key) : rest_(key) {}
  bool U64(uint64_t* v) {
    if (rest_.size() < 8) return false;
    uint64_t out = 0;
    for (int i = 0; i < 8; ++i) out = (out << 8) | static_cast<unsigned char>(rest_[i]);
    rest_.remove_prefix(8);
    *v = out;
    return true;
  }
  bool U32(uint32_t* v) {
    if (rest_.size() < 4) return false;
    uint32_t out = 0;
    for (int i = 0; i < 4; ++i) out = (out << 8) | static_cast<unsigned char>(rest_[i]);
    rest_.remove_prefix(4);
    *v = out;
    return true;
  }
  bool Day(absl::CivilDay* d) {
    uint32_t v = 0;
    if (!U32(&v)) return false;
    *d = absl::CivilDay(v / 10000, v / 100 % 100, v % 100);
    return true;
  }
  bool Str(std::string* s) {
    size_t end = rest_.find('\0');
    if (end == absl::string_view::npos) return false;
    s->assign(rest_.data(), end);
    rest_.remove_prefix(end + 1);
    return true;
  }
  bool done() const { return rest_.empty(); }

 private:
  absl::string_view rest_;
};

// A two-part index key: first \0 second \0 (e.g. region \0 id \0, listed by region prefix).
inline std::string PairKey(absl::string_view first, absl::string_view second) {
  return KeyBuilder().Str(first).Str(second).key();
}
// The second part of a two-part index key; "" when `key` is not one.
inline std::string SecondPart(absl::string_view key) {
  KeyReader r(key);
  std::string first, second;
  return r.Str(&first) && r.Str(&second) ? second : "";
}

// Fixed 8-byte big-endian encoding of a value (e.g. a stored version or offset).
inline std::string EncodeU64(uint64_t v) { return KeyBuilder().U64(v).key(); }
inline bool DecodeU64(absl::string_view bytes, uint64_t* v) { return KeyReader(bytes).U64(v); }

// The smallest key greater than every key starting with `prefix` (for iterate_upper_bound); "" if none.
std::string PrefixSuccessor(absl::string_view prefix);

}  // namespace jinguo::store
