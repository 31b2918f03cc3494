#include "tests/integration/reporting_client.h"

#include <cstdlib>

#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/integration/registration_client.h"

namespace jinguo::testing {

namespace pv1 = ::jinguo::reporting::v1;

std::map<std::string, int64_t> RegionCounts(pv1::ReportingService::Stub& reports, const std::string& token,
                                            const std::string& region) {
  pv1::GetRegionSummaryRequest req;
  req.set_region_code(region);
  pv1::GetRegionSummaryResponse resp;
  std::map<std::string, int64_t> out;
  grpc::Status s = reports.GetRegionSummary(Authorized(token).get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  for (const auto& i : resp.summary().indicators()) out[i.name()] = i.value();
  return out;
}

std::string ExportCsv(pv1::ReportingService::Stub& reports, const std::string& token, const std::string& region) {
  pv1::ExportReportRequest req;
  req.set_region_code(region);
  auto ctx = Authorized(token);
  auto reader = reports.ExportReport(ctx.get(), req);
  std::string csv;
  pv1::ExportReportResponse piece;
  while (reader->Read(&piece)) csv += piece.csv();
  grpc::Status s = reader->Finish();
  EXPECT_TRUE(s.ok()) << s.error_message();
  return s.ok() ? csv : "";
}

std::string FirstDifference(const std::string& a, const std::string& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  if (i == a.size() && i == b.size()) return "";
  size_t start = a.rfind('\n', i == 0 ? 0 : i - 1);
  start = start == std::string::npos ? 0 : start + 1;
  return "got:      " + a.substr(start, a.find('\n', i) - start) +
         "\nexpected: " + b.substr(start, b.find('\n', i) - start);
}

int64_t AppliedThisRun(int http_port) {
  httplib::Client client("127.0.0.1", http_port);
  auto res = client.Get("/metrics");
  if (!res) return -1;
  size_t at = res->body.find("outcome=\"applied\"");
  if (at == std::string::npos) return 0;
  return std::atoll(res->body.c_str() + res->body.find(' ', at) + 1);
}

}  // namespace jinguo::testing
