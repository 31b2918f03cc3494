// Page tokens come back from callers: anything that is not a token this service issued for this query is refused
// as INVALID_ARGUMENT naming the field, never a crash and never a resume key nobody issued.
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "common/rpc/paging.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const jinguo::rpc::PageTokens tokens("registration", std::string(32, 'k'));
  static const jinguo::rpc::PageQuery query{"ListBeneficiaries", "1302", "130207", {"category=2"}};
  absl::string_view token(reinterpret_cast<const char*>(data), size);
  auto resumed = tokens.Resume(query, token, "page_token");
  if (resumed.ok()) {
    // Only the empty token and tokens carrying a valid MAC resume; the fuzzer cannot forge an HMAC-SHA256.
    if (!token.empty() && tokens.Issue(query, *resumed) != token) std::abort();
  } else if (resumed.status().code() != absl::StatusCode::kInvalidArgument) {
    std::abort();
  }
  // A well-formed token, then edited at one byte chosen by the input: refused.
  if (size >= 2 && size <= 1000) {
    std::string issued = tokens.Issue(query, std::string(reinterpret_cast<const char*>(data), size));
    if (!tokens.Resume(query, issued, "page_token").ok()) std::abort();
    size_t at = data[0] % issued.size();
    char flipped = static_cast<char>(issued[at] ^ (data[1] | 1));
    if (flipped != issued[at]) {
      issued[at] = flipped;
      auto edited = tokens.Resume(query, issued, "page_token");
      if (edited.ok()) std::abort();
    }
  }
  return 0;
}
