// jinguo-reporting: live coverage by region, on the service kit (common/service/runtime.h): the read models, one
// projection of every service's topic, the gRPC API and the dashboard. --rebuild clears the read models and
// replays every topic from the beginning.
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/base/status.h"
#include "common/service/runtime.h"
#include "services/reporting/api/dashboard_http.h"
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

}  // namespace

int main(int argc, char** argv) {
  service::Runtime runtime({.name = "reporting",
                            .about = "Jinguo reporting service: live coverage by region",
                            .families = reporting::store::ReadModel::Families(),
                            .publishes = false,
                            .consumes = true,
                            .tune_store = reporting::store::ReadModel::Tune});
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

  return runtime.Main(argc, argv, [&](service::Runtime& rt) -> absl::Status {
    if (insured_min_age < 0 || insured_max_age < insured_min_age) {
      return absl::InvalidArgumentError("--insured-min-age/--insured-max-age: need 0 <= min <= max");
    }
    std::string page(reporting::kDashboardHtml, reporting::kDashboardHtml_size);
    if (!dashboard_dir.empty()) {
      std::ifstream in(dashboard_dir + "/index.html");
      if (!in)
        return absl::InvalidArgumentError(
            absl::StrCat("--dashboard-dir: ", dashboard_dir, "/index.html cannot be read"));
      std::stringstream ss;
      ss << in.rdbuf();
      page = ss.str();
    }
    using reporting::store::ReadModel;
    ASSIGN_OR_RETURN(bool other_layout, ReadModel::OtherLayout(rt.store()));
    if (rebuild || other_layout) {
      if (rebuild) {
        spdlog::info("reporting: --rebuild: clearing read models; replaying every topic from the beginning");
      } else {
        spdlog::warn(
            "reporting: the read models in {} were written in another layout (an earlier version of this "
            "service, or another list of indicators): clearing them and replaying every topic from the "
            "beginning",
            rt.config().data_dir);
      }
      RETURN_IF_ERROR(rt.store().Recreate(ReadModel::DerivedFamilies()));
    }
    RETURN_IF_ERROR(ReadModel::MarkLayout(rt.store()));
    auto& model = rt.Make<ReadModel>(&rt.store());

    // Each replica is a full projection in a consumer group of its own, named once and kept with its state.
    ASSIGN_OR_RETURN(std::string group_id, model.Meta("group_id"));
    if (group_id.empty()) {
      group_id = absl::StrCat("reporting-", rt.ids().Next());
      RETURN_IF_ERROR(model.PutMeta("group_id", group_id));
    }
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
                                                          &feed, current);
    rt.AddService(&api);
    reporting::api::AddDashboardRoutes(rt.http(), std::move(page), &summaries, &rt.regions(), &rt.auth(), current);
    rt.Announce(absl::StrCat("consumer group ", group_id));
    return absl::OkStatus();
  });
}
