// jinguo-reporting: wiring only. Flags → config → logging → region table → RocksDB → topics → projection of every
// service's topic → gRPC and HTTP (metrics, health, dashboard) → SERVING. --rebuild clears the read models and
// replays every topic from the beginning.
#include <fstream>
#include <memory>
#include <sstream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "common/base/clock.h"
#include "common/base/uuid.h"
#include "common/bus/kafka.h"
#include "common/config/service_config.h"
#include "common/obs/http_endpoint.h"
#include "common/obs/logging.h"
#include "common/projection/projection.h"
#include "common/regions/region_table.h"
#include "common/rpc/auth.h"
#include "common/rpc/server.h"
#include "common/validate/region_code.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "services/reporting/api/reporting_service.h"
#include "services/reporting/store/event_projector.h"
#include "services/reporting/store/read_model.h"
#include "spdlog/spdlog.h"

using namespace jinguo;

namespace {

// The services whose topics reporting projects. A new service's events are read as soon as it is listed here.
const char* const kSourceServices[] = {"registration", "training", "health", "loans", "publicity"};

nlohmann::json CoverageJson(const reporting::v1::RegionSummary& s) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& c : s.coverage()) {
    items.push_back({{"name", c.name()},
                     {"label", c.label()},
                     {"numerator", c.numerator()},
                     {"denominator", c.denominator()},
                     {"basis_points", c.basis_points()}});
  }
  return {{"region", s.region_code()}, {"name", s.name()}, {"items", items}};
}

