// The settings every Jinguo service shares, from flags with JINGUO_* environment fallbacks (a flag wins over the
// environment). Parsed and validated once in main into an immutable ServiceConfig; nothing reads flags or the
// environment after that. A service adds its own flags to the same CLI::App.
//
//   flag                   environment                default
//   --grpc-listen          JINGUO_GRPC_LISTEN         127.0.0.1:0
//   --http-listen          JINGUO_HTTP_LISTEN         127.0.0.1:0   (/metrics, /healthz)
//   --data-dir             JINGUO_DATA_DIR            var/<service>
//   --kafka-brokers        JINGUO_KAFKA_BROKERS       127.0.0.1:9092
//   --kafka-security-protocol  JINGUO_KAFKA_SECURITY_PROTOCOL  plaintext  (or ssl: TLS to every broker)
//   --kafka-ssl-ca         JINGUO_KAFKA_SSL_CA        (required with ssl: the CA the brokers' certificates chain to)
//   --kafka-ssl-cert/-key  JINGUO_KAFKA_SSL_CERT/_KEY (with ssl, optional: the certificate this client presents)
//   --topic-partitions     JINGUO_TOPIC_PARTITIONS    3
//   --topic-replication    JINGUO_TOPIC_REPLICATION   1
//   --block-cache-mb       JINGUO_BLOCK_CACHE_MB      64
//   --tokens-file          JINGUO_TOKENS_FILE         (required)
//   --regions-dir          JINGUO_REGIONS_DIR         data/regions
//   --tls-cert/--tls-key   JINGUO_TLS_CERT/_KEY       (plain text when unset)
//   --tls-client-ca        JINGUO_TLS_CLIENT_CA       (mutual TLS when set)
//   --health-listen        JINGUO_HEALTH_LISTEN       (none: a plain-text listener of grpc.health.v1 alone, for probes)
//   --log-level            JINGUO_LOG_LEVEL           info
//   --max-message-mb       JINGUO_MAX_MESSAGE_MB      16
//   --page-token-key-file  JINGUO_PAGE_TOKEN_KEY_FILE (a key drawn at start: page tokens end with the process)
//   --drain-ms             JINGUO_DRAIN_MS            1000  (on SIGTERM: NOT_SERVING, new calls UNAVAILABLE, then stop)
//
// Relative paths are taken from the working directory; the region table's default, when data/regions is not
// there, is looked up beside the binary (its build tree or an installed share/jinguo/), so a service starts from
// any directory.
//
// Thread-safety: ServiceConfig is immutable and may be shared freely.
#pragma once

#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace jinguo::config {

struct ServiceConfig {
  std::string service;
  std::string grpc_listen;
  std::string health_listen;  // "" = health on the gRPC port only
  std::string http_host;
  int http_port = 0;
  std::string data_dir;
  std::string kafka_brokers;
  std::string kafka_security_protocol = "plaintext";  // "plaintext" or "ssl"
  std::string kafka_ssl_ca_file, kafka_ssl_cert_file, kafka_ssl_key_file;
  int topic_partitions = 3;
  int topic_replication = 1;
  size_t block_cache_bytes = 64u << 20;
  std::string tokens_file;
  std::string regions_dir;
  std::string tls_cert_file, tls_key_file, tls_client_ca_file;
  std::string log_level;
  int max_message_bytes = 16 << 20;
  std::string page_token_key_file;  // "" = a key drawn at start
  absl::Duration drain = absl::Seconds(1);
};

// The first of `relative` under the working directory, or under a directory above the running binary (up to four
// levels), or under share/jinguo/ beside them, that exists; `relative` itself when none does.
std::string FindAsset(const std::string& relative);

class ServiceFlags {
 public:
  explicit ServiceFlags(std::string service);
  // Adds the common flags to `app`.
  void Register(CLI::App& app);
  // After app.parse: checks every value; INVALID_ARGUMENT naming the flag and the reason.
  absl::StatusOr<ServiceConfig> Build() const;

 private:
  std::string service_;
  std::string grpc_listen_ = "127.0.0.1:0";
  std::string health_listen_;
  std::string http_listen_ = "127.0.0.1:0";
  std::string data_dir_;
  std::string kafka_brokers_ = "127.0.0.1:9092";
  std::string kafka_security_protocol_ = "plaintext";
  std::string kafka_ssl_ca_, kafka_ssl_cert_, kafka_ssl_key_;
  int topic_partitions_ = 3;
  int topic_replication_ = 1;
  int block_cache_mb_ = 64;
  std::string tokens_file_;
  std::string regions_dir_;
  std::string tls_cert_, tls_key_, tls_client_ca_;
  std::string log_level_ = "info";
  int max_message_mb_ = 16;
  std::string page_token_key_file_;
  int drain_ms_ = 1000;
};

}  // namespace jinguo::config
