#include "common/service/runtime.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/check.h"
#include "common/crypto/field_cipher.h"
#include "common/crypto/key_check.h"
#include "common/obs/http_endpoint.h"
#include "common/obs/logging.h"
#include "common/outbox/commit_queue.h"
#include "common/outbox/outbox.h"
#include "common/regions/region_table.h"
#include "common/replica/registry_replica.h"
#include "common/rpc/auth.h"
#include "common/rpc/paging.h"
#include "common/rpc/request_log.h"
#include "common/rpc/write_path.h"
#include "common/service/audit_service.h"
#include "common/service/operations_service.h"
#include "prometheus/gauge.h"
#include "spdlog/spdlog.h"

namespace jinguo::service {

namespace {

void AddOnce(std::vector<std::string>& to, const std::string& name) {
  if (std::find(to.begin(), to.end(), name) == to.end()) to.push_back(name);
}

}  // namespace

Runtime::Runtime(ServiceSpec spec) : spec_(std::move(spec)), app_(spec_.about), flags_(spec_.name) {
  flags_.Register(app_);
  app_.add_option("--audit-retention-days", audit_retention_days_,
                  "audit records older than this are pruned (a checkpoint keeps the rest verifiable)")
      ->envname("JINGUO_AUDIT_RETENTION_DAYS")
      ->check(CLI::Range(1, 36500))
      ->capture_default_str();
  if (spec_.holds_identifiers) {
    app_.add_option("--data-key-file", data_key_file_,
                    "key file (a Kubernetes Secret) with the keys that encrypt ID numbers and mobile numbers at rest "
                    "(docs/security.md)")
        ->envname("JINGUO_DATA_KEY_FILE");
  }
  if (spec_.registry_replica) {
    spec_.consumes = true;
    app_.add_option("--registration-address", registration_address_,
                    "registration's gRPC address, asked for a beneficiary this service's replica has not seen yet")
        ->envname("JINGUO_REGISTRATION_ADDRESS")
        ->capture_default_str();
    app_.add_option("--service-token-file", service_token_file_,
                    "file holding this service's own bearer token (role service) for calls to other services")
        ->envname("JINGUO_SERVICE_TOKEN_FILE");
  }
  if (spec_.consumes) {
    app_.add_option("--max-lag-events", max_lag_events_,
                    "once caught up, the service reports NOT_SERVING while more events than this wait on its "
                    "projections' topics, and SERVING again once they are within it (0: only the first catch-up "
                    "counts)")
        ->envname("JINGUO_MAX_LAG_EVENTS")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
  }
}

Runtime::~Runtime() { ReleaseAll(); }

outbox::Outbox& Runtime::outbox() {
  JG_CHECK(outbox_ != nullptr);
  return *outbox_;
}
outbox::CommitQueue& Runtime::commits() {
  JG_CHECK(commits_ != nullptr);
  return *commits_;
}
rpc::RequestLog& Runtime::requests() {
  JG_CHECK(requests_ != nullptr);
  return *requests_;
}
rpc::WritePath& Runtime::writes() {
  JG_CHECK(writes_ != nullptr);
  return *writes_;
}
audit::AuditChain& Runtime::audit() {
  JG_CHECK(audit_ != nullptr);
  return *audit_;
}
const crypto::FieldCipher& Runtime::cipher() const {
  JG_CHECK(cipher_ != nullptr);
  return *cipher_;
}
replica::RegistryReplica& Runtime::replica() {
  JG_CHECK(replica_ != nullptr);
  return *replica_;
}
httplib::Server& Runtime::http() { return http_->server(); }

void Runtime::AddService(grpc::Service* service) { services_.push_back(service); }

void Runtime::EnsureTopic(std::string topic) { AddOnce(topics_, topic); }

projection::Projection& Runtime::AddProjection(projection::ProjectionHandler* handler,
                                               projection::ProjectionOptions options) {
  JG_CHECK(spec_.consumes);
  for (const std::string& t : options.topics) EnsureTopic(t);
  std::string condition = absl::StrCat("projection ", options.name);
  readiness_.Set(condition, absl::UnavailableError("catching up: not yet subscribed to the event topics"));
  if (options.max_lag_events == 0) options.max_lag_events = max_lag_events_;
  projections_.push_back(
      std::make_unique<projection::Projection>(store_.get(), kafka_, handler, metrics_.get(), std::move(options)));
  projection::Projection* p = projections_.back().get();
  p->OnCaughtUp([this, condition] { readiness_.Set(condition, absl::OkStatus()); });
  p->OnLagChange([this, condition](absl::Status s) { readiness_.Set(condition, std::move(s)); });
  return *p;
}

int Runtime::Main(int argc, char** argv, absl::FunctionRef<absl::Status(Runtime&)> wire) {
  rpc::BlockShutdownSignals();
  try {
    app_.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app_.exit(e);
  }
  auto config = flags_.Build();
  if (!config.ok()) {
    std::fprintf(stderr, "jinguo-%s: %s\n", spec_.name.c_str(), std::string(config.status().message()).c_str());
    return 2;
  }
  config_ = *std::move(config);
  obs::InitLogging(spec_.name, config_.log_level);

  if (absl::Status s = Start(wire); !s.ok()) {
    spdlog::critical("{}: {}", spec_.name, std::string(s.message()));
    Shutdown();
    // wire() checks the service's own flags: INVALID_ARGUMENT from it is a bad flag, as for the common ones.
    return s.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  std::string signal = rpc::WaitForShutdownSignal();
  spdlog::info("{}: {} received; shutting down", spec_.name, signal);
  Shutdown();
  return 0;
}

absl::Status Runtime::Start(absl::FunctionRef<absl::Status(Runtime&)> wire) {
  if (spec_.holds_identifiers) {
    if (data_key_file_.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--data-key-file is required: ", spec_.name,
                                                     " stores ID numbers and mobile numbers encrypted under its keys "
                                                     "(docs/security.md, Identifiers at rest)"));
    }
    auto cipher = crypto::FieldCipher::LoadKeyFile(data_key_file_);
    if (!cipher.ok()) {
      return absl::Status(cipher.status().code(), absl::StrCat("--data-key-file: ", cipher.status().message()));
    }
    cipher_ = std::make_unique<crypto::FieldCipher>(*std::move(cipher));
  }
  auto regions = regions::RegionTable::LoadFromDirectory(config_.regions_dir);
  if (!regions.ok()) return regions.status();
  regions_ = *std::move(regions);
  auto auth = rpc::Authenticator::Load(config_.tokens_file, clock_);
  if (!auth.ok()) return auth.status();
  auth_ = std::make_unique<rpc::Authenticator>(*std::move(auth));
  std::string page_key = rpc::PageTokens::RandomKey();
  if (!config_.page_token_key_file.empty()) {
    auto key = rpc::PageTokens::LoadKey(config_.page_token_key_file);
    if (!key.ok()) return key.status();
    page_key = *key;
  }
  pages_ = std::make_unique<rpc::PageTokens>(spec_.name, page_key);
  ids_ = std::make_unique<UuidV7Generator>(*clock_);
  metrics_ = std::make_shared<prometheus::Registry>();
  kafka_.brokers = config_.kafka_brokers;
  kafka_.partitions = config_.topic_partitions;
  kafka_.replication_factor = config_.topic_replication;
  kafka_.properties = bus::SecurityProperties(config_.kafka_security_protocol, config_.kafka_ssl_ca_file,
                                              config_.kafka_ssl_cert_file, config_.kafka_ssl_key_file);
  if (spec_.publishes) EnsureTopic(bus::EventTopic(spec_.name));
  EnsureTopic(audit::kAuditTopic);
  EnsureTopic(std::string(bus::kDeadLetterTopic));

