// jinguo-reporting: live coverage by region, on the service kit (common/service/runtime.h): the read models, one
// projection of every service's topic, the gRPC API and the dashboard. --rebuild clears the read models and
// replays every topic from the beginning.
#include "absl/strings/str_cat.h"
#include "common/base/status.h"
#include "common/config/service_config.h"
#include "common/rpc/server.h"
#include "common/service/runtime.h"
#include "grpcpp/create_channel.h"
#include "services/reporting/api/dashboard_http.h"
#include "services/reporting/api/reporting_service.h"
#include "services/reporting/store/event_projector.h"
#include "services/reporting/store/read_model.h"

using namespace jinguo;
using reporting::store::ReadModel;

// The services whose topics reporting projects. A new service's events are read as soon as it is listed here.
const char* const kSourceServices[] = {"registration", "training", "health", "loans", "publicity"};

int main(int argc, char** argv) {
  service::Runtime runtime({.name = "reporting",
                            .about = "Jinguo reporting service: live coverage by region",
                            .families = ReadModel::Families(),
                            .publishes = false,
                            .consumes = true,
                            .tune_store = ReadModel::Tune});
  bool rebuild = false;
  int insured_min_age = 35, insured_max_age = 64;
  std::string dashboard_dir;
  CLI::App& app = runtime.app();
  app.add_flag("--rebuild", rebuild, "clear the read models and replay every topic from the beginning");
  app.add_option("--insured-min-age", insured_min_age, "youngest woman eligible for two-cancer insurance")
      ->envname("JINGUO_INSURED_MIN_AGE")
      ->capture_default_str();
  app.add_option("--insured-max-age", insured_max_age, "oldest woman eligible for two-cancer insurance")
      ->envname("JINGUO_INSURED_MAX_AGE")
      ->capture_default_str();
  app.add_option("--dashboard-dir", dashboard_dir,
                 "serve index.html from this directory instead of the page built into the binary (to work on it)")
      ->envname("JINGUO_DASHBOARD_DIR");
  std::string assets_dir = config::FindAsset("dashboard-assets");
  app.add_option("--dashboard-assets", assets_dir,
                 "the dashboard's chart library and city maps, served under /assets/ (the build puts them beside the "
                 "binaries, from web/node_modules)")
      ->envname("JINGUO_DASHBOARD_ASSETS")
      ->capture_default_str();
  std::string health_address = "127.0.0.1:50053";
  app.add_option("--health-address", health_address,
                 "the health service's gRPC address, asked (with the reader's own token) for the dashboard's list of "
                 "overdue follow-ups; empty: that list is not offered")
      ->envname("JINGUO_HEALTH_ADDRESS")
      ->capture_default_str();

  return runtime.Main(argc, argv, [&](service::Runtime& rt) -> absl::Status {
    if (insured_min_age < 0 || insured_max_age < insured_min_age) {
      return absl::InvalidArgumentError("--insured-min-age/--insured-max-age: need 0 <= min <= max");
    }
    ASSIGN_OR_RETURN(std::string page, reporting::api::DashboardPage(dashboard_dir));
    RETURN_IF_ERROR(ReadModel::Prepare(rt.store(), rebuild));
    auto& model = rt.Make<ReadModel>(&rt.store());
    ASSIGN_OR_RETURN(std::string group_id, model.GroupId(rt.ids()));

    auto& feed = rt.Make<reporting::store::ChangeFeed>();
    auto& projector = rt.Make<reporting::store::EventProjector>(
        &model, reporting::domain::Settings{insured_min_age, insured_max_age}, &feed);
    projection::ProjectionOptions options{group_id};
    for (const char* s : kSourceServices) options.topics.push_back(bus::EventTopic(s));
    // The group is this replica's own, so its id names the member too: a restart after a crash rejoins at once.
    options.instance_id = group_id;
    projection::Projection& projection = rt.AddProjection(&projector, std::move(options));

    auto& summaries = rt.Make<reporting::api::Summaries>(&model, &rt.regions(), &rt.clock());
    // Reads are refused while the server drains at shutdown, and while the read models catch up after a start.
    auto current = [gate = &rt.gate(), &projection] {
      absl::Status open = gate->Admit();
      return open.ok() ? projection.CaughtUp() : open;
    };
    auto& api = rt.Make<reporting::api::ReportingService>(&summaries, &model, &rt.regions(), &rt.auth(), &rt.clock(),
                                                          &feed, current, &rt.writes());
    rt.AddService(&api);
    reporting::api::DashboardOptions dashboard_options{std::move(page), assets_dir, nullptr};
    if (!health_address.empty()) {
      const auto& c = rt.config();
      ASSIGN_OR_RETURN(auto credentials, rpc::ClientCredentials(c.tls_cert_file, c.tls_key_file, c.tls_client_ca_file));
      dashboard_options.health = grpc::CreateChannel(health_address, credentials);
    }
    auto& dashboard = rt.Make<reporting::api::Dashboard>(&summaries, &model, &rt.regions(), &rt.auth(), &rt.clock(),
                                                         &feed, current, &rt.writes(), std::move(dashboard_options));
    RETURN_IF_ERROR(dashboard.Mount(rt.http()));
    rt.Announce(absl::StrCat("projection ", group_id));
    return absl::OkStatus();
  });
}
