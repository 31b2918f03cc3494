// The loans benchmarks' driver.
//   loans_load seed DATA_DIR COUNT DATE
//       writes COUNT active loans straight into a stopped loans service's store (DATA_DIR, made by a first start),
//       each a 12-month 等额本息 loan of 5万元 disbursed a month before DATE with half its interest subsidised, its
//       first instalment due on DATE and already paid: the close of DATE has something to do for every one of them
//       (accrue the period's subsidy, with its event and its accrual record). The service's last closed date is set
//       to the day before DATE. Loans are bench-loan-0000000 … in 200 villages of 丰南区.
//   loans_load ghz-data COUNT LOANS OUT
//       writes COUNT RecordRepayment requests of 1.00 元 over the first LOANS seeded loans in turn (unique request
//       ids) as length-delimited binary messages for ghz --binary-file.
#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/base/civil_date.h"
#include "common/store/store.h"
#include "google/protobuf/io/zero_copy_stream_impl.h"
#include "google/protobuf/util/delimited_message_util.h"
#include "jinguo/loans/v1/loans.pb.h"
#include "rocksdb/db.h"
#include "services/loans/domain/loan_rules.h"
#include "services/loans/store/loan_store.h"

using namespace jinguo;
namespace lv1 = ::jinguo::loans::v1;

namespace {

std::string LoanId(int64_t i) { return absl::StrFormat("bench-loan-%07d", i); }

int Seed(const std::string& dir, int64_t count, absl::CivilDay date) {
  std::vector<std::string> families;
  rocksdb::Status listed = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &families);
  if (!listed.ok()) {
    std::cerr << "loans_load: " << dir << " holds no store: " << listed.ToString() << "\n";
    return 1;
  }
  families.erase(std::remove(families.begin(), families.end(), rocksdb::kDefaultColumnFamilyName), families.end());
  auto db = store::Store::Open({dir, families, 256 << 20, loans::store::LoanStore::ScannedByFirstPart()});
  if (!db.ok()) {
    std::cerr << "loans_load: " << db.status() << "\n";
    return 1;
  }
  loans::store::LoanStore loans(db->get());
  absl::CivilDay disbursed = loans::domain::AddMonths(date, -1);
  lv1::Loan base;
  base.set_product_id("bench");
  base.set_product_version(1);
  base.set_kind(lv1::LOAN_KIND_POVERTY_MICROCREDIT);
  base.set_lender_id("bench-lender");
  base.set_status(lv1::LOAN_STATUS_ACTIVE);
  base.set_project("bench");
  base.set_applied_fen(5000000);
  base.set_approved_fen(5000000);
  base.set_disbursed_fen(5000000);
  base.set_term_months(12);
  base.set_total_months(12);
  base.set_method(lv1::REPAYMENT_METHOD_EQUAL_INSTALMENT);
  base.set_day_count(lv1::DAY_COUNT_ACT_360);
  base.set_rounding(lv1::ROUNDING_HALF_EVEN);
  base.set_annual_rate_bp(300);
  base.set_borrower_rate_bp(150);
  base.mutable_subsidy()->set_interest_share_bp(5000);
  base.mutable_subsidy()->set_central_bp(5000);
  base.mutable_subsidy()->set_province_bp(3000);
  base.mutable_subsidy()->set_city_bp(2000);
  *base.mutable_disbursed_on() = ToProto(disbursed);
  *base.mutable_contract_on() = ToProto(disbursed);
  *base.mutable_applied_on() = ToProto(disbursed - 7);
  auto schedule = loans::domain::DisbursementSchedule(base, 5000000, disbursed);
  if (!schedule.ok()) {
    std::cerr << "loans_load: " << schedule.status() << "\n";
    return 1;
  }
  for (auto& i : *schedule) *base.add_schedule() = std::move(i);
  // The first instalment paid on its due date.
  lv1::Instalment* first = base.mutable_schedule(0);
  first->set_paid_principal_fen(first->principal_fen());
  first->set_paid_interest_fen(first->interest_fen() - first->subsidy_fen());
  *first->mutable_paid_on() = first->due_on();
  first->set_reminded(true);
  base.set_outstanding_principal_fen(5000000 - first->principal_fen());
  *base.mutable_last_repaid_on() = first->due_on();
  *base.mutable_maturity_on() = base.schedule(11).due_on();
  *base.mutable_original_maturity_on() = base.maturity_on();
  *base.mutable_closed_through() = ToProto(date - 1);
  *base.mutable_next_close_on() = ToProto(date);
  base.set_version(5);
  rocksdb::WriteBatch batch;
  for (int64_t i = 0; i < count; ++i) {
    lv1::Loan loan = base;
    loan.set_id(LoanId(i));
    loan.set_beneficiary_id(absl::StrFormat("bench-woman-%07d", i));
    loan.set_region_code(absl::StrFormat("130207%03d%03d", 100 + (i / 200) % 10, 200 + i % 20));
    loans.PutLoan(&batch, loan, /*first_write=*/true, "");
    if (batch.Count() >= 40000 || i + 1 == count) {
      if (absl::Status s = (*db)->Write(&batch, /*sync=*/false); !s.ok()) {
        std::cerr << "loans_load: " << s << "\n";
        return 1;
      }
      batch.Clear();
    }
  }
  loans.PutClosedThrough(&batch, date - 1);
  if (absl::Status s = (*db)->Write(&batch); !s.ok()) {
    std::cerr << "loans_load: " << s << "\n";
    return 1;
  }
  std::printf("loans_load: %lld active loans seeded, each with its first instalment due on %s\n",
              static_cast<long long>(count), FormatCivilDate(date).c_str());
  return 0;
}

int GhzData(int64_t count, int64_t loans, const std::string& out_path) {
  std::ofstream file(out_path, std::ios::binary);
  google::protobuf::io::OstreamOutputStream out(&file);
  std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  for (int64_t i = 0; i < count; ++i) {
    lv1::RecordRepaymentRequest r;
    r.set_request_id(absl::StrCat("ghz-repayment-", run, "-", i));
    r.set_loan_id(LoanId(i % loans));
    r.set_amount_fen(100);
    r.set_reference("bench");
    if (!google::protobuf::util::SerializeDelimitedToZeroCopyStream(r, &out)) {
      std::cerr << "loans_load: writing " << out_path << " failed\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "seed" && argc == 5) {
    auto date = ParseCivilDate(argv[4]);
    if (!date.ok()) {
      std::cerr << "loans_load: DATE: " << date.status() << "\n";
      return 2;
    }
    return Seed(argv[2], std::atoll(argv[3]), *date);
  }
  if (cmd == "ghz-data" && argc == 5) return GhzData(std::atoll(argv[2]), std::atoll(argv[3]), argv[4]);
  std::cerr << "usage: loans_load seed DATA_DIR COUNT DATE | ghz-data COUNT LOANS OUT\n";
  return 2;
}
