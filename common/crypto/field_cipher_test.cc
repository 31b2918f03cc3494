#include "common/crypto/field_cipher.h"

#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace jinguo::crypto {
namespace {

constexpr char kIdNumber[] = "13020719800501002X";

std::string Key(char fill) { return std::string(FieldCipher::kKeyBytes, fill); }

FieldCipher Cipher(std::vector<DataKey> data) {
  auto c = FieldCipher::FromKeys(std::move(data), Key('i'));
  EXPECT_TRUE(c.ok()) << c.status();
  return *std::move(c);
}

TEST(FieldCipher, RoundTripsWithAFreshNonceAndNoPlaintextInside) {
  FieldCipher c = Cipher({{"k1", Key('a')}});
  std::string one = c.Encrypt(kIdNumber, "beneficiary/b-1/id_number");
  std::string two = c.Encrypt(kIdNumber, "beneficiary/b-1/id_number");
  EXPECT_NE(one, two);  // a random nonce each time
  EXPECT_EQ(one.find(kIdNumber), std::string::npos);
  EXPECT_EQ(one.find("0501002X"), std::string::npos);
  EXPECT_EQ(FieldCipher::KeyIdOf(one), "k1");
  auto plain = c.Decrypt(one, "beneficiary/b-1/id_number", "beneficiary b-1 id_number");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(*plain, kIdNumber);
  EXPECT_EQ(*c.Decrypt(c.Encrypt("", "x"), "x", "empty"), "");
}

// A ciphertext moved to another record, one flipped bit, a cut tail: a clear error naming the record, never a
// wrong plaintext.
TEST(FieldCipher, TamperedOrMovedCiphertextsAreRefusedNamingTheRecord) {
  FieldCipher c = Cipher({{"k1", Key('a')}});
  std::string sealed = c.Encrypt(kIdNumber, "beneficiary/b-1/id_number");
  auto moved = c.Decrypt(sealed, "beneficiary/b-2/id_number", "beneficiary b-2 id_number");
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(moved.status().message().find("beneficiary b-2 id_number"), absl::string_view::npos);
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string flipped = sealed;
    flipped[i] ^= 0x01;
    auto s = c.Decrypt(flipped, "beneficiary/b-1/id_number", "b-1");
    EXPECT_FALSE(s.ok()) << "byte " << i;
  }
  EXPECT_FALSE(c.Decrypt(sealed.substr(0, sealed.size() - 1), "beneficiary/b-1/id_number", "b-1").ok());
  EXPECT_FALSE(c.Decrypt("", "beneficiary/b-1/id_number", "b-1").ok());
  EXPECT_FALSE(c.Decrypt(kIdNumber, "beneficiary/b-1/id_number", "b-1").ok());
}

TEST(FieldCipher, RotationEncryptsWithTheNewestKeyAndStillDecryptsTheOld) {
  FieldCipher before = Cipher({{"k1", Key('a')}});
  std::string old = before.Encrypt(kIdNumber, "ctx");
  FieldCipher after = Cipher({{"k1", Key('a')}, {"k2", Key('b')}});
  EXPECT_EQ(after.active_key_id(), "k2");
  EXPECT_EQ(FieldCipher::KeyIdOf(after.Encrypt(kIdNumber, "ctx")), "k2");
  EXPECT_EQ(*after.Decrypt(old, "ctx", "old"), kIdNumber);
  // A file that dropped k1 cannot read what k1 sealed, and says which key it lacks.
  FieldCipher dropped = Cipher({{"k2", Key('b')}});
  auto lost = dropped.Decrypt(old, "ctx", "beneficiary b-1 id_number");
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(lost.status().message().find("key k1"), absl::string_view::npos) << lost.status();
}

TEST(FieldCipher, BlindIndexIsStablePerPurposeAndKey) {
  FieldCipher c = Cipher({{"k1", Key('a')}});
  FieldCipher rotated = Cipher({{"k1", Key('a')}, {"k2", Key('b')}});
  EXPECT_EQ(c.BlindIndex("id_number", kIdNumber).size(), FieldCipher::kIndexBytes);
  EXPECT_EQ(c.BlindIndex("id_number", kIdNumber), rotated.BlindIndex("id_number", kIdNumber));  // data keys aside
  EXPECT_NE(c.BlindIndex("id_number", kIdNumber), c.BlindIndex("mobile", kIdNumber));
  EXPECT_NE(c.BlindIndex("id_number", kIdNumber), c.BlindIndex("id_number", "130207198005010029"));
  auto other = FieldCipher::FromKeys({{"k1", Key('a')}}, Key('j'));
  EXPECT_NE(c.BlindIndex("id_number", kIdNumber), other->BlindIndex("id_number", kIdNumber));
}

class KeyFileTest : public ::testing::Test {
 protected:
  absl::Status Load(const std::string& text) {
    std::ofstream(path_) << text;
    return FieldCipher::LoadKeyFile(path_).status();
  }
  std::string path_ = ::testing::TempDir() + "/keys";
};

TEST_F(KeyFileTest, AGoodFileLoadsAndANewOneIsGood) {
  EXPECT_TRUE(Load(FieldCipher::NewKeyFile("k2026")).ok());
  auto c = FieldCipher::LoadKeyFile(path_);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->active_key_id(), "k2026");
  std::string hex(64, 'a');
  ASSERT_TRUE(Load(absl::StrCat("# comment\n\nk1 data ", hex, "\n  k2\tdata ", std::string(64, 'b'), "\nidx index ",
                                std::string(64, 'c'), "\n"))
                  .ok());
  EXPECT_EQ(FieldCipher::LoadKeyFile(path_)->active_key_id(), "k2");
}

TEST_F(KeyFileTest, BadFilesAreRefusedSayingWhereAndWhy) {
  std::string hex(64, 'a'), idx = absl::StrCat("idx index ", std::string(64, 'c'), "\n");
  struct Case {
    std::string text, expect;
  } cases[] = {
      {absl::StrCat("k1 data ", std::string(62, 'a'), "\n", idx), "line 1: a key is 64 hex characters"},
      {absl::StrCat("k1 data ", std::string(64, 'g'), "\n", idx), "is not hex"},
      {absl::StrCat("k1 secret ", hex, "\n", idx), "line 1: unknown use \"secret\""},
      {absl::StrCat("k1 data ", hex, "\nk1 data ", hex, "\n", idx), "line 2: key id k1 appears twice"},
      {absl::StrCat("k1 data\n", idx), "line 1: expected"},
      {idx, "holds no data key"},
      {absl::StrCat("k1 data ", hex, "\n"), "exactly one index key; it holds 0"},
      {"", "holds no data key"},
  };
  for (const auto& c : cases) {
    absl::Status s = Load(c.text);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(s.message().find(c.expect), absl::string_view::npos) << s << "\n  expected: " << c.expect;
    EXPECT_EQ(s.message().find(hex), absl::string_view::npos) << "a key in an error message";
  }
  EXPECT_EQ(FieldCipher::LoadKeyFile(path_ + ".missing").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace jinguo::crypto
