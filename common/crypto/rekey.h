// What re-encrypting a stopped service's store under the newest data key did (jinguoctl rekey), per store and in
// total. A second run over the same store examines as many records and reseals none.
#pragma once

#include <cstdint>

namespace jinguo::crypto {

struct RekeyCounts {
  int64_t examined = 0;  // records holding a ciphertext (or one that should)
  int64_t resealed = 0;  // re-encrypted: under an older key, or stored in clear before identifiers were encrypted
  int64_t dropped = 0;   // removed: could not be sealed (see the store's Rekey)

  RekeyCounts& operator+=(const RekeyCounts& o) {
    examined += o.examined;
    resealed += o.resealed;
    dropped += o.dropped;
    return *this;
  }
};

}  // namespace jinguo::crypto