  // SERVING once the topics exist, while the store takes writes (and, per projection, once it has caught up).
  readiness_.Set("topics", absl::UnavailableError("waiting for Kafka topics"));
  store::StoreOptions options{config_.data_dir, spec_.families, config_.block_cache_bytes, spec_.scanned_by_first_part};
  // Every service has an outbox, a request log and an audit trail: a service with no events of its own still
  // audits its sensitive reads and publishes them to jinguo.audit.v1.
  AddOnce(options.column_families, outbox::kOutboxFamily);
  AddOnce(options.column_families, rpc::kRequestsFamily);
  AddOnce(options.column_families, audit::kAuditFamily);
  if (cipher_ != nullptr) AddOnce(options.column_families, crypto::kDataKeysFamily);
  if (spec_.consumes) {
    for (const std::string& f : projection::ProjectionFamilies()) AddOnce(options.column_families, f);
  }
  if (spec_.registry_replica) AddOnce(options.column_families, replica::kReplicaFamily);
  options.metrics = metrics_.get();
  options.on_writable_change = [this](const absl::Status& s) { readiness_.Set("store", s); };
  if (spec_.tune_store) spec_.tune_store(options);
  OperationsService::RemoveLeftCheckpoints(config_.data_dir);
  auto db = store::Store::Open(std::move(options));
  if (!db.ok()) return db.status();
  store_ = *std::move(db);
  if (cipher_ != nullptr) {
    if (absl::Status s = crypto::CheckKeys(store_.get(), *cipher_, data_key_file_); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("--data-key-file: ", s.message()));
    }
  }

  {
    auto box = outbox::Outbox::Open(store_.get());
    if (!box.ok()) return box.status();
    outbox_ = *std::move(box);
    auto chain = audit::AuditChain::Open(store_.get(), spec_.name);
    if (!chain.ok()) return chain.status();
    audit_ = *std::move(chain);
    commits_ = std::make_unique<outbox::CommitQueue>(outbox_.get(), metrics_.get(), audit_.get());
    requests_ = std::make_unique<rpc::RequestLog>(store_.get(), cipher_.get());
    writes_ = std::make_unique<rpc::WritePath>(spec_.name, auth_.get(), &gate_, requests_.get(), commits_.get(),
                                               metrics_.get(), clock_, /*audit=*/true);
    audit_service_ = std::make_unique<AuditService>(audit_.get(), writes_.get(), pages_.get());
    AddService(audit_service_.get());
    operations_service_ = std::make_unique<OperationsService>(this);
    AddService(operations_service_.get());
  }
  if (spec_.registry_replica) {
    replica::ReplicaOptions replica_options{registration_address_};
    // With --tls-cert set, calls to registration are mutual TLS too, under the same certificate.
    auto credentials = rpc::ClientCredentials(config_.tls_cert_file, config_.tls_key_file, config_.tls_client_ca_file);
    if (!credentials.ok()) return credentials.status();
    replica_options.credentials = *credentials;
    if (!service_token_file_.empty()) {
      std::ifstream in(service_token_file_);
      if (!in || !std::getline(in, replica_options.token) || replica_options.token.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--service-token-file: ", service_token_file_, " cannot be read or is empty"));
      }
      while (!replica_options.token.empty() && std::isspace(static_cast<unsigned char>(replica_options.token.back()))) {
        replica_options.token.pop_back();
      }
    }
    replica_ = std::make_unique<replica::RegistryReplica>(store_.get(), std::move(replica_options));
    AddProjection(replica_.get(), replica::RegistryReplica::Feed(spec_.name));
  }
  http_ = std::make_unique<obs::HttpEndpoint>(metrics_, [this] { return readiness_.Check(); });

  if (absl::Status s = wire(*this); !s.ok()) return s;

  auto http_port = http_->Start(config_.http_host, config_.http_port);
  if (!http_port.ok()) return http_port.status();
  rpc::ServerOptions server_options{config_.grpc_listen, config_.tls_cert_file, config_.tls_key_file,
                                    config_.tls_client_ca_file, config_.max_message_bytes};
  server_options.health_address = config_.health_listen;
  server_options.gate = &gate_;
  server_options.drain = config_.drain;
  server_ = std::make_unique<rpc::RpcServer>(server_options, metrics_);
  for (grpc::Service* s : services_) server_->AddService(s);
  auto grpc_port = server_->Start();
  if (!grpc_port.ok()) return grpc_port.status();
  prometheus::Gauge* serving = &prometheus::BuildGauge()
                                    .Name("jinguo_serving")
                                    .Help("1 while the service's gRPC health says SERVING, 0 while NOT_SERVING")
                                    .Register(*metrics_)
                                    .Add({});
  readiness_.OnChange([server = server_.get(), serving](bool ready) {
    server->SetServing(ready);
    serving->Set(ready ? 1 : 0);
  });
  std::string words =
      absl::StrCat("gRPC on port ", *grpc_port, ", HTTP on port ", *http_port, ", data in ", config_.data_dir);
  if (outbox_ != nullptr) absl::StrAppend(&words, ", ", outbox_->depth(), " outbox events waiting");
  for (const std::string& w : announce_) absl::StrAppend(&words, ", ", w);
  spdlog::info("{}: {}", spec_.name, words);

  if (outbox_ != nullptr) {
    relay_ = std::make_unique<outbox::OutboxRelay>(outbox_.get(), kafka_, metrics_.get(), *clock_);
    relay_->Start();
  }
  // Serving waits for the topics; writes before that would only queue in the outbox, but a health check that says
  // SERVING promises the whole path works.
  starter_ = std::thread([this] { EnsureTopicsLoop(); });
  return absl::OkStatus();
}

