// The tokens file as an operator might leave it: parsing never crashes; an error names the file and a line; a
// file that loads authenticates only the tokens whose hashes it lists.
#include <cstdint>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "common/base/clock.h"
#include "common/rpc/auth.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto auth = jinguo::rpc::Authenticator::Parse(text, "tokens.txt", &jinguo::SystemClock::Get());
  if (!auth.ok()) {
    if (!absl::StartsWith(auth.status().message(), "tokens file tokens.txt:")) std::abort();
    return 0;
  }
  // A token whose hash is not in the file is refused; the empty token too.
  if (auth->AuthenticateToken("").ok()) std::abort();
  std::string token(text.substr(0, 40));
  auto who = auth->AuthenticateToken(token);
  if (who.ok() && !absl::StrContains(text, jinguo::rpc::HashToken(token))) std::abort();
  return 0;
}
