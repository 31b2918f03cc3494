#include "common/crypto/key_check.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace jinguo::crypto {
namespace {

FieldCipher Cipher(std::vector<DataKey> data, char index = 'i') {
  auto c = FieldCipher::FromKeys(std::move(data), std::string(FieldCipher::kKeyBytes, index));
  EXPECT_TRUE(c.ok()) << c.status();
  return *std::move(c);
}
const DataKey kA{"kA", std::string(FieldCipher::kKeyBytes, 'a')};
const DataKey kB{"kB", std::string(FieldCipher::kKeyBytes, 'b')};

class KeyCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/jinguo-key-check-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
    auto db = store::Store::Open({dir_, {kDataKeysFamily}, 8 << 20});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string dir_;
  std::unique_ptr<store::Store> db_;
};

TEST_F(KeyCheckTest, TheSameKeysPassAgainAndANewestKeyIsAdded) {
  ASSERT_TRUE(CheckKeys(db_.get(), Cipher({kA}), "keys").ok());
  EXPECT_TRUE(CheckKeys(db_.get(), Cipher({kA}), "keys").ok());
  EXPECT_TRUE(CheckKeys(db_.get(), Cipher({kA, kB}), "keys").ok());
  // B may have sealed records now: a file without it is refused, as is one without A.
  absl::Status without_b = CheckKeys(db_.get(), Cipher({kA}), "keys");
  EXPECT_EQ(without_b.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(without_b.message().find("data key kB, which keys does not hold"), std::string::npos) << without_b;
  absl::Status without_a = CheckKeys(db_.get(), Cipher({kB}), "keys");
  EXPECT_NE(without_a.message().find("data key kA"), std::string::npos) << without_a;
  // Once rekeyed, A may go.
  ASSERT_TRUE(ForgetOlderKeys(db_.get(), Cipher({kA, kB})).ok());
  EXPECT_TRUE(CheckKeys(db_.get(), Cipher({kB}), "keys").ok());
}

TEST_F(KeyCheckTest, AnotherDeploymentsKeysAreRefusedNamingTheKey) {
  ASSERT_TRUE(CheckKeys(db_.get(), Cipher({kA}), "keys").ok());
  absl::Status index = CheckKeys(db_.get(), Cipher({kA}, 'j'), "/run/secrets/other");
  EXPECT_EQ(index.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(index.message().find("the index key in /run/secrets/other"), std::string::npos) << index;
  absl::Status data = CheckKeys(db_.get(), Cipher({{"kA", std::string(FieldCipher::kKeyBytes, 'z')}}), "other");
  EXPECT_EQ(data.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(data.message().find("data key kA in other is not the one"), std::string::npos) << data;
}

TEST(KeyFileLoad, AMissingFileIsNamedWithTheReason) {
  auto c = FieldCipher::LoadKeyFile("/nonexistent/jinguo.keys");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("/nonexistent/jinguo.keys cannot be read: No such file or directory"),
            std::string::npos)
      << c.status();
}

}  // namespace
}  // namespace jinguo::crypto
