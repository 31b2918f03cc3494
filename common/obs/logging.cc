#include "common/obs/logging.h"

#include <chrono>
#include <cstdio>

#include "common/base/mask.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace jinguo::obs {
namespace {

void AppendJsonEscaped(std::string_view in, std::string* out) {
  for (char c : in) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(c);
        }
    }
  }
}

}  // namespace

void MaskingJsonFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  using namespace std::chrono;
  auto since_epoch = msg.time.time_since_epoch();
  auto ms = duration_cast<milliseconds>(since_epoch).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[96];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  std::string line;
  line.reserve(msg.payload.size() + 96);
  line.append("{\"ts\":\"").append(ts).append("\",\"level\":\"");
  auto level = spdlog::level::to_string_view(msg.level);
  line.append(level.data(), level.size());
  line.append("\",\"service\":\"");
  AppendJsonEscaped(service_, &line);
  line.append("\",\"msg\":\"");
  std::string masked = MaskSensitive(std::string_view(msg.payload.data(), msg.payload.size()));
  AppendJsonEscaped(masked, &line);
  line.append("\"}\n");
  dest.append(line.data(), line.data() + line.size());
}

std::unique_ptr<spdlog::formatter> MaskingJsonFormatter::clone() const {
  return std::make_unique<MaskingJsonFormatter>(service_);
}

void InitLogging(const std::string& service, const std::string& level) {
  auto logger = std::make_shared<spdlog::logger>(service, std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_formatter(std::make_unique<MaskingJsonFormatter>(service));
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace jinguo::obs
