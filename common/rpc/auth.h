// Who is calling and what they may touch. A bearer token (metadata "authorization: Bearer <token>") maps to a
// principal through a tokens file that holds only SHA-256 hashes of the tokens:
//
//   # sha256(token) hex                                               name     role      region scope  [expiry]
//   5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8  alice    operator  1302 not_after=2027-06-30
//
// Business roles, weakest first: viewer (reads, identifiers masked), operator (writes), admin (everything of the
// business), and service (another Jinguo service; reads and writes). Beside them: health (a health worker: reads as
// a viewer, with identifiers, and reads screening results in her region, which no viewer does) and auditor (reads
// audit records and nothing else; admin does not read audit). The region scope is a code prefix ("*" for the
// whole country); a principal acts only on regions whose codes start with it. A token with not_after=YYYY-MM-DD is
// valid through that day (Asia/Shanghai) and UNAUTHENTICATED "token expired" after it.
//
// Thread-safety: immutable after Load; every method is const and thread-safe.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "grpcpp/server_context.h"

namespace jinguo::rpc {

enum class Role { kViewer = 0, kOperator = 1, kAdmin = 2, kService = 3, kHealth = 4, kAuditor = 5, kLender = 6 };

absl::string_view RoleName(Role role);

struct Principal {
  std::string name;
  Role role = Role::kViewer;
  std::string region_scope;  // "" = whole country

  // True when the principal may act on `region` (a code or code prefix).
  bool Covers(absl::string_view region) const;
  // Valid through the end of this instant; InfiniteFuture when the token does not expire.
  absl::Time not_after = absl::InfiniteFuture();

  // True when identifiers (ID and phone numbers) may be shown to this principal unmasked.
  bool SeesIdentifiers() const { return role != Role::kViewer && role != Role::kAuditor; }
  // True when health results (screenings, follow-ups, diagnoses) may be read and recorded: the health role, admins
  // and other services; never viewers, operators or auditors.
  bool SeesHealthResults() const { return role == Role::kHealth || role == Role::kAdmin || role == Role::kService; }
  // True for a bank's staff acting on loans (approval, disbursement, repayments, subsidy claims): the lender role,
  // admins and other services.
  bool Lends() const { return role == Role::kLender || role == Role::kAdmin || role == Role::kService; }
};

// Hex SHA-256 of a token, as stored in the tokens file.
std::string HashToken(absl::string_view token);

class Authenticator {
 public:
  // Reads a tokens file; errors name the line.
  static absl::StatusOr<Authenticator> Load(const std::string& path);
  // For tests and tools: from hashed-token → principal pairs. `clock` (which must outlive this) tells expiry.
  explicit Authenticator(std::map<std::string, Principal> by_hash, const Clock* clock = &SystemClock::Get())
      : by_hash_(std::move(by_hash)), clock_(clock) {}

  // Reads a tokens file with `clock` telling expiry.
  static absl::StatusOr<Authenticator> Load(const std::string& path, const Clock* clock);
  // A tokens file's `text`; errors name `path` and the line.
  static absl::StatusOr<Authenticator> Parse(absl::string_view text, absl::string_view path, const Clock* clock);
  // UNAUTHENTICATED when the call has no bearer token, an unknown one or an expired one ("token expired").
  absl::StatusOr<Principal> Authenticate(const grpc::ServerContextBase& context) const;
  absl::StatusOr<Principal> AuthenticateToken(absl::string_view token) const;

 private:
  std::map<std::string, Principal> by_hash_;
  const Clock* clock_;
};

// PERMISSION_DENIED unless `principal` holds at least the business role `minimum` (service counts as operator,
// health and lender as viewer; an auditor holds none) and covers `region` ("" when the action concerns no region). The
// message says which, without naming identifiers.
absl::Status Authorize(const Principal& principal, Role minimum, absl::string_view region);
// PERMISSION_DENIED unless `principal` is an auditor (audit records are read by auditors only).
absl::Status AuthorizeAudit(const Principal& principal);

// PERMISSION_DENIED unless `principal` may read and record health results (SeesHealthResults) in `region`.
absl::Status AuthorizeHealthResults(const Principal& principal, absl::string_view region);
// PERMISSION_DENIED unless `principal` acts for a bank on loans (Lends) in `region`.
absl::Status AuthorizeLending(const Principal& principal, absl::string_view region);

}  // namespace jinguo::rpc
