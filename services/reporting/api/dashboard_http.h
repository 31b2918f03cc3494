// The dashboard's HTTP side, on the service's operator port: the page at "/" and its data at /api/coverage
// (?region=<code>; the caller's whole scope when absent), JSON of the region's coverage and its children's.
// The bearer token is checked as on gRPC; while the read models catch up after a start the data is 503 with
// Retry-After, never lower figures.
//
// Thread-safety: handlers run on the HTTP server's threads; everything they read is thread-safe.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/regions/region_table.h"
#include "common/rpc/auth.h"
#include "services/reporting/api/reporting_service.h"

namespace httplib {
class Server;
}

namespace jinguo::reporting::api {

// The dashboard page: the one built into the binary, or `dir`/index.html when `dir` is set (to work on the page).
// INVALID_ARGUMENT naming --dashboard-dir when that file cannot be read.
absl::StatusOr<std::string> DashboardPage(const std::string& dir);

// Adds "/" (serving `page`) and "/api/coverage" to `http`. `current` is as for ReportingService.
void AddDashboardRoutes(httplib::Server& http, std::string page, const Summaries* summaries,
                        const regions::RegionTable* regions, const rpc::Authenticator* auth,
                        std::function<absl::Status()> current);

// Serves the files of `dir` (ECharts, the city maps) under "/assets/" with their MIME types, read-only, never a path
// outside `dir`. INVALID_ARGUMENT naming --dashboard-assets when `dir` holds no echarts.min.js.
absl::Status MountDashboardAssets(httplib::Server& http, const std::string& dir);

}  // namespace jinguo::reporting::api