int Fail(const absl::Status& s) {
  spdlog::critical("{}", std::string(s.message()));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  rpc::BlockShutdownSignals();
  CLI::App app{"Jinguo reporting service: live coverage by region"};
  config::ServiceFlags flags("reporting");
  flags.Register(app);
  bool rebuild = false;
  int insured_min_age = 35, insured_max_age = 64;
  std::string dashboard_dir = "services/reporting/dashboard";
  app.add_flag("--rebuild", rebuild, "clear the read models and replay every topic from the beginning");
  app.add_option("--insured-min-age", insured_min_age, "youngest woman eligible for two-cancer insurance")
      ->envname("JINGUO_INSURED_MIN_AGE")->capture_default_str();
  app.add_option("--insured-max-age", insured_max_age, "oldest woman eligible for two-cancer insurance")
      ->envname("JINGUO_INSURED_MAX_AGE")->capture_default_str();
  app.add_option("--dashboard-dir", dashboard_dir, "directory of the dashboard page")
      ->envname("JINGUO_DASHBOARD_DIR")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  auto config = flags.Build();
  if (!config.ok()) {
    std::fprintf(stderr, "jinguo-reporting: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  if (insured_min_age < 0 || insured_max_age < insured_min_age) {
    std::fprintf(stderr, "jinguo-reporting: --insured-min-age/--insured-max-age: need 0 <= min <= max\n");
    return 2;
  }
  std::string dashboard;
  {
    std::ifstream in(dashboard_dir + "/index.html");
    if (!in) {
      std::fprintf(stderr, "jinguo-reporting: --dashboard-dir: %s/index.html cannot be read\n", dashboard_dir.c_str());
      return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    dashboard = ss.str();
  }
  const config::ServiceConfig& c = *config;
  obs::InitLogging("reporting", c.log_level);

  auto regions = regions::RegionTable::LoadFromDirectory(c.regions_dir);
  if (!regions.ok()) return Fail(regions.status());
  auto auth = rpc::Authenticator::Load(c.tokens_file);
  if (!auth.ok()) return Fail(auth.status());
  auto db = store::Store::Open(reporting::store::ReadModel::StoreOptions(c.data_dir, c.block_cache_bytes));
  if (!db.ok()) return Fail(db.status());
  auto other_layout = reporting::store::ReadModel::OtherLayout(**db);
  if (!other_layout.ok()) return Fail(other_layout.status());
  if (rebuild || *other_layout) {
    if (rebuild) {
      spdlog::info("reporting: --rebuild: clearing read models; replaying every topic from the beginning");
    } else {
      spdlog::warn("reporting: the read models in {} were written in another layout (an earlier version of this "
                   "service, or another list of indicators): clearing them and replaying every topic from the "
                   "beginning",
                   c.data_dir);
    }
    if (absl::Status s = (*db)->Recreate(reporting::store::ReadModel::DerivedFamilies()); !s.ok()) return Fail(s);
  }
  if (absl::Status s = reporting::store::ReadModel::MarkLayout(**db); !s.ok()) return Fail(s);
  reporting::store::ReadModel model(db->get());

  // Each replica is a full projection in a consumer group of its own, named once and kept with its state.
  auto group = model.Meta("group_id");
  if (!group.ok()) return Fail(group.status());
  std::string group_id = *group;
  if (group_id.empty()) {
    group_id = absl::StrCat("reporting-", UuidV7Generator(SystemClock::Get()).Next());
    if (absl::Status s = model.PutMeta("group_id", group_id); !s.ok()) return Fail(s);
  }

  auto metrics = std::make_shared<prometheus::Registry>();
  bus::KafkaOptions kafka;
  kafka.brokers = c.kafka_brokers;
  kafka.partitions = c.topic_partitions;
  kafka.replication_factor = c.topic_replication;
  std::vector<std::string> topics;
  std::vector<bus::TopicSpec> specs{{std::string(bus::kDeadLetterTopic)}};
  for (const char* s : kSourceServices) {
    topics.push_back(bus::EventTopic(s));
    specs.push_back({bus::EventTopic(s)});
  }

  reporting::store::ChangeFeed feed;
  reporting::store::EventProjector projector(&model, {insured_min_age, insured_max_age}, &feed);
  projection::Projection projection(db->get(), kafka, &projector, metrics.get(),
                                    projection::ProjectionOptions{group_id, topics});

  const Clock& clock = SystemClock::Get();
  reporting::api::Summaries summaries(&model, regions->get(), &clock);
  reporting::api::ReportingService service(&summaries, &model, regions->get(), &*auth, &clock, &feed);

  std::atomic<bool> ready{false};
  obs::HttpEndpoint http(metrics, [&]() -> absl::Status {
    return ready ? absl::OkStatus() : absl::UnavailableError("waiting for Kafka topics");
  });
  http.server().Get("/", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(dashboard, "text/html; charset=utf-8");
  });
  http.server().Get("/api/coverage", [&](const httplib::Request& req, httplib::Response& res) {
    auto fail = [&](int code, const std::string& message) {
      res.status = code;
      res.set_content(nlohmann::json({{"error", message}}).dump(), "application/json; charset=utf-8");
    };
    std::string header = req.get_header_value("Authorization");
    auto who = (*auth).AuthenticateToken(header.rfind("Bearer ", 0) == 0 ? header.substr(7) : "");
    if (!who.ok()) return fail(401, std::string(who.status().message()));
    std::string region = req.get_param_value("region");
    if (absl::Status s = validate::CheckRegionPrefix(**regions, region); !s.ok()) {
      return fail(400, absl::StrCat("region: ", s.message()));
    }
    if (region.empty()) region = who->region_scope;
    if (absl::Status s = rpc::Authorize(*who, rpc::Role::kViewer, region); !s.ok()) {
      return fail(403, std::string(s.message()));
    }
    auto summary = summaries.Summary(region, std::nullopt);
    auto children = summaries.Children(region);
    if (!summary.ok() || !children.ok()) return fail(500, "read model unavailable");
    nlohmann::json out = CoverageJson(*summary);
    out["children"] = nlohmann::json::array();
    for (const auto& child : *children) {
      auto s = summaries.Summary(child, std::nullopt);
      if (s.ok()) out["children"].push_back(CoverageJson(*s));
    }
    res.set_content(out.dump(), "application/json; charset=utf-8");
  });
  auto http_port = http.Start(c.http_host, c.http_port);
  if (!http_port.ok()) return Fail(http_port.status());

  rpc::RpcServer server({c.grpc_listen, c.tls_cert_file, c.tls_key_file, c.tls_client_ca_file, c.max_message_bytes},
                        metrics);
  server.AddService(&service);
  auto grpc_port = server.Start();
  if (!grpc_port.ok()) return Fail(grpc_port.status());
  spdlog::info("reporting: gRPC on port {}, dashboard http://{}:{}/, data in {}, consumer group {}", *grpc_port,
               c.http_host, *http_port, c.data_dir, group_id);

  std::thread starter([&] {
    absl::Duration backoff = absl::Milliseconds(500);
    while (true) {
      absl::Status s = bus::EnsureTopics(kafka, specs, absl::Seconds(10));
      if (s.ok()) s = projection.Start();
      if (s.ok()) break;
      spdlog::warn("reporting: {}; retrying in {}", std::string(s.message()), absl::FormatDuration(backoff));
      absl::SleepFor(backoff);
      backoff = std::min(backoff * 2, absl::Seconds(10));
    }
    ready = true;
    server.SetServing(true);
    spdlog::info("reporting: projecting {} topics; SERVING", topics.size());
  });
  starter.detach();

  std::string signal = rpc::WaitForShutdownSignal();
  spdlog::info("reporting: {} received; shutting down", signal);
  server.Shutdown(absl::Seconds(5));
  http.Stop();
  projection.Stop();
  spdlog::info("reporting: stopped; {} events applied this run", projection.applied());
  return 0;
}
