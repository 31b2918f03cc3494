// Who is calling and what they may touch. A bearer token (metadata "authorization: Bearer <token>") maps to a
// principal through a tokens file that holds only SHA-256 hashes of the tokens:
//
//   # sha256(token) hex                                               name     role      region scope
//   5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8  alice    operator  1302
//
// Roles, weakest first: viewer (reads, identifiers masked), operator (writes), admin (everything), and service
// (another Jinguo service; reads and writes). The region scope is a code prefix ("*" for the whole country); a
// principal acts only on regions whose codes start with it.
//
// Thread-safety: immutable after Load; every method is const and thread-safe.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"

namespace jinguo::rpc {

enum class Role { kViewer = 0, kOperator = 1, kAdmin = 2, kService = 3 };

absl::string_view RoleName(Role role);

struct Principal {
  std::string name;
  Role role = Role::kViewer;
  std::string region_scope;  // "" = whole country

  // True when the principal may act on `region` (a code or code prefix).
  bool Covers(absl::string_view region) const;
  // True when identifiers (ID and phone numbers) may be shown to this principal unmasked.
  bool SeesIdentifiers() const { return role != Role::kViewer; }
};

// Hex SHA-256 of a token, as stored in the tokens file.
std::string HashToken(absl::string_view token);

class Authenticator {
 public:
  // Reads a tokens file; errors name the line.
  static absl::StatusOr<Authenticator> Load(const std::string& path);
  // For tests and tools: from hashed-token → principal pairs.
  explicit Authenticator(std::map<std::string, Principal> by_hash) : by_hash_(std::move(by_hash)) {}

  // UNAUTHENTICATED when the call has no bearer token or an unknown one.
  absl::StatusOr<Principal> Authenticate(const grpc::ServerContextBase& context) const;
  absl::StatusOr<Principal> AuthenticateToken(absl::string_view token) const;

 private:
  std::map<std::string, Principal> by_hash_;
};

// PERMISSION_DENIED unless `principal` holds at least `minimum` (service counts as operator) and covers `region`
// ("" when the action concerns no region). The message says which, without naming identifiers.
absl::Status Authorize(const Principal& principal, Role minimum, absl::string_view region);

}  // namespace jinguo::rpc
