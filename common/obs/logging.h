// Structured JSON logs on stderr, one object per line, in which ID numbers and mobile numbers are masked on every
// line whoever wrote it (our code, a library through spdlog). Thread-safe after InitLogging.
//
//   {"ts":"2026-11-22T12:00:00.123Z","level":"info","service":"registration","msg":"registered 110***********002X"}
#pragma once

#include <memory>
#include <string>

#include "spdlog/formatter.h"

namespace jinguo::obs {

// Formats a record as one JSON line with the message masked (base/mask.h) and escaped.
class MaskingJsonFormatter final : public spdlog::formatter {
 public:
  explicit MaskingJsonFormatter(std::string service) : service_(std::move(service)) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;

 private:
  std::string service_;
};

// Makes the default spdlog logger write masked JSON lines to stderr at `level` ("debug", "info", "warn", "error").
void InitLogging(const std::string& service, const std::string& level);

}  // namespace jinguo::obs
