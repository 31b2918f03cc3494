#include "common/config/service_config.h"

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/validate/field_violations.h"

namespace jinguo::config {

ServiceFlags::ServiceFlags(std::string service)
    : service_(std::move(service)), data_dir_("var/" + service_), regions_dir_(FindAsset("data/regions")) {}

std::string FindAsset(const std::string& relative) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(relative, ec)) return relative;
  fs::path dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  for (int up = 0; !ec && up < 5 && !dir.empty(); ++up) {
    for (const fs::path& candidate : {dir / relative, dir / "share" / "jinguo" / relative}) {
      if (fs::exists(candidate, ec)) return candidate.string();
    }
    if (dir == dir.parent_path()) break;
    dir = dir.parent_path();
  }
  return relative;
}

void ServiceFlags::Register(CLI::App& app) {
  app.add_option("--grpc-listen", grpc_listen_, "gRPC listen address host:port (port 0 picks one)")
      ->envname("JINGUO_GRPC_LISTEN")
      ->capture_default_str();
  app.add_option("--health-listen", health_listen_,
                 "host:port of a plain-text gRPC listener serving only grpc.health.v1.Health, for probes that "
                 "cannot present a client certificate (Kubernetes' gRPC probes when --tls-client-ca is set)")
      ->envname("JINGUO_HEALTH_LISTEN");
  app.add_option("--http-listen", http_listen_, "HTTP listen address for /metrics and /healthz")
      ->envname("JINGUO_HTTP_LISTEN")
      ->capture_default_str();
  app.add_option("--data-dir", data_dir_, "directory of this service's RocksDB")
      ->envname("JINGUO_DATA_DIR")
      ->capture_default_str();
  app.add_option("--kafka-brokers", kafka_brokers_, "Kafka bootstrap servers")
      ->envname("JINGUO_KAFKA_BROKERS")
      ->capture_default_str();
  app.add_option("--kafka-security-protocol", kafka_security_protocol_,
                 "plaintext, or ssl: TLS to every broker (producers, consumers and topic creation alike)")
      ->envname("JINGUO_KAFKA_SECURITY_PROTOCOL")
      ->capture_default_str();
  app.add_option("--kafka-ssl-ca", kafka_ssl_ca_, "CA (PEM) the brokers' certificates must chain to; required with ssl")
      ->envname("JINGUO_KAFKA_SSL_CA");
  app.add_option("--kafka-ssl-cert", kafka_ssl_cert_,
                 "client certificate (PEM) presented to brokers that require one; with --kafka-ssl-key")
      ->envname("JINGUO_KAFKA_SSL_CERT");
  app.add_option("--kafka-ssl-key", kafka_ssl_key_, "private key (PEM) of --kafka-ssl-cert")
      ->envname("JINGUO_KAFKA_SSL_KEY");
  app.add_option("--topic-partitions", topic_partitions_, "partitions of topics this service creates")
      ->envname("JINGUO_TOPIC_PARTITIONS")
      ->capture_default_str();
  app.add_option("--topic-replication", topic_replication_, "replication factor of topics this service creates")
      ->envname("JINGUO_TOPIC_REPLICATION")
      ->capture_default_str();
  app.add_option("--block-cache-mb", block_cache_mb_, "RocksDB block cache bound in MiB")
      ->envname("JINGUO_BLOCK_CACHE_MB")
      ->capture_default_str();
  app.add_option("--tokens-file", tokens_file_, "bearer tokens file (SHA-256 hashes → principals)")
      ->envname("JINGUO_TOKENS_FILE");
  app.add_option("--regions-dir", regions_dir_, "region-code table directory")
      ->envname("JINGUO_REGIONS_DIR")
      ->capture_default_str();
  app.add_option("--tls-cert", tls_cert_, "server certificate (PEM); TLS when set")->envname("JINGUO_TLS_CERT");
  app.add_option("--tls-key", tls_key_, "server private key (PEM)")->envname("JINGUO_TLS_KEY");
  app.add_option("--tls-client-ca", tls_client_ca_, "CA for client certificates; mutual TLS when set")
      ->envname("JINGUO_TLS_CLIENT_CA");
  app.add_option("--log-level", log_level_, "debug, info, warn or error")
      ->envname("JINGUO_LOG_LEVEL")
      ->capture_default_str();
  app.add_option("--max-message-mb", max_message_mb_, "largest gRPC message in MiB")
      ->envname("JINGUO_MAX_MESSAGE_MB")
      ->capture_default_str();
  app.add_option("--page-token-key-file", page_token_key_file_,
                 "64 hex characters that seal page tokens (replicas behind one address share it); without it a key "
                 "is drawn at start and page tokens end with the process")
      ->envname("JINGUO_PAGE_TOKEN_KEY_FILE");
  app.add_option("--drain-ms", drain_ms_,
                 "on SIGTERM, how long health says NOT_SERVING and new calls are answered UNAVAILABLE before the "
                 "server stops accepting them (calls in flight always finish)")
      ->envname("JINGUO_DRAIN_MS")
      ->capture_default_str();
}

namespace {

bool SplitHostPort(const std::string& address, std::string* host, int* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = address.substr(0, colon);
  return absl::SimpleAtoi(address.substr(colon + 1), port) && *port >= 0 && *port <= 65535;
}

}  // namespace

