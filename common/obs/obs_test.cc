#include <sstream>

#include "common/obs/http_endpoint.h"
#include "common/obs/logging.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "prometheus/counter.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace jinguo::obs {
namespace {

TEST(Logging, EveryLineIsJsonWithIdentifiersMasked) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("t", sink);
  logger.set_formatter(std::make_unique<MaskingJsonFormatter>("registration"));
  // A real-looking ID number and phone go in; only masked forms may come out.
  const std::string id_number = "11010519491231002X", phone = "13812345678";
  logger.info("registered {} phone {} \"quoted\"", id_number, phone);
  std::string line = out.str();
  EXPECT_EQ(line.find("11010519491231002X"), std::string::npos) << line;
  EXPECT_EQ(line.find("13812345678"), std::string::npos) << line;
  auto json = nlohmann::json::parse(line);
  EXPECT_EQ(json["msg"], "registered 110***********002X phone 138****5678 \"quoted\"");
  EXPECT_EQ(json["level"], "info");
  EXPECT_EQ(json["service"], "registration");
}

TEST(HttpEndpoint, ServesMetricsAndReadiness) {
  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::BuildCounter().Name("jinguo_test_total").Help("t").Register(*registry).Add({}).Increment(3);
  bool ready = false;
  HttpEndpoint endpoint(registry, [&] { return ready ? absl::OkStatus() : absl::UnavailableError("store closed"); });
  auto port = endpoint.Start("127.0.0.1", 0);
  ASSERT_TRUE(port.ok());
  httplib::Client client("127.0.0.1", *port);
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("jinguo_test_total 3"), std::string::npos) << metrics->body;
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_NE(health->body.find("store closed"), std::string::npos);
  ready = true;
  EXPECT_EQ(client.Get("/healthz")->status, 200);
  endpoint.Stop();
}

}  // namespace
}  // namespace jinguo::obs
