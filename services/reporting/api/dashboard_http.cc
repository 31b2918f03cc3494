#include "services/reporting/api/dashboard_http.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/validate/region_code.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace jinguo::reporting {
// The dashboard page, built into the binary (services/reporting/dashboard/index.html).
extern const char kDashboardHtml[];
extern const size_t kDashboardHtml_size;
}  // namespace jinguo::reporting

namespace jinguo::reporting::api {

namespace {

nlohmann::json CoverageJson(const v1::RegionSummary& s) {
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

}  // namespace

absl::StatusOr<std::string> DashboardPage(const std::string& dir) {
  if (dir.empty()) return std::string(kDashboardHtml, kDashboardHtml_size);
  std::ifstream in(dir + "/index.html");
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--dashboard-dir: ", dir, "/index.html cannot be read"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void AddDashboardRoutes(httplib::Server& http, std::string page, const Summaries* summaries,
                        const regions::RegionTable* regions, const rpc::Authenticator* auth,
                        std::function<absl::Status()> current) {
  http.Get("/", [page = std::move(page)](const httplib::Request&, httplib::Response& res) {
    res.set_content(page, "text/html; charset=utf-8");
  });
  http.Get("/api/coverage", [=](const httplib::Request& req, httplib::Response& res) {
    auto fail = [&](int code, const std::string& message) {
      res.status = code;
      res.set_content(nlohmann::json({{"error", message}}).dump(), "application/json; charset=utf-8");
    };
    std::string header = req.get_header_value("Authorization");
    auto who = auth->AuthenticateToken(header.rfind("Bearer ", 0) == 0 ? header.substr(7) : "");
    if (!who.ok()) return fail(401, std::string(who.status().message()));
    if (absl::Status s = current(); !s.ok()) {
      res.set_header("Retry-After", "2");
      return fail(503, std::string(s.message()));
    }
    std::string region = req.get_param_value("region");
    if (absl::Status s = validate::CheckRegionPrefix(*regions, region); !s.ok()) {
      return fail(400, absl::StrCat("region: ", s.message()));
    }
    if (region.empty()) region = who->region_scope;
    if (absl::Status s = rpc::Authorize(*who, rpc::Role::kViewer, region); !s.ok()) {
      return fail(403, std::string(s.message()));
    }
    auto summary = summaries->Summary(region, std::nullopt);
    auto children = summaries->Children(region);
    if (!summary.ok() || !children.ok()) return fail(500, "read model unavailable");
    nlohmann::json out = CoverageJson(*summary);
    // Every indicator of the region itself (counts only: no one's result), for the action panels.
    out["indicators"] = nlohmann::json::object();
    for (const auto& i : summary->indicators()) {
      out["indicators"][i.name()] = {{"label", i.label()}, {"value", i.value()}};
    }
    out["children"] = nlohmann::json::array();
    for (const auto& child : *children) {
      auto s = summaries->Summary(child, std::nullopt);
      if (s.ok()) out["children"].push_back(CoverageJson(*s));
    }
    res.set_content(out.dump(), "application/json; charset=utf-8");
  });
}

absl::Status MountDashboardAssets(httplib::Server& http, const std::string& dir) {
  if (!std::ifstream(dir + "/echarts.min.js")) {
    return absl::InvalidArgumentError(absl::StrCat("--dashboard-assets: ", dir,
                                                   " holds no echarts.min.js (scripts/deps.sh core installs it, the "
                                                   "build copies it beside the binaries)"));
  }
  if (!http.set_mount_point("/assets", dir, {{"Cache-Control", "public, max-age=86400"}})) {
    return absl::InvalidArgumentError(absl::StrCat("--dashboard-assets: ", dir, " cannot be served"));
  }
  return absl::OkStatus();
}

}  // namespace jinguo::reporting::api
