// Paging shared by every paged RPC: page sizes, and page tokens that are opaque, bound to the query they came from
// and authenticated by the service that issued them.
//
// A page token carries the key to resume after and a fingerprint of its query: the service, the method, the
// caller's region scope, the region prefix the scan is clamped to, and every filter. It is sealed with an
// HMAC-SHA256 under the service's page-token key, so a token cannot be made up or edited, and one issued for
// another query (another caller, prefix or filter) is refused instead of resuming a scan it was not meant for.
// Tokens stay valid for as long as the key does (a key from --page-token-key-file, or one drawn at start).
//
// Refusing a token is the first wall; the scan itself is the second: list scans run through
// store::Store::ScanAfter, which never leaves the clamped prefix whatever key it is asked to resume after.
//
// Thread-safety: PageTokens is immutable after construction; every method is const and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/regions/region_table.h"
#include "common/rpc/auth.h"
#include "common/validate/field_violations.h"
#include "jinguo/common/v1/types.pb.h"
#include "rocksdb/iterator.h"

namespace jinguo::rpc {

// What a page token is bound to. Every field that changes which rows a listing returns belongs here.
struct PageQuery {
  std::string method;                // "ListBeneficiaries"
  std::string caller_scope;          // the caller's region scope ("" for the whole country)
  std::string prefix;                // the region prefix the scan is clamped to
  std::vector<std::string> filters;  // "category=2", … in a fixed order
};

class PageTokens {
 public:
  static constexpr size_t kKeyBytes = 32;
  // Tokens longer than this are refused before they are decoded.
  static constexpr size_t kMaxTokenChars = 2048;

  // `service` names the issuing service (a token of another service is refused); `key` has kKeyBytes bytes.
  PageTokens(std::string service, std::string key);

  // A key of kKeyBytes random bytes (tokens then last until the process stops).
  static std::string RandomKey();
  // Reads a key file: 64 hex characters (sha256-sized), surrounding whitespace ignored. Errors name the file.
  static absl::StatusOr<std::string> LoadKey(const std::string& path);

  // The token that resumes `query` after `resume_key`.
  std::string Issue(const PageQuery& query, absl::string_view resume_key) const;

  // The key to resume after: "" for an empty token (the first page). A token that this service did not issue, or
  // issued for another query, is INVALID_ARGUMENT with a violation naming `field`.
  absl::StatusOr<std::string> Resume(const PageQuery& query, absl::string_view token, absl::string_view field) const;

 private:
  std::string Fingerprint(const PageQuery& query) const;
  std::string Mac(absl::string_view body) const;

  std::string service_;
  std::string key_;
};

struct PageLimits {
  int default_size = 50;
  int max_size = 500;
};

// The page size a request asks for: `limits.default_size` when 0, at most `limits.max_size`. A negative size is a
// violation of `field` (and the default is returned, so the other fields are still checked).
int PageSize(int32_t requested, PageLimits limits, absl::string_view field, validate::FieldViolations& v);

// The region a listing is clamped to: `prefix` (a violation of `field` unless the region table knows it), or the
// caller's whole scope when `prefix` is empty. PERMISSION_DENIED unless the caller holds `minimum` over it.
absl::StatusOr<std::string> ReadScope(const Principal& who, const regions::RegionTable& table, absl::string_view prefix,
                                      absl::string_view field = "region_prefix", Role minimum = Role::kViewer);

// One page of a listing over a region-clamped index (keys that start with a region code): the scope resolved from
// `region_prefix` (ReadScope), the page size from `page` (PageSize), the token resumed for `method` and `filters`,
// then `scan(scope, after)` walked and `take(key)` called for each key until `take` has accepted a page of rows
// (it returns whether it added one); `next_page_token` is set when more keys remain. Errors are the call's.
struct ListingQuery {
  const char* method;
  absl::string_view region_prefix;
  std::vector<std::string> filters;
  const common::v1::PageRequest& page;
  PageLimits limits;
};
absl::Status ListPage(
    const PageTokens& pages, const regions::RegionTable& regions, const Principal& who, const ListingQuery& query,
    absl::FunctionRef<std::unique_ptr<rocksdb::Iterator>(const std::string& scope, const std::string& after)> scan,
    absl::FunctionRef<absl::StatusOr<bool>(const std::string& key)> take, std::string* next_page_token);

}  // namespace jinguo::rpc
