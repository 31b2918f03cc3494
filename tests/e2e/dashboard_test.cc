// The dashboard as a person sees it: headless Chromium (Debian's), driven by tests/e2e/dashboard_e2e.mjs, opens the
// page served by the reporting service at a desktop and a phone width. This test starts the services, registers
// people in two counties of 唐山, hands the script the figures GetRegionSummary and ListChildSummaries answer, and
// registers a woman whenever the script waits for a live update. Screenshots go beside the test binary
// (build/tests/e2e/dashboard-*.png).
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/rpc/auth.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "jinguo/reporting/v1/reporting.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/integration/harness.h"
#include "tests/integration/registration_client.h"

namespace jinguo::testing {
namespace {

namespace pv1 = ::jinguo::reporting::v1;
constexpr char kAdmin[] = "dashboard-admin";
constexpr char kViewer[] = "dashboard-viewer";
constexpr char kExpired[] = "dashboard-expired";

nlohmann::json SummaryJson(const pv1::RegionSummary& s) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& c : s.coverage()) {
    items.push_back({{"name", c.name()},
                     {"numerator", c.numerator()},
                     {"denominator", c.denominator()},
                     {"basis_points", c.basis_points()}});
  }
  nlohmann::json indicators = nlohmann::json::object();
  for (const auto& i : s.indicators()) indicators[i.name()] = i.value();
  return {{"region", s.region_code()}, {"name", s.name()}, {"items", items}, {"indicators", indicators}};
}

