// The loans service as the federation's clerk, the bank's staff and an admin meet it: the real registration, loans
// and reporting binaries on a real Kafka broker, borrowers registered in the registry (loans knows them through its
// replica), events read back from jinguo.loans.events.v1 and counted by reporting. Dates are relative to today:
// loans disbursed months ago are repaid with the dates the bank booked, and the close catches them up.
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/clock.h"
#include "common/rpc/auth.h"
#include "gtest/gtest.h"
#include "jinguo/loans/v1/events.pb.h"
#include "jinguo/loans/v1/loans.grpc.pb.h"
#include "jinguo/reporting/v1/reporting.grpc.pb.h"
#include "tests/integration/harness.h"
#include "tests/integration/registration_client.h"

namespace jinguo::testing {
namespace {

namespace lv1 = ::jinguo::loans::v1;
namespace pv1 = ::jinguo::reporting::v1;

constexpr char kAdmin[] = "admin-token";
constexpr char kClerk[] = "clerk-token";     // operator, 唐山市 1302
constexpr char kBank[] = "bank-token";       // lender, 1302
constexpr char kOtherBank[] = "other-bank";  // lender, 石家庄 1301
constexpr char kViewer[] = "viewer-token";
constexpr char kService[] = "service-token";
constexpr char kVillage[] = "130207104201";

absl::CivilDay Today() { return ChinaDay(absl::Now()); }
absl::CivilDay Day(const common::v1::CivilDate& d) { return *FromProto(d); }

class LoansTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    broker_ = KafkaBroker::Start().release();
    ASSERT_NE(broker_, nullptr);
    dir_ = new TempDir();
    std::ofstream(dir_->path() + "/tokens") << rpc::HashToken(kAdmin) << " admin admin *\n"
                                            << rpc::HashToken(kClerk) << " clerk operator 1302\n"
                                            << rpc::HashToken(kBank) << " psbc-tangshan lender 1302\n"
                                            << rpc::HashToken(kOtherBank) << " psbc-sjz lender 1301\n"
                                            << rpc::HashToken(kViewer) << " viewer viewer *\n"
                                            << rpc::HashToken(kService) << " services service *\n";
    int reg_port = FreePort(), loans_port = FreePort(), reporting_port = FreePort();
    registration_ = StartRegistration(REGISTRATION_BINARY, reg_port, dir_->path(), broker_->brokers()).release();
    ASSERT_NE(registration_, nullptr);
    // The daily close would run by itself at 00:05; the tests close by hand.
    auto loans_args = ReplicaArgs(reg_port, dir_->path(), kService);
    loans_args.insert(loans_args.end(), {"--close-at", "23:59", "--close-check-seconds", "3600"});
    loans_ = StartService(LOANS_BINARY, "loans", loans_port, dir_->path(), broker_->brokers(), loans_args).release();
    ASSERT_NE(loans_, nullptr);
    reporting_ =
        StartService(REPORTING_BINARY, "reporting", reporting_port, dir_->path(), broker_->brokers()).release();
    ASSERT_NE(reporting_, nullptr);
    registry_ = rv1::RegistrationService::NewStub(registration_->channel()).release();
    stub_ = lv1::LoanService::NewStub(loans_->channel()).release();
    reports_ = pv1::ReportingService::NewStub(reporting_->channel()).release();
    tap_ = new EventTap(broker_->brokers(), "jinguo.loans.events.v1");
    SetUpProductsAndLender();
  }
  static void TearDownTestSuite() {
    delete tap_;
    delete stub_;
    delete registry_;
    delete reports_;
    EXPECT_EQ(StopAll({{"reporting", reporting_}, {"loans", loans_}, {"registration", registration_}}),
              std::vector<std::string>{})
        << "did not shut down cleanly";
    delete broker_;
    delete dir_;
  }

