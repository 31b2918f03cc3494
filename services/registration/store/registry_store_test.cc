// The registry store's identifiers at rest: sealed in every value, blind-indexed in every key, opened exactly on
// read; corrupted or foreign ciphertexts are DATA_LOSS naming the record; rotation and Rekey.
#include "services/registration/store/registry_store.h"

#include <stdlib.h>

#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/base/civil_date.h"
#include "common/rpc/request_log.h"
#include "common/validate/id_number.h"
#include "gtest/gtest.h"
#include "jinguo/registration/v1/registration.pb.h"

namespace jinguo::registration::store {
namespace {

crypto::FieldCipher Cipher(std::vector<crypto::DataKey> data) {
  auto c = crypto::FieldCipher::FromKeys(std::move(data), std::string(crypto::FieldCipher::kKeyBytes, 'i'));
  EXPECT_TRUE(c.ok()) << c.status();
  return *std::move(c);
}
const crypto::DataKey kKeyA{"kA", std::string(crypto::FieldCipher::kKeyBytes, 'a')};
const crypto::DataKey kKeyB{"kB", std::string(crypto::FieldCipher::kKeyBytes, 'b')};

v1::Beneficiary Woman(int serial) {
  v1::Beneficiary b;
  b.set_id(absl::StrCat("0190a6f0-0000-7000-8000-", 100000000000 + serial));
  // Address codes vary with the serial, so that thousands share one birth date without colliding.
  b.set_id_number(
      validate::ComposeIdNumber(absl::StrCat(130200 + serial / 400), absl::CivilDay(1980, 5, 1), (serial % 400) * 2));
  b.set_name("李秀英");
  b.set_sex(v1::SEX_FEMALE);
  *b.mutable_birth_date() = ToProto(absl::CivilDay(1980, 5, 1));
  b.set_region_code("130207104201");
  b.set_household_id("h1");
  b.set_mobile(absl::StrCat("138", 10000000 + serial));
  b.set_version(1);
  return b;
}

v1::Cadre Cadre(int serial) {
  v1::Cadre c;
  c.set_id(absl::StrCat("cadre-", serial));
  c.set_name("王强");
  c.set_mobile(absl::StrCat("139", 20000000 + serial));
  c.set_region_code("1302");
  c.set_version(1);
  return c;
}

class RegistryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/jinguo-registry-store-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
    Open();
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    db_.reset();
    std::vector<std::string> families = RegistryStore::Families();
    families.push_back(rpc::kRequestsFamily);
    auto db = jinguo::store::Store::Open({dir_ + "/db", families, 8 << 20, RegistryStore::ScannedByFirstPart()});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }
  void Put(const RegistryStore& registry, const v1::Beneficiary& b) {
    rocksdb::WriteBatch batch;
    registry.PutBeneficiary(&batch, b, nullptr);
    ASSERT_TRUE(db_->Write(&batch).ok());
  }
  void PutCadre(const RegistryStore& registry, const v1::Cadre& c) {
    rocksdb::WriteBatch batch;
    registry.PutCadre(&batch, c);
    ASSERT_TRUE(db_->Write(&batch).ok());
  }
  std::string Raw(const char* family, const std::string& key) {
    auto v = db_->Get(db_->Family(family), key);
    EXPECT_TRUE(v.ok() && v->has_value()) << family << " " << key;
    return v.ok() && v->has_value() ? **v : "";
  }
  void SetRaw(const char* family, const std::string& key, const std::string& value) {
    rocksdb::WriteBatch batch;
    batch.Put(db_->Family(family), key, value);
    ASSERT_TRUE(db_->Write(&batch).ok());
  }
  // Every key and value of every family, concatenated: what must not hold an identifier in clear.
  std::string Everything() {
    std::string all;
    std::vector<std::string> families = RegistryStore::Families();
    families.push_back(rpc::kRequestsFamily);
    for (const std::string& f : families) {
      auto it = db_->Scan(db_->Family(f), "");
      for (it->Seek(""); it->Valid(); it->Next()) absl::StrAppend(&all, it->key().ToString(), it->value().ToString());
    }
    return all;
  }