TEST(Dashboard, ShowsTheApisFiguresInChromiumOnDesktopAndPhone) {
  ASSERT_EQ(Shell("command -v chromium >/dev/null"), 0) << "Debian's chromium is not installed (make deps)";
  ASSERT_TRUE(std::filesystem::exists(SourceDir() + "/web/node_modules/puppeteer-core"))
      << "web/node_modules has no puppeteer-core (scripts/deps.sh core runs npm ci in web/)";
  auto broker = KafkaBroker::Start();
  ASSERT_NE(broker, nullptr);
  TempDir dir;
  std::ofstream(dir.path() + "/tokens") << rpc::HashToken(kAdmin) << " dashboard admin *\n"
                                        << rpc::HashToken(kViewer) << " leader viewer 1302\n"
                                        << rpc::HashToken(kExpired) << " former admin * not_after=2020-01-31\n";
  int reg_port = FreePort(), rep_port = FreePort(), http_port = FreePort();
  auto registration = StartRegistration(REGISTRATION_BINARY, reg_port, dir.path(), broker->brokers());
  ASSERT_NE(registration, nullptr);
  // Started from another directory, with neither --dashboard-dir nor --regions-dir: the page is built into the
  // binary, and the region table and the chart assets are found beside it.
  auto reporting_args = ServiceArgs("reporting", rep_port, dir.path(), broker->brokers());
  reporting_args.erase(reporting_args.end() - 4, reporting_args.end() - 2);  // --regions-dir
  reporting_args[3] = absl::StrCat("127.0.0.1:", http_port);                 // --http-listen
  std::string cwd = std::filesystem::current_path();
  std::filesystem::current_path("/");
  auto reporting = ServiceProcess::Start(REPORTING_BINARY, reporting_args, rep_port, dir.path() + "/reporting.log");
  std::filesystem::current_path(cwd);
  ASSERT_NE(reporting, nullptr);

  // 丰南区: two townships, three women aged 48; 路南区: one. One of them paired and visited.
  auto registry = rv1::RegistrationService::NewStub(registration->channel());
  std::string first_id;
  int serial = 0;
  auto register_woman = [&](const std::string& household) {
    ++serial;
    auto req =
        BeneficiaryRequest(household, TestIdNumber(absl::CivilDay(1978, 3, 3), serial), absl::StrCat("测试", serial));
    rv1::RegisterBeneficiaryResponse b;
    grpc::Status s = registry->RegisterBeneficiary(Authorized(kAdmin).get(), req, &b);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return b.beneficiary().id();
  };
  std::string live_household;
  for (auto [village, people] :
       {std::pair<const char*, int>{"130207104201", 2}, {"130207105201", 1}, {"130202001001", 1}}) {
    rv1::RegisterHouseholdResponse h;
    ASSERT_TRUE(registry->RegisterHousehold(Authorized(kAdmin).get(), HouseholdRequest(village), &h).ok());
    if (live_household.empty()) live_household = h.household().id();
    for (int i = 0; i < people; ++i) {
      std::string id = register_woman(h.household().id());
      if (first_id.empty()) first_id = id;
    }
  }
  rv1::RegisterCadreResponse cadre;
  ASSERT_TRUE(registry->RegisterCadre(Authorized(kAdmin).get(), CadreRequest("干部", "130207"), &cadre).ok());
  rv1::PairCadreResponse paired;
  ASSERT_TRUE(registry->PairCadre(Authorized(kAdmin).get(), PairRequest(cadre.cadre().id(), first_id), &paired).ok());
  rv1::RecordVisitRequest visit;
  visit.set_request_id(NewRequestId());
  visit.set_cadre_id(cadre.cadre().id());
  visit.set_beneficiary_id(first_id);
  absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
  visit.mutable_visited_on()->set_year(static_cast<int>(today.year()));
  visit.mutable_visited_on()->set_month(today.month());
  visit.mutable_visited_on()->set_day(today.day());
  rv1::RecordVisitResponse visited;
  ASSERT_TRUE(registry->RecordVisit(Authorized(kAdmin).get(), visit, &visited).ok());

  auto reports = pv1::ReportingService::NewStub(reporting->channel());
  auto summary = [&](const std::string& region) {
    pv1::GetRegionSummaryRequest req;
    req.set_region_code(region);
    pv1::GetRegionSummaryResponse resp;
    return reports->GetRegionSummary(Authorized(kAdmin).get(), req, &resp).ok() ? resp.summary() : pv1::RegionSummary();
  };
  auto indicator = [](const pv1::RegionSummary& s, const std::string& name) -> int64_t {
    for (const auto& i : s.indicators()) {
      if (i.name() == name) return i.value();
    }
    return -1;
  };
  ASSERT_TRUE(WaitFor(
      [&] {
        auto s = summary("1302");
        return indicator(s, "women_registered") == 4 && indicator(s, "paired") == 1 &&
               indicator(s, "women_visited_last_90_days") == 1;
      },
      absl::Seconds(30)))
      << summary("1302").DebugString();
  // The pairing panel's figures: of four women, one visited in the last 90 days, three not.
  EXPECT_EQ(indicator(summary("1302"), "women_not_visited_90_days"), 3);

  // The chart library and the city maps come from the service itself (no CDN): ECharts 6.1.0 and 唐山's counties.
  httplib::Client http("127.0.0.1", http_port);
  auto echarts = http.Get("/assets/echarts.min.js");
  ASSERT_TRUE(echarts) << "no answer for /assets/echarts.min.js";
  EXPECT_EQ(echarts->status, 200);
  EXPECT_NE(echarts->get_header_value("Content-Type").find("javascript"), std::string::npos);
  EXPECT_NE(echarts->body.find("\"6.1.0\""), std::string::npos) << "not ECharts 6.1.0";
  auto map = http.Get("/assets/maps/%E6%B2%B3%E5%8C%97/%E5%94%90%E5%B1%B1%E5%B8%82.js");  // 河北/唐山市.js
  ASSERT_TRUE(map);
  EXPECT_EQ(map->status, 200);
  EXPECT_NE(map->body.find("registerMap('唐山'"), std::string::npos);
  auto outside = http.Get("/assets/../CMakeCache.txt");
  ASSERT_TRUE(outside);
  EXPECT_NE(outside->status, 200) << "a path outside the assets";

  // The JSON API's refusals, as the page shows them.
  httplib::Headers admin = {{"Authorization", absl::StrCat("Bearer ", kAdmin)}};
  httplib::Headers viewer = {{"Authorization", absl::StrCat("Bearer ", kViewer)}};
  auto status_of = [&](const std::string& path, const httplib::Headers& h) {
    auto r = http.Get(path, h);
    return r ? r->status : -1;
  };
  EXPECT_EQ(status_of("/api/region?region=1302", {}), 401);
  EXPECT_EQ(status_of("/api/region?region=1302", {{"Authorization", absl::StrCat("Bearer ", kExpired)}}), 401);
  EXPECT_EQ(status_of("/api/region?region=139999", admin), 400);
  EXPECT_EQ(status_of("/api/region?region=1301", viewer), 403);
  EXPECT_EQ(status_of("/api/worklist?region=1302&list=follow_ups_overdue", viewer), 403);
  EXPECT_EQ(status_of("/api/worklist?region=1302&list=no_such_list", admin), 400);
  EXPECT_EQ(status_of("/api/trends?region=1302&days=0", admin), 400);
  // The city page names the map that draws its counties; a county has none.
  auto city = nlohmann::json::parse(http.Get("/api/region?region=1302", admin)->body);
  EXPECT_EQ(city["map"]["name"], "唐山");
  EXPECT_TRUE(nlohmann::json::parse(http.Get("/api/region?region=130207", admin)->body)["map"].is_null());
  // A work list exported for a spreadsheet: UTF-8 with its BOM, a header and one row per woman not insured.
  auto csv = http.Get("/api/worklist?region=1302&list=women_not_insured&format=csv", admin);
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->status, 200);
  EXPECT_EQ(csv->body.rfind("\xEF\xBB\xBF姓名,身份证号,所在地,出生年份\n", 0), 0u) << csv->body.substr(0, 80);
  EXPECT_EQ(std::count(csv->body.begin(), csv->body.end(), '\n'), 5);
  EXPECT_NE(csv->get_header_value("Content-Disposition").find("attachment"), std::string::npos);
  // Three days of trends end today, each coverage a value per day.
  auto trends = nlohmann::json::parse(http.Get("/api/trends?region=1302&days=3", admin)->body);
  ASSERT_EQ(trends["days"].size(), 3u);
  EXPECT_EQ(trends["coverage"].size(), 5u);
  EXPECT_EQ(trends["coverage"][1]["basis_points"][2], 2500) << "paired: 1 of 4 today";

  // What the script compares the page with: the gRPC API's answers for the city and the county.
  auto api_json = [&] {
    nlohmann::json api = nlohmann::json::object();
    for (const std::string region : {"1302", "130207"}) {
      pv1::ListChildSummariesRequest req;
      req.set_region_code(region);
      pv1::ListChildSummariesResponse children;
      EXPECT_TRUE(reports->ListChildSummaries(Authorized(kAdmin).get(), req, &children).ok());
      nlohmann::json entry = SummaryJson(children.parent());
      entry["children"] = nlohmann::json::array();
      for (const auto& c : children.children()) entry["children"].push_back(SummaryJson(c));
      api[region] = entry;
    }
    return api;
  };
  nlohmann::json api = api_json();
  std::string marker = dir.path() + "/live";
  nlohmann::json cfg = {{"url", absl::StrCat("http://127.0.0.1:", http_port)},
                        {"tokens", {{"admin", kAdmin}, {"viewer", kViewer}, {"expired", kExpired}}},
                        {"city", "1302"},
                        {"county", "130207"},
                        {"outside", "1301"},
                        {"api", api},
                        {"screenshots", SCREENSHOT_DIR},
                        {"live_marker", marker}};
  std::ofstream(dir.path() + "/e2e.json") << cfg.dump();

  // The script waits at each width for a live update: one woman registered in 丰南区 when it says it is ready, and
  // the API's figures once reporting has her (<marker>.<width>.api), for the checks that follow.
  std::atomic<bool> done{false};
  std::thread events([&] {
    int women = 4;
    for (const char* width : {"1280", "375"}) {
      std::string ready = absl::StrCat(marker, ".", width);
      while (!done && !std::filesystem::exists(ready)) absl::SleepFor(absl::Milliseconds(100));
      if (done) return;
      register_woman(live_household);
      ++women;
      EXPECT_TRUE(WaitFor([&] { return indicator(summary("1302"), "women_registered") == women; }, absl::Seconds(30)));
      std::ofstream(ready + ".tmp") << api_json().dump();
      std::filesystem::rename(ready + ".tmp", ready + ".api");
    }
  });
  int rc = Shell(
      absl::StrCat("cd ", SourceDir(), " && timeout 300 node tests/e2e/dashboard_e2e.mjs ", dir.path(), "/e2e.json"));
  done = true;
  events.join();
  EXPECT_EQ(rc, 0) << "dashboard_e2e.mjs: the FAIL lines above say which checks failed";
  for (const char* shot : {"dashboard-city-1280.png", "dashboard-county-375.png", "dashboard-worklist-1280.png"}) {
    std::ifstream png(absl::StrCat(SCREENSHOT_DIR, "/", shot), std::ios::binary | std::ios::ate);
    EXPECT_GT(static_cast<long>(png.tellg()), 10000) << "no screenshot " << shot;
  }
}

}  // namespace
}  // namespace jinguo::testing
