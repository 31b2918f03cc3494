// The progress line of jinguoctl's long work (an import, a backup, a rebuild): rewritten in place on a terminal,
// a line every five seconds otherwise (a log, CI), and always a last line.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace jinguo::tools {

// 1234567 → "1,234,567".
inline std::string Thousands(int64_t n) {
  std::string s = std::to_string(n < 0 ? -n : n), out = n < 0 ? "-" : "";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && (s.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(s[i]);
  }
  return out;
}

// "1:05:09" or "3:07": a duration to the second.
inline std::string Clock(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(d);
  if (s < 0) s = 0;
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  }
  return buf;
}

class ProgressLine {
 public:
  explicit ProgressLine(bool quiet = false) : tty_(isatty(2) != 0 && !quiet), quiet_(quiet) {}
  absl::Time start() const { return start_; }
  absl::Duration elapsed() const { return absl::Now() - start_; }
  // Whether a line is due now (every 300 ms on a terminal, every 5 s otherwise); `final` always is.
  bool Due(bool final) {
    absl::Time now = absl::Now();
    if (final) return true;
    if (quiet_ || now - last_ < (tty_ ? absl::Milliseconds(300) : absl::Seconds(5))) return false;
    last_ = now;
    return true;
  }
  // Prints `text` as the progress line (to stderr); `final` ends it.
  void Print(const std::string& text, bool final) {
    std::fprintf(stderr, "%s%s%s", tty_ ? "\r\033[K" : "", text.c_str(), tty_ && !final ? "" : "\n");
    std::fflush(stderr);
  }

 private:
  bool tty_;
  bool quiet_;
  absl::Time start_ = absl::Now();
  // The first line comes one interval after the start: before then a rate says little, and short work shows only
  // its last line.
  absl::Time last_ = start_;
};

}  // namespace jinguo::tools
