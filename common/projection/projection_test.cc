#include "common/projection/projection.h"

#include <filesystem>

#include "gtest/gtest.h"

namespace jinguo::projection {
namespace {

class ProjectionTxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "projection_tx_" + std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    auto store = store::Store::Open({dir_, {"x"}, 8 << 20});
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    cf_ = store_->Family("x");
    rocksdb::WriteBatch stored;
    stored.Put(cf_, "stored", "s");
    stored.Put(cf_, "both", "old");
    stored.Put(cf_, "gone", "s");
    stored.Put(cf_, "gone-behind", "s");
    ASSERT_TRUE(store_->Write(&stored).ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string Read(ProjectionTx& tx, const std::string& key) {
    auto v = tx.Get(cf_, key);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() && v->has_value() ? **v : "<none>";
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  rocksdb::ColumnFamilyHandle* cf_ = nullptr;
};

// The next batch is applied while the one before is written: its reads must see that batch as if it had landed.
TEST_F(ProjectionTxTest, ReadsSeeOwnBatchThenTheBatchBeingWrittenThenTheStore) {
  rocksdb::WriteBatchWithIndex behind(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true);
  behind.Put(cf_, "both", "behind-1");
  behind.Put(cf_, "both", "behind-2");
  behind.Put(cf_, "only-behind", "b");
  behind.Delete(cf_, "gone-behind");
  behind.Put(cf_, "mine", "behind");
  rocksdb::WriteBatchWithIndex own(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true);
  own.Put(cf_, "mine", "own");
  own.Delete(cf_, "gone");
  own.Delete(cf_, "only-behind");

  ProjectionTx tx(store_.get(), &own, &behind);
  EXPECT_EQ(Read(tx, "stored"), "s");
  EXPECT_EQ(Read(tx, "both"), "behind-2");
  EXPECT_EQ(Read(tx, "mine"), "own");
  EXPECT_EQ(Read(tx, "gone"), "<none>");
  EXPECT_EQ(Read(tx, "gone-behind"), "<none>");
  EXPECT_EQ(Read(tx, "only-behind"), "<none>");
  EXPECT_EQ(Read(tx, "never"), "<none>");

  ProjectionTx alone(store_.get(), &own);
  EXPECT_EQ(Read(alone, "both"), "old");
  EXPECT_EQ(Read(alone, "gone-behind"), "s");
  EXPECT_EQ(Read(alone, "mine"), "own");
}

}  // namespace
}  // namespace jinguo::projection
