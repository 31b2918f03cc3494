#include "services/loans/store/loan_store.h"

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/base/status.h"
#include "common/store/keys.h"

namespace jinguo::loans::store {

using jinguo::store::GetMessage;
using jinguo::store::KeyBuilder;
using jinguo::store::KeyReader;
using jinguo::store::ScanMessages;

namespace {

constexpr char kClosedThrough[] = "closed_through";

uint32_t QuarterNumber(int year, int quarter) { return static_cast<uint32_t>(year * 10 + quarter); }

std::string IndexKey(const std::string& first, const std::string& id) { return KeyBuilder().Str(first).Str(id).key(); }

}  // namespace

std::vector<std::string> LoanStore::Families() {
  return {"products",        "reference_rates",   "lenders",      "loans",
          "loans_by_region", "loans_by_woman",    "close_agenda", "accruals",
          "claims",          "claims_by_quarter", "loans_meta"};
}

std::vector<std::string> LoanStore::ScannedByFirstPart() { return {"products", "loans_by_woman", "accruals"}; }

LoanStore::LoanStore(jinguo::store::Store* db)
    : db_(db),
      products_(db->Family("products")),
      rates_(db->Family("reference_rates")),
      lenders_(db->Family("lenders")),
      loans_(db->Family("loans")),
      by_region_(db->Family("loans_by_region")),
      by_woman_(db->Family("loans_by_woman")),
      agenda_(db->Family("close_agenda")),
      accruals_(db->Family("accruals")),
      claims_(db->Family("claims")),
      claims_by_quarter_(db->Family("claims_by_quarter")),
      meta_(db->Family("loans_meta")) {}

absl::StatusOr<std::vector<v1::LoanProduct>> LoanStore::ProductVersions(const std::string& id) const {
  return ScanMessages<v1::LoanProduct>(*db_, products_, KeyBuilder().Str(id).key(), "products");
}

absl::StatusOr<std::vector<v1::LoanProduct>> LoanStore::AllProducts() const {
  return ScanMessages<v1::LoanProduct>(*db_, products_, "", "products");
}

void LoanStore::PutProduct(rocksdb::WriteBatch* batch, const v1::LoanProduct& p) const {
  batch->Put(products_, KeyBuilder().Str(p.id()).U32(static_cast<uint32_t>(p.version())).key(), p.SerializeAsString());
}

absl::StatusOr<std::vector<v1::ReferenceRate>> LoanStore::ReferenceRates() const {
  return ScanMessages<v1::ReferenceRate>(*db_, rates_, "", "reference rates");
}

void LoanStore::PutReferenceRate(rocksdb::WriteBatch* batch, const v1::ReferenceRate& r) const {
  auto day = FromProto(r.published_on());
  batch->Put(rates_, KeyBuilder().Day(day.ok() ? *day : absl::CivilDay()).key(), r.SerializeAsString());
}

absl::StatusOr<std::optional<v1::Lender>> LoanStore::GetLender(const std::string& id) const {
  return GetMessage<v1::Lender>(*db_, lenders_, id, "lender");
}

absl::StatusOr<std::vector<v1::Lender>> LoanStore::Lenders(const std::string& region_prefix) const {
  ASSIGN_OR_RETURN(auto all, ScanMessages<v1::Lender>(*db_, lenders_, "", "lenders"));
  std::vector<v1::Lender> out;
  for (auto& l : all) {
    if (l.region_code().compare(0, region_prefix.size(), region_prefix) == 0) out.push_back(std::move(l));
  }
  return out;
}

void LoanStore::PutLender(rocksdb::WriteBatch* batch, const v1::Lender& l) const {
  batch->Put(lenders_, l.id(), l.SerializeAsString());
}

absl::StatusOr<std::optional<v1::Loan>> LoanStore::GetLoan(const std::string& id) const {
  return GetMessage<v1::Loan>(*db_, loans_, id, "loan");
}

std::string LoanStore::AgendaKeyOf(const v1::Loan& loan) {
  if (!loan.has_next_close_on()) return "";
  auto day = FromProto(loan.next_close_on());
  return day.ok() ? AgendaKey(*day, loan.id()) : "";
}

void LoanStore::PutLoan(rocksdb::WriteBatch* batch, const v1::Loan& loan, bool first_write,
                        const std::string& previous_agenda_key) const {
  batch->Put(loans_, loan.id(), loan.SerializeAsString());
  if (first_write) {
    batch->Put(by_region_, IndexKey(loan.region_code(), loan.id()), "");
    batch->Put(by_woman_, IndexKey(loan.beneficiary_id(), loan.id()), "");
  }
  const std::string& old_key = previous_agenda_key;
  std::string new_key = AgendaKeyOf(loan);
  if (old_key != new_key) {
    if (!old_key.empty()) batch->Delete(agenda_, old_key);
    if (!new_key.empty()) batch->Put(agenda_, new_key, "");
  }
}

absl::StatusOr<std::vector<v1::Loan>> LoanStore::LoansOf(const std::string& beneficiary_id) const {
  std::vector<v1::Loan> out;
  std::string prefix = KeyBuilder().Str(beneficiary_id).key();
  auto it = db_->Scan(by_woman_, prefix);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    KeyReader r(absl::string_view(it->key().data(), it->key().size()));
    std::string who, id;
    if (!r.Str(&who) || !r.Str(&id)) return absl::DataLossError("loans_by_woman: unreadable key");
    ASSIGN_OR_RETURN(auto loan, GetLoan(id));
    if (!loan) return absl::DataLossError(absl::StrCat("loan ", id, " is indexed but missing"));
    out.push_back(*std::move(loan));
  }
  RETURN_IF_ERROR(jinguo::store::FromRocks(it->status(), "scan loans_by_woman"));
  return out;
}