  std::string dir_;
  std::unique_ptr<jinguo::store::Store> db_;
};

TEST_F(RegistryStoreTest, IdentifiersAreSealedAndReadBackExactly) {
  crypto::FieldCipher cipher = Cipher({kKeyA});
  RegistryStore registry(db_.get(), &cipher);
  v1::Beneficiary b = Woman(1);
  Put(registry, b);
  v1::Cadre c = Cadre(1);
  PutCadre(registry, c);

  std::string all = Everything();
  ASSERT_NE(all.find(b.id()), std::string::npos) << "the scan sees the records";
  EXPECT_EQ(all.find(b.id_number()), std::string::npos) << "an ID number is stored in clear";
  EXPECT_EQ(all.find(b.mobile()), std::string::npos) << "a mobile is stored in clear";
  EXPECT_EQ(all.find(c.mobile()), std::string::npos) << "a cadre's mobile is stored in clear";
  EXPECT_EQ(all.find(b.id_number().substr(6, 8) + b.id_number().substr(14)), std::string::npos);

  auto got = registry.GetBeneficiary(b.id());
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
  EXPECT_EQ((*got)->SerializeAsString(), b.SerializeAsString());
  auto cadre = registry.GetCadre(c.id());
  ASSERT_TRUE(cadre.ok() && cadre->has_value()) << cadre.status();
  EXPECT_EQ((*cadre)->SerializeAsString(), c.SerializeAsString());
  auto by_number = registry.BeneficiaryIdForNumber(b.id_number());
  ASSERT_TRUE(by_number.ok() && by_number->has_value());
  EXPECT_EQ(**by_number, b.id());
  auto other = registry.BeneficiaryIdForNumber(Woman(2).id_number());
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());

  // Two seals of one value differ (a random nonce each), so equal ID numbers cannot be told apart on disk.
  EXPECT_NE(registry.SealBeneficiary(b), registry.SealBeneficiary(b));
}

TEST_F(RegistryStoreTest, AMergedIdNumberResolvesToTheSurvivorByItsBlindIndex) {
  crypto::FieldCipher cipher = Cipher({kKeyA});
  RegistryStore registry(db_.get(), &cipher);
  v1::Beneficiary survivor = Woman(1), merged = Woman(2);
  Put(registry, survivor);
  Put(registry, merged);
  rocksdb::WriteBatch batch;
  registry.RetireMerged(&batch, merged, survivor.id());
  ASSERT_TRUE(db_->Write(&batch).ok());
  auto id = registry.BeneficiaryIdForNumber(merged.id_number());
  ASSERT_TRUE(id.ok() && id->has_value());
  EXPECT_EQ(**id, survivor.id());
  EXPECT_EQ(Everything().find(merged.id_number()), std::string::npos);
}