absl::StatusOr<ServiceConfig> ServiceFlags::Build() const {
  validate::FieldViolations v;
  ServiceConfig c;
  c.service = service_;
  std::string host;
  int port = 0;
  if (!SplitHostPort(grpc_listen_, &host, &port)) v.Add("--grpc-listen", "must be host:port");
  c.grpc_listen = grpc_listen_;
  if (!health_listen_.empty() && !SplitHostPort(health_listen_, &host, &port)) {
    v.Add("--health-listen", "must be host:port");
  }
  c.health_listen = health_listen_;
  if (!SplitHostPort(http_listen_, &c.http_host, &c.http_port)) v.Add("--http-listen", "must be host:port");
  if (data_dir_.empty()) v.Add("--data-dir", "is required");
  c.data_dir = data_dir_;
  if (kafka_brokers_.empty()) v.Add("--kafka-brokers", "is required");
  c.kafka_brokers = kafka_brokers_;
  // TLS files are refused, not ignored, without ssl: an operator who gave them means the traffic to be encrypted.
  bool ssl = kafka_security_protocol_ == "ssl";
  if (!ssl && kafka_security_protocol_ != "plaintext") {
    v.Add("--kafka-security-protocol", "must be plaintext or ssl");
  } else if (!ssl && !(kafka_ssl_ca_.empty() && kafka_ssl_cert_.empty() && kafka_ssl_key_.empty())) {
    v.Add("--kafka-security-protocol", "must be ssl when --kafka-ssl-ca, --kafka-ssl-cert or --kafka-ssl-key is set");
  }
  if (ssl && kafka_ssl_ca_.empty()) v.Add("--kafka-ssl-ca", "is required with --kafka-security-protocol=ssl");
  if (kafka_ssl_cert_.empty() != kafka_ssl_key_.empty()) {
    v.Add("--kafka-ssl-cert", "--kafka-ssl-cert and --kafka-ssl-key go together");
  }
  for (const auto& [flag, file] : {std::pair<const char*, const std::string&>{"--kafka-ssl-ca", kafka_ssl_ca_},
                                   {"--kafka-ssl-cert", kafka_ssl_cert_},
                                   {"--kafka-ssl-key", kafka_ssl_key_}}) {
    if (!file.empty() && !std::filesystem::exists(file)) v.Add(flag, absl::StrCat(file, " does not exist"));
  }
  c.kafka_security_protocol = kafka_security_protocol_;
  c.kafka_ssl_ca_file = kafka_ssl_ca_;
  c.kafka_ssl_cert_file = kafka_ssl_cert_;
  c.kafka_ssl_key_file = kafka_ssl_key_;
  if (topic_partitions_ < 1) v.Add("--topic-partitions", "must be at least 1");
  c.topic_partitions = topic_partitions_;
  if (topic_replication_ < 1) v.Add("--topic-replication", "must be at least 1");
  c.topic_replication = topic_replication_;
  if (block_cache_mb_ < 1 || block_cache_mb_ > 65536) v.Add("--block-cache-mb", "must be 1-65536");
  c.block_cache_bytes = static_cast<size_t>(block_cache_mb_) << 20;
  if (tokens_file_.empty()) {
    v.Add("--tokens-file", "is required (see deploy/local/tokens.txt for the format)");
  } else if (!std::filesystem::exists(tokens_file_)) {
    v.Add("--tokens-file", absl::StrCat(tokens_file_, " does not exist"));
  }
  c.tokens_file = tokens_file_;
  if (!std::filesystem::exists(regions_dir_ + "/streets.csv")) {
    v.Add("--regions-dir", absl::StrCat(regions_dir_, " holds no region table (streets.csv)"));
  }
  c.regions_dir = regions_dir_;
  if (tls_cert_.empty() != tls_key_.empty()) v.Add("--tls-cert", "--tls-cert and --tls-key go together");
  if (!tls_client_ca_.empty() && tls_cert_.empty()) v.Add("--tls-client-ca", "needs --tls-cert and --tls-key");
  c.tls_cert_file = tls_cert_;
  c.tls_key_file = tls_key_;
  c.tls_client_ca_file = tls_client_ca_;
  if (log_level_ != "debug" && log_level_ != "info" && log_level_ != "warn" && log_level_ != "error") {
    v.Add("--log-level", "must be debug, info, warn or error");
  }
  c.log_level = log_level_;
  if (max_message_mb_ < 1 || max_message_mb_ > 1024) v.Add("--max-message-mb", "must be 1-1024");
  c.max_message_bytes = max_message_mb_ << 20;
  if (!page_token_key_file_.empty() && !std::filesystem::exists(page_token_key_file_)) {
    v.Add("--page-token-key-file", absl::StrCat(page_token_key_file_, " does not exist"));
  }
  c.page_token_key_file = page_token_key_file_;
  if (drain_ms_ < 0 || drain_ms_ > 600000) v.Add("--drain-ms", "must be 0-600000");
  c.drain = absl::Milliseconds(drain_ms_);
  if (!v.empty()) return v.ToStatus();
  return c;
}

}  // namespace jinguo::config
