// The data key file and the ciphertexts sealed under it: a key file parses or is refused naming the file; a
// ciphertext that was corrupted, truncated, moved or made under another key is DATA_LOSS naming the record, never
// a crash and never a wrong plaintext.
#include <cstdint>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "common/crypto/field_cipher.h"

namespace {

const jinguo::crypto::FieldCipher& Cipher() {
  static const auto* cipher = new jinguo::crypto::FieldCipher(*jinguo::crypto::FieldCipher::FromKeys(
      {{"k1", std::string(32, '\x01')}, {"k2", std::string(32, '\x02')}}, std::string(32, '\x03')));
  return *cipher;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);

  auto parsed = jinguo::crypto::FieldCipher::ParseKeyFile(input, "keys.txt");
  if (!parsed.ok() && !absl::StrContains(parsed.status().message(), "keys.txt")) std::abort();

  // The input as a ciphertext: refused as DATA_LOSS (or, should it be a real one, its plaintext round-trips).
  const auto& cipher = Cipher();
  auto opened = cipher.Decrypt(input, "beneficiary/b-1/id_number", "beneficiary b-1 id_number");
  if (!opened.ok()) {
    if (opened.status().code() != absl::StatusCode::kDataLoss) std::abort();
    if (!absl::StrContains(opened.status().message(), "beneficiary b-1 id_number")) std::abort();
  } else if (cipher.Encrypt(*opened, "x").empty()) {
    std::abort();
  }

  // A real ciphertext with one byte changed where the input says: refused, never another plaintext.
  if (size >= 2) {
    std::string plaintext(input.substr(2));
    std::string sealed = cipher.Encrypt(plaintext, "beneficiary/b-1/mobile");
    auto back = cipher.Decrypt(sealed, "beneficiary/b-1/mobile", "beneficiary b-1 mobile");
    if (!back.ok() || *back != plaintext) std::abort();
    if (cipher.Decrypt(sealed, "beneficiary/b-2/mobile", "beneficiary b-2 mobile").ok()) std::abort();
    size_t at = data[0] % sealed.size();
    sealed[at] = static_cast<char>(sealed[at] ^ (data[1] | 1));
    if (cipher.Decrypt(sealed, "beneficiary/b-1/mobile", "beneficiary b-1 mobile").ok()) std::abort();
  }
  return 0;
}
