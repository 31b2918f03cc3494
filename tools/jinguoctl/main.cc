// jinguoctl: the operators' command line.
//   jinguoctl demo       load the deterministic Tangshan demo registry, wait for reporting, print the table
//   jinguoctl coverage   print the five-100% table for a region's children (and its health and loan figures)
//   jinguoctl loans close-day   close the loans service's business dates through yesterday (or --date)
//   jinguoctl hash-token print the SHA-256 line of a token for a tokens file
//   jinguoctl audit verify --data-dir DIR   recompute a stopped service's audit chain, naming the first broken link
//   jinguoctl rekey --data-dir DIR --data-key-file F   re-encrypt a stopped service's identifiers under F's newest
//                        data key (after one was added to F), so that older keys may leave the file
//   jinguoctl backup, restore, outbox status, rebuild reporting, dlq list, dlq replay   operators' tools (ops.h)
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/audit/audit_chain.h"
#include "common/base/civil_date.h"
#include "common/base/clock.h"
#include "common/base/money.h"
#include "common/crypto/field_cipher.h"
#include "common/crypto/key_check.h"
#include "common/regions/region_table.h"
#include "common/rpc/auth.h"
#include "common/rpc/request_log.h"
#include "common/store/store.h"
#include "grpcpp/create_channel.h"
#include "jinguo/health/v1/health.grpc.pb.h"
#include "jinguo/loans/v1/loans.grpc.pb.h"
#include "jinguo/registration/v1/registration.grpc.pb.h"
#include "jinguo/reporting/v1/reporting.grpc.pb.h"
#include "rocksdb/db.h"
#include "services/registration/store/registry_store.h"
#include "services/training/domain/job_categories.h"
#include "tools/jinguoctl/client_context.h"
#include "tools/jinguoctl/demo_loans.h"
#include "tools/jinguoctl/demo_publicity.h"
#include "tools/jinguoctl/demo_registry.h"
#include "tools/jinguoctl/demo_training.h"
#include "tools/jinguoctl/import_roster.h"
#include "tools/jinguoctl/ops.h"
#include "tools/jinguoctl/text_table.h"
#include "tools/jinguoctl/xlsx_out.h"

using namespace jinguo;
using jinguo::tools::Context;
using jinguo::tools::DemoPerson;
using jinguo::tools::DemoRegistry;
using jinguo::tools::TextTable;
namespace rv1 = ::jinguo::registration::v1;
namespace pv1 = ::jinguo::reporting::v1;
namespace hv1 = ::jinguo::health::v1;
namespace lv1 = ::jinguo::loans::v1;