void Runtime::EnsureTopicsLoop() {
  std::vector<bus::TopicSpec> specs;
  for (const std::string& t : topics_) specs.push_back({t});
  absl::Duration backoff = absl::Milliseconds(500);
  size_t subscribed = 0;
  while (!stopping_.HasBeenNotified()) {
    absl::Status s = bus::EnsureTopics(kafka_, specs, absl::Seconds(10));
    for (; s.ok() && subscribed < projections_.size(); ++subscribed) s = projections_[subscribed]->Start();
    if (s.ok()) {
      readiness_.Set("topics", absl::OkStatus());
      spdlog::info("{}: topics ready ({}); {}", spec_.name, absl::StrJoin(topics_, ", "),
                   projections_.empty() ? "SERVING" : "SERVING once the projections have caught up");
      PruneAuditLoop();
      return;
    }
    spdlog::warn("{}: {}; retrying in {}", spec_.name, std::string(s.message()), absl::FormatDuration(backoff));
    stopping_.WaitForNotificationWithTimeout(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(10));
  }
}

void Runtime::PruneAuditLoop() {
  if (audit_ == nullptr) return;
  prometheus::Gauge& verified = prometheus::BuildGauge()
                                    .Name("jinguo_audit_chain_verified")
                                    .Help("1 when the last verification of the audit chain found it whole, 0 broken")
                                    .Register(*metrics_)
                                    .Add({});
  int hours = 0;
  do {
    // The whole chain is recomputed at start and then daily; a break is an alert (docs/operations.md).
    if (hours++ % 24 == 0) {
      int64_t checked = 0;
      absl::Status whole = audit::AuditChain::Verify(*store_, &checked);
      verified.Set(whole.ok() ? 1 : 0);
      if (!whole.ok()) spdlog::error("{}: audit chain broken: {}", spec_.name, std::string(whole.message()));
    }
    auto pruned = audit_->Prune(clock_->Now() - absl::Hours(24) * audit_retention_days_);
    if (!pruned.ok()) {
      spdlog::error("{}: pruning the audit trail: {}", spec_.name, std::string(pruned.status().message()));
    } else if (*pruned > 0) {
      spdlog::info("{}: pruned {} audit records older than {} days", spec_.name, *pruned, audit_retention_days_);
    }
  } while (!stopping_.WaitForNotificationWithTimeout(absl::Hours(1)));
}

