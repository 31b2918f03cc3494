#include "common/rpc/paging.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "common/store/keys.h"
#include "common/store/store.h"
#include "gtest/gtest.h"

namespace jinguo::rpc {
namespace {

PageQuery Tangshan() { return {"ListBeneficiaries", "1302", "1302", {"category=0", "status=0"}}; }

std::string ViolatedField(const absl::Status& s) {
  auto br = validate::BadRequestOf(s);
  return br.field_violations_size() == 1 ? br.field_violations(0).field() : "";
}

TEST(PageTokens, ResumeReturnsTheKeyTheTokenWasIssuedWith) {
  PageTokens tokens("registration", PageTokens::RandomKey());
  std::string key("130203\0abc\0", 11);
  auto resumed = tokens.Resume(Tangshan(), tokens.Issue(Tangshan(), key), "page.page_token");
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(*resumed, key);
  EXPECT_EQ(*tokens.Resume(Tangshan(), "", "page.page_token"), "");
}

TEST(PageTokens, TheTokenDoesNotShowTheKeyInClear) {
  PageTokens tokens("registration", PageTokens::RandomKey());
  std::string token = tokens.Issue(Tangshan(), "130203");
  EXPECT_EQ(token.find(absl::BytesToHexString("130203")), std::string::npos);
  EXPECT_EQ(token.find("130203"), std::string::npos);
}

TEST(PageTokens, ATokenIssuedForAnotherQueryIsRefused) {
  PageTokens tokens("registration", PageTokens::RandomKey());
  std::string token = tokens.Issue(Tangshan(), "130203");
  PageQuery other_prefix = Tangshan();
  other_prefix.prefix = "130207";
  PageQuery other_filter = Tangshan();
  other_filter.filters[0] = "category=1";
  PageQuery other_caller = Tangshan();
  other_caller.caller_scope = "";
  PageQuery other_method = Tangshan();
  other_method.method = "ListDuplicateCandidates";
  for (const PageQuery& q : {other_prefix, other_filter, other_caller, other_method}) {
    auto s = tokens.Resume(q, token, "page.page_token").status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << q.prefix;
    EXPECT_EQ(ViolatedField(s), "page.page_token");
    EXPECT_NE(s.message().find("another listing"), absl::string_view::npos) << s.message();
  }
}

TEST(PageTokens, MadeUpEditedOrForeignTokensAreRefused) {
  PageTokens tokens("registration", PageTokens::RandomKey());
  PageTokens other_service("reporting", PageTokens::RandomKey());
  PageTokens other_key("registration", PageTokens::RandomKey());
  std::string good = tokens.Issue(Tangshan(), "130203");
  std::string edited = good;
  edited[10] = edited[10] == 'A' ? 'B' : 'A';
  std::string deadbeef;
  for (int i = 0; i < 16; ++i) deadbeef += "deadbeef";
  std::vector<std::string> bad = {"3131",
                                  "30",
                                  deadbeef,
                                  std::string(200000, 'a') + "b",
                                  edited,
                                  good.substr(0, good.size() - 1),
                                  good + "A",
                                  "!!!!",
                                  other_service.Issue(Tangshan(), "130203"),
                                  other_key.Issue(Tangshan(), "130203")};
  for (const std::string& token : bad) {
    auto s = tokens.Resume(Tangshan(), token, "page.page_token").status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << token.substr(0, 40);
    EXPECT_EQ(ViolatedField(s), "page.page_token") << token.substr(0, 40);
  }
}

TEST(PageTokens, KeyFilesHoldSixtyFourHexCharacters) {
  std::string dir = std::filesystem::temp_directory_path() / "jinguo-paging-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/good") << std::string(64, 'a') << "\n";
  std::ofstream(dir + "/short") << "abcd\n";
  std::ofstream(dir + "/nothex") << std::string(64, 'z') << "\n";
  auto good = PageTokens::LoadKey(dir + "/good");
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->size(), PageTokens::kKeyBytes);
  for (const char* name : {"/short", "/nothex", "/missing"}) {
    auto s = PageTokens::LoadKey(dir + name).status();
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(dir + name), absl::string_view::npos) << s.message();
  }
  std::filesystem::remove_all(dir);
}

TEST(PageSize, ZeroIsTheDefaultLargeIsCappedNegativeIsRefused) {
  validate::FieldViolations v;
  EXPECT_EQ(PageSize(0, {50, 500}, "page.page_size", v), 50);
  EXPECT_EQ(PageSize(7, {50, 500}, "page.page_size", v), 7);
  EXPECT_EQ(PageSize(100000, {50, 500}, "page.page_size", v), 500);
  EXPECT_TRUE(v.empty());
  PageSize(-1, {50, 500}, "page.page_size", v);
  ASSERT_FALSE(v.empty());
  EXPECT_EQ(v.violations().field_violations(0).field(), "page.page_size");
}

// A listing over a region index: pages of the size asked, a token that resumes after the last key, rows `take`
// turns down not counted, and never a key outside the caller's scope.
TEST(ListPage, PagesThroughTheScopeResumingWhereTheLastPageEnded) {
  const char* src = std::getenv("JINGUO_SOURCE_DIR");
  auto regions = regions::RegionTable::LoadFromDirectory(std::string(src ? src : ".") + "/data/regions");
  ASSERT_TRUE(regions.ok()) << regions.status();
  std::string dir = std::filesystem::temp_directory_path() / ("paging-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto db = store::Store::Open({dir, {"index"}});
  ASSERT_TRUE(db.ok()) << db.status();
  rocksdb::WriteBatch batch;
  for (int i = 0; i < 7; ++i)
    batch.Put((*db)->Family("index"), store::PairKey("130207104201", "a" + std::to_string(i)), "");
  for (int i = 0; i < 2; ++i)
    batch.Put((*db)->Family("index"), store::PairKey("130208100201", "b" + std::to_string(i)), "");
  ASSERT_TRUE((*db)->Write(&batch).ok());

  PageTokens tokens("test", PageTokens::RandomKey());
  Principal clerk{"clerk", Role::kOperator, "130207"};
  auto page = [&](const std::string& token, std::vector<std::string>* ids, std::string* next) {
    common::v1::PageRequest request;
    request.set_page_size(3);
    request.set_page_token(token);
    return ListPage(
        tokens, **regions, clerk, {"ListThings", "", {}, request, {50, 500}},
        [&](const std::string& scope, const std::string& after) {
          return (*db)->ScanAfter((*db)->Family("index"), scope, after);
        },
        [&](const std::string& key) -> absl::StatusOr<bool> {
          std::string id = store::SecondPart(key);
          if (id == "a4") return false;  // turned down: not counted
          ids->push_back(id);
          return true;
        },
        next);
  };
  std::vector<std::string> ids;
  std::string next;
  ASSERT_TRUE(page("", &ids, &next).ok());
  EXPECT_EQ(ids, (std::vector<std::string>{"a0", "a1", "a2"}));
  ASSERT_FALSE(next.empty());
  std::string second;
  ASSERT_TRUE(page(next, &ids, &second).ok());
  EXPECT_EQ(ids, (std::vector<std::string>{"a0", "a1", "a2", "a3", "a5", "a6"})) << "a4 turned down";
  EXPECT_TRUE(second.empty()) << "nothing after a6 in 130207: 130208's keys are outside the clerk's scope";
  std::string ignored;
  EXPECT_EQ(ViolatedField(page("made-up", &ids, &ignored)), "page.page_token");
  db->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace jinguo::rpc
