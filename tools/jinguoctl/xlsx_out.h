// Workbooks jinguoctl writes with libxlsxwriter: the roster template clerks fill in, and a region's report.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace jinguo::tools {

// docs/templates/roster.xlsx: the sheet 名单 with every roster column (roster.h) as its header, ID-number and phone
// columns formatted as text (so Excel keeps all 18 digits), drop-down lists for 是/否, 学段, 性别 and 致贫原因, one
// example row; and the sheet 说明 saying what each column holds.
absl::Status WriteRosterTemplate(const std::string& path);

// A region's report from ExportReport's CSV (`csv`, as the service streams it): one sheet per level (市, 县（区）,
// 乡镇（街道）, 村（居）), counts as numbers, coverage as percentages (0.0%), headers frozen.
absl::Status WriteReportWorkbook(const std::string& csv, const std::string& path);

}  // namespace jinguo::tools
