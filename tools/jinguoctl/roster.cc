#include "tools/jinguoctl/roster.h"

#include <map>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/civil_date.h"
#include "openssl/sha.h"

namespace jinguo::tools {

namespace rv1 = ::jinguo::registration::v1;

namespace {

enum Col {
  kName,
  kIdNumber,
  kHousehold,
  kCauses,
  kSex,
  kBirth,
  kStudent,
  kStage,
  kLeftBehind,
  kDisabled,
  kChronic,
  kSerious,
  kMobile,
  kRegistered
};

std::string Trim(const std::string& s) { return std::string(absl::StripAsciiWhitespace(s)); }

std::optional<bool> YesNo(const std::string& v) {
  std::string s = absl::AsciiStrToLower(Trim(v));
  if (s.empty() || s == "否" || s == "n" || s == "no" || s == "0" || s == "false" || s == "无") return false;
  if (s == "是" || s == "y" || s == "yes" || s == "1" || s == "true" || s == "有") return true;
  return std::nullopt;
}

const std::map<std::string, rv1::PovertyCause>& Causes() {
  static const auto* m = new std::map<std::string, rv1::PovertyCause>{
      {"因病", rv1::POVERTY_CAUSE_ILLNESS},
      {"因残", rv1::POVERTY_CAUSE_DISABILITY},
      {"因学", rv1::POVERTY_CAUSE_SCHOOLING},
      {"因灾", rv1::POVERTY_CAUSE_DISASTER},
      {"因婚", rv1::POVERTY_CAUSE_MARRIAGE},
      {"缺土地", rv1::POVERTY_CAUSE_LACK_OF_LAND},
      {"缺水", rv1::POVERTY_CAUSE_LACK_OF_WATER},
      {"缺技术", rv1::POVERTY_CAUSE_LACK_OF_SKILLS},
      {"缺资金", rv1::POVERTY_CAUSE_LACK_OF_FUNDS},
      {"缺劳力", rv1::POVERTY_CAUSE_LACK_OF_LABOUR},
      {"交通条件落后", rv1::POVERTY_CAUSE_POOR_TRANSPORT},
      {"自身发展动力不足", rv1::POVERTY_CAUSE_LACK_OF_DRIVE},
      {"其他", rv1::POVERTY_CAUSE_OTHER},
  };
  return *m;
}

const std::map<std::string, rv1::SchoolStage>& Stages() {
  static const auto* m = new std::map<std::string, rv1::SchoolStage>{
      {"学前", rv1::SCHOOL_STAGE_PRESCHOOL},        {"小学", rv1::SCHOOL_STAGE_PRIMARY},
      {"初中", rv1::SCHOOL_STAGE_JUNIOR_SECONDARY}, {"高中", rv1::SCHOOL_STAGE_SENIOR_SECONDARY},
      {"中职", rv1::SCHOOL_STAGE_VOCATIONAL},
  };
  return *m;
}

}  // namespace

const std::vector<RosterColumn>& RosterColumns() {
  static const auto* cols = new std::vector<RosterColumn>{
      {"姓名", {"名字"}, true, "李秀英"},
      {"身份证号", {"身份证号码", "公民身份号码", "证件号码"}, true, "130207198003010028"},
      {"户编号", {"户号", "家庭编号", "户ID"}, true, "（在巾帼中登记家庭后得到的户编号）"},
      {"致贫原因", {"主要致贫原因"}, true, "因病、缺技术"},
      {"性别", {}, false, "女"},
      {"出生日期", {"出生年月"}, false, "1980-03-01"},
      {"是否在校生", {"在校生"}, false, "否"},
      {"学段", {"在读学段"}, false, ""},
      {"是否留守", {"留守"}, false, "否"},
      {"是否残疾", {"残疾"}, false, "否"},
      {"是否慢性病", {"慢性病"}, false, "是"},
      {"是否大病", {"大病", "重大疾病"}, false, "否"},
      {"联系电话", {"手机号", "手机号码", "电话"}, false, "13812345678"},
      {"登记日期", {"建档日期"}, false, "2026-03-15"},
  };
  return *cols;
}

absl::StatusOr<std::vector<int>> MapHeader(const std::vector<Cell>& header) {
  std::vector<int> out(header.size(), -1);
  std::vector<bool> seen(RosterColumns().size(), false);
  for (size_t i = 0; i < header.size(); ++i) {
    std::string name = Trim(header[i].text);
    if (name.empty()) continue;
    int found = -1;
    for (size_t c = 0; c < RosterColumns().size() && found < 0; ++c) {
      const auto& col = RosterColumns()[c];
      if (name == col.header) found = static_cast<int>(c);
      for (const char* a : col.also) {
        if (name == a) found = static_cast<int>(c);
      }
    }
    if (found < 0) {
      std::vector<std::string> known;
      for (const auto& c : RosterColumns()) known.push_back(c.header);
      return absl::InvalidArgumentError(absl::StrCat("第 ", i + 1, " 列的列名“", name, "”无法识别；可用的列名：",
                                                     absl::StrJoin(known, "、"), "（见 docs/templates/roster.xlsx）"));
    }
    if (seen[found]) {
      return absl::InvalidArgumentError(absl::StrCat("列“", RosterColumns()[found].header, "”出现了两次"));
    }
    seen[found] = true;
    out[i] = found;
  }
  for (size_t c = 0; c < RosterColumns().size(); ++c) {
    if (RosterColumns()[c].required && !seen[c]) {
      return absl::InvalidArgumentError(absl::StrCat("缺少必填列“", RosterColumns()[c].header, "”"));
    }
  }
  return out;
}

std::optional<absl::CivilDay> ParseClerkDate(const Cell& cell) {
  std::string s = Trim(cell.text);
  if (s.empty()) return std::nullopt;
  double serial = 0;
  if (cell.number && absl::SimpleAtod(s, &serial) && serial > 0 && serial < 2958466) {
    // Excel's serial days count from 1899-12-30 (its 1900 leap-year bug included).
    return absl::CivilDay(1899, 12, 30) + static_cast<int>(serial);
  }
  static const std::regex forms[] = {
      std::regex(R"(^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$)"),
      std::regex(R"(^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$)"),
      std::regex(R"(^(\d{4})(\d{2})(\d{2})$)"),
  };
  for (const auto& re : forms) {
    std::smatch m;
    if (!std::regex_match(s, m, re)) continue;
    int y = std::stoi(m[1]), mo = std::stoi(m[2]), d = std::stoi(m[3]);
    absl::CivilDay day(y, mo, d);
    if (day.year() == y && day.month() == mo && day.day() == d) return day;
    return std::nullopt;
  }
  return std::nullopt;
}

RosterRow ReadRosterRow(const std::vector<Cell>& header, const std::vector<int>& columns, const std::vector<Cell>& row,
                        int64_t row_number) {
  RosterRow out;
  rv1::ImportBeneficiariesRequest req;
  req.set_row_number(row_number);
  rv1::BeneficiaryInput* b = req.mutable_beneficiary();
  auto problem = [&](size_t i, const std::string& reason) {
    out.problems.push_back({Trim(header[i].text), i < row.size() ? row[i].text : "", reason});
  };
  auto yes_no = [&](size_t i, const Cell& cell, auto set) {
    auto v = YesNo(cell.text);
    if (!v) return problem(i, "请填“是”或“否”");
    set(*v);
  };
  std::string content;  // what the request id is a hash of
  for (size_t i = 0; i < row.size() && i < columns.size(); ++i) {
    if (columns[i] < 0) continue;
    const Cell& cell = row[i];
    std::string v = Trim(cell.text);
    absl::StrAppend(&content, columns[i], "=", v, "\x1f");
    switch (columns[i]) {
      case kName:
        b->set_name(v);
        break;
      case kIdNumber:
        if (cell.number || absl::StrContains(absl::AsciiStrToUpper(v), "E+")) {
          problem(i, "身份证号被 Excel 存成了数字（如 1.10105E+17），后几位已经丢失：请把该列设为“文本”格式后重新输入");
        } else {
          b->set_id_number(v);
        }
        break;
      case kHousehold:
        b->set_household_id(v);
        break;
      case kCauses:
        // Multi-byte separators become commas first: ByAnyChar splits on single bytes.
        for (absl::string_view c : absl::StrSplit(absl::StrReplaceAll(v, {{"、", ","}, {"，", ","}, {"；", ","}}),
                                                  absl::ByAnyChar(",;/ "), absl::SkipEmpty())) {
          auto it = Causes().find(std::string(c));
          if (it == Causes().end()) {
            problem(i, absl::StrCat("“", c,
                                    "”不是致贫原因；可填：因病、因残、因学、因灾、因婚、缺土地、缺水、缺技术、缺资金、"
                                    "缺劳力、交通条件落后、自身发展动力不足、其他"));
          } else {
            b->add_poverty_causes(it->second);
          }
        }
        break;
      case kSex:
        if (v == "女")
          b->set_sex(rv1::SEX_FEMALE);
        else if (v == "男")
          b->set_sex(rv1::SEX_MALE);
        else if (!v.empty())
          problem(i, "请填“女”或“男”");
        break;
      case kBirth:
      case kRegistered:
        if (!v.empty()) {
          auto day = ParseClerkDate(cell);
          if (!day) {
            problem(i, "日期无法识别：请写成 2023-05-01、2023/5/1 或 2023年5月1日");
          } else {
            *(columns[i] == kBirth ? b->mutable_birth_date() : b->mutable_registered_on()) = ToProto(*day);
          }
        }
        break;
      case kStudent:
        yes_no(i, cell, [&](bool x) { b->set_student(x); });
        break;
      case kStage:
        if (!v.empty()) {
          auto it = Stages().find(v);
          if (it == Stages().end())
            problem(i, "学段请填：学前、小学、初中、高中或中职");
          else
            b->set_school_stage(it->second);
        }
        break;
      case kLeftBehind:
        yes_no(i, cell, [&](bool x) { b->set_left_behind(x); });
        break;
      case kDisabled:
        yes_no(i, cell, [&](bool x) { b->set_disabled(x); });
        break;
      case kChronic:
        yes_no(i, cell, [&](bool x) { b->set_chronic_illness(x); });
        break;
      case kSerious:
        yes_no(i, cell, [&](bool x) { b->set_serious_illness(x); });
        break;
      case kMobile:
        if (cell.number && absl::StrContains(absl::AsciiStrToUpper(v), "E+")) {
          problem(i, "手机号被 Excel 存成了科学计数法：请把该列设为“文本”格式后重新输入");
        } else {
          b->set_mobile(v);
        }
        break;
      default:
        break;
    }
  }
  if (!out.problems.empty()) return out;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(content.data()), content.size(), digest);
  req.set_request_id(
      absl::StrCat("roster-", absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 16))));
  out.request = std::move(req);
  return out;
}

}  // namespace jinguo::tools
