// A 建档立卡 roster as county clerks write it: one woman or child a row, Chinese column headers (each with the
// names clerks use for it), into RegisterBeneficiary requests for registration's ImportBeneficiaries.
//
//   column        also written as                  what it holds
//   姓名          名字                              required
//   身份证号      身份证号码, 公民身份号码, 证件号码  required; 18 characters as text (not a number: Excel drops the
//                                                   last digits of a number that long)
//   户编号        户号, 家庭编号, 户ID              required: the household's id in Jinguo
//   致贫原因      主要致贫原因                       required: 因病, 因残, 因学, 因灾, 因婚, 缺土地, 缺水, 缺技术,
//   缺资金,
//                                                   缺劳力, 交通条件落后, 自身发展动力不足, 其他 (several with 、 , ；)
//   性别          —                                 女 / 男; optional (the ID number says it)
//   出生日期      出生年月                           optional (the ID number says it): 2023-05-01, 2023/5/1,
//                                                   2023年5月1日, 20230501 or an Excel date
//   是否在校生    在校生                             是 / 否
//   学段          在读学段                           学前, 小学, 初中, 高中, 中职 (for a student)
//   是否留守      留守                               是 / 否
//   是否残疾      残疾                               是 / 否
//   是否慢性病    慢性病                             是 / 否
//   是否大病      大病, 重大疾病                     是 / 否
//   联系电话      手机号, 手机号码, 电话              optional
//   登记日期      建档日期                           optional, as 出生日期
//
// Thread-compatible: plain functions and immutable tables.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "jinguo/registration/v1/registration.pb.h"
#include "tools/jinguoctl/spreadsheet.h"

namespace jinguo::tools {

struct RosterColumn {
  const char* header;             // the name in the template
  std::vector<const char*> also;  // other names clerks write
  bool required;
  const char* example;  // the template's example row
};
const std::vector<RosterColumn>& RosterColumns();

// Which roster column each of the header's cells is; INVALID_ARGUMENT naming an unknown header (with the known
// ones), a column given twice, or a missing required column.
absl::StatusOr<std::vector<int>> MapHeader(const std::vector<Cell>& header);

// One refused cell, for the rejection file.
struct RowProblem {
  std::string column;  // the header as the clerk wrote it
  std::string value;
  std::string reason;  // in Chinese
};

// The request for one row; its problems instead when a cell cannot be read. The request id is a hash of the row's
// content, so importing the same row again is a repeat (nothing changes) and a corrected row is new.
struct RosterRow {
  std::optional<registration::v1::ImportBeneficiariesRequest> request;
  std::vector<RowProblem> problems;
};
RosterRow ReadRosterRow(const std::vector<Cell>& header, const std::vector<int>& columns, const std::vector<Cell>& row,
                        int64_t row_number);

// A date as clerks type it, or as Excel stores it (a serial day number); nullopt when it is none of those.
std::optional<absl::CivilDay> ParseClerkDate(const Cell& cell);

}  // namespace jinguo::tools