namespace {

// Runs `work(i)` for i in [0, n) on `threads` threads, printing progress as "label done/n".
bool Parallel(const char* label, size_t n, int threads, const std::function<bool(size_t)>& work) {
  std::atomic<size_t> next{0}, done{0};
  std::atomic<bool> ok{true};
  std::mutex print_mu;
  size_t step = std::max<size_t>(1, n / 10);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t i; ok && (i = next++) < n;) {
        if (!work(i)) ok = false;
        size_t d = ++done;
        if (d % step == 0 || d == n) {
          std::lock_guard<std::mutex> lock(print_mu);
          std::printf("demo: %-13s %6zu / %zu\n", label, d, n);
          std::fflush(stdout);
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  return ok;
}

std::string Percent(const pv1::CoverageItem& c) {
  return absl::StrFormat("%d/%d %3d.%02d%%", c.numerator(), c.denominator(), c.basis_points() / 100,
                         c.basis_points() % 100);
}

// A column of a figures table: a count, an amount (fen, shown in 元), or a ratio of two of them (a numerator may
// add several indicators with "+").
struct Column {
  const char* header;
  const char* numerator;
  const char* denominator;  // nullptr: not a ratio
  bool fen;
};

// Outstanding principal in arrears, every bucket.
constexpr char kOverdueFen[] =
    "loans_overdue_1_30_fen+loans_overdue_31_60_fen+loans_overdue_61_90_fen+loans_overdue_91_180_fen+"
    "loans_overdue_over_180_fen";

int64_t IndicatorValue(const pv1::RegionSummary& s, absl::string_view names) {
  int64_t sum = 0;
  for (absl::string_view name : absl::StrSplit(names, '+')) {
    for (const auto& i : s.indicators()) {
      if (i.name() == name) sum += i.value();
    }
  }
  return sum;
}

// `title`'s table: one row per child of `resp` with anyone registered, then the parent.
void PrintFigures(const char* title, const pv1::ListChildSummariesResponse& resp, const std::string& region,
                  const std::vector<Column>& columns) {
  TextTable table;
  std::vector<std::string> header = {"region", ""};
  for (const auto& column : columns) header.push_back(column.header);
  table.AddRow(std::move(header));
  auto row = [&](const pv1::RegionSummary& s) {
    if (s.coverage_size() < 2 || s.coverage(1).denominator() == 0) return;
    std::string name = s.name().substr(s.name().rfind(' ') == std::string::npos ? 0 : s.name().rfind(' ') + 1);
    std::vector<std::string> cells = {s.region_code(), name};
    for (const auto& column : columns) {
      int64_t n = IndicatorValue(s, column.numerator);
      if (column.denominator != nullptr) {
        int64_t d = IndicatorValue(s, column.denominator);
        int64_t bp = d == 0 ? 0 : n * 10000 / d;
        cells.push_back(column.fen ? absl::StrFormat("%d.%02d%%", bp / 100, bp % 100)
                                   : absl::StrFormat("%d/%d %3d.%02d%%", n, d, bp / 100, bp % 100));
      } else {
        cells.push_back(column.fen ? FormatYuan(Fen{n}) : absl::StrCat(n));
      }
    }
    table.AddRow(std::move(cells));
  };
  std::printf("\n%s — %s (%s)\n", title, resp.parent().name().c_str(), region.c_str());
  for (const auto& child : resp.children()) row(child);
  row(resp.parent());
  std::fputs(table.Render(/*left_columns=*/2).c_str(), stdout);
}

int PrintCoverage(pv1::ReportingService::Stub& reports, const std::string& token, const std::string& region) {
  pv1::ListChildSummariesRequest req;
  req.set_region_code(region);
  pv1::ListChildSummariesResponse resp;
  grpc::Status s = reports.ListChildSummaries(Context(token).get(), req, &resp);
  if (!s.ok()) {
    std::fprintf(stderr, "jinguoctl: %s\n", s.error_message().c_str());
    return 1;
  }
  std::printf("\n五个100%% — %s (%s)\n", resp.parent().name().c_str(), region.c_str());
  TextTable table;
  std::vector<std::string> header = {"region", ""};
  for (const auto& c : resp.parent().coverage()) header.push_back(c.label());
  table.AddRow(std::move(header));
  auto row = [&](const pv1::RegionSummary& s) {
    if (s.coverage_size() < 2 || s.coverage(1).denominator() == 0) return;  // nobody registered there
    std::string name = s.name().substr(s.name().rfind(' ') == std::string::npos ? 0 : s.name().rfind(' ') + 1);
    std::vector<std::string> cells = {s.region_code(), name};
    for (const auto& c : s.coverage()) cells.push_back(Percent(c));
    table.AddRow(std::move(cells));
  };
  for (const auto& child : resp.children()) row(child);
  row(resp.parent());
  std::fputs(table.Render(/*left_columns=*/2).c_str(), stdout);

  // 两癌 and 贷款: the health and loan figures of the same regions.
  PrintFigures("两癌", resp, region,
               {{"宫颈癌筛查覆盖", "women_cervical_in_interval", "eligible_women", false},
                {"乳腺癌筛查覆盖", "women_breast_in_interval", "eligible_women", false},
                {"本年宫颈癌筛查", "women_screened_cervical", nullptr, false},
                {"本年乳腺癌筛查", "women_screened_breast", nullptr, false},
                {"筛查异常", "abnormal_results", nullptr, false},
                {"随访完成", "follow_ups_diagnosed", "abnormal_results", false},
                {"随访中", "follow_ups_open", nullptr, false},
                {"癌前病变(CIN2+)", "precancers_found", nullptr, false},
                {"确诊两癌", "cancers_found", nullptr, false},
                {"救助已发放", "relief_paid", nullptr, false},
                {"救助发放(元)", "relief_paid_fen", nullptr, true},
                {"保险理赔(元)", "claims_paid_fen", nullptr, true}});
  PrintFigures("妇女小额贷款", resp, region,
               {{"在贷妇女", "women_with_active_loan", nullptr, false},
                {"累计放贷(笔)", "loans_disbursed", nullptr, false},
                {"累计放贷(元)", "loans_disbursed_fen", nullptr, true},
                {"贷款余额(元)", "loans_outstanding_fen", nullptr, true},
                {"逾期(笔)", "loans_overdue", nullptr, false},
                {"逾期率", kOverdueFen, "loans_outstanding_fen", true},
                {"到期预警(笔)", "loans_maturity_warned", nullptr, false},
                {"贴息计提(元)", "subsidy_accrued_fen", nullptr, true},
                {"贴息拨付(元)", "subsidy_paid_fen", nullptr, true}});
  PrintFigures("技能培训与就业", resp, region,
               {{"培训项目", "training_programmes", nullptr, false},
                {"培训名额", "training_places", nullptr, false},
                {"参训人数", "training_participants", nullptr, false},
                {"建档立卡妇女占比", "training_participants_registered", "training_participants", false},
                {"培训合格率", "training_completed", "training_finished", false},
                {"参训妇女", "women_trained", nullptr, false},
                {"岗位数", "job_positions", nullptr, false},
                {"空缺岗位", "job_positions_open", nullptr, false},
                {"在岗妇女", "women_placed", nullptr, false},
                {"居家手工", "placed_home_handicraft", nullptr, false},
                {"帮扶车间", "placed_workshop", nullptr, false}});
  PrintFigures("宣传进村入户与家居清洁", resp, region,
               {{"宣传到户", "households_publicity_reached", "households", false},
                {"讲习所", "publicity_events_lecture", nullptr, false},
                {"大喇叭", "publicity_events_broadcast", nullptr, false},
                {"入户宣讲", "publicity_events_door_to_door", nullptr, false},
                {"宣讲会", "publicity_events_meeting", nullptr, false},
                {"宣传资料(份)", "leaflets_distributed", nullptr, false},
                {"家居清洁", "households_home_cleaned", "households", false},
                {"需再帮扶户", "households_needing_help", nullptr, false},
                {"志愿者", "volunteers", nullptr, false},
                {"志愿时长(小时)", "volunteer_hours", nullptr, false},
                {"捐赠物品(元)", "donated_goods_fen", nullptr, true},
                {"妇女之家", "venues", nullptr, false},
                {"本季度阵地活动", "venue_activities_this_quarter", nullptr, false}});
  PrintFigures("春蕾助学", resp, region,
               {{"本学年已资助学生", "students_aided", "school_age_students", false},
                {"资助人次", "aid_grants", nullptr, false},
                {"资助金额(元)", "aid_granted_fen", nullptr, true},
                {"已发放(元)", "aid_paid_fen", nullptr, true}});
  return 0;
}

// The coverage item `name` of `region` as reporting answers now (empty when it does not answer).
std::optional<pv1::CoverageItem> CoverageOf(pv1::ReportingService::Stub& reports, const std::string& token,
                                            const std::string& region, const std::string& name) {
  pv1::GetCoverageRequest req;
  req.set_region_code(region);
  pv1::GetCoverageResponse resp;
  if (!reports.GetCoverage(Context(token).get(), req, &resp).ok()) return std::nullopt;
  for (const auto& item : resp.items()) {
    if (item.name() == name) return item;
  }
  return std::nullopt;
}

// The city's two-cancer insurance for this year, as Tangshan bought it: 10,000 元 of cover for every eligible
// registered woman, enrolled a region at once (again until health's replica has every woman reporting counts).
bool DemoInsurance(const std::string& health_addr, pv1::ReportingService::Stub& reports, const std::string& token,
                   const std::string& city) {
  auto health = hv1::HealthService::NewStub(grpc::CreateChannel(health_addr, grpc::InsecureChannelCredentials()));
  int year = ChinaDay(absl::Now()).year();
  hv1::CreateInsurancePolicyRequest create;
  create.set_request_id(absl::StrCat("demo-policy-", city, "-", year));
  create.set_insurer("中国人寿唐山分公司");
  create.set_policy_year(year);
  *create.mutable_starts_on() = ToProto(absl::CivilDay(year, 1, 1));
  *create.mutable_ends_on() = ToProto(absl::CivilDay(year, 12, 31));
  create.set_sum_insured_fen(1000000);
  create.set_premium_fen(5000);
  create.set_region_code(city);
  create.set_funder("唐山市妇联");
  hv1::CreateInsurancePolicyResponse policy;
  grpc::Status s = health->CreateInsurancePolicy(Context(token).get(), create, &policy);
  if (!s.ok()) {
    std::fprintf(stderr, "demo: insurance policy: %s\n", s.error_message().c_str());
    return false;
  }
  auto eligible = CoverageOf(reports, token, city, "two_cancer_insured");
  int64_t want = eligible ? eligible->denominator() : 0;
  hv1::EnrollEligibleResponse counts;
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  int64_t enrolled = 0;
  do {
    hv1::EnrollEligibleRequest all;
    all.set_request_id(absl::StrCat("demo-enrol-", absl::ToUnixMillis(absl::Now())));
    all.set_policy_id(policy.policy().id());
    counts.Clear();
    s = health->EnrollEligible(Context(token).get(), all, &counts);
    if (!s.ok()) {
      std::fprintf(stderr, "demo: enrolling %s's eligible women: %s\n", city.c_str(), s.error_message().c_str());
      return false;
    }
    enrolled += counts.enrolled();
    if (counts.enrolled() + counts.already_enrolled() >= want) break;
    absl::SleepFor(absl::Seconds(1));
  } while (absl::Now() < deadline);
  std::printf("demo: two-cancer insurance %d: %lld women insured (10000.00 元 cover each; %lld enrolled now)\n", year,
              static_cast<long long>(counts.enrolled() + counts.already_enrolled()), static_cast<long long>(enrolled));
  // Until reporting has counted them.
  while (absl::Now() < deadline) {
    auto insured = CoverageOf(reports, token, city, "two_cancer_insured");
    if (insured && insured->numerator() >= counts.enrolled() + counts.already_enrolled()) break;
    absl::SleepFor(absl::Milliseconds(500));
  }
  return true;
}

struct DemoHealthPerson {
  std::string beneficiary_id;
  std::string id_number;
  bool child;
};

// Free two-cancer clinics, as a county runs them: 200 women aged 35-64 screened for cervical cancer (HPV), one in
// forty positive for 16/18 and followed up (colposcopy; some to a biopsy finding CIN2), and 7 children granted
// serious-illness relief of 4,000 元 each (2.8万元), applied for by `token`'s holder and approved and paid by
// `second_token`'s (maker-checker; no approval without one). Every request id is derived from the person, so
// loading again changes nothing.
bool DemoHealth(const std::string& health_addr, const std::string& token, const std::string& second_token,
                const std::vector<DemoHealthPerson>& people) {
  auto health = hv1::HealthService::NewStub(grpc::CreateChannel(health_addr, grpc::InsecureChannelCredentials()));
  absl::CivilDay today = ChinaDay(absl::Now());
  int screened = 0, abnormal = 0, biopsied = 0, children = 0;
  auto fail = [](const char* what, const grpc::Status& s) {
    std::fprintf(stderr, "demo: %s: %s\n", what, s.error_message().c_str());
    return false;
  };
  for (const DemoHealthPerson& p : people) {
    if (screened >= 200) break;
    if (p.child) continue;
    auto born = ParseCivilDate(
        absl::StrCat(p.id_number.substr(6, 4), "-", p.id_number.substr(10, 2), "-", p.id_number.substr(12, 2)));
    if (!born.ok()) continue;
    int age = AgeInYears(*born, today);
    if (age < 35 || age > 64) continue;
    bool positive = screened % 40 == 0;
    hv1::RecordScreeningRequest req;
    req.set_request_id(absl::StrCat("demo-screening-", p.id_number));
    req.set_beneficiary_id(p.beneficiary_id);
    req.set_kind(hv1::SCREENING_KIND_CERVICAL);
    req.set_method(hv1::SCREENING_METHOD_HPV);
    req.set_facility("县妇幼保健院两癌免费筛查");
    req.mutable_result()->set_hpv(positive ? hv1::HPV_RESULT_POSITIVE_16_18 : hv1::HPV_RESULT_NEGATIVE);
    hv1::RecordScreeningResponse resp;
    grpc::Status s = health->RecordScreening(Context(token).get(), req, &resp);
    if (!s.ok()) return fail("screening", s);
    ++screened;
    if (!resp.has_follow_up()) continue;
    ++abnormal;
    // Most go on to a colposcopy; of those, every other one is biopsied and found CIN2.
    if (abnormal % 3 == 0) continue;  // still waiting for her colposcopy
    hv1::RecordFollowUpRequest colposcopy;
    colposcopy.set_request_id(absl::StrCat("demo-colposcopy-", p.id_number));
    colposcopy.set_case_id(resp.follow_up().id());
    colposcopy.set_stage(hv1::FOLLOW_UP_STAGE_COLPOSCOPY);
    colposcopy.mutable_result()->set_colposcopy(abnormal % 2 == 1 ? hv1::COLPOSCOPY_RESULT_ABNORMAL
                                                                  : hv1::COLPOSCOPY_RESULT_NORMAL);
    hv1::RecordFollowUpResponse step;
    s = health->RecordFollowUp(Context(token).get(), colposcopy, &step);
    if (!s.ok() && s.error_code() != grpc::StatusCode::FAILED_PRECONDITION) return fail("colposcopy", s);
    if (abnormal % 2 == 0) continue;
    hv1::RecordFollowUpRequest biopsy;
    biopsy.set_request_id(absl::StrCat("demo-biopsy-", p.id_number));
    biopsy.set_case_id(resp.follow_up().id());
    biopsy.set_stage(hv1::FOLLOW_UP_STAGE_BIOPSY);
    biopsy.mutable_result()->set_diagnosis(hv1::DIAGNOSIS_CIN2);
    s = health->RecordFollowUp(Context(token).get(), biopsy, &step);
    if (!s.ok() && s.error_code() != grpc::StatusCode::FAILED_PRECONDITION) return fail("biopsy", s);
    ++biopsied;
  }
  for (const DemoHealthPerson& p : people) {
    if (children >= 7) break;
    if (!p.child) continue;
    hv1::ApplyReliefRequest apply;
    apply.set_request_id(absl::StrCat("demo-relief-", p.id_number));
    apply.set_kind(hv1::RELIEF_KIND_CHILD_SERIOUS_ILLNESS);
    apply.set_beneficiary_id(p.beneficiary_id);
    apply.set_amount_fen(400000);
    apply.set_fund("儿童大病救助金");
    hv1::ApplyReliefResponse applied;
    grpc::Status s = health->ApplyRelief(Context(token).get(), apply, &applied);
    if (!s.ok()) return fail("children's relief", s);
    ++children;
    if (second_token.empty() || applied.relief().state() != hv1::RELIEF_STATE_APPLIED) continue;
    hv1::ApproveReliefRequest approve;
    approve.set_request_id(absl::StrCat("demo-relief-approve-", p.id_number));
    approve.set_relief_id(applied.relief().id());
    hv1::ApproveReliefResponse approved;
    s = health->ApproveRelief(Context(second_token).get(), approve, &approved);
    if (!s.ok()) return fail("approving relief", s);
    hv1::RecordReliefPaidRequest pay;
    pay.set_request_id(absl::StrCat("demo-relief-paid-", p.id_number));
    pay.set_relief_id(applied.relief().id());
    pay.set_transfer_reference(absl::StrCat("DEMO-", p.id_number.substr(14)));
    hv1::RecordReliefPaidResponse paid;
    s = health->RecordReliefPaid(Context(second_token).get(), pay, &paid);
    if (!s.ok()) return fail("paying relief", s);
  }
  std::printf(
      "demo: two-cancer screening: %d women screened (HPV), %d abnormal followed up, %d biopsied (CIN2); "
      "children's serious-illness relief: %d children, 4000.00 元 each\n",
      screened, abnormal, biopsied, children);
  return true;
}

// The side-by-side table: each figure Tangshan's federation reported against the one the platform computes now for
// `city` (reporting's summary; the loan plans from the loans service at `loans_addr` when given).
int PrintReportAgainstPlatform(pv1::ReportingService::Stub& reports, const std::string& loans_addr,
                               const std::string& token, const std::string& city) {
  pv1::GetRegionSummaryRequest req;
  req.set_region_code(city);
  pv1::GetRegionSummaryResponse resp;
  if (grpc::Status s = reports.GetRegionSummary(Context(token).get(), req, &resp); !s.ok()) {
    std::fprintf(stderr, "jinguoctl: %s\n", s.error_message().c_str());
    return 1;
  }
  const pv1::RegionSummary& sum = resp.summary();
  auto n = [&](absl::string_view names) { return absl::StrCat(IndicatorValue(sum, names)); };
  auto of = [&](absl::string_view part, absl::string_view whole) {
    int64_t a = IndicatorValue(sum, part), b = IndicatorValue(sum, whole);
    int64_t bp = b == 0 ? 0 : a * 10000 / b;
    return absl::StrFormat("%d/%d (%d.%d%%)", a, b, bp / 100, bp % 100 / 10);
  };
  std::string loan_plans = "-";
  if (!loans_addr.empty()) {
    auto loans = lv1::LoanService::NewStub(grpc::CreateChannel(loans_addr, grpc::InsecureChannelCredentials()));
    int count = 0;
    lv1::ListLoansRequest list;
    list.set_region_prefix(city);
    list.mutable_page()->set_page_size(500);
    for (;;) {
      lv1::ListLoansResponse page;
      if (!loans->ListLoans(Context(token).get(), list, &page).ok()) break;
      count += page.loans_size();
      if (page.next_page_token().empty()) {
        loan_plans = absl::StrCat(count, " (", n("loans_disbursed"), " disbursed)");
        break;
      }
      list.mutable_page()->set_page_token(page.next_page_token());
    }
  }
  TextTable table;
  table.AddRow({"figure", "Tangshan's report", "the platform computes"});
  table.AddRow({"registered women / children", "3,468 / 1,269",
                absl::StrCat(n("women_registered"), " / ", n("children_registered"))});
  table.AddRow({"paired (结对帮扶)", "4,674, \"full coverage\"", of("paired", "beneficiaries_registered")});
  table.AddRow({"households reached (宣传到户)", "every household", of("households_publicity_reached", "households")});
  table.AddRow({"leaflets handed out", "6,000+", n("leaflets_distributed")});
  table.AddRow({"cadres trained, 13-15 June", "130", n("lecture_attendees")});
  table.AddRow({"homes cleaned, first round", "2,817", of("households_home_cleaned", "households")});
  table.AddRow({"two-cancer insured", "2,491", of("two_cancer_insured", "eligible_women")});
  table.AddRow({"children's serious-illness relief", "7, 2.8万元",
                absl::StrCat(n("relief_paid"), ", ", FormatYuan(Fen{IndicatorValue(sum, "relief_paid_fen")}), " 元")});
  table.AddRow({"women trained (federation)", "700", n("training_participants")});
  table.AddRow({"positions posted", "4,420 in 73 categories",
                absl::StrCat(n("job_positions"), " in ", n("job_postings"), " postings")});
  table.AddRow({"women placed in handicraft", "40", n("women_placed")});
  table.AddRow({"loan plans", "41", loan_plans});
  table.AddRow({"students aided (春蕾)", "468 of 534", of("students_aided", "school_age_students")});
  std::printf("\nThe report against the platform — %s (%s)\n", sum.name().c_str(), city.c_str());
  std::fputs(table.Render(/*left_columns=*/1).c_str(), stdout);
  std::printf(
      "Two-cancer insurance: the platform insures every registered woman aged 35-64 this year; the report's 2,491 "
      "counts the women its counties insured, of all ages. Pairing: see tools/jinguoctl/README.md.\n");
  return 0;
}

// Waits (up to 30 s) until reporting's summary of `region` shows at least the given value of each indicator.
void WaitForCounts(pv1::ReportingService::Stub& reports, const std::string& token, const std::string& region,
                   const std::vector<std::pair<std::string, int64_t>>& at_least) {
  absl::Time until = absl::Now() + absl::Seconds(30);
  while (absl::Now() < until) {
    pv1::GetRegionSummaryRequest req;
    req.set_region_code(region);
    pv1::GetRegionSummaryResponse resp;
    if (reports.GetRegionSummary(Context(token).get(), req, &resp).ok() &&
        std::all_of(at_least.begin(), at_least.end(),
                    [&](const auto& want) { return IndicatorValue(resp.summary(), want.first) >= want.second; })) {
      return;
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
}

// The demo's addresses and principals beyond registration's and reporting's.
struct DemoOptions {
  std::string health;        // health's address: insurance, screenings and relief when set
  std::string second_token;  // an operator of the city: the relief's checker
  std::string loans;         // loans' address: the county's microloans when set
  std::string bank_token;    // the bank's staff (role lender)
  std::string training;      // training's address: programmes, jobs and 春蕾 aid when set
  std::string job_categories = "data/job_categories.csv";
  std::string publicity;  // publicity's address: the campaign, home cleaning, volunteers and venues when set
};

int Demo(const std::string& registration_addr, const std::string& reporting_addr, const std::string& token,
         const std::string& city, const std::string& regions_dir, const std::string& dashboard,
         const DemoOptions& options) {
  const std::string& health_addr = options.health;
  const std::string& second_token = options.second_token;
  auto table = regions::RegionTable::LoadFromDirectory(regions_dir);
  if (!table.ok()) {
    std::fprintf(stderr, "jinguoctl: %s\n", std::string(table.status().message()).c_str());
    return 1;
  }
  absl::CivilDay today = ChinaDay(absl::Now());
  DemoRegistry demo = tools::BuildDemoRegistry(**table, city, 3468, 1269, 534, 2817, today);
  std::printf("demo: %d women and %d children in %zu households, %zu township cadres, 唐山市 %s\n", demo.women,
              demo.children, demo.households.size(), demo.cadres.size(), city.c_str());
  auto registry =
      rv1::RegistrationService::NewStub(grpc::CreateChannel(registration_addr, grpc::InsecureChannelCredentials()));
  auto reports =
      pv1::ReportingService::NewStub(grpc::CreateChannel(reporting_addr, grpc::InsecureChannelCredentials()));
  std::mutex err_mu;
  auto fail = [&](const std::string& what, const grpc::Status& s) {
    std::lock_guard<std::mutex> lock(err_mu);
    std::fprintf(stderr, "demo: %s: %s\n", what.c_str(), s.error_message().c_str());
    return false;
  };
  constexpr int kThreads = 16;

  std::map<std::string, std::string> cadre_ids;  // township → cadre id
  std::mutex ids_mu;
  if (!Parallel("cadres", demo.cadres.size(), kThreads, [&](size_t i) {
        const auto& c = demo.cadres[i];
        rv1::RegisterCadreRequest req;
        req.set_request_id(absl::StrCat("demo-cadre-", c.key));
        req.set_name(c.name);
        req.set_region_code(c.region_code);
        rv1::RegisterCadreResponse resp;
        grpc::Status s = registry->RegisterCadre(Context(token).get(), req, &resp);
        if (!s.ok()) return fail("cadre", s);
        std::lock_guard<std::mutex> lock(ids_mu);
        cadre_ids[c.region_code] = resp.cadre().id();
        return true;
      })) {
    return 1;
  }
  std::vector<std::string> household_ids(demo.households.size());
  if (!Parallel("households", demo.households.size(), kThreads, [&](size_t i) {
        const auto& h = demo.households[i];
        rv1::RegisterHouseholdRequest req;
        req.set_request_id(absl::StrCat("demo-household-", h.key));
        req.set_region_code(h.region_code);
        req.set_attribute(static_cast<rv1::HouseholdAttribute>(h.attribute));
        req.set_head_name(h.head_name);
        rv1::RegisterHouseholdResponse resp;
        grpc::Status s = registry->RegisterHousehold(Context(token).get(), req, &resp);
        if (!s.ok()) return fail("household", s);
        household_ids[i] = resp.household().id();
        return true;
      })) {
    return 1;
  }
  struct Member {
    size_t household;
    const DemoPerson* person;
  };
  std::vector<Member> members;
  for (size_t i = 0; i < demo.households.size(); ++i) {
    for (const auto& p : demo.households[i].members) members.push_back({i, &p});
  }
  std::vector<std::string> beneficiary_ids(members.size());
  if (!Parallel("beneficiaries", members.size(), kThreads, [&](size_t i) {
        const Member& m = members[i];
        rv1::RegisterBeneficiaryRequest req;
        req.set_request_id(absl::StrCat("demo-person-", m.person->id_number));
        auto* b = req.mutable_beneficiary();
        b->set_id_number(m.person->id_number);
        b->set_name(m.person->name);
        b->set_household_id(household_ids[m.household]);
        b->add_poverty_causes(static_cast<rv1::PovertyCause>(m.person->poverty_cause));
        b->set_student(m.person->student);
        if (m.person->student) b->set_school_stage(static_cast<rv1::SchoolStage>(m.person->school_stage));
        rv1::RegisterBeneficiaryResponse resp;
        grpc::Status s = registry->RegisterBeneficiary(Context(token).get(), req, &resp);
        if (!s.ok()) return fail("beneficiary", s);
        beneficiary_ids[i] = resp.beneficiary().id();
        rv1::PairCadreRequest pair;
        pair.set_request_id(absl::StrCat("demo-pair-", m.person->id_number));
        pair.set_cadre_id(cadre_ids[demo.households[m.household].region_code.substr(0, 9)]);
        pair.set_beneficiary_id(resp.beneficiary().id());
        rv1::PairCadreResponse paired;
        s = registry->PairCadre(Context(token).get(), pair, &paired);
        if (!s.ok() && s.error_code() != grpc::StatusCode::ALREADY_EXISTS) return fail("pairing", s);
        // Nine women in ten had their cadre's home visit in the last 85 days; the tenth is on the dashboard's list
        // of women not visited in 90 days. Loading the demo on a later day adds that day's visits.
        if (m.person->child || i % 10 == 9) return true;
        rv1::RecordVisitRequest visit;
        visit.set_request_id(absl::StrCat("demo-visit-", m.person->id_number, "-", FormatCivilDate(today)));
        visit.set_cadre_id(pair.cadre_id());
        visit.set_beneficiary_id(resp.beneficiary().id());
        *visit.mutable_visited_on() = ToProto(today - static_cast<int>(i % 85));
        visit.set_notes("入户走访：了解家庭生产生活情况");
        rv1::RecordVisitResponse visited;
        s = registry->RecordVisit(Context(token).get(), visit, &visited);
        if (!s.ok()) return fail("visit", s);
        return true;
      })) {
    return 1;
  }
  // Wait until reporting has projected every registration and pairing.
  int64_t expected = demo.women + demo.children;
  absl::Time deadline = absl::Now() + absl::Seconds(120);
  int64_t paired = 0, registered = 0;
  while (absl::Now() < deadline) {
    pv1::GetCoverageRequest req;
    req.set_region_code(city);
    pv1::GetCoverageResponse resp;
    if (reports->GetCoverage(Context(token).get(), req, &resp).ok() && resp.items_size() > 1) {
      paired = resp.items(1).numerator();
      registered = resp.items(1).denominator();
      if (paired >= expected && registered >= expected) break;
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
  std::printf("demo: reporting shows %lld registered, %lld paired\n", static_cast<long long>(registered),
              static_cast<long long>(paired));
  if (!health_addr.empty()) {
    if (!DemoInsurance(health_addr, *reports, token, city)) return 1;
    std::vector<DemoHealthPerson> people;
    for (size_t i = 0; i < members.size(); ++i) {
      people.push_back({beneficiary_ids[i], members[i].person->id_number, members[i].person->child});
    }
    if (!DemoHealth(health_addr, token, second_token, people)) return 1;
    // Until reporting has counted the clinic and the reliefs (the last events the demo made).
    // Relief is approved and paid only with a second principal (the checker).
    std::vector<std::pair<std::string, int64_t>> counts = {{"women_screened_cervical", 200}};
    if (!second_token.empty()) counts.push_back({"relief_paid", 7});
    WaitForCounts(*reports, token, city, counts);
  }
  if (!options.loans.empty()) {
    std::vector<tools::DemoBorrower> women;
    for (size_t i = 0; i < members.size(); ++i) {
      if (members[i].person->child) continue;
      women.push_back(
          {beneficiary_ids[i], members[i].person->id_number, demo.households[members[i].household].region_code});
    }
    if (!tools::DemoLoans(options.loans, {token, second_token.empty() ? token : second_token, options.bank_token},
                          women)) {
      return 1;
    }
    // Until reporting has counted the loans (the 26 disbursed).
    WaitForCounts(*reports, token, city, {{"loans_disbursed", 26}});
  }
  if (!options.training.empty()) {
    std::vector<tools::DemoResident> women, students;
    for (size_t i = 0; i < members.size(); ++i) {
      const DemoPerson& p = *members[i].person;
      tools::DemoResident r{beneficiary_ids[i], p.id_number, demo.households[members[i].household].region_code};
      if (!p.child) women.push_back(r);
      if (p.student) students.push_back(r);
    }
    auto categories = training::domain::LoadJobCategories(options.job_categories);
    if (!categories.ok()) {
      std::fprintf(stderr, "jinguoctl: %s\n", std::string(categories.status().message()).c_str());
      return 1;
    }
    if (!tools::DemoTraining(options.training, token, city, training::domain::CodesOf(*categories), women, students)) {
      return 1;
    }
    // Until reporting has counted the aid and the placements (the last events the training demo made).
    WaitForCounts(*reports, token, city, {{"aid_grants", 468}, {"women_placed", 40}});
  }
  if (!options.publicity.empty()) {
    std::vector<tools::DemoHouseholdRef> refs;
    for (size_t i = 0; i < demo.households.size(); ++i) {
      refs.push_back({household_ids[i], demo.households[i].region_code, demo.households[i].key});
    }
    if (!tools::DemoPublicity(options.publicity, token, city, refs)) return 1;
    // Until reporting has counted every household reached and cleaned.
    WaitForCounts(*reports, token, city,
                  {{"households_publicity_reached", static_cast<int64_t>(refs.size())},
                   {"households_home_cleaned", static_cast<int64_t>(refs.size())}});
  }
  int rc = PrintCoverage(*reports, token, city);
  if (rc == 0) rc = PrintReportAgainstPlatform(*reports, options.loans, token, city);
  if (!dashboard.empty())
    std::printf("\nDashboard: %s#region=%s (sign in with the token %s)\n", dashboard.c_str(), city.c_str(),
                token.c_str());
  return rc;
}

// Recomputes the audit chain of the stopped service whose store is `data_dir`.
int VerifyAudit(const std::string& data_dir) {
  std::vector<std::string> families;
  rocksdb::Status listed = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), data_dir, &families);
  if (!listed.ok()) {
    std::fprintf(stderr, "jinguoctl: %s holds no service store: %s\n", data_dir.c_str(), listed.ToString().c_str());
    return 2;
  }
  families.erase(std::remove(families.begin(), families.end(), rocksdb::kDefaultColumnFamilyName), families.end());
  if (std::find(families.begin(), families.end(), audit::kAuditFamily) == families.end()) {
    std::fprintf(stderr, "jinguoctl: the store in %s keeps no audit trail\n", data_dir.c_str());
    return 2;
  }
  auto db = store::Store::Open({data_dir, families, 8 << 20});
  if (!db.ok()) {
    std::fprintf(stderr, "jinguoctl: %s (stop the service first: its store is open)\n",
                 std::string(db.status().message()).c_str());
    return 2;
  }
  int64_t checked = 0;
  absl::Status s = audit::AuditChain::Verify(**db, &checked);
  if (!s.ok()) {
    std::printf("audit chain in %s is BROKEN: %s\n", data_dir.c_str(), std::string(s.message()).c_str());
    return 1;
  }
  std::printf("audit chain in %s verified: %lld records, every link holds\n", data_dir.c_str(),
              static_cast<long long>(checked));
  return 0;
}

// Opens the store of a stopped service with every family it has, plus `extra`; nullptr (the reason printed) when
// there is none or a running service holds it.
// Re-encrypts every identifier of the stopped service whose store is `data_dir` under the newest data key of
// `key_file`. Idempotent: a second run re-encrypts nothing.
int Rekey(const std::string& data_dir, const std::string& key_file) {
  auto cipher = crypto::FieldCipher::LoadKeyFile(key_file);
  if (!cipher.ok()) {
    std::fprintf(stderr, "jinguoctl: --data-key-file: %s\n", std::string(cipher.status().message()).c_str());
    return 2;
  }
  std::vector<std::string> families;
  auto has = [&](const char* f) { return std::find(families.begin(), families.end(), f) != families.end(); };
  std::unique_ptr<store::Store> db = tools::OpenStopped(data_dir, &families, {crypto::kDataKeysFamily});
  if (db == nullptr) return 2;
  if (!has("beneficiaries") && !has(rpc::kRequestsFamily)) {
    std::fprintf(stderr, "jinguoctl: the store in %s holds no identifiers (no registry, no request log)\n",
                 data_dir.c_str());
    return 2;
  }
  // A key file that is not this store's is refused before anything is rewritten.
  if (absl::Status s = crypto::CheckKeys(db.get(), *cipher, key_file); !s.ok()) {
    std::fprintf(stderr, "jinguoctl: --data-key-file: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  std::printf("rekey: %s: re-encrypting under data key %s\n", data_dir.c_str(), cipher->active_key_id().c_str());
  auto report = [](const char* what) {
    return [what](const crypto::RekeyCounts& c) {
      std::printf("rekey: %s: %lld examined, %lld re-encrypted so far\n", what, static_cast<long long>(c.examined),
                  static_cast<long long>(c.resealed));
      std::fflush(stdout);
    };
  };
  crypto::RekeyCounts total;
  auto fail = [&](const absl::Status& s) {
    std::fprintf(stderr,
                 "jinguoctl: rekey stopped: %s (records before it are re-encrypted; run it again once the "
                 "record is restored)\n",
                 std::string(s.message()).c_str());
    return 1;
  };
  if (has("beneficiaries")) {
    auto counts = registration::store::RegistryStore(db.get(), &*cipher).Rekey(report("registry"));
    if (!counts.ok()) return fail(counts.status());
    total += *counts;
  }
  if (has(rpc::kRequestsFamily)) {
    auto counts = rpc::RequestLog::Rekey(db.get(), *cipher, report("request log"));
    if (!counts.ok()) return fail(counts.status());
    total += *counts;
  }
  if (absl::Status s = crypto::ForgetOlderKeys(db.get(), *cipher); !s.ok()) return fail(s);
  std::printf(
      "rekey: %s: %lld records examined, %lld re-encrypted under data key %s, %lld answers stored in clear dropped; "
      "older data keys may now leave the key file\n",
      data_dir.c_str(), static_cast<long long>(total.examined), static_cast<long long>(total.resealed),
      cipher->active_key_id().c_str(), static_cast<long long>(total.dropped));
  return 0;
}

// `jinguoctl loans close-day`: closes business dates through `date` ("" for yesterday) and says what it did.
int CloseDay(const std::string& loans_addr, const std::string& token, const std::string& date) {
  auto loans = lv1::LoanService::NewStub(grpc::CreateChannel(loans_addr, grpc::InsecureChannelCredentials()));
  lv1::CloseBusinessDayRequest req;
  req.set_request_id(absl::StrCat("jinguoctl-close-", absl::ToUnixNanos(absl::Now())));
  if (!date.empty()) {
    auto day = ParseCivilDate(date);
    if (!day.ok()) {
      std::fprintf(stderr, "jinguoctl: --date: %s\n", std::string(day.status().message()).c_str());
      return 2;
    }
    *req.mutable_business_date() = ToProto(*day);
  }
  lv1::CloseBusinessDayResponse resp;
  auto ctx = Context(token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::hours(1));
  grpc::Status s = loans->CloseBusinessDay(ctx.get(), req, &resp);
  if (!s.ok()) {
    std::fprintf(stderr, "jinguoctl: %s\n", s.error_message().c_str());
    return 1;
  }
  auto through = FromProto(resp.closed_through());
  std::printf(
      "closed %d day(s) through %s: %lld loans, subsidy accrued %s 元, %d arrears changes, %d maturity "
      "warnings, %d reminders\n",
      resp.days_closed(), through.ok() ? FormatCivilDate(*through).c_str() : "-",
      static_cast<long long>(resp.loans_processed()), FormatYuan(Fen{resp.subsidy_accrued_fen()}).c_str(),
      resp.overdue_changes(), resp.maturity_warnings(), resp.reminders());
  return 0;
}

// ExportReport into `out`: the CSV as streamed, or a workbook with a sheet per level.
int ExportRegion(const std::string& reporting, const std::string& token, const std::string& region,
                 const std::string& format, const std::string& out) {
  auto reports = pv1::ReportingService::NewStub(grpc::CreateChannel(reporting, grpc::InsecureChannelCredentials()));
  auto ctx = Context(token);
  pv1::ExportReportRequest req;
  req.set_region_code(region);
  auto stream = reports->ExportReport(ctx.get(), req);
  std::string csv;
  pv1::ExportReportResponse piece;
  while (stream->Read(&piece)) csv += piece.csv();
  grpc::Status s = stream->Finish();
  if (!s.ok()) {
    std::fprintf(stderr, "jinguoctl export: %s\n", s.error_message().c_str());
    return 1;
  }
  if (format == "csv") {
    std::ofstream(out, std::ios::binary) << csv;
  } else if (absl::Status w = tools::WriteReportWorkbook(csv, out); !w.ok()) {
    std::fprintf(stderr, "jinguoctl export: %s\n", std::string(w.message()).c_str());
    return 1;
  }
  std::printf("jinguoctl export: %s (%s)\n", out.c_str(), format.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"jinguoctl: Jinguo operators' command line"};
  app.require_subcommand(1);
  std::string registration = "127.0.0.1:50051", reporting = "127.0.0.1:50052", token, region = "1302";
  std::string regions_dir = "data/regions", dashboard;
  auto* demo = app.add_subcommand("demo", "load the deterministic Tangshan demo registry and print its coverage");
  demo->add_option("--registration", registration, "registration gRPC address")->capture_default_str();
  demo->add_option("--reporting", reporting, "reporting gRPC address")->capture_default_str();
  demo->add_option("--token", token, "bearer token (admin or an operator of the city)")
      ->required()
      ->envname("JINGUO_TOKEN");
  demo->add_option("--city", region, "4-digit city code")->capture_default_str();
  demo->add_option("--regions-dir", regions_dir, "region table")->capture_default_str();
  demo->add_option("--dashboard", dashboard, "dashboard address to print");
  DemoOptions demo_options;
  std::string& health = demo_options.health;
  demo->add_option("--loans", demo_options.loans,
                   "loans gRPC address: also load a county's women's microloans (41 plans, 26 loans, 408.7万元 "
                   "outstanding) and its subsidy claim");
  demo->add_option("--bank-token", demo_options.bank_token, "the bank's staff's token (role lender) for --loans");
  demo->add_option("--training", demo_options.training,
                   "training gRPC address: also load Tangshan's trainings (59 programmes, 9,000 places, 24 federation "
                   "trainings with 700 participants), 4,420 positions in 73 categories, 40 women placed, and 春蕾 aid "
                   "for 468 of 534 students");
  demo->add_option("--job-categories", demo_options.job_categories, "the job-category code list for --training")
      ->capture_default_str();
  demo->add_option("--publicity", demo_options.publicity,
                   "publicity gRPC address: also load the campaign reaching every household, 6,000+ leaflets, the "
                   "cadres' training, home cleaning of every household with volunteers, inspections and venues");
  demo->add_option("--health", health,
                   "health gRPC address: also insure the city's eligible women for this year, screen 200 women and "
                   "grant 7 children relief");
  std::string& second_token = demo_options.second_token;
  demo->add_option("--second-token", second_token,
                   "a second principal's token (an operator of the city), who approves and pays the relief the "
                   "first applied for");
  auto* coverage = app.add_subcommand("coverage", "print the five-100% table for a region's children");
  coverage->add_option("--reporting", reporting, "reporting gRPC address")->capture_default_str();
  coverage->add_option("--token", token, "bearer token")->required()->envname("JINGUO_TOKEN");
  coverage->add_option("--region", region, "region code prefix")->capture_default_str();
  std::string loans_addr = "127.0.0.1:50054", close_date;
  auto* loans_cmd = app.add_subcommand("loans", "the loans service");
  loans_cmd->require_subcommand(1);
  auto* close_day = loans_cmd->add_subcommand(
      "close-day", "close business dates through --date (default yesterday, China time), each at most once");
  close_day->add_option("--loans", loans_addr, "loans gRPC address")->capture_default_str();
  close_day->add_option("--token", token, "bearer token (admin)")->required()->envname("JINGUO_TOKEN");
  close_day->add_option("--date", close_date, "the last business date to close, YYYY-MM-DD");
  tools::ImportOptions import_options;
  auto* import_cmd = app.add_subcommand(
      "import",
      "import a 建档立卡 roster (.xlsx or CSV in UTF-8 or GB18030, Chinese column headers: "
      "docs/templates/roster.xlsx) into registration, with a rejection file beside it for refused rows");
  import_cmd->add_option("file", import_options.file, "the roster (.xlsx or .csv)")->required();
  import_cmd->add_option("--registration", import_options.registration, "registration gRPC address")
      ->capture_default_str();
  import_cmd->add_option("--token", import_options.token, "bearer token (an operator of the region)")
      ->required()
      ->envname("JINGUO_TOKEN");
  import_cmd->add_flag("--quiet", import_options.quiet, "no progress line");
  std::string template_out = "docs/templates/roster.xlsx";
  auto* template_cmd = app.add_subcommand("template", "write the roster template clerks fill in (.xlsx)");
  template_cmd->add_option("out", template_out, "where to write it")->capture_default_str();
  std::string export_out, export_format = "xlsx";
  auto* export_cmd = app.add_subcommand(
      "export", "a region's report (every node of its subtree): .xlsx with one sheet per level, or CSV");
  export_cmd->add_option("--reporting", reporting, "reporting gRPC address")->capture_default_str();
  export_cmd->add_option("--token", token, "bearer token")->required()->envname("JINGUO_TOKEN");
  export_cmd->add_option("--region", region, "region code prefix")->capture_default_str();
  export_cmd->add_option("--format", export_format, "xlsx or csv")
      ->check(CLI::IsMember({"xlsx", "csv"}))
      ->capture_default_str();
  export_cmd->add_option("--out", export_out, "the file to write")->required();
  std::string to_hash, name = "someone", role = "viewer", scope = "*";
  auto* hash = app.add_subcommand("hash-token", "print a tokens-file line for a token");
  hash->add_option("token", to_hash, "the token")->required();
  hash->add_option("--name", name)->capture_default_str();
  hash->add_option("--role", role)->capture_default_str();
  hash->add_option("--scope", scope)->capture_default_str();
  std::string data_dir;
  auto* audit_cmd = app.add_subcommand("audit", "the audit trail of a service");
  audit_cmd->require_subcommand(1);
  auto* verify = audit_cmd->add_subcommand(
      "verify", "recompute a stopped service's audit chain and name the first broken link (exit 1 when broken)");
  verify->add_option("--data-dir", data_dir, "the service's data directory (e.g. var/registration)")->required();
  std::string key_file;
  auto* rekey = app.add_subcommand(
      "rekey", "re-encrypt a stopped service's ID numbers and mobiles under the key file's newest data key");
  rekey->add_option("--data-dir", data_dir, "the service's data directory (e.g. var/registration)")->required();
  rekey->add_option("--data-key-file", key_file, "the service's key file, holding the new key and the old ones")
      ->required()
      ->envname("JINGUO_DATA_KEY_FILE");
  // Operators' tools (ops.h).
  std::string ops_address, out_dir, from_dir;
  bool quiet = false, force = false;
  auto* backup = app.add_subcommand(
      "backup", "an online checkpoint of a running service's store, streamed into a new directory (admin token)");
  backup->add_option("--address", ops_address, "the service's gRPC address (e.g. 127.0.0.1:50051)")->required();
  backup->add_option("--token", token, "bearer token (a national admin)")->required()->envname("JINGUO_TOKEN");
  backup->add_option("--out", out_dir, "a new or empty directory for the backup")->required();
  backup->add_flag("--quiet", quiet, "no progress line");
  auto* restore = app.add_subcommand(
      "restore", "a backup into a stopped service's data directory; start the service afterwards to replay since");
  restore->add_option("--from", from_dir, "the backup's directory (jinguoctl backup --out)")->required();
  restore->add_option("--data-dir", data_dir, "the stopped service's data directory (e.g. var/registration)")
      ->required();
  restore->add_flag("--force", force, "restore over a store that is there (it is moved aside, not deleted)");
  restore->add_flag("--quiet", quiet, "no progress line");
  std::vector<std::string> outbox_addresses = {"127.0.0.1:50051", "127.0.0.1:50052", "127.0.0.1:50053",
                                               "127.0.0.1:50054", "127.0.0.1:50055", "127.0.0.1:50056"};
  auto* outbox_cmd = app.add_subcommand("outbox", "the services' outboxes");
  outbox_cmd->require_subcommand(1);
  auto* outbox_status = outbox_cmd->add_subcommand(
      "status", "events committed and not yet delivered to Kafka, and the oldest of them, per service");
  outbox_status->add_option("--address", outbox_addresses, "gRPC addresses of the services (repeat the flag)")
      ->capture_default_str();
  outbox_status->add_option("--token", token, "bearer token (a national admin)")->required()->envname("JINGUO_TOKEN");
  std::string rebuild_address;
  int rebuild_wait_minutes = 120;
  auto* rebuild_cmd = app.add_subcommand("rebuild", "rebuild a service's read models from the topics");
  rebuild_cmd->require_subcommand(1);
  auto* rebuild_reporting = rebuild_cmd->add_subcommand(
      "reporting",
      "with --data-dir: clear a stopped reporting store's read models (the next start replays every topic); with "
      "--address: follow the service's catch-up (events/s, ETA) until it is SERVING");
  rebuild_reporting->add_option("--data-dir", data_dir, "the stopped reporting service's data directory");
  rebuild_reporting->add_option("--address", rebuild_address, "reporting's gRPC address, to follow the catch-up");
  rebuild_reporting->add_option("--token", token, "bearer token (a national admin), with --address")
      ->envname("JINGUO_TOKEN");
  rebuild_reporting->add_option("--wait-minutes", rebuild_wait_minutes, "give up following after this long")
      ->capture_default_str();
  rebuild_reporting->add_flag("--quiet", quiet, "no progress line");
  tools::KafkaFlags kafka;
  std::string consumer;
  int dlq_limit = 200;
  bool replay_all = false;
  bool dlq_replayed = false;
  std::vector<std::string> replay_letters;
  std::string replay_address;
  auto* dlq_cmd = app.add_subcommand("dlq", "the dead-letter topic jinguo.dlq.v1");
  dlq_cmd->require_subcommand(1);
  auto add_kafka = [&](CLI::App* cmd) {
    cmd->add_option("--kafka-brokers", kafka.brokers, "Kafka bootstrap servers")
        ->envname("JINGUO_KAFKA_BROKERS")
        ->capture_default_str();
    cmd->add_option("--kafka-security-protocol", kafka.security_protocol, "plaintext or ssl")
        ->envname("JINGUO_KAFKA_SECURITY_PROTOCOL")
        ->check(CLI::IsMember({"plaintext", "ssl"}))
        ->capture_default_str();
    cmd->add_option("--kafka-ssl-ca", kafka.ssl_ca, "CA (PEM) of the brokers' certificates")
        ->envname("JINGUO_KAFKA_SSL_CA");
    cmd->add_option("--kafka-ssl-cert", kafka.ssl_cert, "client certificate (PEM)")->envname("JINGUO_KAFKA_SSL_CERT");
    cmd->add_option("--kafka-ssl-key", kafka.ssl_key, "its private key (PEM)")->envname("JINGUO_KAFKA_SSL_KEY");
  };
  auto* dlq_list = dlq_cmd->add_subcommand(
      "list", "dead letters waiting for a replay, oldest first, with their consumer and reason");
  add_kafka(dlq_list);
  dlq_list->add_option("--consumer", consumer, "only this consumer's (exact, or a prefix such as reporting)");
  dlq_list->add_option("--limit", dlq_limit, "show at most this many, the newest")->capture_default_str();
  dlq_list->add_flag("--replayed", dlq_replayed, "also the letters sent back already, with when");
  auto* dlq_replay = dlq_cmd->add_subcommand(
      "replay", "send a consumer's dead letters back to it once their reason is fixed; each is applied once");
  add_kafka(dlq_replay);
  dlq_replay->add_option("--consumer", consumer, "the consumer (exact, or a prefix such as reporting)")->required();
  dlq_replay->add_option("--letter", replay_letters, "a letter as dlq list shows it, partition:offset (repeat)");
  dlq_replay->add_flag("--all", replay_all, "every letter of the consumer still waiting for a replay");
  dlq_replay->add_flag("--replayed", dlq_replayed, "with --all, the letters sent back before too");
  dlq_replay->add_option("--address", replay_address,
                         "the consumer's gRPC address: wait until it has consumed the letters and report those "
                         "dead-lettered again");
  dlq_replay->add_option("--token", token, "bearer token (a national admin), with --address")->envname("JINGUO_TOKEN");
  tools::TlsFlags tls;
  for (CLI::App* cmd : {backup, outbox_status, rebuild_reporting, dlq_replay}) {
    cmd->add_option("--tls-cert", tls.cert, "client certificate (PEM) for services that require mutual TLS")
        ->envname("JINGUO_TLS_CERT");
    cmd->add_option("--tls-key", tls.key, "its private key (PEM)")->envname("JINGUO_TLS_KEY");
    cmd->add_option("--tls-ca", tls.ca, "CA (PEM) of the services' certificates")->envname("JINGUO_TLS_CLIENT_CA");
    cmd->add_option("--tls-server-name", tls.server_name,
                    "the name in the service's certificate, when --address is another (e.g. a port-forward)");
  }
  CLI11_PARSE(app, argc, argv);
  if (absl::Status s = tools::UseTls(tls); !s.ok()) {
    std::fprintf(stderr, "jinguoctl: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  if (*backup) return tools::Backup(ops_address, token, out_dir, quiet);
  if (*restore) return tools::Restore(from_dir, data_dir, force, quiet);
  if (*outbox_status) return tools::OutboxStatus(outbox_addresses, token);
  if (*rebuild_reporting) {
    if (data_dir.empty() && rebuild_address.empty()) {
      std::fprintf(stderr, "jinguoctl rebuild reporting: give --data-dir, --address or both\n");
      return 2;
    }
    return tools::RebuildReporting(data_dir, rebuild_address, token, absl::Minutes(rebuild_wait_minutes), quiet);
  }
  if (*dlq_list) return tools::DlqList(kafka, consumer, dlq_limit, dlq_replayed);
  if (*dlq_replay) {
    return tools::DlqReplay(kafka, consumer, replay_letters, replay_all, dlq_replayed, replay_address, token);
  }
  if (*verify) return VerifyAudit(data_dir);
  if (*rekey) return Rekey(data_dir, key_file);
  if (*import_cmd) return tools::ImportRoster(import_options);
  if (*template_cmd) {
    absl::Status s = tools::WriteRosterTemplate(template_out);
    if (!s.ok()) std::fprintf(stderr, "jinguoctl template: %s\n", std::string(s.message()).c_str());
    return s.ok() ? 0 : 1;
  }
  if (*export_cmd) return ExportRegion(reporting, token, region, export_format, export_out);
  if (*demo) return Demo(registration, reporting, token, region, regions_dir, dashboard, demo_options);
  if (*close_day) return CloseDay(loans_addr, token, close_date);
  if (*coverage) {
    auto reports = pv1::ReportingService::NewStub(grpc::CreateChannel(reporting, grpc::InsecureChannelCredentials()));
    return PrintCoverage(*reports, token, region);
  }
  std::printf("%s %s %s %s\n", rpc::HashToken(to_hash).c_str(), name.c_str(), role.c_str(), scope.c_str());
  return 0;
}