  // 创业担保贷款 at LPR + 50 BP (at most LPR + 100), the borrower paying LPR − 150 BP, ACT/365; and 脱贫人口小额信贷
  // at a fixed 3.45% with half the interest subsidised, ACT/360. The LPR: 3.10% / 3.60% since two years ago.
  static void SetUpProductsAndLender() {
    lv1::SetReferenceRateRequest lpr;
    lpr.set_request_id(NewRequestId());
    *lpr.mutable_rate()->mutable_published_on() = ToProto(Today() - 730);
    lpr.mutable_rate()->set_one_year_bp(310);
    lpr.mutable_rate()->set_five_year_bp(360);
    lv1::SetReferenceRateResponse lpr_resp;
    ASSERT_TRUE(stub_->SetReferenceRate(Authorized(kAdmin).get(), lpr, &lpr_resp).ok());

    lv1::CreateLoanProductRequest business;
    business.set_request_id(NewRequestId());
    lv1::LoanProduct* p = business.mutable_product();
    p->set_id("cydb-tangshan");
    *p->mutable_effective_on() = ToProto(Today() - 730);
    p->set_name("唐山市创业担保贷款");
    p->set_kind(lv1::LOAN_KIND_BUSINESS_GUARANTEED);
    p->set_cap_fen(20000000);
    p->set_max_term_months(36);
    p->mutable_rate()->set_lpr_spread_bp(50);
    p->mutable_rate()->set_cap_lpr_spread_bp(100);
    for (auto m : {lv1::REPAYMENT_METHOD_EQUAL_INSTALMENT, lv1::REPAYMENT_METHOD_EQUAL_PRINCIPAL,
                   lv1::REPAYMENT_METHOD_MONTHLY_INTEREST}) {
      p->add_methods(m);
    }
    p->set_day_count(lv1::DAY_COUNT_ACT_365);
    p->mutable_subsidy()->set_borrower_pays_lpr_minus_bp(150);
    p->mutable_subsidy()->set_central_bp(6000);
    p->mutable_subsidy()->set_province_bp(2000);
    p->mutable_subsidy()->set_city_bp(2000);
    lv1::CreateLoanProductResponse made;
    grpc::Status s = stub_->CreateLoanProduct(Authorized(kAdmin).get(), business, &made);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(made.product().version(), 1);

    lv1::CreateLoanProductRequest micro = business;
    micro.set_request_id(NewRequestId());
    p = micro.mutable_product();
    p->set_id("tpxd-tangshan");
    p->set_name("脱贫人口小额信贷");
    p->set_kind(lv1::LOAN_KIND_POVERTY_MICROCREDIT);
    p->set_cap_fen(5000000);
    p->mutable_rate()->set_fixed_bp(345);
    p->mutable_rate()->set_cap_lpr_spread_bp(50);
    p->add_methods(lv1::REPAYMENT_METHOD_QUARTERLY_INTEREST);
    p->set_day_count(lv1::DAY_COUNT_ACT_360);
    p->mutable_subsidy()->set_interest_share_bp(5000);
    s = stub_->CreateLoanProduct(Authorized(kAdmin).get(), micro, &made);
    ASSERT_TRUE(s.ok()) << s.error_message();

    lv1::CreateLenderRequest lender;
    lender.set_request_id(NewRequestId());
    lender.mutable_lender()->set_bank("中国邮政储蓄银行");
    lender.mutable_lender()->set_branch("唐山市丰南区支行");
    lender.mutable_lender()->set_region_code("130207");
    lv1::CreateLenderResponse l;
    s = stub_->CreateLender(Authorized(kClerk).get(), lender, &l);
    ASSERT_TRUE(s.ok()) << s.error_message();
    lender_id_ = new std::string(l.lender().id());
  }

  std::string Woman(int age, const std::string& region = kVillage) {
    rv1::RegisterHouseholdResponse h;
    EXPECT_TRUE(registry_->RegisterHousehold(Authorized(kAdmin).get(), HouseholdRequest(region), &h).ok());
    rv1::RegisterBeneficiaryResponse b;
    grpc::Status s = registry_->RegisterBeneficiary(
        Authorized(kAdmin).get(),
        BeneficiaryRequest(h.household().id(), TestIdNumber(Today() - 365 * age - 200, ++serial_), "李桂兰"), &b);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return b.beneficiary().id();
  }

