#include "common/store/store.h"

#include <filesystem>

#include "common/store/keys.h"
#include "gtest/gtest.h"

namespace jinguo::store {
namespace {

std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "jinguo-store-XXXXXX").string();
  return mkdtemp(tmpl.data());
}

TEST(Keys, BigEndianIntegersSortNumerically) {
  EXPECT_LT(KeyBuilder().U64(255).key(), KeyBuilder().U64(256).key());
  EXPECT_LT(KeyBuilder().Str("a").U64(9).key(), KeyBuilder().Str("a").U64(10).key());
  // A shorter string part sorts before a longer one with the same start, and is not a byte prefix of it.
  EXPECT_LT(KeyBuilder().Str("ab").key(), KeyBuilder().Str("abc").key());
  std::string key = KeyBuilder().Str("topic").U32(7).U64(42).key();
  KeyReader r(key);
  std::string s;
  uint32_t p;
  uint64_t o;
  ASSERT_TRUE(r.Str(&s) && r.U32(&p) && r.U64(&o));
  EXPECT_EQ(s, "topic");
  EXPECT_EQ(p, 7u);
  EXPECT_EQ(o, 42u);
  EXPECT_TRUE(r.done());
  EXPECT_FALSE(r.U64(&o));
}

TEST(Store, WritesSurviveReopenAndFamiliesAreSeparate) {
  std::string dir = TempDir();
  {
    auto store = Store::Open({dir, {"a", "b"}, 8 << 20});
    ASSERT_TRUE(store.ok()) << store.status();
    rocksdb::WriteBatch batch;
    batch.Put((*store)->Family("a"), "k", "in-a");
    batch.Put((*store)->Family("b"), "k", "in-b");
    ASSERT_TRUE((*store)->Write(&batch).ok());
  }
  auto store = Store::Open({dir, {"a", "b"}, 8 << 20});
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(**(*store)->Get((*store)->Family("a"), "k"), "in-a");
  EXPECT_EQ(**(*store)->Get((*store)->Family("b"), "k"), "in-b");
  EXPECT_FALSE((*store)->Get((*store)->Family("a"), "missing")->has_value());
  std::filesystem::remove_all(dir);
}

TEST(Store, ScanStaysWithinThePrefix) {
  std::string dir = TempDir();
  auto store = Store::Open({dir, {"x"}, 8 << 20});
  ASSERT_TRUE(store.ok());
  auto* cf = (*store)->Family("x");
  rocksdb::WriteBatch batch;
  for (const char* k : {"1301", "1302a", "1302b", "1303"}) batch.Put(cf, k, "v");
  ASSERT_TRUE((*store)->Write(&batch).ok());
  std::vector<std::string> seen;
  auto it = (*store)->Scan(cf, "1302");
  for (it->Seek("1302"); it->Valid(); it->Next()) seen.push_back(it->key().ToString());
  EXPECT_EQ(seen, (std::vector<std::string>{"1302a", "1302b"}));
  std::filesystem::remove_all(dir);
}

TEST(Store, GetThroughSeesUncommittedBatchWrites) {
  std::string dir = TempDir();
  auto store = Store::Open({dir, {"x"}, 8 << 20});
  ASSERT_TRUE(store.ok());
  auto* cf = (*store)->Family("x");
  rocksdb::WriteBatchWithIndex batch;
  batch.Put(cf, "k", "pending");
  EXPECT_EQ(**(*store)->GetThrough(&batch, cf, "k"), "pending");
  EXPECT_FALSE((*store)->Get(cf, "k")->has_value());
  std::filesystem::remove_all(dir);
}

TEST(Store, OpenFailureNamesThePath) {
  auto store = Store::Open({"/proc/definitely/not/writable", {}, 8 << 20});
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("/proc/definitely/not/writable"), std::string::npos);
}

}  // namespace
}  // namespace jinguo::store
