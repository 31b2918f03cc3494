#include "tools/jinguoctl/demo_loans.h"

#include <cstdio>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/civil_date.h"
#include "common/base/clock.h"
#include "common/base/money.h"
#include "grpcpp/create_channel.h"
#include "jinguo/loans/v1/loans.grpc.pb.h"
#include "services/loans/domain/schedule.h"
#include "tools/jinguoctl/client_context.h"

namespace jinguo::tools {

namespace lv1 = ::jinguo::loans::v1;

namespace {

bool Fail(const char* what, const grpc::Status& s) {
  std::fprintf(stderr, "demo: loans: %s: %s\n", what, s.error_message().c_str());
  return false;
}

lv1::LoanProduct Product(const std::string& id, const std::string& name, lv1::LoanKind kind, int64_t cap_fen) {
  lv1::LoanProduct p;
  p.set_id(id);
  *p.mutable_effective_on() = ToProto(absl::CivilDay(2022, 1, 1));
  p.set_name(name);
  p.set_kind(kind);
  p.set_cap_fen(cap_fen);
  p.set_max_term_months(36);
  p.set_day_count(lv1::DAY_COUNT_ACT_360);
  p.mutable_subsidy()->set_central_bp(5000);
  p.mutable_subsidy()->set_province_bp(3000);
  p.mutable_subsidy()->set_city_bp(2000);
  return p;
}

// One loan of the plan: who, how much, which product and method, disbursed how many months and days ago.
struct Plan {
  const DemoBorrower* woman;
  int64_t fen;
  const char* product;
  lv1::RepaymentMethod method;
  int term;
  int months_ago;  // 0: an application only
  int days_back;   // further days before that
  const char* project;
};

}  // namespace

bool DemoLoans(const std::string& loans_addr, const DemoLoanTokens& tokens, const std::vector<DemoBorrower>& women) {
  auto loans = lv1::LoanService::NewStub(grpc::CreateChannel(loans_addr, grpc::InsecureChannelCredentials()));
  absl::CivilDay today = ChinaDay(absl::Now());

  // The LPR as published (1-year / 5-year-and-above), and the two products.
  for (auto [day, one, five] :
       {std::tuple{absl::CivilDay(2023, 8, 21), 345, 420}, std::tuple{absl::CivilDay(2024, 2, 20), 345, 395},
        std::tuple{absl::CivilDay(2024, 7, 22), 335, 385}, std::tuple{absl::CivilDay(2024, 10, 21), 310, 360},
        std::tuple{absl::CivilDay(2025, 5, 20), 300, 350}}) {
    lv1::SetReferenceRateRequest r;
    r.set_request_id(absl::StrCat("demo-lpr-", FormatCivilDate(day)));
    *r.mutable_rate()->mutable_published_on() = ToProto(day);
    r.mutable_rate()->set_one_year_bp(one);
    r.mutable_rate()->set_five_year_bp(five);
    lv1::SetReferenceRateResponse resp;
    if (grpc::Status s = loans->SetReferenceRate(Context(tokens.admin).get(), r, &resp); !s.ok()) return Fail("LPR", s);
  }
  lv1::CreateLoanProductRequest cydb;
  cydb.set_request_id("demo-product-cydb");
  *cydb.mutable_product() =
      Product("cydb-tangshan", "唐山市创业担保贷款", lv1::LOAN_KIND_BUSINESS_GUARANTEED, 20000000);
  cydb.mutable_product()->mutable_rate()->set_lpr_spread_bp(50);
  cydb.mutable_product()->mutable_rate()->set_cap_lpr_spread_bp(100);
  cydb.mutable_product()->add_methods(lv1::REPAYMENT_METHOD_MONTHLY_INTEREST);
  cydb.mutable_product()->add_methods(lv1::REPAYMENT_METHOD_EQUAL_INSTALMENT);
  cydb.mutable_product()->mutable_subsidy()->set_borrower_pays_lpr_minus_bp(150);
  lv1::CreateLoanProductRequest tpxd;
  tpxd.set_request_id("demo-product-tpxd");
  *tpxd.mutable_product() =
      Product("tpxd-tangshan", "唐山市脱贫人口小额信贷", lv1::LOAN_KIND_POVERTY_MICROCREDIT, 5000000);
  tpxd.mutable_product()->mutable_rate()->set_lpr_spread_bp(0);
  tpxd.mutable_product()->mutable_rate()->set_cap_lpr_spread_bp(0);
  tpxd.mutable_product()->add_methods(lv1::REPAYMENT_METHOD_QUARTERLY_INTEREST);
  tpxd.mutable_product()->mutable_subsidy()->set_interest_share_bp(5000);
  for (const auto* req : {&cydb, &tpxd}) {
    lv1::CreateLoanProductResponse resp;
    grpc::Status s = loans->CreateLoanProduct(Context(tokens.admin).get(), *req, &resp);
    if (!s.ok() && s.error_code() != grpc::StatusCode::FAILED_PRECONDITION) return Fail("product", s);
  }

  // The county with the most women who may borrow (18-60 today).
  std::map<std::string, std::vector<const DemoBorrower*>> by_county;
  for (const DemoBorrower& w : women) {
    auto born = ParseCivilDate(
        absl::StrCat(w.id_number.substr(6, 4), "-", w.id_number.substr(10, 2), "-", w.id_number.substr(12, 2)));
    if (!born.ok()) continue;
    int age = AgeInYears(*born, today);
    if (age >= 24 && age <= 57) by_county[w.region_code.substr(0, 6)].push_back(&w);
  }
  std::string county;
  for (const auto& [code, list] : by_county) {
    if (county.empty() || list.size() > by_county[county].size()) county = code;
  }
  if (county.empty() || by_county[county].size() < 41) {
    std::fprintf(stderr, "demo: loans: no county has 41 women aged 24-57\n");
    return false;
  }
  const auto& borrowers = by_county[county];

  lv1::CreateLenderRequest lender;
  lender.set_request_id(absl::StrCat("demo-lender-", county));
  lender.mutable_lender()->set_bank("中国邮政储蓄银行");
  lender.mutable_lender()->set_branch("县支行");
  lender.mutable_lender()->set_region_code(county);
  lv1::CreateLenderResponse made_lender;
  if (grpc::Status s = loans->CreateLender(Context(tokens.clerk).get(), lender, &made_lender); !s.ok()) {
    return Fail("lender", s);
  }
  const std::string lender_id = made_lender.lender().id();

  // 408.7万元 outstanding: 19 × 20万 + 5 × 5万 + 2万 (the greenhouse) + 1.7万, all paying interest only so far.
  std::vector<Plan> plans;
  for (int i = 0; i < 41; ++i) {
    Plan p{borrowers[i], 0, "cydb-tangshan", lv1::REPAYMENT_METHOD_MONTHLY_INTEREST, 36, 0, 0, "农家乐经营"};
    if (i < 19) {
      p.fen = 20000000;
      // Three near maturity (warned), the rest spread over the last 30 months.
      p.months_ago = i < 3 ? 35 : 1 + (i * 7) % 30;
      p.days_back = i < 3 ? 10 + 5 * i : (i * 3) % 20;
      p.project = i % 2 ? "蔬菜种植" : "手工编织加工";
    } else if (i < 26) {
      p.product = "tpxd-tangshan";
      p.method = lv1::REPAYMENT_METHOD_QUARTERLY_INTEREST;
      p.fen = i < 24 ? 5000000 : (i == 24 ? 2000000 : 1700000);
      p.term = i < 24 ? 36 : 24;
      p.months_ago = 2 + (i * 5) % 20;
      p.days_back = i % 9;
      p.project = i == 24 ? "蔬菜大棚" : "肉羊养殖";
    } else {
      p.fen = i % 2 ? 10000000 : 5000000;
      p.project = "电商直播带货";
    }
    plans.push_back(p);
  }

  int disbursed = 0, repayments = 0;
  int64_t outstanding = 0;
  for (size_t i = 0; i < plans.size(); ++i) {
    const Plan& p = plans[i];
    const std::string& key = p.woman->beneficiary_id;
    absl::CivilDay on = p.months_ago > 0 ? loans::domain::AddMonths(today, -p.months_ago) - p.days_back
                                         : today - 1 - static_cast<int>(i) % 20;
    lv1::ApplyForLoanRequest apply;
    apply.set_request_id(absl::StrCat("demo-loan-apply-", key));
    apply.set_beneficiary_id(p.woman->beneficiary_id);
    apply.set_product_id(p.product);
    apply.set_lender_id(lender_id);
    apply.set_project(p.project);
    apply.set_amount_fen(p.fen);
    apply.set_term_months(p.term);
    apply.set_method(p.method);
    *apply.mutable_applied_on() = ToProto(on - 7);
    lv1::ApplyForLoanResponse applied;
    if (grpc::Status s = loans->ApplyForLoan(Context(tokens.clerk).get(), apply, &applied); !s.ok()) {
      return Fail("application", s);
    }
    const std::string id = applied.loan().id();
    if (p.months_ago == 0 && i % 3 == 0) continue;  // a plan still with the federation
    lv1::ReviewLoanRequest review;
    review.set_request_id(absl::StrCat("demo-loan-review-", key));
    review.set_loan_id(id);
    lv1::ReviewLoanResponse reviewed;
    if (grpc::Status s = loans->ReviewLoan(Context(tokens.clerk).get(), review, &reviewed); !s.ok()) {
      return Fail("review", s);
    }
    if (p.months_ago == 0) continue;
    lv1::ApproveLoanRequest approve;
    approve.set_request_id(absl::StrCat("demo-loan-approve-", key));
    approve.set_loan_id(id);
    approve.set_approved_fen(p.fen);
    *approve.mutable_contract_on() = ToProto(on);
    lv1::ApproveLoanResponse approved;
    if (grpc::Status s = loans->ApproveLoan(Context(tokens.bank).get(), approve, &approved); !s.ok()) {
      return Fail("approval", s);
    }
    lv1::DisburseLoanRequest disburse;
    disburse.set_request_id(absl::StrCat("demo-loan-disburse-", key));
    disburse.set_loan_id(id);
    disburse.set_amount_fen(p.fen);
    *disburse.mutable_disbursed_on() = ToProto(on);
    lv1::DisburseLoanResponse loan;
    if (grpc::Status s = loans->DisburseLoan(Context(tokens.bank).get(), disburse, &loan); !s.ok()) {
      return Fail("disbursement", s);
    }
    ++disbursed;
    outstanding += p.fen;
    // Every instalment due before today, paid on its due date: the borrower's share of the interest.
    for (const lv1::Instalment& due : loan.loan().schedule()) {
      auto due_on = FromProto(due.due_on());
      if (!due_on.ok() || *due_on >= today) break;
      lv1::RecordRepaymentRequest pay;
      pay.set_request_id(absl::StrCat("demo-loan-repay-", key, "-", due.number()));
      pay.set_loan_id(id);
      pay.set_amount_fen(due.principal_fen() + due.interest_fen() - due.subsidy_fen());
      *pay.mutable_paid_on() = due.due_on();
      pay.set_reference(absl::StrCat("PSBC-", id.substr(id.size() - 8), "-", due.number()));
      lv1::RecordRepaymentResponse paid;
      if (grpc::Status s = loans->RecordRepayment(Context(tokens.bank).get(), pay, &paid); !s.ok()) {
        return Fail("repayment", s);
      }
      ++repayments;
    }
  }

  lv1::CloseBusinessDayRequest close;
  close.set_request_id("demo-close");
  lv1::CloseBusinessDayResponse closed;
  if (grpc::Status s = loans->CloseBusinessDay(Context(tokens.admin).get(), close, &closed); !s.ok()) {
    return Fail("the daily close", s);
  }
  int quarter = (today.month() - 1) / 3 + 1;
  int year = static_cast<int>(today.year());
  int last_q = quarter == 1 ? 4 : quarter - 1;
  int last_year = quarter == 1 ? year - 1 : year;
  lv1::GenerateSubsidyClaimRequest claim;
  claim.set_request_id(absl::StrCat("demo-claim-", county, "-", last_year, "-", last_q));
  claim.set_lender_id(lender_id);
  claim.set_year(last_year);
  claim.set_quarter(last_q);
  lv1::GenerateSubsidyClaimResponse generated;
  grpc::Status s = loans->GenerateSubsidyClaim(Context(tokens.bank).get(), claim, &generated);
  if (!s.ok() && s.error_code() != grpc::StatusCode::ALREADY_EXISTS) return Fail("subsidy claim", s);
  std::printf(
      "demo: loans in %s: %zu women with loan plans, %d loans disbursed (%d interest repayments on their due dates), "
      "outstanding %s 元; subsidy claim for %d Q%d: %s 元 over %d loans\n",
      county.c_str(), plans.size(), disbursed, repayments, FormatYuan(Fen{outstanding}).c_str(), last_year, last_q,
      FormatYuan(Fen{generated.claim().subsidy_fen()}).c_str(), generated.claim().lines_size());
  return true;
}

}  // namespace jinguo::tools
