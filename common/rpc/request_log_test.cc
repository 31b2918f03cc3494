// The request log with a cipher: nothing of a request or its answer can be read from the disk, and a retry is
// still answered from it.
#include "common/rpc/request_log.h"

#include <stdlib.h>

#include <filesystem>

#include "absl/strings/escaping.h"
#include "common/rpc/auth.h"
#include "common/store/keys.h"
#include "gtest/gtest.h"
#include "jinguo/common/v1/types.pb.h"

namespace jinguo::rpc {
namespace {

constexpr char kPhone[] = "13812345678";

crypto::FieldCipher Cipher(std::vector<crypto::DataKey> data) {
  auto c = crypto::FieldCipher::FromKeys(std::move(data), std::string(crypto::FieldCipher::kKeyBytes, 'i'));
  EXPECT_TRUE(c.ok()) << c.status();
  return *std::move(c);
}
const crypto::DataKey kA{"kA", std::string(crypto::FieldCipher::kKeyBytes, 'a')};
const crypto::DataKey kB{"kB", std::string(crypto::FieldCipher::kKeyBytes, 'b')};

class SealedRequestLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/jinguo-request-log-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
    auto db = store::Store::Open({dir_, {kRequestsFamily}, 8 << 20});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    request_.set_value(kPhone);  // a request holding a phone number
    response_.set_value(kPhone);
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Record(const RequestLog& log, const std::string& id) {
    rocksdb::WriteBatch batch;
    log.Record(&batch, "Register", id, request_, response_);
    ASSERT_TRUE(db_->Write(&batch).ok());
  }
  std::string Stored() {
    std::string all;
    auto it = db_->Scan(db_->Family(kRequestsFamily), "");
    for (it->Seek(""); it->Valid(); it->Next()) all += it->key().ToString() + it->value().ToString();
    return all;
  }

  std::string dir_;
  std::unique_ptr<store::Store> db_;
  common::v1::RequestId request_;
  common::v1::RequestId response_;
};

TEST_F(SealedRequestLogTest, NeitherTheRequestNorTheAnswerCanBeReadFromTheDisk) {
  crypto::FieldCipher cipher = Cipher({kA});
  RequestLog log(db_.get(), &cipher);
  Record(log, "req-1");
  std::string stored = Stored();
  EXPECT_EQ(stored.find(kPhone), std::string::npos) << "the answer is stored in clear";
  // The fingerprint is keyed: the unkeyed hash of the request (which anyone could compute for every phone
  // number) is not there.
  EXPECT_EQ(stored.find(HashToken(request_.SerializeAsString())), std::string::npos);
  common::v1::RequestId replay;
  auto found = log.Find("Register", "req-1", request_, &replay);
  ASSERT_TRUE(found.ok() && *found) << found.status();
  EXPECT_EQ(replay.value(), kPhone);
  common::v1::RequestId other;
  other.set_value("13812345679");
  EXPECT_EQ(log.Find("Register", "req-1", other, &replay).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(SealedRequestLogTest, AnAnswerThatDoesNotDecryptIsDataLossNamingTheRequest) {
  crypto::FieldCipher a = Cipher({kA});
  Record(RequestLog(db_.get(), &a), "req-1");
  // Under a key the file does not hold (the same index key, so the fingerprint matches).
  crypto::FieldCipher b = Cipher({kB});
  common::v1::RequestId replay;
  auto found = RequestLog(db_.get(), &b).Find("Register", "req-1", request_, &replay);
  ASSERT_EQ(found.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(found.status().message().find("Register request req-1"), std::string::npos) << found.status();
  EXPECT_NE(found.status().message().find("kA"), std::string::npos) << found.status();
  // Corrupted.
  std::string key = store::KeyBuilder().Str("Register").Str("req-1").key();
  auto value = db_->Get(db_->Family(kRequestsFamily), key);
  ASSERT_TRUE(value.ok() && value->has_value());
  std::string bytes = **value;
  bytes.back() ^= 0x01;
  rocksdb::WriteBatch batch;
  batch.Put(db_->Family(kRequestsFamily), key, bytes);
  ASSERT_TRUE(db_->Write(&batch).ok());
  found = RequestLog(db_.get(), &a).Find("Register", "req-1", request_, &replay);
  ASSERT_EQ(found.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(found.status().message().find("corrupted"), std::string::npos) << found.status();
  EXPECT_EQ(found.status().message().find(kPhone), std::string::npos);
}

TEST_F(SealedRequestLogTest, RekeyResealsUnderTheNewestKeyAndDropsAnswersStoredInClear) {
  crypto::FieldCipher a = Cipher({kA});
  Record(RequestLog(db_.get(), &a), "req-1");
  Record(RequestLog(db_.get()), "req-clear");  // as a service without a key file recorded it
  crypto::FieldCipher both = Cipher({kA, kB});
  auto counts = RequestLog::Rekey(db_.get(), both, nullptr);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->examined, 2);
  EXPECT_EQ(counts->resealed, 1);
  EXPECT_EQ(counts->dropped, 1);
  EXPECT_EQ(Stored().find(kPhone), std::string::npos);
  auto again = RequestLog::Rekey(db_.get(), both, nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->resealed + again->dropped, 0);
  crypto::FieldCipher b = Cipher({kB});
  common::v1::RequestId replay;
  auto found = RequestLog(db_.get(), &b).Find("Register", "req-1", request_, &replay);
  ASSERT_TRUE(found.ok() && *found) << found.status();
  EXPECT_EQ(replay.value(), kPhone);
}

}  // namespace
}  // namespace jinguo::rpc
