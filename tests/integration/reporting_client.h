// Test helpers reading the reporting service as a user would: a region's figures, its whole report as CSV, and
// how many events the running projection applied (from /metrics).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "jinguo/reporting/v1/reporting.grpc.pb.h"

namespace jinguo::testing {

// The indicators of `region` ("" for the country) by name; empty when the call fails (the test then says why).
std::map<std::string, int64_t> RegionCounts(reporting::v1::ReportingService::Stub& reports, const std::string& token,
                                            const std::string& region);

// ExportReport of `region`'s subtree as one CSV; "" when the call fails.
std::string ExportCsv(reporting::v1::ReportingService::Stub& reports, const std::string& token,
                      const std::string& region);

// "" when the two CSV files are equal; otherwise the first line where they differ, from each.
std::string FirstDifference(const std::string& a, const std::string& b);

// Events the reporting process serving /metrics on `http_port` applied since it started; -1 when it does not answer.
int64_t AppliedThisRun(int http_port);

}  // namespace jinguo::testing
