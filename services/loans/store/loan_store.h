// The loans service's RocksDB layout. Every write goes into a caller's batch (committed by the write path with its
// events and audit record); reads go to the store.
//
//   products          product id \0 version(u32) → LoanProduct          (every version)
//   reference_rates   published yyyymmdd(u32) → ReferenceRate
//   lenders           lender id → Lender
//   loans             loan id → Loan
//   loans_by_region   region \0 loan id \0 → ""
//   loans_by_woman    beneficiary \0 loan id \0 → ""
//   close_agenda      yyyymmdd(u32) loan id \0 → ""                       (the next date the close acts on a loan)
//   accruals          lender \0 year*10+quarter(u32) loan id \0 instalment(u32) → AccrualRecord
//   claims            claim id → SubsidyClaim
//   claims_by_quarter lender \0 year*10+quarter(u32) → claim id           (one claim per lender and quarter)
//   loans_meta        "closed_through" → yyyy-mm-dd                       (the last business date closed)
//
// Thread-safety: thread-safe (RocksDB is); callers serialize the decisions that read and write one loan.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/store/store.h"
#include "jinguo/loans/v1/types.pb.h"
#include "rocksdb/write_batch.h"

namespace jinguo::loans::store {

namespace v1 = ::jinguo::loans::v1;

class LoanStore {
 public:
  static std::vector<std::string> Families();
  static std::vector<std::string> ScannedByFirstPart();
  explicit LoanStore(jinguo::store::Store* db);

  // Every version of product `id`, oldest first.
  absl::StatusOr<std::vector<v1::LoanProduct>> ProductVersions(const std::string& id) const;
  absl::StatusOr<std::vector<v1::LoanProduct>> AllProducts() const;
  void PutProduct(rocksdb::WriteBatch* batch, const v1::LoanProduct& p) const;

  absl::StatusOr<std::vector<v1::ReferenceRate>> ReferenceRates() const;
  void PutReferenceRate(rocksdb::WriteBatch* batch, const v1::ReferenceRate& r) const;

  absl::StatusOr<std::optional<v1::Lender>> GetLender(const std::string& id) const;
  absl::StatusOr<std::vector<v1::Lender>> Lenders(const std::string& region_prefix) const;
  void PutLender(rocksdb::WriteBatch* batch, const v1::Lender& l) const;

  absl::StatusOr<std::optional<v1::Loan>> GetLoan(const std::string& id) const;
  // Writes `loan` and keeps its indexes (written with its first write) and its place in the close's agenda
  // (`previous_agenda_key`: AgendaKeyOf the loan as stored, "" when it had none).
  void PutLoan(rocksdb::WriteBatch* batch, const v1::Loan& loan, bool first_write,
               const std::string& previous_agenda_key) const;
  // The loan's place in the close's agenda (its next_close_on), "" when it has none.
  static std::string AgendaKeyOf(const v1::Loan& loan);
  // Her loans, by id.
  absl::StatusOr<std::vector<v1::Loan>> LoansOf(const std::string& beneficiary_id) const;
  // Loan ids under `region_prefix` after `after` (a loans_by_region key, "" to start), in region order.
  std::unique_ptr<rocksdb::Iterator> ScanLoans(const std::string& region_prefix, const std::string& after) const;
  static std::string LoanIdOf(absl::string_view region_key);

  // Up to `limit` agenda entries dated on or before `day`, after the key `after` ("" from the start).
  struct Due {
    std::string key;
    std::string loan_id;
  };
  absl::StatusOr<std::vector<Due>> AgendaThrough(absl::CivilDay day, size_t limit, const std::string& after) const;
  void DropAgenda(rocksdb::WriteBatch* batch, const std::string& key) const;

  void PutAccrual(rocksdb::WriteBatch* batch, const std::string& lender_id, absl::CivilDay due,
                  const v1::AccrualRecord& a) const;
  // The accruals of `lender_id` in `year` and `quarter`, by loan and instalment.
  struct KeyedAccrual {
    std::string key;
    v1::AccrualRecord record;
  };
  absl::StatusOr<std::vector<KeyedAccrual>> Accruals(const std::string& lender_id, int year, int quarter) const;
  void UpdateAccrual(rocksdb::WriteBatch* batch, const std::string& key, const v1::AccrualRecord& a) const;

  absl::StatusOr<std::optional<v1::SubsidyClaim>> GetClaim(const std::string& id) const;
  absl::StatusOr<std::optional<std::string>> ClaimOf(const std::string& lender_id, int year, int quarter) const;
  void PutClaim(rocksdb::WriteBatch* batch, const v1::SubsidyClaim& c) const;

  absl::StatusOr<std::optional<absl::CivilDay>> ClosedThrough() const;
  void PutClosedThrough(rocksdb::WriteBatch* batch, absl::CivilDay day) const;

  static std::string AgendaKey(absl::CivilDay day, const std::string& loan_id);

 private:
  jinguo::store::Store* db_;
  rocksdb::ColumnFamilyHandle* products_;
  rocksdb::ColumnFamilyHandle* rates_;
  rocksdb::ColumnFamilyHandle* lenders_;
  rocksdb::ColumnFamilyHandle* loans_;
  rocksdb::ColumnFamilyHandle* by_region_;
  rocksdb::ColumnFamilyHandle* by_woman_;
  rocksdb::ColumnFamilyHandle* agenda_;
  rocksdb::ColumnFamilyHandle* accruals_;
  rocksdb::ColumnFamilyHandle* claims_;
  rocksdb::ColumnFamilyHandle* claims_by_quarter_;
  rocksdb::ColumnFamilyHandle* meta_;
};

}  // namespace jinguo::loans::store