void Runtime::Shutdown() {
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  if (starter_.joinable()) starter_.join();
  if (server_ != nullptr) server_->Shutdown(absl::Seconds(10));
  if (http_ != nullptr) http_->Stop();
  if (relay_ != nullptr) {
    absl::Status flushed = relay_->Stop(absl::Seconds(10));
    if (!flushed.ok()) spdlog::warn("{}: {}", spec_.name, std::string(flushed.message()));
  }
  int64_t applied = 0;
  for (auto& p : projections_) {
    p->Stop();
    applied += p->applied();
  }
  std::string words = "stopped";
  if (outbox_ != nullptr) absl::StrAppend(&words, " with ", outbox_->depth(), " outbox events waiting");
  if (!projections_.empty()) absl::StrAppend(&words, "; ", applied, " events applied this run");
  spdlog::info("{}: {}", spec_.name, words);
  ReleaseAll();
}

void Runtime::ReleaseAll() {
  readiness_.OnChange(nullptr);
  // The server first (it refers to the services), then what wire() kept, newest first, then the write path, the
  // projections and the store they all write to.
  server_.reset();
  http_.reset();
  relay_.reset();
  while (!kept_.empty()) kept_.pop_back();
  audit_service_.reset();
  operations_service_.reset();
  writes_.reset();
  projections_.clear();
  replica_.reset();
  commits_.reset();
  requests_.reset();
  audit_.reset();
  outbox_.reset();
  store_.reset();
}

}  // namespace jinguo::service
