#include "common/config/service_config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace jinguo::config {
namespace {

class ServiceConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* src = std::getenv("JINGUO_SOURCE_DIR");
    regions_ = std::string(src ? src : ".") + "/data/regions";
    tokens_ = (std::filesystem::temp_directory_path() / "jinguo-config-tokens").string();
    std::ofstream(tokens_) << "";
  }
  void TearDown() override {
    unsetenv("JINGUO_KAFKA_BROKERS");
    std::filesystem::remove(tokens_);
  }
  absl::StatusOr<ServiceConfig> Parse(std::vector<std::string> args) {
    CLI::App app;
    ServiceFlags flags("registration");
    flags.Register(app);
    args.insert(args.begin(), "prog");
    std::vector<const char*> argv;
    for (auto& a : args) argv.push_back(a.c_str());
    app.parse(static_cast<int>(argv.size()), argv.data());
    return flags.Build();
  }
  std::string regions_, tokens_;
};

TEST_F(ServiceConfigTest, DefaultsAndEnvironmentFallback) {
  setenv("JINGUO_KAFKA_BROKERS", "10.0.0.1:9093", 1);
  auto c = Parse({"--tokens-file", tokens_, "--regions-dir", regions_});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->kafka_brokers, "10.0.0.1:9093");
  EXPECT_EQ(c->data_dir, "var/registration");
  EXPECT_EQ(c->block_cache_bytes, 64u << 20);
  auto flag_wins = Parse({"--tokens-file", tokens_, "--regions-dir", regions_, "--kafka-brokers", "h:1"});
  EXPECT_EQ(flag_wins->kafka_brokers, "h:1");
}

TEST_F(ServiceConfigTest, EveryBadValueIsNamed) {
  auto c = Parse({"--tokens-file", "/nope", "--regions-dir", regions_, "--grpc-listen", "nohost", "--block-cache-mb",
                  "0", "--tls-cert", "c.pem", "--log-level", "loud"});
  ASSERT_FALSE(c.ok());
  std::string m(c.status().message());
  for (const char* flag : {"--tokens-file", "--grpc-listen", "--block-cache-mb", "--tls-cert", "--log-level"}) {
    EXPECT_NE(m.find(flag), std::string::npos) << flag << " missing in: " << m;
  }
}

// Kafka over TLS: ssl needs the brokers' CA; a certificate goes with its key; TLS files without ssl are refused
// rather than ignored (the operator meant the traffic to be encrypted).
TEST_F(ServiceConfigTest, KafkaTlsFlagsAreCheckedTogether) {
  auto missing_ca = Parse({"--tokens-file", tokens_, "--regions-dir", regions_, "--kafka-security-protocol", "ssl"});
  ASSERT_FALSE(missing_ca.ok());
  EXPECT_NE(missing_ca.status().message().find("--kafka-ssl-ca: is required"), std::string::npos)
      << missing_ca.status();
  auto unknown = Parse({"--tokens-file", tokens_, "--regions-dir", regions_, "--kafka-security-protocol", "sasl"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("must be plaintext or ssl"), std::string::npos) << unknown.status();
  auto without_ssl = Parse({"--tokens-file", tokens_, "--regions-dir", regions_, "--kafka-ssl-ca", tokens_});
  ASSERT_FALSE(without_ssl.ok());
  EXPECT_NE(without_ssl.status().message().find("must be ssl when"), std::string::npos) << without_ssl.status();
  auto half = Parse({"--tokens-file", tokens_, "--regions-dir", regions_, "--kafka-security-protocol", "ssl",
                     "--kafka-ssl-ca", tokens_, "--kafka-ssl-cert", tokens_});
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.status().message().find("go together"), std::string::npos) << half.status();
  auto good = Parse({"--tokens-file", tokens_, "--regions-dir", regions_, "--kafka-security-protocol", "ssl",
                     "--kafka-ssl-ca", tokens_});
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->kafka_security_protocol, "ssl");
  EXPECT_EQ(good->kafka_ssl_ca_file, tokens_);
}

}  // namespace
}  // namespace jinguo::config