  static lv1::ApplyForLoanRequest Application(const std::string& woman, int64_t fen, int months,
                                              lv1::RepaymentMethod method = lv1::REPAYMENT_METHOD_EQUAL_INSTALMENT,
                                              const std::string& product = "cydb-tangshan") {
    lv1::ApplyForLoanRequest r;
    r.set_request_id(NewRequestId());
    r.set_beneficiary_id(woman);
    r.set_product_id(product);
    r.set_lender_id(*lender_id_);
    r.set_project("蔬菜大棚");
    r.set_amount_fen(fen);
    r.set_term_months(months);
    r.set_method(method);
    return r;
  }
  grpc::Status Apply(const lv1::ApplyForLoanRequest& r, lv1::Loan* out, const std::string& token = kClerk) {
    lv1::ApplyForLoanResponse resp;
    grpc::Status s = stub_->ApplyForLoan(Authorized(token).get(), r, &resp);
    *out = resp.loan();
    return s;
  }
  grpc::Status Review(const std::string& id, lv1::Loan* out) {
    lv1::ReviewLoanRequest r;
    r.set_request_id(NewRequestId());
    r.set_loan_id(id);
    lv1::ReviewLoanResponse resp;
    grpc::Status s = stub_->ReviewLoan(Authorized(kClerk).get(), r, &resp);
    *out = resp.loan();
    return s;
  }
  grpc::Status Approve(const std::string& id, int64_t fen, lv1::Loan* out, const std::string& token = kBank,
                       int rate_bp = 0, std::optional<absl::CivilDay> on = std::nullopt) {
    lv1::ApproveLoanRequest r;
    r.set_request_id(NewRequestId());
    r.set_loan_id(id);
    r.set_approved_fen(fen);
    r.set_annual_rate_bp(rate_bp);
    if (on) *r.mutable_contract_on() = ToProto(*on);
    lv1::ApproveLoanResponse resp;
    grpc::Status s = stub_->ApproveLoan(Authorized(token).get(), r, &resp);
    *out = resp.loan();
    return s;
  }
  grpc::Status Disburse(const std::string& id, int64_t fen, absl::CivilDay on, lv1::Loan* out,
                        const std::string& token = kBank) {
    lv1::DisburseLoanRequest r;
    r.set_request_id(NewRequestId());
    r.set_loan_id(id);
    r.set_amount_fen(fen);
    *r.mutable_disbursed_on() = ToProto(on);
    lv1::DisburseLoanResponse resp;
    grpc::Status s = stub_->DisburseLoan(Authorized(token).get(), r, &resp);
    *out = resp.loan();
    return s;
  }
  grpc::Status Repay(const std::string& id, int64_t fen, absl::CivilDay on, lv1::RecordRepaymentResponse* out,
                     lv1::Prepayment prepayment = lv1::PREPAYMENT_NONE) {
    lv1::RecordRepaymentRequest r;
    r.set_request_id(NewRequestId());
    r.set_loan_id(id);
    r.set_amount_fen(fen);
    *r.mutable_paid_on() = ToProto(on);
    r.set_prepayment(prepayment);
    r.set_reference("PSBC-TXN");
    return stub_->RecordRepayment(Authorized(kBank).get(), r, out);
  }
  // An active loan for a new woman: applied, reviewed, approved and disbursed on `disbursed`.
  lv1::Loan ActiveLoan(int64_t fen, int months, absl::CivilDay disbursed,
                       lv1::RepaymentMethod method = lv1::REPAYMENT_METHOD_EQUAL_INSTALMENT,
                       const std::string& product = "cydb-tangshan") {
    lv1::Loan loan;
    std::string woman = Woman(40);
    grpc::Status s = Apply(Application(woman, fen, months, method, product), &loan);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_TRUE(Review(loan.id(), &loan).ok());
    s = Approve(loan.id(), fen, &loan, kBank, 0, disbursed);
    EXPECT_TRUE(s.ok()) << s.error_message();
    s = Disburse(loan.id(), fen, disbursed, &loan);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return loan;
  }
  lv1::Loan Get(const std::string& id) {
    lv1::GetLoanRequest r;
    r.set_loan_id(id);
    lv1::GetLoanResponse resp;
    EXPECT_TRUE(stub_->GetLoan(Authorized(kViewer).get(), r, &resp).ok());
    return resp.loan();
  }
  std::vector<std::string> EventTypes(const std::string& aggregate) {
    std::vector<std::string> types;
    for (const auto& e : tap_->Settle()) {
      if (e.aggregate_id() == aggregate) types.push_back(e.event_type());
    }
    return types;
  }

  static KafkaBroker* broker_;
  static TempDir* dir_;
  static ServiceProcess* registration_;
  static ServiceProcess* loans_;
  static ServiceProcess* reporting_;
  static rv1::RegistrationService::Stub* registry_;
  static lv1::LoanService::Stub* stub_;
  static pv1::ReportingService::Stub* reports_;
  static EventTap* tap_;
  static std::string* lender_id_;
  static int serial_;
};

KafkaBroker* LoansTest::broker_ = nullptr;
TempDir* LoansTest::dir_ = nullptr;
ServiceProcess* LoansTest::registration_ = nullptr;
ServiceProcess* LoansTest::loans_ = nullptr;
ServiceProcess* LoansTest::reporting_ = nullptr;
rv1::RegistrationService::Stub* LoansTest::registry_ = nullptr;
lv1::LoanService::Stub* LoansTest::stub_ = nullptr;
pv1::ReportingService::Stub* LoansTest::reports_ = nullptr;
EventTap* LoansTest::tap_ = nullptr;
std::string* LoansTest::lender_id_ = nullptr;
int LoansTest::serial_ = 0;