std::unique_ptr<rocksdb::Iterator> LoanStore::ScanLoans(const std::string& region_prefix,
                                                        const std::string& after) const {
  return db_->ScanAfter(by_region_, region_prefix, after);
}

std::string LoanStore::LoanIdOf(absl::string_view region_key) { return jinguo::store::SecondPart(region_key); }

std::string LoanStore::AgendaKey(absl::CivilDay day, const std::string& loan_id) {
  return KeyBuilder().Day(day).Str(loan_id).key();
}

absl::StatusOr<std::vector<LoanStore::Due>> LoanStore::AgendaThrough(absl::CivilDay day, size_t limit,
                                                                     const std::string& after) const {
  std::vector<Due> out;
  std::string end = KeyBuilder().Day(day + 1).key();
  auto it = db_->Scan(agenda_, "");
  if (after.empty()) {
    it->SeekToFirst();
  } else {
    it->Seek(after);
    if (it->Valid() && it->key() == rocksdb::Slice(after)) it->Next();
  }
  for (; it->Valid() && out.size() < limit; it->Next()) {
    if (it->key().compare(rocksdb::Slice(end)) >= 0) break;
    KeyReader r(absl::string_view(it->key().data(), it->key().size()));
    absl::CivilDay d;
    std::string id;
    if (!r.Day(&d) || !r.Str(&id)) return absl::DataLossError("close agenda: unreadable key");
    out.push_back({it->key().ToString(), std::move(id)});
  }
  RETURN_IF_ERROR(jinguo::store::FromRocks(it->status(), "scan close agenda"));
  return out;
}

void LoanStore::DropAgenda(rocksdb::WriteBatch* batch, const std::string& key) const { batch->Delete(agenda_, key); }

void LoanStore::PutAccrual(rocksdb::WriteBatch* batch, const std::string& lender_id, absl::CivilDay due,
                           const v1::AccrualRecord& a) const {
  int quarter = (due.month() - 1) / 3 + 1;
  batch->Put(accruals_,
             KeyBuilder()
                 .Str(lender_id)
                 .U32(QuarterNumber(static_cast<int>(due.year()), quarter))
                 .Str(a.loan_id())
                 .U32(static_cast<uint32_t>(a.instalment()))
                 .key(),
             a.SerializeAsString());
}

absl::StatusOr<std::vector<LoanStore::KeyedAccrual>> LoanStore::Accruals(const std::string& lender_id, int year,
                                                                         int quarter) const {
  std::vector<KeyedAccrual> out;
  std::string prefix = KeyBuilder().Str(lender_id).U32(QuarterNumber(year, quarter)).key();
  auto it = db_->Scan(accruals_, prefix);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    KeyedAccrual k;
    k.key = it->key().ToString();
    if (!k.record.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("accruals: unreadable record");
    }
    out.push_back(std::move(k));
  }
  RETURN_IF_ERROR(jinguo::store::FromRocks(it->status(), "scan accruals"));
  return out;
}

void LoanStore::UpdateAccrual(rocksdb::WriteBatch* batch, const std::string& key, const v1::AccrualRecord& a) const {
  batch->Put(accruals_, key, a.SerializeAsString());
}

absl::StatusOr<std::optional<v1::SubsidyClaim>> LoanStore::GetClaim(const std::string& id) const {
  return GetMessage<v1::SubsidyClaim>(*db_, claims_, id, "subsidy claim");
}

absl::StatusOr<std::optional<std::string>> LoanStore::ClaimOf(const std::string& lender_id, int year,
                                                              int quarter) const {
  return db_->Get(claims_by_quarter_, KeyBuilder().Str(lender_id).U32(QuarterNumber(year, quarter)).key());
}

void LoanStore::PutClaim(rocksdb::WriteBatch* batch, const v1::SubsidyClaim& c) const {
  batch->Put(claims_, c.id(), c.SerializeAsString());
  batch->Put(claims_by_quarter_, KeyBuilder().Str(c.lender_id()).U32(QuarterNumber(c.year(), c.quarter())).key(),
             c.id());
}

absl::StatusOr<std::optional<absl::CivilDay>> LoanStore::ClosedThrough() const {
  ASSIGN_OR_RETURN(auto value, db_->Get(meta_, kClosedThrough));
  if (!value) return std::optional<absl::CivilDay>();
  auto day = ParseCivilDate(*value);
  if (!day.ok()) return absl::DataLossError(absl::StrCat("loans_meta closed_through: ", day.status().message()));
  return std::optional<absl::CivilDay>(*day);
}

void LoanStore::PutClosedThrough(rocksdb::WriteBatch* batch, absl::CivilDay day) const {
  batch->Put(meta_, kClosedThrough, FormatCivilDate(day));
}

}  // namespace jinguo::loans::store