TEST_F(RegistryStoreTest, ACorruptedCiphertextIsDataLossNamingTheRecordNotTheValue) {
  crypto::FieldCipher cipher = Cipher({kKeyA});
  RegistryStore registry(db_.get(), &cipher);
  v1::Beneficiary b = Woman(1);
  Put(registry, b);
  v1::StoredBeneficiary stored;
  ASSERT_TRUE(stored.ParseFromString(Raw("beneficiaries", b.id())));
  std::string sealed = stored.id_number_sealed();
  sealed[sealed.size() - 20] ^= 0x01;
  stored.set_id_number_sealed(sealed);
  SetRaw("beneficiaries", b.id(), stored.SerializeAsString());

  auto got = registry.GetBeneficiary(b.id());
  ASSERT_EQ(got.status().code(), absl::StatusCode::kDataLoss) << got.status();
  std::string message(got.status().message());
  EXPECT_NE(message.find(b.id()), std::string::npos) << message;
  EXPECT_NE(message.find("id_number"), std::string::npos) << message;
  EXPECT_NE(message.find("corrupted"), std::string::npos) << message;
  EXPECT_EQ(message.find(b.id_number()), std::string::npos) << message;
  // A listing that meets it fails the same way rather than answering without her.
  std::string next;
  auto page = registry.ListByRegion(
      "1302", "", 10, [](const v1::Beneficiary&) { return true; }, &next);
  EXPECT_EQ(page.status().code(), absl::StatusCode::kDataLoss);

  // A cut-short ciphertext too.
  stored.set_id_number_sealed(sealed.substr(0, 5));
  SetRaw("beneficiaries", b.id(), stored.SerializeAsString());
  EXPECT_EQ(registry.GetBeneficiary(b.id()).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(RegistryStoreTest, ACiphertextMovedToAnotherRecordDoesNotDecrypt) {
  crypto::FieldCipher cipher = Cipher({kKeyA});
  RegistryStore registry(db_.get(), &cipher);
  v1::Beneficiary first = Woman(1), second = Woman(2);
  Put(registry, first);
  Put(registry, second);
  v1::StoredBeneficiary a, b;
  ASSERT_TRUE(a.ParseFromString(Raw("beneficiaries", first.id())));
  ASSERT_TRUE(b.ParseFromString(Raw("beneficiaries", second.id())));
  b.set_mobile_sealed(a.mobile_sealed());
  SetRaw("beneficiaries", second.id(), b.SerializeAsString());
  auto got = registry.GetBeneficiary(second.id());
  ASSERT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(got.status().message().find(absl::StrCat("beneficiary ", second.id(), " mobile")), std::string::npos)
      << got.status();
}

TEST_F(RegistryStoreTest, AnUnknownKeyIdIsDataLossNamingTheRecordAndTheKey) {
  crypto::FieldCipher a = Cipher({kKeyA});
  Put(RegistryStore(db_.get(), &a), Woman(1));
  PutCadre(RegistryStore(db_.get(), &a), Cadre(1));
  crypto::FieldCipher b = Cipher({kKeyB});
  RegistryStore registry(db_.get(), &b);
  auto got = registry.GetBeneficiary(Woman(1).id());
  ASSERT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(got.status().message().find(Woman(1).id()), std::string::npos) << got.status();
  EXPECT_NE(got.status().message().find("kA"), std::string::npos) << got.status();
  auto cadre = registry.GetCadre(Cadre(1).id());
  ASSERT_EQ(cadre.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(cadre.status().message().find("cadre cadre-1 mobile"), std::string::npos) << cadre.status();
  // Rekey refuses too, naming the record, and leaves it as it was.
  auto rekeyed = registry.Rekey(nullptr);
  EXPECT_EQ(rekeyed.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(rekeyed.status().message().find(Woman(1).id()), std::string::npos) << rekeyed.status();
  EXPECT_TRUE(RegistryStore(db_.get(), &a).GetBeneficiary(Woman(1).id()).ok());
}

TEST_F(RegistryStoreTest, ARecordStoredInClearIsRefusedUntilRekeySealsIt) {
  crypto::FieldCipher cipher = Cipher({kKeyA});
  RegistryStore registry(db_.get(), &cipher);
  v1::Beneficiary b = Woman(1);
  v1::Cadre c = Cadre(1);
  // As the store was written before identifiers were sealed.
  SetRaw("beneficiaries", b.id(), b.SerializeAsString());
  SetRaw("id_numbers", b.id_number(), b.id());
  SetRaw("cadres", c.id(), c.SerializeAsString());
  auto got = registry.GetBeneficiary(b.id());
  ASSERT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(got.status().message().find("jinguoctl rekey"), std::string::npos) << got.status();

  auto counts = registry.Rekey(nullptr);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->resealed, 3);  // the beneficiary, the cadre and the index entry
  EXPECT_EQ(Everything().find(b.id_number()), std::string::npos);
  EXPECT_EQ(Everything().find(b.mobile()), std::string::npos);
  EXPECT_EQ(Everything().find(c.mobile()), std::string::npos);
  auto opened = registry.GetBeneficiary(b.id());
  ASSERT_TRUE(opened.ok() && opened->has_value()) << opened.status();
  EXPECT_EQ((*opened)->SerializeAsString(), b.SerializeAsString());
  auto by_number = registry.BeneficiaryIdForNumber(b.id_number());
  ASSERT_TRUE(by_number.ok() && by_number->has_value());
  EXPECT_EQ(**by_number, b.id());
  auto cadre = registry.GetCadre(c.id());
  ASSERT_TRUE(cadre.ok() && cadre->has_value()) << cadre.status();
  EXPECT_EQ((*cadre)->SerializeAsString(), c.SerializeAsString());
}

TEST_F(RegistryStoreTest, RotationThenRekeyLetsTheOldKeyGo) {
  constexpr int kWomen = 2500;  // more than one rekey batch
  {
    crypto::FieldCipher a = Cipher({kKeyA});
    RegistryStore registry(db_.get(), &a);
    rocksdb::WriteBatch batch;
    for (int i = 1; i <= kWomen; ++i) registry.PutBeneficiary(&batch, Woman(i), nullptr);
    registry.PutCadre(&batch, Cadre(1));
    rpc::RequestLog log(db_.get(), &a);
    v1::RegisterCadreRequest request;
    request.set_request_id("req-1");
    request.set_mobile(Cadre(1).mobile());
    v1::RegisterCadreResponse response;
    *response.mutable_cadre() = Cadre(1);
    log.Record(&batch, "RegisterCadre", "req-1", request, response);
    ASSERT_TRUE(db_->Write(&batch).ok());
  }
  // Key B added: new writes use it, A still opens the old ones.
  crypto::FieldCipher both = Cipher({kKeyA, kKeyB});
  RegistryStore registry(db_.get(), &both);
  v1::Beneficiary newer = Woman(kWomen + 1);
  Put(registry, newer);
  v1::StoredBeneficiary stored;
  ASSERT_TRUE(stored.ParseFromString(Raw("beneficiaries", newer.id())));
  EXPECT_EQ(crypto::FieldCipher::KeyIdOf(stored.id_number_sealed()), "kB");
  ASSERT_TRUE(registry.GetBeneficiary(Woman(1).id()).ok());

  std::vector<int64_t> progress;
  auto counts = registry.Rekey([&](const crypto::RekeyCounts& c) { progress.push_back(c.resealed); });
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->resealed, kWomen + 1);  // the women sealed under A, and the cadre
  EXPECT_GE(progress.size(), 3u);
  auto requests = rpc::RequestLog::Rekey(db_.get(), both, nullptr);
  ASSERT_TRUE(requests.ok()) << requests.status();
  EXPECT_EQ(requests->resealed, 1);
  // Idempotent: a second run finds nothing to do.
  auto again = registry.Rekey(nullptr);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->resealed, 0);
  EXPECT_EQ(again->examined, counts->examined);
  auto requests_again = rpc::RequestLog::Rekey(db_.get(), both, nullptr);
  ASSERT_TRUE(requests_again.ok());
  EXPECT_EQ(requests_again->resealed, 0);

  // Key A removed from the file: every record still reads, exactly.
  Open();
  crypto::FieldCipher b_only = Cipher({kKeyB});
  RegistryStore after(db_.get(), &b_only);
  for (int i = 1; i <= kWomen + 1; ++i) {
    auto got = after.GetBeneficiary(Woman(i).id());
    ASSERT_TRUE(got.ok() && got->has_value()) << i << ": " << got.status();
    ASSERT_EQ((*got)->SerializeAsString(), Woman(i).SerializeAsString()) << i;
    auto id = after.BeneficiaryIdForNumber(Woman(i).id_number());
    ASSERT_TRUE(id.ok() && id->has_value()) << i;
    ASSERT_EQ(**id, Woman(i).id());
  }
  auto cadre = after.GetCadre(Cadre(1).id());
  ASSERT_TRUE(cadre.ok() && cadre->has_value()) << cadre.status();
  EXPECT_EQ((*cadre)->SerializeAsString(), Cadre(1).SerializeAsString());
  rpc::RequestLog log(db_.get(), &b_only);
  v1::RegisterCadreRequest request;
  request.set_request_id("req-1");
  request.set_mobile(Cadre(1).mobile());
  v1::RegisterCadreResponse replay;
  auto found = log.Find("RegisterCadre", "req-1", request, &replay);
  ASSERT_TRUE(found.ok() && *found) << found.status();
  EXPECT_EQ(replay.cadre().mobile(), Cadre(1).mobile());
}

}  // namespace
}  // namespace jinguo::registration::store
