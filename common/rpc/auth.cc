#include "common/rpc/auth.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/civil_date.h"
#include "openssl/evp.h"

namespace jinguo::rpc {

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
    case Role::kService:
      return "service";
    case Role::kHealth:
      return "health";
    case Role::kAuditor:
      return "auditor";
    case Role::kLender:
      return "lender";
  }
  return "unknown";
}

bool Principal::Covers(absl::string_view region) const { return absl::StartsWith(region, region_scope); }

std::string HashToken(absl::string_view token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up in its provider on every digest.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_Digest(token.data(), token.size(), digest, &len, sha256, nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

absl::StatusOr<Authenticator> Authenticator::Load(const std::string& path) { return Load(path, &SystemClock::Get()); }

absl::StatusOr<Authenticator> Authenticator::Load(const std::string& path, const Clock* clock) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("tokens file ", path, " cannot be read"));
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path, clock);
}

absl::StatusOr<Authenticator> Authenticator::Parse(absl::string_view text, absl::string_view path, const Clock* clock) {
  std::map<std::string, Principal> by_hash;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    std::istringstream fields{std::string(trimmed)};
    std::string hash, name, role, scope;
    auto where = [&] { return absl::StrCat("tokens file ", path, ":", line_no, ": "); };
    if (!(fields >> hash >> name >> role >> scope)) {
      return absl::InvalidArgumentError(absl::StrCat(where(), "expected: sha256-hex name role region-scope"));
    }
    if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(where(), "the first field must be a lower-case hex SHA-256"));
    }
    // "Bearer " with nothing after it must never be a principal, whatever the file says.
    if (hash == HashToken("")) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), "the hash is that of an empty token, which would let anyone in"));
    }
    Principal p;
    p.name = name;
    if (role == "viewer")
      p.role = Role::kViewer;
    else if (role == "operator")
      p.role = Role::kOperator;
    else if (role == "admin")
      p.role = Role::kAdmin;
    else if (role == "service")
      p.role = Role::kService;
    else if (role == "health")
      p.role = Role::kHealth;
    else if (role == "auditor")
      p.role = Role::kAuditor;
    else if (role == "lender")
      p.role = Role::kLender;
    else
      return absl::InvalidArgumentError(
          absl::StrCat(where(), "role must be viewer, operator, admin, service, health, lender or auditor"));
    if (scope != "*") {
      if (scope.find_first_not_of("0123456789") != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(where(), "region scope must be digits or *"));
      }
      p.region_scope = scope;
    }
    std::string extra;
    if (fields >> extra) {
      absl::string_view day = extra;
      if (!absl::ConsumePrefix(&day, "not_after=")) {
        return absl::InvalidArgumentError(
            absl::StrCat(where(), "the fifth field, when given, is not_after=YYYY-MM-DD"));
      }
      auto last = ParseCivilDate(day);
      if (!last.ok()) return absl::InvalidArgumentError(absl::StrCat(where(), "not_after: ", last.status().message()));
      // Through the end of that day in China.
      p.not_after = absl::FromCivil(*last + 1, ChinaTimeZone()) - absl::Nanoseconds(1);
      if (fields >> extra) return absl::InvalidArgumentError(absl::StrCat(where(), "unexpected field after not_after"));
    }
    by_hash[hash] = std::move(p);
  }
  return Authenticator(std::move(by_hash), clock);
}

absl::StatusOr<Principal> Authenticator::AuthenticateToken(absl::string_view token) const {
  if (token.empty()) return absl::UnauthenticatedError("empty bearer token");
  auto it = by_hash_.find(HashToken(token));
  if (it == by_hash_.end()) return absl::UnauthenticatedError("unknown bearer token");
  if (clock_->Now() > it->second.not_after) return absl::UnauthenticatedError("token expired");
  return it->second;
}

absl::StatusOr<Principal> Authenticator::Authenticate(const grpc::ServerContextBase& context) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError("missing bearer token (metadata \"authorization: Bearer <token>\")");
  }
  absl::string_view value(it->second.data(), it->second.size());
  if (!absl::ConsumePrefix(&value, "Bearer ") && !absl::ConsumePrefix(&value, "bearer ")) {
    return absl::UnauthenticatedError("authorization metadata must be \"Bearer <token>\"");
  }
  return AuthenticateToken(absl::StripAsciiWhitespace(value));
}

absl::Status Authorize(const Principal& principal, Role minimum, absl::string_view region) {
  if (principal.role == Role::kAuditor) {
    return absl::PermissionDeniedError(
        absl::StrCat(principal.name, " is an auditor: auditors read audit records only"));
  }
  auto rank = [](Role r) {
    switch (r) {
      case Role::kService:
        return static_cast<int>(Role::kOperator);
      case Role::kHealth:
      case Role::kLender:
        return static_cast<int>(Role::kViewer);
      default:
        return static_cast<int>(r);
    }
  };
  if (rank(principal.role) < rank(minimum)) {
    return absl::PermissionDeniedError(
        absl::StrCat(principal.name, " is a ", RoleName(principal.role), "; this needs ", RoleName(minimum)));
  }
  if (!principal.Covers(region)) {
    return absl::PermissionDeniedError(absl::StrCat(principal.name, " may act only within region ",
                                                    principal.region_scope, ", not ",
                                                    region.empty() ? "the whole country" : region));
  }
  return absl::OkStatus();
}

absl::Status AuthorizeAudit(const Principal& principal) {
  if (principal.role == Role::kAuditor) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat(principal.name, " is a ", RoleName(principal.role), "; audit records are read by auditors only"));
}

absl::Status AuthorizeHealthResults(const Principal& principal, absl::string_view region) {
  if (!principal.SeesHealthResults()) {
    return absl::PermissionDeniedError(absl::StrCat(principal.name, " is a ", RoleName(principal.role),
                                                    "; health results are read and recorded by the health role"));
  }
  if (!principal.Covers(region)) {
    return absl::PermissionDeniedError(absl::StrCat(principal.name, " may act only within region ",
                                                    principal.region_scope.empty() ? "*" : principal.region_scope));
  }
  return absl::OkStatus();
}

absl::Status AuthorizeLending(const Principal& principal, absl::string_view region) {
  if (!principal.Lends()) {
    return absl::PermissionDeniedError(absl::StrCat(principal.name, " is a ", RoleName(principal.role),
                                                    "; this is done by the bank's staff (role lender)"));
  }
  if (!principal.Covers(region)) {
    return absl::PermissionDeniedError(absl::StrCat(principal.name, " may act only within region ",
                                                    principal.region_scope.empty() ? "*" : principal.region_scope));
  }
  return absl::OkStatus();
}

}  // namespace jinguo::rpc
