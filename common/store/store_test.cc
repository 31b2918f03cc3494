#include "common/store/store.h"

#include <unistd.h>

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

// Unlogged writes: a crash loses every write since the last flush, in every family at once, so families written
// together never disagree. The crash is a child process that exits without closing the store, after the state
// family's memtable has filled and been flushed on its own account.
TEST(Store, UnloggedWritesAreLostTogetherInACrashAndKeptOnClose) {
  // The child is this binary started again, so the directory is named after the parent's pid, which both know.
  auto dir_of = [](pid_t test_process) {
    return (std::filesystem::temp_directory_path() / ("jinguo-store-unlogged-" + std::to_string(test_process)))
        .string();
  };
  std::string dir = dir_of(getpid());
  std::filesystem::remove_all(dir);
  StoreOptions options{dir, {"state", "offsets"}, 8 << 20};
  options.unlogged_writes = true;
  // "threadsafe": the child runs in a freshly started copy of this binary, so RocksDB's background threads
  // (which a plain fork would not carry over) are there for the flush.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        StoreOptions in_child = options;
        in_child.path = dir_of(getppid());
        auto store = Store::Open(in_child);
        if (!store.ok()) _exit(2);
        auto* state = (*store)->Family("state");
        const std::string blob(1 << 20, 'x');
        uint64_t flushed_bytes = 0;
        for (int i = 1; flushed_bytes == 0; ++i) {
          if (i > 200) _exit(3);
          rocksdb::WriteBatch batch;
          batch.Put(state, "blob", blob);  // fills the state family's memtable, not the offsets'
          batch.Put(state, "k", std::to_string(i));
          batch.Put((*store)->Family("offsets"), "p0", std::to_string(i));
          if (!(*store)->WriteUnlogged(&batch).ok()) _exit(4);
          if (!(*store)->db()->GetIntProperty(state, "rocksdb.live-sst-files-size", &flushed_bytes)) _exit(6);
        }
        rocksdb::WriteBatch last;
        last.Put(state, "k", "last");
        last.Put((*store)->Family("offsets"), "p0", "last");
        if (!(*store)->WriteUnlogged(&last).ok()) _exit(5);
        _exit(0);  // no close, no flush: as a crash
      },
      ::testing::ExitedWithCode(0), "");
  auto store = Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  auto value = [&](const char* family, const char* key) {
    return (*store)->Get((*store)->Family(family), key)->value_or("absent");
  };
  EXPECT_NE(value("state", "k"), "last");
  EXPECT_NE(value("state", "k"), "absent");
  EXPECT_EQ(value("offsets", "p0"), value("state", "k"));
  // Closing flushes: an unlogged write is kept across a clean restart.
  rocksdb::WriteBatch third;
  third.Put((*store)->Family("state"), "k", "closed");
  ASSERT_TRUE((*store)->WriteUnlogged(&third).ok());
  store->reset();
  store = Store::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ(value("state", "k"), "closed");
  store->reset();
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

TEST(Store, ScanAfterNeverLeavesThePrefixWhateverItResumesAfter) {
  std::string dir = TempDir();
  auto store = Store::Open({dir, {"x"}, 8 << 20});
  ASSERT_TRUE(store.ok());
  auto* cf = (*store)->Family("x");
  rocksdb::WriteBatch batch;
  for (const char* k : {"11", "1301", "1302a", "1302b", "1302c", "1303", "99"}) batch.Put(cf, k, "v");
  ASSERT_TRUE((*store)->Write(&batch).ok());
  auto scan = [&](const std::string& after) {
    std::vector<std::string> seen;
    for (auto it = (*store)->ScanAfter(cf, "1302", after); it->Valid(); it->Next())
      seen.push_back(it->key().ToString());
    return seen;
  };
  using Keys = std::vector<std::string>;
  EXPECT_EQ(scan(""), (Keys{"1302a", "1302b", "1302c"}));
  EXPECT_EQ(scan("1302a"), (Keys{"1302b", "1302c"}));
  EXPECT_EQ(scan("1302aa"), (Keys{"1302b", "1302c"}));
  // Resume keys before or after the prefix (a forged cursor) stay inside it or yield nothing.
  EXPECT_EQ(scan("0"), (Keys{"1302a", "1302b", "1302c"}));
  EXPECT_EQ(scan("11"), (Keys{"1302a", "1302b", "1302c"}));
  EXPECT_EQ(scan("1303"), Keys{});
  EXPECT_EQ(scan("\xff\xff"), Keys{});
  std::filesystem::remove_all(dir);
}