// The whole life of a 2万元 greenhouse loan: the preview is the schedule disbursement makes; two months unpaid put
// it in arrears (the close runs through yesterday on the next write); a repayment goes to the overdue interest
// first and brings it back to current; a full prepayment closes it.
TEST_F(LoansTest, AGreenhouseLoanFromApplicationToClose) {
  std::string woman = Woman(38);
  lv1::Loan loan;
  grpc::Status s = Apply(Application(woman, 2000000, 12), &loan);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(loan.status(), lv1::LOAN_STATUS_APPLIED);
  ASSERT_TRUE(Review(loan.id(), &loan).ok());
  absl::CivilDay disbursed = Today() - 75;
  s = Approve(loan.id(), 2000000, &loan, kBank, 0, disbursed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(loan.annual_rate_bp(), 360) << "LPR 3.10% + 50 BP";
  EXPECT_EQ(loan.borrower_rate_bp(), 160) << "LPR − 150 BP";

  lv1::PreviewScheduleRequest preview;
  preview.set_product_id("cydb-tangshan");
  preview.set_amount_fen(2000000);
  preview.set_term_months(12);
  preview.set_method(lv1::REPAYMENT_METHOD_EQUAL_INSTALMENT);
  *preview.mutable_disbursed_on() = ToProto(disbursed);
  lv1::PreviewScheduleResponse previewed;
  ASSERT_TRUE(stub_->PreviewSchedule(Authorized(kViewer).get(), preview, &previewed).ok());

  s = Disburse(loan.id(), 2000000, disbursed, &loan);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(loan.status(), lv1::LOAN_STATUS_ACTIVE);
  ASSERT_EQ(loan.schedule_size(), previewed.schedule_size());
  int64_t principal = 0;
  for (int k = 0; k < loan.schedule_size(); ++k) {
    EXPECT_EQ(loan.schedule(k).principal_fen(), previewed.schedule(k).principal_fen()) << k;
    EXPECT_EQ(loan.schedule(k).interest_fen(), previewed.schedule(k).interest_fen()) << k;
    principal += loan.schedule(k).principal_fen();
  }
  EXPECT_EQ(principal, 2000000);
  // Disbursed 75 days ago with nothing paid: the first two instalments are past due, the oldest 45 days.
  EXPECT_EQ(loan.bucket(), lv1::OVERDUE_BUCKET_31_60) << loan.days_past_due();
  EXPECT_TRUE(loan.schedule(0).subsidy_forfeited());

  // Pay what is owed today: overdue interest (whole, no subsidy) and principal of both, nothing current.
  int64_t overdue_interest = loan.schedule(0).interest_fen() + loan.schedule(1).interest_fen();
  int64_t overdue_principal = loan.schedule(0).principal_fen() + loan.schedule(1).principal_fen();
  lv1::RecordRepaymentResponse repaid;
  s = Repay(loan.id(), overdue_interest + overdue_principal, Today(), &repaid);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(repaid.allocation().overdue_interest_fen(), overdue_interest);
  EXPECT_EQ(repaid.allocation().overdue_principal_fen(), overdue_principal);
  EXPECT_EQ(repaid.loan().bucket(), lv1::OVERDUE_BUCKET_CURRENT);
  EXPECT_EQ(repaid.loan().outstanding_principal_fen(), 2000000 - overdue_principal);

  // A full prepayment: the current instalment and everything after it. (A plain repayment's answer carries the
  // loan's figures without its schedule; GetLoan has it.)
  EXPECT_EQ(repaid.loan().schedule_size(), 0);
  lv1::Loan now = Get(loan.id());
  int64_t everything = 0;
  for (const auto& i : now.schedule()) {
    if (i.has_paid_on()) continue;
    everything += i.principal_fen() - i.paid_principal_fen();
  }
  const auto& current = now.schedule(2);
  everything += current.interest_fen() - current.subsidy_fen();
  s = Repay(loan.id(), everything, Today(), &repaid, lv1::PREPAYMENT_FULL);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(repaid.loan().status(), lv1::LOAN_STATUS_CLOSED);

  std::vector<std::string> types = EventTypes(loan.id());
  auto count = [&](const std::string& t) { return std::count(types.begin(), types.end(), t); };
  EXPECT_EQ(count("LoanApplied"), 1);
  EXPECT_EQ(count("LoanApproved"), 1);
  EXPECT_EQ(count("LoanDisbursed"), 1);
  EXPECT_EQ(count("RepaymentRecorded"), 2);
  EXPECT_EQ(count("LoanClosed"), 1);
  EXPECT_GE(count("LoanOverdue"), 3) << "1-30, 31-60, then back to current";
  for (const auto& e : tap_->Settle()) {
    if (e.aggregate_id() != loan.id()) continue;
    EXPECT_EQ(e.beneficiary_id(), woman);
    EXPECT_EQ(e.region_code(), kVillage);
  }
}

// Every bad input of the table: the status, the field named, and nothing written.
TEST_F(LoansTest, BadInputIsRefusedNamingTheFieldAndWritesNothing) {
  std::string woman = Woman(40);
  auto fields = [](const grpc::Status& s) { return ViolatedFields(s); };
  using F = std::vector<std::string>;
  lv1::Loan loan;
  EXPECT_EQ(fields(Apply(Application(woman, 0, 12), &loan)), F{"amount_fen"});
  EXPECT_EQ(fields(Apply(Application(woman, 20000001, 12), &loan)), F{"amount_fen"});
  EXPECT_EQ(fields(Apply(Application(woman, 100000, 0), &loan)), F{"term_months"});
  EXPECT_EQ(fields(Apply(Application(woman, 100000, 37), &loan)), F{"term_months"});
  EXPECT_EQ(fields(Apply(Application(woman, 100000, 12, lv1::REPAYMENT_METHOD_QUARTERLY_INTEREST), &loan)),
            F{"method"});
  grpc::Status old = Apply(Application(Woman(61), 100000, 12), &loan);
  EXPECT_EQ(old.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(old.error_message().find("lends to women aged 18-60"), std::string::npos) << old.error_message();
  grpc::Status unknown = Apply(Application("0190f3a2-0000-7000-8000-000000000000", 100000, 12), &loan);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(fields(unknown), F{"beneficiary_id"});
  EXPECT_EQ(Apply(Application(Woman(40, "130102001001"), 100000, 12), &loan).error_code(),
            grpc::StatusCode::PERMISSION_DENIED)
      << "石家庄 is outside the clerk's scope";

  // The application itself, then the bank's steps out of order or by the wrong person.
  ASSERT_TRUE(Apply(Application(woman, 1000000, 12), &loan).ok());
  const std::string id = loan.id();
  lv1::Loan after;
  EXPECT_EQ(Disburse(id, 1000000, Today(), &after).error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << "disbursement before approval";
  EXPECT_EQ(Approve(id, 1000000, &after).error_code(), grpc::StatusCode::FAILED_PRECONDITION) << "not reviewed";
  ASSERT_TRUE(Review(id, &loan).ok());
  EXPECT_EQ(Approve(id, 1000000, &after, kClerk).error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "the clerk is no bank";
  EXPECT_EQ(Approve(id, 1000000, &after, kOtherBank).error_code(), grpc::StatusCode::PERMISSION_DENIED)
      << "a bank of another city";
  grpc::Status high = Approve(id, 1000000, &after, kBank, 411);
  EXPECT_EQ(fields(high), F{"annual_rate_bp"}) << "LPR + 100 is the cap";
  EXPECT_EQ(fields(Approve(id, 1000001, &after)), F{"approved_fen"});
  lv1::RecordRepaymentResponse r;
  EXPECT_EQ(Repay(id, 100, Today(), &r).error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << "repayment before disbursement";
  EXPECT_EQ(Get(id).status(), lv1::LOAN_STATUS_REVIEWED) << "nothing written by the refusals";

  ASSERT_TRUE(Approve(id, 1000000, &after, kBank, 0, Today() - 40).ok());
  EXPECT_EQ(fields(Disburse(id, 1000001, Today() - 40, &after)), F{"amount_fen"}) << "above the approved amount";
  ASSERT_TRUE(Disburse(id, 1000000, Today() - 40, &after).ok());
  EXPECT_EQ(fields(Repay(id, 0, Today(), &r)), F{"amount_fen"});
  EXPECT_EQ(fields(Repay(id, 100, Today() + 1, &r)), F{"paid_on"}) << "in the future";
  ASSERT_TRUE(Repay(id, 100, Today() - 2, &r).ok());
  EXPECT_EQ(fields(Repay(id, 100, Today() - 3, &r)), F{"paid_on"}) << "before the last repayment";
  grpc::Status above = Repay(id, 2000000, Today(), &r);
  EXPECT_EQ(fields(above), F{"amount_fen"});
  EXPECT_NE(above.error_message().find("mark it as a prepayment"), std::string::npos) << above.error_message();
  lv1::Loan now = Get(id);
  EXPECT_EQ(now.schedule(0).paid_interest_fen() + now.schedule(0).paid_principal_fen(), 100)
      << "only the one repayment of 1.00 元";

  // A second application while she has this loan; and the same woman again is refused with her active loan named.
  grpc::Status second = Apply(Application(woman, 100000, 12), &loan);
  EXPECT_EQ(second.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(second.error_message().find("in arrears"), std::string::npos) << second.error_message();

  // Maker-checker: an admin who took the application may not approve or disburse it herself.
  lv1::Loan own;
  ASSERT_TRUE(Apply(Application(Woman(42), 100000, 12), &own, kAdmin).ok());
  ASSERT_TRUE(Review(own.id(), &own).ok());
  grpc::Status self = Approve(own.id(), 100000, &after, kAdmin);
  EXPECT_EQ(self.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(self.error_message().find("another person approves it"), std::string::npos) << self.error_message();
  ASSERT_TRUE(Approve(own.id(), 100000, &after, kBank).ok());
  EXPECT_EQ(Disburse(own.id(), 100000, Today(), &after, kAdmin).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(own.id()).status(), lv1::LOAN_STATUS_APPROVED);
}

// A merged beneficiary id is refused at application, naming the survivor the contract must name instead.
TEST_F(LoansTest, AMergedBorrowerIdIsRefusedNamingTheSurvivor) {
  absl::CivilDay birth = Today() - 365 * 41 - 100;
  rv1::RegisterHouseholdResponse h1, h2;
  ASSERT_TRUE(registry_->RegisterHousehold(Authorized(kAdmin).get(), HouseholdRequest(kVillage), &h1).ok());
  ASSERT_TRUE(registry_->RegisterHousehold(Authorized(kAdmin).get(), HouseholdRequest("130207104202"), &h2).ok());
  rv1::RegisterBeneficiaryResponse first, second;
  ASSERT_TRUE(registry_
                  ->RegisterBeneficiary(
                      Authorized(kAdmin).get(),
                      BeneficiaryRequest(h1.household().id(), TestIdNumber(birth, ++serial_), "钱玉梅"), &first)
                  .ok());
  ASSERT_TRUE(registry_
                  ->RegisterBeneficiary(
                      Authorized(kAdmin).get(),
                      BeneficiaryRequest(h2.household().id(), TestIdNumber(birth, ++serial_), "钱玉梅"), &second)
                  .ok());
  ASSERT_FALSE(second.duplicate_candidate_id().empty());
  rv1::ResolveDuplicateCandidateRequest resolve;
  resolve.set_request_id(NewRequestId());
  resolve.set_candidate_id(second.duplicate_candidate_id());
  resolve.set_resolution(rv1::DUPLICATE_STATE_CONFIRMED);
  rv1::ResolveDuplicateCandidateResponse resolved;
  ASSERT_TRUE(registry_->ResolveDuplicateCandidate(Authorized(kAdmin).get(), resolve, &resolved).ok());
  const std::string survivor = resolved.candidate().survivor_id();
  const std::string merged =
      survivor == first.beneficiary().id() ? second.beneficiary().id() : first.beneficiary().id();
  // Asked with an amount of 0 (refused whatever happens, so nothing is written) until loans' replica has the merge.
  grpc::Status refused;
  lv1::Loan loan;
  ASSERT_TRUE(WaitFor(
      [&] {
        refused = Apply(Application(merged, 0, 12), &loan);
        return refused.error_code() == grpc::StatusCode::FAILED_PRECONDITION;
      },
      absl::Seconds(30)))
      << refused.error_message();
  EXPECT_EQ(ViolatedFields(refused), std::vector<std::string>{"beneficiary_id"});
  EXPECT_NE(refused.error_message().find(absl::StrCat("was merged into ", survivor)), std::string::npos)
      << refused.error_message();
  EXPECT_TRUE(Apply(Application(survivor, 100000, 12), &loan).ok()) << "her survivor id borrows";
}

// The close: yesterday twice changes nothing the second time; today has not ended; a loan's reminder, its
// maturity warning and its arrears come once each.
TEST_F(LoansTest, TheCloseIsIdempotentAndRefusesADayNotOver) {
  // Disbursed a year less 20 days ago on 按月付息: maturity in 20 days (within the 30-day warning).
  lv1::Loan loan = ActiveLoan(1000000, 12, Today() - 345, lv1::REPAYMENT_METHOD_MONTHLY_INTEREST);
  lv1::CloseBusinessDayRequest close;
  close.set_request_id(NewRequestId());
  *close.mutable_business_date() = ToProto(Today() - 1);
  lv1::CloseBusinessDayResponse first, again;
  grpc::Status s = stub_->CloseBusinessDay(Authorized(kAdmin).get(), close, &first);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Day(first.closed_through()), Today() - 1);
  ASSERT_TRUE(stub_->CloseBusinessDay(Authorized(kAdmin).get(), close, &again).ok());
  EXPECT_EQ(again.days_closed(), 0);
  EXPECT_EQ(again.loans_processed(), 0);
  *close.mutable_business_date() = ToProto(Today());
  grpc::Status today = stub_->CloseBusinessDay(Authorized(kAdmin).get(), close, &again);
  EXPECT_EQ(today.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ViolatedFields(today), std::vector<std::string>{"business_date"});
  EXPECT_EQ(stub_->CloseBusinessDay(Authorized(kClerk).get(), close, &again).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  lv1::Loan now = Get(loan.id());
  EXPECT_TRUE(now.maturity_warned());
  EXPECT_EQ(now.bucket(), lv1::OVERDUE_BUCKET_OVER_180) << "eleven months of interest unpaid";
  std::vector<std::string> types = EventTypes(loan.id());
  EXPECT_EQ(std::count(types.begin(), types.end(), "LoanMaturityWarning"), 1);
  EXPECT_EQ(std::count(types.begin(), types.end(), "LoanOverdue"), 5) << "1-30 … 180+";

  lv1::ListLoansRequest near;
  near.set_region_prefix("1302");
  near.set_maturing_within_days(30);
  lv1::ListLoansResponse listed;
  ASSERT_TRUE(stub_->ListLoans(Authorized(kClerk).get(), near, &listed).ok());
  bool found = false;
  for (const auto& l : listed.loans()) found = found || l.id() == loan.id();
  EXPECT_TRUE(found) << "the maturity work list has it";

  // 180+ days past due: the bank may write it off, with a reason.
  lv1::WriteOffLoanRequest off;
  off.set_request_id(NewRequestId());
  off.set_loan_id(loan.id());
  lv1::WriteOffLoanResponse written;
  EXPECT_EQ(ViolatedFields(stub_->WriteOffLoan(Authorized(kBank).get(), off, &written)),
            std::vector<std::string>{"reason"});
  off.set_reason("借款人外出务工失联，经催收无果");
  ASSERT_TRUE(stub_->WriteOffLoan(Authorized(kBank).get(), off, &written).ok());
  EXPECT_EQ(written.loan().status(), lv1::LOAN_STATUS_WRITTEN_OFF);
}

// The subsidy: a loan repaid on time through the last quarter accrues its subsidy period by period (booked late,
// with the dates the bank paid on); the lender's claim for that quarter adds up the accruals; a second claim and a
// claim for the running quarter are refused; the export is a spreadsheet with a total line.
TEST_F(LoansTest, SubsidyClaimsAddUpAndAreMadeOncePerQuarter) {
  absl::CivilDay today = Today();
  int quarter = (today.month() - 1) / 3 + 1;
  int year = static_cast<int>(today.year());
  int last_q = quarter == 1 ? 4 : quarter - 1;
  int last_year = quarter == 1 ? year - 1 : year;
  absl::CivilDay q_start(last_year, (last_q - 1) * 3 + 1, 1);
  absl::CivilDay disbursed(absl::CivilMonth(q_start) - 1);
  disbursed += 9;  // the 10th of the month before the quarter: due on the 10th of each of its months
  lv1::Loan loan = ActiveLoan(5000000, 24, disbursed, lv1::REPAYMENT_METHOD_EQUAL_PRINCIPAL);
  lv1::RecordRepaymentResponse r;
  for (const auto& i : loan.schedule()) {
    absl::CivilDay due = Day(i.due_on());
    if (due >= today) break;
    grpc::Status s = Repay(loan.id(), i.principal_fen() + i.interest_fen() - i.subsidy_fen(), due, &r);
    ASSERT_TRUE(s.ok()) << "instalment " << i.number() << ": " << s.error_message();
  }
  EXPECT_EQ(r.loan().bucket(), lv1::OVERDUE_BUCKET_CURRENT);
  lv1::CloseBusinessDayRequest close;
  close.set_request_id(NewRequestId());
  lv1::CloseBusinessDayResponse closed;
  ASSERT_TRUE(stub_->CloseBusinessDay(Authorized(kAdmin).get(), close, &closed).ok());

  // What the loan accrued in the quarter, from its events.
  int64_t accrued = 0;
  int periods = 0;
  absl::CivilDay q_end = absl::CivilDay(absl::CivilMonth(q_start) + 3) - 1;
  for (const auto& e : tap_->Settle()) {
    if (e.aggregate_id() != loan.id() || e.event_type() != "SubsidyAccrued") continue;
    lv1::SubsidyAccrued a;
    ASSERT_TRUE(e.payload().UnpackTo(&a));
    EXPECT_EQ(a.central_fen() + a.province_fen() + a.city_fen(), a.subsidy_fen());
    if (Day(a.due_on()) < q_start || Day(a.due_on()) > q_end) continue;
    accrued += a.subsidy_fen();
    ++periods;
  }
  ASSERT_EQ(periods, 3) << "three monthly periods fall due in the quarter";
  EXPECT_EQ(accrued, loan.schedule(0).subsidy_fen() + loan.schedule(1).subsidy_fen() + loan.schedule(2).subsidy_fen());

  lv1::GenerateSubsidyClaimRequest gen;
  gen.set_request_id(NewRequestId());
  gen.set_lender_id(*lender_id_);
  gen.set_year(last_year);
  gen.set_quarter(last_q);
  lv1::GenerateSubsidyClaimResponse claim;
  EXPECT_EQ(stub_->GenerateSubsidyClaim(Authorized(kClerk).get(), gen, &claim).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status s = stub_->GenerateSubsidyClaim(Authorized(kBank).get(), gen, &claim);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const lv1::ClaimLine* line = nullptr;
  for (const auto& l : claim.claim().lines()) {
    if (l.loan_id() == loan.id()) line = &l;
  }
  ASSERT_NE(line, nullptr);
  EXPECT_EQ(line->subsidy_fen(), accrued);
  EXPECT_EQ(line->periods(), 3);
  EXPECT_EQ(line->central_fen() + line->province_fen() + line->city_fen(), line->subsidy_fen());
  int64_t total = 0;
  for (const auto& l : claim.claim().lines()) total += l.subsidy_fen();
  EXPECT_EQ(claim.claim().subsidy_fen(), total);

  gen.set_request_id(NewRequestId());
  grpc::Status twice = stub_->GenerateSubsidyClaim(Authorized(kBank).get(), gen, &claim);
  EXPECT_EQ(twice.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  gen.set_request_id(NewRequestId());
  gen.set_year(year);
  gen.set_quarter(quarter);
  grpc::Status running = stub_->GenerateSubsidyClaim(Authorized(kBank).get(), gen, &claim);
  EXPECT_EQ(running.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ViolatedFields(running), std::vector<std::string>{"quarter"});

  lv1::ExportSubsidyClaimRequest ex;
  gen.set_year(last_year);
  gen.set_quarter(last_q);
  lv1::GetSubsidyClaimResponse got;
  std::string claim_id;
  {
    gen.set_request_id(NewRequestId());
    grpc::Status again = stub_->GenerateSubsidyClaim(Authorized(kBank).get(), gen, &claim);
    ASSERT_EQ(again.error_code(), grpc::StatusCode::ALREADY_EXISTS);
    size_t at = again.error_message().rfind(' ');
    claim_id = again.error_message().substr(at + 1);
  }
  ex.set_claim_id(claim_id);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kBank));
  auto reader = stub_->ExportSubsidyClaim(&ctx, ex);
  std::string csv;
  lv1::ExportSubsidyClaimResponse piece;
  while (reader->Read(&piece)) csv += piece.data();
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(csv.rfind("\xEF\xBB\xBF序号,贷款编号", 0), 0u) << csv.substr(0, 80);
  EXPECT_NE(csv.find(loan.id()), std::string::npos);
  EXPECT_NE(csv.find("\n合计,"), std::string::npos);

  // Submitted by the bank, approved and paid by the federation's side, in that order.
  auto advance = [&](lv1::ClaimStatus to, const std::string& token) {
    lv1::AdvanceSubsidyClaimRequest a;
    a.set_request_id(NewRequestId());
    a.set_claim_id(claim_id);
    a.set_to(to);
    a.set_paid_reference("唐财拨[2026]18号");
    lv1::AdvanceSubsidyClaimResponse resp;
    return stub_->AdvanceSubsidyClaim(Authorized(token).get(), a, &resp);
  };
  EXPECT_EQ(advance(lv1::CLAIM_STATUS_PAID, kClerk).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(advance(lv1::CLAIM_STATUS_SUBMITTED, kBank).ok());
  EXPECT_EQ(advance(lv1::CLAIM_STATUS_APPROVED, kBank).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(advance(lv1::CLAIM_STATUS_APPROVED, kClerk).ok());
  ASSERT_TRUE(advance(lv1::CLAIM_STATUS_PAID, kClerk).ok());
}

// Reporting counts loans where their borrowers live, from the loan topic: active borrowers, disbursed, outstanding,
// arrears by bucket. A village of its own, so the counts are this test's.
TEST_F(LoansTest, ReportingCountsLoansByRegion) {
  const std::string village = "130207105201";
  lv1::Loan current, late, repaid;
  for (auto [loan, days_ago] : {std::pair<lv1::Loan*, int>{&current, 10}, {&late, 50}, {&repaid, 5}}) {
    std::string woman = Woman(45, village);
    grpc::Status s = Apply(Application(woman, 1000000, 12), loan);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_TRUE(Review(loan->id(), loan).ok());
    ASSERT_TRUE(Approve(loan->id(), 1000000, loan, kBank, 0, Today() - days_ago).ok());
    ASSERT_TRUE(Disburse(loan->id(), 1000000, Today() - days_ago, loan).ok());
  }
  EXPECT_EQ(late.bucket(), lv1::OVERDUE_BUCKET_1_30);
  lv1::RecordRepaymentResponse r;
  int64_t everything = 1000000 + repaid.schedule(0).interest_fen() - repaid.schedule(0).subsidy_fen();
  grpc::Status s = Repay(repaid.id(), everything, Today(), &r, lv1::PREPAYMENT_FULL);
  ASSERT_TRUE(s.ok()) << s.error_message();

  pv1::GetRegionSummaryResponse summary;
  auto indicator = [&](const std::string& name) -> int64_t {
    for (const auto& i : summary.summary().indicators()) {
      if (i.name() == name) return i.value();
    }
    return -1;
  };
  bool counted = WaitFor(
      [&] {
        pv1::GetRegionSummaryRequest req;
        req.set_region_code(village);
        summary.Clear();
        return reports_->GetRegionSummary(Authorized(kViewer).get(), req, &summary).ok() &&
               indicator("loans_disbursed") == 3 && indicator("women_with_active_loan") == 2;
      },
      absl::Seconds(30));
  ASSERT_TRUE(counted) << summary.DebugString();
  EXPECT_EQ(indicator("loans_disbursed_fen"), 3000000);
  EXPECT_EQ(indicator("loans_outstanding_fen"), 2000000) << "the repaid loan is out";
  EXPECT_EQ(indicator("loans_overdue"), 1);
  EXPECT_EQ(indicator("loans_overdue_1_30_fen"), 1000000);
  EXPECT_EQ(indicator("loans_overdue_31_60_fen"), 0);
  EXPECT_EQ(indicator("loans_overdue_rate_bp"), 5000) << "1万 of the 2万 outstanding is in arrears";
  EXPECT_EQ(indicator("loans_maturity_warned"), 0);

  // Her profile shows her loan: applied, approved, disbursed.
  pv1::GetBeneficiaryProfileRequest profile_req;
  profile_req.set_beneficiary_id(late.beneficiary_id());
  pv1::GetBeneficiaryProfileResponse profile;
  ASSERT_TRUE(reports_->GetBeneficiaryProfile(Authorized(kAdmin).get(), profile_req, &profile).ok());
  std::string timeline;
  for (const auto& t : profile.profile().timeline()) timeline += t.summary() + "\n";
  EXPECT_NE(timeline.find("申请贷款 10000.00 元，12 个月（蔬菜大棚）"), std::string::npos) << timeline;
  EXPECT_NE(timeline.find("贷款发放 10000.00 元"), std::string::npos) << timeline;
}

}  // namespace
}  // namespace jinguo::testing
