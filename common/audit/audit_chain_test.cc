#include "common/audit/audit_chain.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/base/timestamp.h"
#include "gtest/gtest.h"

namespace jinguo::audit {
namespace {

const absl::Time kStart = absl::FromCivil(absl::CivilSecond(2026, 1, 1, 8, 0, 0), absl::UTCTimeZone());

std::string Key(uint64_t seq) {
  std::string key(8, '\0');
  for (int i = 0; i < 8; ++i) key[i] = static_cast<char>(seq >> (56 - 8 * i));
  return key;
}

class AuditChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/audit-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void Reopen() {
    chain_.reset();
    store_.reset();
    auto db = store::Store::Open({dir_, {kAuditFamily}, 8 << 20});
    ASSERT_TRUE(db.ok()) << db.status();
    store_ = *std::move(db);
    auto chain = AuditChain::Open(store_.get(), "registration");
    ASSERT_TRUE(chain.ok()) << chain.status();
    chain_ = *std::move(chain);
  }
  // Seals and writes `n` records (one call each), the i-th by principal "p<i % 3>" on target "t<i>", a day apart.
  void Append(int n) {
    rocksdb::WriteBatch batch;
    std::vector<v1::AuditRecord> records;
    std::vector<common::v1::OutboxRecord> events;
    for (int i = 0; i < n; ++i) {
      v1::AuditRecord r;
      int k = appended_++;
      r.set_kind(v1::AUDIT_KIND_WRITE);
      r.set_principal(absl::StrCat("p", k % 3));
      r.set_method(k % 2 == 0 ? "RegisterBeneficiary" : "RecordVisit");
      r.add_target_ids(absl::StrCat("t", k));
      r.set_request_id(absl::StrCat("req-", k));
      *r.mutable_time() = ToTimestamp(kStart + absl::Hours(24) * k);
      records.push_back(r);
    }
    chain_->Seal(records, &batch, &events);
    ASSERT_EQ(events.size(), 1u);  // one message per write, carrying every record
    EXPECT_EQ(events[0].topic(), kAuditTopic);
    v1::AuditRecords published;
    ASSERT_TRUE(events[0].envelope().payload().UnpackTo(&published));
    EXPECT_EQ(published.records_size(), n);
    ASSERT_TRUE(store_->Write(&batch).ok());
  }
  v1::AuditRecord Stored(uint64_t seq) {
    auto v = store_->Get(store_->Family(kAuditFamily), Key(seq));
    v1::AuditRecord r;
    EXPECT_TRUE(v.ok() && v->has_value());
    if (v.ok() && v->has_value()) r.ParseFromString(**v);
    return r;
  }
  void Put(uint64_t seq, const v1::AuditRecord& r) {
    rocksdb::WriteBatch b;
    b.Put(store_->Family(kAuditFamily), Key(seq), r.SerializeAsString());
    ASSERT_TRUE(store_->Write(&b).ok());
  }
  void Delete(uint64_t seq) {
    rocksdb::WriteBatch b;
    b.Delete(store_->Family(kAuditFamily), Key(seq));
    ASSERT_TRUE(store_->Write(&b).ok());
  }
  std::string VerifyMessage() {
    absl::Status s = AuditChain::Verify(*store_);
    return s.ok() ? "ok" : std::string(s.message());
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<AuditChain> chain_;
  int appended_ = 0;
};

TEST_F(AuditChainTest, RecordsChainAcrossBatchesAndRestarts) {
  Append(3);
  Append(4);
  Reopen();
  Append(2);
  int64_t checked = 0;
  ASSERT_TRUE(AuditChain::Verify(*store_, &checked).ok()) << VerifyMessage();
  EXPECT_EQ(checked, 9);
  EXPECT_EQ(chain_->head().sequence, 9u);
  v1::AuditRecord r = Stored(5);
  EXPECT_EQ(r.service(), "registration");
  EXPECT_EQ(r.previous_hash(), Stored(4).hash());
  EXPECT_EQ(AuditChain::HashOf(r), r.hash());
}

TEST_F(AuditChainTest, AnEditedRecordIsCaughtAndNamed) {
  Append(10);
  v1::AuditRecord r = Stored(6);
  r.set_principal("someone-else");
  Put(6, r);
  EXPECT_EQ(VerifyMessage(), "audit record 6 was changed after it was written");
  // Recomputing its hash too only moves the break to the next record.
  r.set_hash(AuditChain::HashOf(r));
  Put(6, r);
  EXPECT_EQ(VerifyMessage(), "audit record 7 does not follow record 6 (its link does not match)");
}

TEST_F(AuditChainTest, MissingReorderedForeignAndTruncatedRecordsAreCaught) {
  Append(10);
  v1::AuditRecord four = Stored(4), five = Stored(5);
  Delete(5);
  EXPECT_EQ(VerifyMessage(), "audit record 5 is missing (the next is 6)");
  Put(5, four);
  EXPECT_EQ(VerifyMessage(), "audit record 5 says it is record 4");
  v1::AuditRecord foreign = five;
  foreign.set_service("loans");
  Put(5, foreign);
  EXPECT_EQ(VerifyMessage(), "audit record 5 belongs to the chain of loans, not registration");
  Put(5, five);
  EXPECT_EQ(VerifyMessage(), "ok");
  Delete(10);
  Delete(9);
  EXPECT_EQ(VerifyMessage(), "the audit chain ends at record 8 but its head is record 10: records after 8 are missing");
  Delete(1);
  EXPECT_NE(VerifyMessage().find("records 1 to 1 are missing"), std::string::npos) << VerifyMessage();
}

TEST_F(AuditChainTest, AFailedBatchLeavesNoGap) {
  Append(2);
  rocksdb::WriteBatch lost;
  std::vector<v1::AuditRecord> records(2);
  std::vector<common::v1::OutboxRecord> events;
  AuditChain::Head before = chain_->Seal(records, &lost, &events);
  chain_->Rollback(before);  // the batch never reached the disk
  Append(1);
  EXPECT_EQ(Stored(3).request_id(), "req-2");
  EXPECT_EQ(VerifyMessage(), "ok");
}

TEST_F(AuditChainTest, PruningLeavesACheckpointAndTheRestStillVerifies) {
  Append(10);  // days 0..9
  auto pruned = chain_->Prune(kStart + absl::Hours(24) * 4);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(*pruned, 4);
  EXPECT_EQ(Stored(4).kind(), v1::AUDIT_KIND_CHECKPOINT);
  EXPECT_EQ(VerifyMessage(), "ok");
  Append(2);
  EXPECT_EQ(VerifyMessage(), "ok");
  EXPECT_EQ(*chain_->Prune(kStart + absl::Hours(24) * 4), 0);  // nothing more is old enough
  EXPECT_EQ(*chain_->Prune(kStart + absl::Hours(24) * 7), 3);
  EXPECT_EQ(VerifyMessage(), "ok");
  // A checkpoint forged into the middle is not a way to hide records.
  v1::AuditRecord fake = Stored(9);
  fake.set_kind(v1::AUDIT_KIND_CHECKPOINT);
  Put(9, fake);
  EXPECT_EQ(VerifyMessage(), "audit record 9 is a checkpoint in the middle of the chain");
}

TEST_F(AuditChainTest, ListingFiltersAndPages) {
  Append(12);
  AuditChain::Filter by_principal{"p1"};
  uint64_t next = 0;
  auto page = chain_->List(by_principal, 0, 2, 1000, &next);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].sequence(), 2u);
  EXPECT_EQ((*page)[1].sequence(), 5u);
  auto rest = chain_->List(by_principal, next, 10, 1000, &next);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->size(), 2u);  // 8 and 11
  EXPECT_EQ(next, 0u);
  AuditChain::Filter by_target;
  by_target.target_id = "t7";
  EXPECT_EQ(chain_->List(by_target, 0, 10, 1000, &next)->at(0).sequence(), 8u);
  AuditChain::Filter window;
  window.method = "RecordVisit";
  window.from = kStart + absl::Hours(24) * 2;
  window.to = kStart + absl::Hours(24) * 6;
  auto visits = chain_->List(window, 0, 10, 1000, &next);
  ASSERT_EQ(visits->size(), 2u);  // days 3 and 5
  EXPECT_EQ(visits->at(0).request_id(), "req-3");
}

}  // namespace
}  // namespace jinguo::audit