// A family scanned by first part answers whole-part scans from its prefix filters and every other scan in key
// order, from the memtable and from flushed files alike.
TEST(Store, FamilyScannedByFirstPartKeepsEveryScanExact) {
  std::string dir = TempDir();
  auto store = Store::Open({dir, {"members"}, 8 << 20, {"members"}});
  ASSERT_TRUE(store.ok());
  auto* cf = (*store)->Family("members");
  auto scan = [&](const std::string& prefix) {
    std::vector<std::string> seen;
    auto it = (*store)->Scan(cf, prefix);
    for (it->Seek(prefix); it->Valid(); it->Next()) seen.push_back(it->key().ToString());
    return seen;
  };
  rocksdb::WriteBatch flushed;
  for (const char* h : {"h1", "h10", "h2"}) {
    for (const char* m : {"a", "b"}) flushed.Put(cf, KeyBuilder().Str(h).Str(m).key(), "");
  }
  ASSERT_TRUE((*store)->Write(&flushed).ok());
  ASSERT_TRUE((*store)->db()->Flush(rocksdb::FlushOptions(), cf).ok());
  rocksdb::WriteBatch recent;
  recent.Put(cf, KeyBuilder().Str("h1").Str("c").key(), "");
  recent.Put(cf, KeyBuilder().Str("h3").Str("a").key(), "");
  ASSERT_TRUE((*store)->Write(&recent).ok());

  std::string h1 = KeyBuilder().Str("h1").key();
  EXPECT_EQ(scan(h1), (std::vector<std::string>{h1 + "a" + '\0', h1 + "b" + '\0', h1 + "c" + '\0'}));
  EXPECT_TRUE(scan(KeyBuilder().Str("h4").key()).empty());
  EXPECT_EQ(scan("h1").size(), 5u);  // a partial first part: h1 and h10
  EXPECT_EQ(scan("").size(), 8u);
  std::filesystem::remove_all(dir);
}

TEST(Store, RecreateEmptiesOnlyTheNamedFamiliesAndKeepsTheirOptions) {
  std::string dir = TempDir();
  {
    auto store = Store::Open({dir, {"derived", "meta", "members"}, 8 << 20, {"members"}});
    ASSERT_TRUE(store.ok());
    rocksdb::WriteBatch batch;
    batch.Put((*store)->Family("derived"), "old", "1");
    batch.Put((*store)->Family("meta"), "group", "g1");
    batch.Put((*store)->Family("members"), KeyBuilder().Str("h1").Str("a").key(), "");
    ASSERT_TRUE((*store)->Write(&batch).ok());
    ASSERT_TRUE((*store)->db()->Flush(rocksdb::FlushOptions(), (*store)->Family("derived")).ok());

    ASSERT_TRUE((*store)->Recreate({"derived", "members"}).ok());
    EXPECT_FALSE((*store)->Get((*store)->Family("derived"), "old")->has_value());
    EXPECT_EQ(**(*store)->Get((*store)->Family("meta"), "group"), "g1");
    auto* members = (*store)->Family("members");
    rocksdb::WriteBatch after;
    after.Put(members, KeyBuilder().Str("h2").Str("b").key(), "");
    after.Put((*store)->Family("derived"), "new", "2");
    ASSERT_TRUE((*store)->Write(&after).ok());
    // Still scanned by first part (the prefix extractor came back with the family).
    auto it = (*store)->Scan(members, KeyBuilder().Str("h2").key());
    it->Seek(KeyBuilder().Str("h2").key());
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key().ToString(), KeyBuilder().Str("h2").Str("b").key());
  }
  // The recreated families and what was written after survive a reopen.
  auto store = Store::Open({dir, {"derived", "meta", "members"}, 8 << 20, {"members"}});
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_FALSE((*store)->Get((*store)->Family("derived"), "old")->has_value());
  EXPECT_EQ(**(*store)->Get((*store)->Family("derived"), "new"), "2");
  EXPECT_EQ(**(*store)->Get((*store)->Family("meta"), "group"), "g1");
  std::filesystem::remove_all(dir);
}

TEST(Store, OpenFailureNamesThePath) {
  auto store = Store::Open({"/proc/definitely/not/writable", {}, 8 << 20});
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("/proc/definitely/not/writable"), std::string::npos);
}

}  // namespace
}  // namespace jinguo::store
