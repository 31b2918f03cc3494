// The training store against a real RocksDB in a temporary directory: participants come back in the order they
// enrolled whatever order they were written in, her number in a programme is found by her id, her grants and
// placements by her id, and sessions by programme only.
#include "services/training/store/training_store.h"

#include <cstdlib>
#include <filesystem>

#include "gtest/gtest.h"

namespace jinguo::training::store {
namespace {

class TrainingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "training-store-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    auto db =
        jinguo::store::Store::Open({dir_, TrainingStore::Families(), 8 << 20, TrainingStore::ScannedByFirstPart()});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    store_ = std::make_unique<TrainingStore>(db_.get());
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Write(rocksdb::WriteBatch& batch) { ASSERT_TRUE(db_->Write(&batch).ok()); }

  std::string dir_;
  std::unique_ptr<jinguo::store::Store> db_;
  std::unique_ptr<TrainingStore> store_;
};

TEST_F(TrainingStoreTest, ParticipantsInTheOrderTheyCame) {
  rocksdb::WriteBatch batch;
  for (int n : {12, 3, 300, 1}) {
    v1::Participant p;
    p.set_programme_id("P1");
    p.set_number(n);
    if (n == 3) p.set_beneficiary_id("b-3");
    store_->PutParticipant(&batch, p);
  }
  v1::Participant other;
  other.set_programme_id("P10");
  other.set_number(2);
  store_->PutParticipant(&batch, other);
  Write(batch);
  auto ps = store_->Participants("P1");
  ASSERT_TRUE(ps.ok());
  std::vector<int> numbers;
  for (const auto& p : *ps) numbers.push_back(p.number());
  EXPECT_EQ(numbers, (std::vector<int>{1, 3, 12, 300})) << "P10's participant is not P1's";
  EXPECT_EQ(**store_->NumberOf("b-3", "P1"), 3);
  EXPECT_FALSE(store_->NumberOf("b-3", "P10")->has_value());
}

TEST_F(TrainingStoreTest, HerGrantsPlacementsAndDonorPairs) {
  rocksdb::WriteBatch batch;
  for (const char* id : {"g2", "g1"}) {
    v1::AidGrant g;
    g.set_id(id);
    g.set_beneficiary_id("child-1");
    g.set_fund_id("F1");
    store_->PutGrant(&batch, g);
  }
  v1::AidGrant someone_else;
  someone_else.set_id("g9");
  someone_else.set_beneficiary_id("child-10");
  store_->PutGrant(&batch, someone_else);
  v1::Placement p;
  p.set_id("pl1");
  p.set_beneficiary_id("w1");
  p.set_posting_id("J1");
  store_->PutPlacement(&batch, p);
  store_->PutDonorPair(&batch, "F1", "child-1");
  Write(batch);
  auto grants = store_->GrantsOf("child-1");
  ASSERT_TRUE(grants.ok());
  ASSERT_EQ(grants->size(), 2u);
  EXPECT_EQ((*grants)[0].id(), "g1");
  ASSERT_EQ(store_->PlacementsOf("w1")->size(), 1u);
  EXPECT_TRUE(store_->PlacementsOf("w10")->empty());
  EXPECT_TRUE(*store_->DonorPaired("F1", "child-1"));
  EXPECT_FALSE(*store_->DonorPaired("F1", "child-10"));
}

}  // namespace
}  // namespace jinguo::training::store
