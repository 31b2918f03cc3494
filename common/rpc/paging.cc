#include "common/rpc/paging.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/store/store.h"
#include "common/validate/region_code.h"
#include "openssl/crypto.h"
#include "openssl/evp.h"
#include "openssl/hmac.h"
#include "openssl/rand.h"

namespace jinguo::rpc {

namespace {

constexpr char kVersion = 1;
constexpr size_t kFingerprintBytes = 16;
constexpr size_t kMacBytes = 32;

void AppendPart(std::string& out, absl::string_view part) {
  uint32_t n = static_cast<uint32_t>(part.size());
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out.append(part.data(), part.size());
}

absl::Status TokenError(absl::string_view field, absl::string_view reason) {
  validate::FieldViolations v;
  v.Add(field, reason);
  return v.ToStatus();
}

}  // namespace

PageTokens::PageTokens(std::string service, std::string key) : service_(std::move(service)), key_(std::move(key)) {}

std::string PageTokens::RandomKey() {
  std::string key(kKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) != 1) {
    std::abort();  // no randomness: nothing secure can be issued
  }
  return key;
}

absl::StatusOr<std::string> PageTokens::LoadKey(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("page-token key file ", path, " cannot be read"));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text(absl::StripAsciiWhitespace(ss.str()));
  bool hex = std::all_of(text.begin(), text.end(), [](char c) { return absl::ascii_isxdigit(c); });
  if (text.size() != 2 * kKeyBytes || !hex) {
    return absl::InvalidArgumentError(absl::StrCat("page-token key file ", path, " must hold ", 2 * kKeyBytes,
                                                   " hex characters (e.g. from `openssl rand -hex 32`)"));
  }
  return absl::HexStringToBytes(text);
}

std::string PageTokens::Fingerprint(const PageQuery& query) const {
  std::string parts;
  AppendPart(parts, service_);
  AppendPart(parts, query.method);
  AppendPart(parts, query.caller_scope);
  AppendPart(parts, query.prefix);
  for (const std::string& f : query.filters) AppendPart(parts, f);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(parts.data(), parts.size(), digest, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), kFingerprintBytes);
}

std::string PageTokens::Mac(absl::string_view body) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(body.data()),
       body.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), kMacBytes);
}

std::string PageTokens::Issue(const PageQuery& query, absl::string_view resume_key) const {
  std::string body(1, kVersion);
  body += Fingerprint(query);
  body.append(resume_key.data(), resume_key.size());
  body += Mac(body);
  return absl::WebSafeBase64Escape(body);
}

absl::StatusOr<std::string> PageTokens::Resume(const PageQuery& query, absl::string_view token,
                                               absl::string_view field) const {
  if (token.empty()) return std::string();
  constexpr absl::string_view kNotIssued =
      "is not a page token this service issued for this listing (take next_page_token from the previous page "
      "unchanged; tokens end when the service restarts with another key)";
  if (token.size() > kMaxTokenChars) return TokenError(field, kNotIssued);
  std::string body;
  if (!absl::WebSafeBase64Unescape(token, &body) || body.size() < 1 + kFingerprintBytes + kMacBytes ||
      body[0] != kVersion || absl::WebSafeBase64Escape(body) != token) {
    return TokenError(field, kNotIssued);
  }
  absl::string_view signed_part(body.data(), body.size() - kMacBytes);
  std::string mac = Mac(signed_part);
  if (CRYPTO_memcmp(mac.data(), body.data() + signed_part.size(), kMacBytes) != 0) {
    return TokenError(field, kNotIssued);
  }
  if (body.compare(1, kFingerprintBytes, Fingerprint(query)) != 0) {
    return TokenError(field,
                      "was issued for another listing: keep region_prefix, the filters and the caller of the first "
                      "page, or start again without a token");
  }
  return std::string(signed_part.substr(1 + kFingerprintBytes));
}

int PageSize(int32_t requested, PageLimits limits, absl::string_view field, validate::FieldViolations& v) {
  if (requested < 0) {
    v.Add(field, absl::StrCat("must not be negative (0 for the default of ", limits.default_size, ", at most ",
                              limits.max_size, ")"));
    return limits.default_size;
  }
  if (requested == 0) return limits.default_size;
  return std::min<int>(requested, limits.max_size);
}

absl::StatusOr<std::string> ReadScope(const Principal& who, const regions::RegionTable& table, absl::string_view prefix,
                                      absl::string_view field, Role minimum) {
  validate::FieldViolations v;
  v.Check(field, validate::CheckRegionPrefix(table, prefix));
  if (!v.empty()) return v.ToStatus();
  std::string scope = prefix.empty() ? who.region_scope : std::string(prefix);
  if (absl::Status s = Authorize(who, minimum, scope); !s.ok()) return s;
  return scope;
}

absl::Status ListPage(
    const PageTokens& pages, const regions::RegionTable& regions, const Principal& who, const ListingQuery& query,
    absl::FunctionRef<std::unique_ptr<rocksdb::Iterator>(const std::string& scope, const std::string& after)> scan,
    absl::FunctionRef<absl::StatusOr<bool>(const std::string& key)> take, std::string* next_page_token) {
  validate::FieldViolations v;
  int page_size = PageSize(query.page.page_size(), query.limits, "page.page_size", v);
  if (!v.empty()) return v.ToStatus();
  absl::StatusOr<std::string> scope = ReadScope(who, regions, query.region_prefix);
  if (!scope.ok()) return scope.status();
  PageQuery fingerprint{query.method, who.region_scope, *scope, query.filters};
  absl::StatusOr<std::string> after = pages.Resume(fingerprint, query.page.page_token(), "page.page_token");
  if (!after.ok()) return after.status();
  auto it = scan(*scope, *after);
  std::string last;
  int taken = 0;
  for (; it->Valid(); it->Next()) {
    if (taken >= page_size) {
      *next_page_token = pages.Issue(fingerprint, last);
      break;
    }
    last = it->key().ToString();
    absl::StatusOr<bool> added = take(last);
    if (!added.ok()) return added.status();
    if (*added) ++taken;
  }
  return store::FromRocks(it->status(), query.method);
}

}  // namespace jinguo::rpc
