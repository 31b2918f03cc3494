// The dashboard's HTTP side, on the service's operator port: the page at "/", its chart library and city maps
// under /assets/, and its data as JSON:
//   /api/region?region=<code>[&since=<generation>]   the region's five 100%, every indicator, its children's
//        coverage, the breadcrumb, which map draws its children, and the work lists the reader may open. With `since`,
//        the answer waits (up to 20 s) until an event changes the region's figures: the page's live update, on the same
//        change feed as WatchRegion.
//   /api/trends?region=<code>[&days=90]              each coverage per day from the daily history (as of each
//        day's end), and the counts the action panels draw over time.
//   /api/worklist?region=<code>&list=<name>[&format=csv]   the people or households a cadre acts on (WorkLists()),
//        scoped to the region; CSV for a spreadsheet. Every read of a list is audited.
// A bearer token is checked as on gRPC (401 with the reason when it is missing, wrong or expired); a region that
// does not exist is 400 and one outside the token's scope 403, each with a message for the page; while the read
// models catch up after a start the data is 503 with Retry-After, never lower figures.
//
// Thread-safety: handlers run on the HTTP server's threads; everything they read is thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/base/clock.h"
#include "common/regions/region_table.h"
#include "common/rpc/auth.h"
#include "common/rpc/write_path.h"
#include "services/reporting/api/reporting_service.h"
#include "services/reporting/store/event_projector.h"
#include "services/reporting/store/read_model.h"

namespace grpc {
class Channel;
}
namespace httplib {
class Server;
}

namespace jinguo::reporting::api {

// A work list the dashboard offers: its name in the URL, its title, and who may read it.
struct WorkListDef {
  const char* name;
  const char* label;
  bool health_only;  // overdue follow-ups are health results: the health role (and admins) only
};
const std::vector<WorkListDef>& WorkLists();

struct DashboardOptions {
  // The page: built into the binary, or read from --dashboard-dir (DashboardPage).
  std::string page;
  // ECharts and the city maps, served under /assets/.
  std::string assets_dir;
  // The health service, asked for overdue follow-ups with the caller's own token (results stay with health).
  std::shared_ptr<grpc::Channel> health;
};

// The dashboard page: the one built into the binary, or `dir`/index.html when `dir` is set (to work on the page).
// INVALID_ARGUMENT naming --dashboard-dir when that file cannot be read.
absl::StatusOr<std::string> DashboardPage(const std::string& dir);

class Dashboard {
 public:
  // `current` is as for ReportingService; `audit` records work-list reads (nullptr: none).
  Dashboard(const Summaries* summaries, const store::ReadModel* model, const regions::RegionTable* regions,
            const rpc::Authenticator* auth, const Clock* clock, store::ChangeFeed* feed,
            std::function<absl::Status()> current, rpc::WritePath* audit, DashboardOptions options);

  // Adds the page, the JSON routes and the assets to `http`. INVALID_ARGUMENT naming --dashboard-assets when the
  // assets directory holds no echarts.min.js.
  absl::Status Mount(httplib::Server& http);

  // The file under the assets that draws `city`'s counties ("maps/河北/唐山市.js") and the name it registers
  // ("唐山"); empty when `city` is not a city or the package has no map for it.
  std::pair<std::string, std::string> CityMap(const std::string& city) const;

 private:
  struct Asset {
    std::string raw, gzip, content_type;
  };
  // The asset at `relative` under the assets directory, read and compressed at its first request; nullptr when no
  // such file (or a path that would leave the directory).
  std::shared_ptr<const Asset> AssetAt(const std::string& relative) const;
  struct Answer {
    int status = 200;
    std::string body;
    std::string content_type = "application/json; charset=utf-8";
    std::string filename;  // set: a download
  };
  struct Caller;
  // Authenticates the request, checks the read models are current and `region` exists and is in scope.
  absl::StatusOr<Caller> Admit(const std::string& authorization, const std::string& region, Answer* refused) const;
  Answer Region(const std::string& authorization, const std::string& region, const std::string& since) const;
  Answer Trends(const std::string& authorization, const std::string& region, const std::string& days) const;
  Answer WorkList(const std::string& authorization, const std::string& client, const std::string& region,
                  const std::string& list, const std::string& format) const;

  const Summaries* summaries_;
  const store::ReadModel* model_;
  const regions::RegionTable* regions_;
  const rpc::Authenticator* auth_;
  const Clock* clock_;
  store::ChangeFeed* feed_;
  std::function<absl::Status()> current_;
  rpc::WritePath* audit_;
  DashboardOptions options_;
  mutable std::mutex assets_mu_;
  mutable std::map<std::string, std::shared_ptr<const Asset>> assets_;  // at most the directory's files
};

}  // namespace jinguo::reporting::api
