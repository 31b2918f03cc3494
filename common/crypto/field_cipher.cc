#include "common/crypto/field_cipher.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "openssl/evp.h"
#include "openssl/hmac.h"
#include "openssl/rand.h"

namespace jinguo::crypto {

namespace {

constexpr char kFormat = 1;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr size_t kMaxKeyIdChars = 32;

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::abort();  // no randomness: nothing can be encrypted safely
  }
  return out;
}

absl::Status CheckKeyId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxKeyIdChars) {
    return absl::InvalidArgumentError(absl::StrCat("a key id has 1 to ", kMaxKeyIdChars, " characters"));
  }
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return absl::InvalidArgumentError("a key id is printable ASCII without spaces");
  }
  return absl::OkStatus();
}

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

const unsigned char* U(absl::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

absl::StatusOr<FieldCipher> FieldCipher::FromKeys(std::vector<DataKey> data, std::string index_key) {
  if (data.empty()) return absl::InvalidArgumentError("no data key (use \"data\")");
  std::set<std::string> ids;
  for (const DataKey& k : data) {
    if (absl::Status s = CheckKeyId(k.id); !s.ok()) return s;
    if (k.bytes.size() != kKeyBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("data key ", k.id, " has ", k.bytes.size(), " bytes; it needs ", kKeyBytes));
    }
    if (!ids.insert(k.id).second) return absl::InvalidArgumentError(absl::StrCat("key id ", k.id, " appears twice"));
  }
  if (index_key.size() != kKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the index key has ", index_key.size(), " bytes; it needs ", kKeyBytes));
  }
  return FieldCipher(std::move(data), std::move(index_key));
}

absl::StatusOr<FieldCipher> FieldCipher::LoadKeyFile(const std::string& path) {
  errno = 0;
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(
        "data key file ", path, " cannot be read: ", errno != 0 ? std::strerror(errno) : "cannot be opened"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseKeyFile(text.str(), path);
}

absl::StatusOr<FieldCipher> FieldCipher::ParseKeyFile(absl::string_view text_of_file, absl::string_view path) {
  std::vector<DataKey> data;
  std::vector<std::string> index_keys;
  std::set<std::string> ids;
  int number = 0;
  auto fail = [&](absl::string_view reason) {
    return absl::InvalidArgumentError(absl::StrCat("data key file ", path, " line ", number, ": ", reason));
  };
  for (absl::string_view line : absl::StrSplit(text_of_file, '\n')) {
    ++number;
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    std::vector<absl::string_view> parts = absl::StrSplit(text, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (parts.size() != 3) return fail("expected: key id, use (data or index), 64 hex characters");
    if (absl::Status s = CheckKeyId(parts[0]); !s.ok()) return fail(s.message());
    if (!ids.insert(std::string(parts[0])).second) return fail(absl::StrCat("key id ", parts[0], " appears twice"));
    bool hex = std::all_of(parts[2].begin(), parts[2].end(), [](char c) { return absl::ascii_isxdigit(c); });
    if (!hex || parts[2].size() != 2 * kKeyBytes) {
      return fail(absl::StrCat("a key is ", 2 * kKeyBytes, " hex characters (", kKeyBytes,
                               " bytes, e.g. from `openssl rand -hex 32`); this one has ", parts[2].size(),
                               hex ? "" : " and is not hex"));
    }
    std::string bytes = absl::HexStringToBytes(parts[2]);
    if (parts[1] == "data") {
      data.push_back({std::string(parts[0]), std::move(bytes)});
    } else if (parts[1] == "index") {
      index_keys.push_back(std::move(bytes));
    } else {
      return fail(absl::StrCat("unknown use \"", parts[1], "\" (data or index)"));
    }
  }
  if (data.empty()) return absl::InvalidArgumentError(absl::StrCat("data key file ", path, " holds no data key"));
  if (index_keys.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("data key file ", path, " must hold exactly one index key; it holds ", index_keys.size()));
  }
  return FromKeys(std::move(data), std::move(index_keys[0]));
}

std::string FieldCipher::NewKeyFile(const std::string& data_id) {
  return absl::StrCat("# Jinguo data keys: key id, use, 32 bytes in hex. Keep secret; never commit.\n", data_id,
                      " data ", absl::BytesToHexString(RandomBytes(kKeyBytes)), "\nidx1 index ",
                      absl::BytesToHexString(RandomBytes(kKeyBytes)), "\n");
}

const DataKey* FieldCipher::Find(absl::string_view id) const {
  for (const DataKey& k : data_) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

std::string FieldCipher::Encrypt(absl::string_view plaintext, absl::string_view context) const {
  const DataKey& key = data_.back();
  std::string nonce = RandomBytes(kNonceBytes);
  std::string out;
  out.reserve(2 + key.id.size() + kNonceBytes + plaintext.size() + kTagBytes);
  out.push_back(kFormat);
  out.push_back(static_cast<char>(key.id.size()));
  out.append(key.id);
  out.append(nonce);
  size_t body = out.size();
  out.resize(body + plaintext.size() + kTagBytes);
  auto* dst = reinterpret_cast<unsigned char*>(out.data()) + body;
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0, final_len = 0;
  bool ok = ctx != nullptr && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, U(key.bytes), U(nonce)) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(context), static_cast<int>(context.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), dst, &len, U(plaintext), static_cast<int>(plaintext.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx.get(), dst + len, &final_len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, dst + plaintext.size()) == 1;
  if (!ok) std::abort();  // OpenSSL failing on valid input and a valid key: nothing can be stored safely
  return out;
}

std::string FieldCipher::KeyIdOf(absl::string_view ciphertext) {
  if (ciphertext.size() < 2 || ciphertext[0] != kFormat) return "";
  size_t id_len = static_cast<unsigned char>(ciphertext[1]);
  if (ciphertext.size() < 2 + id_len + kNonceBytes + kTagBytes) return "";
  return std::string(ciphertext.substr(2, id_len));
}

absl::StatusOr<std::string> FieldCipher::Decrypt(absl::string_view ciphertext, absl::string_view context,
                                                 absl::string_view what) const {
  std::string id = KeyIdOf(ciphertext);
  if (id.empty()) return absl::DataLossError(absl::StrCat(what, ": the stored value is not a ciphertext"));
  const DataKey* key = Find(id);
  if (key == nullptr) {
    return absl::DataLossError(
        absl::StrCat(what, ": encrypted under key ", id, ", which the data key file does not hold"));
  }
  absl::string_view rest = ciphertext.substr(2 + id.size());
  absl::string_view nonce = rest.substr(0, kNonceBytes);
  absl::string_view sealed = rest.substr(kNonceBytes, rest.size() - kNonceBytes - kTagBytes);
  std::string tag(rest.substr(rest.size() - kTagBytes));
  std::string out(sealed.size(), '\0');
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0, final_len = 0;
  bool ok = ctx != nullptr && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, U(key->bytes), U(nonce)) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(context), static_cast<int>(context.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, U(sealed),
                              static_cast<int>(sealed.size())) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &final_len) == 1;
  if (!ok) {
    return absl::DataLossError(
        absl::StrCat(what, ": the stored value is corrupted or belongs to another record (it does not decrypt)"));
  }
  return out;
}

std::string FieldCipher::BlindIndex(absl::string_view purpose, absl::string_view value) const {
  std::string message;
  message.reserve(purpose.size() + 1 + value.size());
  message.append(purpose.data(), purpose.size());
  message.push_back('\0');
  message.append(value.data(), value.size());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), index_key_.data(), static_cast<int>(index_key_.size()), U(message), message.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), kIndexBytes);
}

}  // namespace jinguo::crypto
