// jinguo-reporting: wiring only. Flags → config → logging → region table → RocksDB → topics → projection of every
// service's topic → gRPC and HTTP (metrics, health, dashboard) → SERVING. --rebuild clears the read models and
// replays every topic from the beginning.
#include <fstream>
#include <memory>
#include <sstream>

#include "CLI/CLI.hpp"
#include "absl/synchronization/notification.h"
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
#include "common/rpc/readiness.h"
#include "common/rpc/server.h"
#include "common/validate/region_code.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "services/reporting/api/reporting_service.h"
#include "services/reporting/store/event_projector.h"
#include "services/reporting/store/read_model.h"
#include "spdlog/spdlog.h"

using namespace jinguo;

namespace jinguo::reporting {
// The dashboard page, built into the binary (services/reporting/dashboard/index.html).
extern const char kDashboardHtml[];
extern const size_t kDashboardHtml_size;
}  // namespace jinguo::reporting

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
  std::string dashboard_dir;
  app.add_flag("--rebuild", rebuild, "clear the read models and replay every topic from the beginning");
  app.add_option("--insured-min-age", insured_min_age, "youngest woman eligible for two-cancer insurance")
      ->envname("JINGUO_INSURED_MIN_AGE")->capture_default_str();
  app.add_option("--insured-max-age", insured_max_age, "oldest woman eligible for two-cancer insurance")
      ->envname("JINGUO_INSURED_MAX_AGE")->capture_default_str();
  app.add_option("--dashboard-dir", dashboard_dir,
                 "serve index.html from this directory instead of the page built into the binary (to work on it)")
      ->envname("JINGUO_DASHBOARD_DIR");
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
  std::string dashboard(reporting::kDashboardHtml, reporting::kDashboardHtml_size);
  if (!dashboard_dir.empty()) {
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
  auto metrics = std::make_shared<prometheus::Registry>();
  // SERVING once the topics exist and the projection has caught up with them, and while the store takes writes.
  rpc::Readiness readiness;
  readiness.Set("topics", absl::UnavailableError("waiting for Kafka topics"));
  readiness.Set("projection", absl::UnavailableError("catching up: not yet subscribed to the event topics"));
  store::StoreOptions store_options = reporting::store::ReadModel::StoreOptions(c.data_dir, c.block_cache_bytes);
  store_options.metrics = metrics.get();
  store_options.on_writable_change = [&readiness](const absl::Status& s) { readiness.Set("store", s); };
  auto db = store::Store::Open(std::move(store_options));
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
  projection::ProjectionOptions projection_options{group_id, topics};
  // The group is this replica's own, so its id names the member too: a restart after a crash rejoins at once.
  projection_options.instance_id = group_id;
  projection::Projection projection(db->get(), kafka, &projector, metrics.get(), projection_options);
  projection.OnCaughtUp([&readiness] { readiness.Set("projection", absl::OkStatus()); });

  const Clock& clock = SystemClock::Get();
  reporting::api::Summaries summaries(&model, regions->get(), &clock);
  // Reads are refused while the server drains at shutdown, and while the read models catch up after a start.
  rpc::DrainGate gate;
  auto current = [&gate, &projection] {
    absl::Status open = gate.Admit();
    return open.ok() ? projection.CaughtUp() : open;
  };
  reporting::api::ReportingService service(&summaries, &model, regions->get(), &*auth, &clock, &feed, current);

  obs::HttpEndpoint http(metrics, [&readiness] { return readiness.Check(); });
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
    if (absl::Status s = projection.CaughtUp(); !s.ok()) {
      res.set_header("Retry-After", "2");
      return fail(503, std::string(s.message()));
    }
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

  rpc::ServerOptions server_options{c.grpc_listen, c.tls_cert_file, c.tls_key_file, c.tls_client_ca_file,
                                    c.max_message_bytes};
  server_options.gate = &gate;
  server_options.drain = c.drain;
  rpc::RpcServer server(server_options, metrics);
  server.AddService(&service);
  auto grpc_port = server.Start();
  if (!grpc_port.ok()) return Fail(grpc_port.status());
  readiness.OnChange([&server](bool ready) { server.SetServing(ready); });
  spdlog::info("reporting: gRPC on port {}, dashboard http://{}:{}/, data in {}, consumer group {}", *grpc_port,
               c.http_host, *http_port, c.data_dir, group_id);

  absl::Notification stopping;
  std::thread starter([&] {
    absl::Duration backoff = absl::Milliseconds(500);
    while (!stopping.HasBeenNotified()) {
      absl::Status s = bus::EnsureTopics(kafka, specs, absl::Seconds(10));
      if (s.ok()) s = projection.Start();
      if (s.ok()) {
        readiness.Set("topics", absl::OkStatus());
        spdlog::info("reporting: projecting {} topics; SERVING once caught up with them", topics.size());
        return;
      }
      spdlog::warn("reporting: {}; retrying in {}", std::string(s.message()), absl::FormatDuration(backoff));
      stopping.WaitForNotificationWithTimeout(backoff);
      backoff = std::min(backoff * 2, absl::Seconds(10));
    }
  });

  std::string signal = rpc::WaitForShutdownSignal();
  spdlog::info("reporting: {} received; shutting down", signal);
  stopping.Notify();
  starter.join();
  server.Shutdown(absl::Seconds(5));
  http.Stop();
  projection.Stop();
  spdlog::info("reporting: stopped; {} events applied this run", projection.applied());
  return 0;
}
