// The dashboard as a person sees it: headless Chromium (Debian's) opens the page served by the reporting service,
// the figures it renders are checked against GetCoverage, and a screenshot is saved beside the test binary
// (dashboard.png).
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/rpc/auth.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "jinguo/reporting/v1/reporting.grpc.pb.h"
#include "tests/integration/harness.h"
#include "tests/integration/registration_client.h"

namespace jinguo::testing {
namespace {

namespace pv1 = ::jinguo::reporting::v1;
constexpr char kToken[] = "dashboard-token";

std::string Chromium(const std::string& args, const std::string& time_zone = "Asia/Shanghai") {
  std::string cmd = absl::StrCat(
      "TZ=", time_zone,
      " timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync --user-data-dir=$(mktemp -d) "
      "--virtual-time-budget=8000 ",
      args, " 2>/dev/null");
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  pclose(p);
  return out;
}

TEST(Dashboard, ShowsTheSameFiguresAsGetCoverage) {
  ASSERT_EQ(Shell("command -v chromium >/dev/null"), 0) << "Debian's chromium is not installed (make deps)";
  auto broker = KafkaBroker::Start();
  ASSERT_NE(broker, nullptr);
  TempDir dir;
  std::ofstream(dir.path() + "/tokens") << rpc::HashToken(kToken) << " dashboard admin *\n";
  auto args = [&](const std::string& name, int port, int http) {
    return std::vector<std::string>{"--grpc-listen",   absl::StrCat("127.0.0.1:", port),
                                    "--http-listen",   absl::StrCat("127.0.0.1:", http),
                                    "--data-dir",      dir.path() + "/" + name,
                                    "--kafka-brokers", broker->brokers(),
                                    "--tokens-file",   dir.path() + "/tokens",
                                    "--regions-dir",   SourceDir() + "/data/regions",
                                    "--log-level",     "warn"};
  };
  int reg_port = FreePort(), rep_port = FreePort(), http_port = FreePort();
  auto registration_args = args("registration", reg_port, 0);
  registration_args.insert(registration_args.end(), {"--data-key-file", WriteDataKeyFile(dir.path())});
  auto registration =
      ServiceProcess::Start(REGISTRATION_BINARY, registration_args, reg_port, dir.path() + "/registration.log");
  ASSERT_NE(registration, nullptr);
  // Started from another directory, with neither --dashboard-dir nor --regions-dir: the page is built into the
  // binary and the region table is found beside it.
  auto reporting_args = args("reporting", rep_port, http_port);
  reporting_args.erase(reporting_args.end() - 4, reporting_args.end() - 2);
  std::string cwd = std::filesystem::current_path();
  std::filesystem::current_path("/");
  auto reporting = ServiceProcess::Start(REPORTING_BINARY, reporting_args, rep_port, dir.path() + "/reporting.log");
  std::filesystem::current_path(cwd);
  ASSERT_NE(reporting, nullptr);

  // Two households in 丰南区, three people, one of them paired.
  auto registry = rv1::RegistrationService::NewStub(registration->channel());
  std::string first_id;
  int serial = 0;
  for (auto [village, people] : {std::pair<const char*, int>{"130207104201", 2}, {"130207105201", 1}}) {
    rv1::RegisterHouseholdResponse h;
    ASSERT_TRUE(registry->RegisterHousehold(Authorized(kToken).get(), HouseholdRequest(village), &h).ok());
    for (int i = 0; i < people; ++i) {
      ++serial;
      auto req = BeneficiaryRequest(h.household().id(), TestIdNumber(absl::CivilDay(1978, 3, 3), serial),
                                    absl::StrCat("测试", serial));
      rv1::RegisterBeneficiaryResponse b;
      ASSERT_TRUE(registry->RegisterBeneficiary(Authorized(kToken).get(), req, &b).ok());
      if (first_id.empty()) first_id = b.beneficiary().id();
    }
  }
  rv1::RegisterCadreResponse cadre;
  ASSERT_TRUE(registry->RegisterCadre(Authorized(kToken).get(), CadreRequest("干部", "130207"), &cadre).ok());
  rv1::PairCadreResponse paired;
  ASSERT_TRUE(registry->PairCadre(Authorized(kToken).get(), PairRequest(cadre.cadre().id(), first_id), &paired).ok());

  auto reports = pv1::ReportingService::NewStub(reporting->channel());
  pv1::GetCoverageResponse coverage;
  ASSERT_TRUE(WaitFor(
      [&] {
        pv1::GetCoverageRequest req;
        req.set_region_code("130207");
        coverage.Clear();
        return reports->GetCoverage(Authorized(kToken).get(), req, &coverage).ok() && coverage.items_size() == 5 &&
               coverage.items(1).numerator() == 1 && coverage.items(1).denominator() == 3;
      },
      absl::Seconds(30)))
      << coverage.DebugString();

  // The chart library and the city maps come from the service itself (no CDN): ECharts 6.1.0 and 唐山's counties.
  httplib::Client assets("127.0.0.1", http_port);
  auto echarts = assets.Get("/assets/echarts.min.js");
  ASSERT_TRUE(echarts) << "no answer for /assets/echarts.min.js";
  EXPECT_EQ(echarts->status, 200);
  EXPECT_NE(echarts->get_header_value("Content-Type").find("javascript"), std::string::npos);
  EXPECT_NE(echarts->body.find("\"6.1.0\""), std::string::npos) << "not ECharts 6.1.0";
  auto map = assets.Get("/assets/maps/%E6%B2%B3%E5%8C%97/%E5%94%90%E5%B1%B1%E5%B8%82.js");  // 河北/唐山市.js
  ASSERT_TRUE(map);
  EXPECT_EQ(map->status, 200);
  EXPECT_NE(map->body.find("registerMap('唐山'"), std::string::npos);
  auto outside = assets.Get("/assets/../CMakeCache.txt");
  ASSERT_TRUE(outside);
  EXPECT_NE(outside->status, 200) << "a path outside the assets";

  std::string url = absl::StrCat("http://127.0.0.1:", http_port, "/#token=", kToken, "&region=130207");
  // In a browser on another continent the page still says when it was updated in Beijing time, 24-hour, dated.
  std::string dom = Chromium("--dump-dom '" + url + "'", "America/Los_Angeles");
  ASSERT_NE(dom.find("data-loaded=\"130207\""), std::string::npos) << "the page did not load its figures:\n" << dom;
  std::smatch updated;
  ASSERT_TRUE(
      std::regex_search(dom, updated, std::regex("更新于 (\\d{4})-\\d{2}-\\d{2} (\\d{2}):\\d{2}:\\d{2}（北京时间）")))
      << "no dated 24-hour Beijing time in the status line";
  absl::CivilHour beijing_now = absl::ToCivilHour(absl::Now(), absl::FixedTimeZone(8 * 3600));
  int shown_hour = std::stoi(updated[2].str());
  EXPECT_TRUE(shown_hour == beijing_now.hour() || shown_hour == (beijing_now.hour() + 23) % 24) << updated[0];

  // The first region block is 丰南区 itself: each coverage row shows "numerator / denominator  percent%".
  size_t current = dom.find("id=\"current\"");
  size_t children = dom.find("id=\"children\"");
  ASSERT_NE(current, std::string::npos);
  std::string block = dom.substr(current, children - current);
  for (const auto& item : coverage.items()) {
    std::regex row("data-item=\"" + item.name() + "\".*?<span class=\"num\">([^<]*)</span>");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(block, m, row)) << item.name();
    std::string expected = absl::StrFormat("%d / %d  %d.%02d%%", item.numerator(), item.denominator(),
                                           item.basis_points() / 100, item.basis_points() % 100);
    EXPECT_EQ(m[1].str(), expected) << item.name();
  }
  // The 两癌 panel: eligible women (all three, aged 48) as a count, and screening coverage over them as a ratio bar,
  // from the same indicators GetRegionSummary answers.
  pv1::GetRegionSummaryRequest summary_req;
  summary_req.set_region_code("130207");
  pv1::GetRegionSummaryResponse summary;
  ASSERT_TRUE(reports->GetRegionSummary(Authorized(kToken).get(), summary_req, &summary).ok());
  auto indicator = [&](const std::string& name) -> int64_t {
    for (const auto& i : summary.summary().indicators()) {
      if (i.name() == name) return i.value();
    }
    return 0;
  };
  ASSERT_EQ(indicator("eligible_women"), 3);
  size_t health = dom.find("id=\"health\"");
  ASSERT_NE(health, std::string::npos) << "no 两癌 panel";
  std::string panel = dom.substr(health, children - health);
  auto shown = [&](const std::string& name) {
    std::smatch m;
    std::regex row("data-indicator=\"" + name + "\".*?<span class=\"num\">([^<]*)</span>");
    return std::regex_search(panel, m, row) ? m[1].str() : "(missing)";
  };
  EXPECT_EQ(shown("eligible_women"), "3");
  EXPECT_EQ(shown("women_cervical_in_interval"),
            absl::StrFormat("%d / 3  0.00%%", indicator("women_cervical_in_interval")));
  EXPECT_EQ(shown("relief_paid_fen"), "0.00 元");
  // The loans panel, below it: nobody borrows in this test.
  size_t loans = dom.find("id=\"loans\"");
  ASSERT_NE(loans, std::string::npos) << "no loans panel";
  panel = dom.substr(loans, children - loans);
  EXPECT_EQ(shown("women_with_active_loan"), "0");
  EXPECT_EQ(shown("loans_outstanding_fen"), "0.00 元");
  EXPECT_EQ(shown("loans_overdue_rate"), "0.00%  (0.00 元 / 0.00 元)");
  // The training panel: 春蕾 aid over the school-age students the test registered, none aided yet.
  size_t training = dom.find("id=\"training\"");
  ASSERT_NE(training, std::string::npos) << "no training panel";
  panel = dom.substr(training, children - training);
  EXPECT_EQ(shown("students_aided"), absl::StrFormat("0 / %d  0.00%%", indicator("school_age_students")));
  EXPECT_EQ(shown("training_participants"), "0");
  EXPECT_EQ(shown("aid_granted_fen"), "0.00 元");
  // The publicity panel: no campaign has reached the test's households.
  size_t publicity = dom.find("id=\"publicity\"");
  ASSERT_NE(publicity, std::string::npos) << "no publicity panel";
  panel = dom.substr(publicity, children - publicity);
  EXPECT_EQ(shown("households_publicity_reached"), absl::StrFormat("0 / %d  0.00%%", indicator("households")));
  EXPECT_EQ(shown("venue_activities_this_quarter"), "0");
  // Drill-down: both townships with people appear as children, each clickable.
  EXPECT_NE(dom.find("data-region=\"130207104\""), std::string::npos);
  EXPECT_NE(dom.find("data-region=\"130207105\""), std::string::npos);

  std::string png = absl::StrCat(SCREENSHOT_DIR, "/dashboard.png");
  Chromium("--window-size=1000,900 --screenshot=" + png + " '" + url + "'");
  std::ifstream shot(png, std::ios::binary | std::ios::ate);
  EXPECT_GT(static_cast<long>(shot.tellg()), 10000) << "no screenshot at " << png;
}

}  // namespace
}  // namespace jinguo::testing
