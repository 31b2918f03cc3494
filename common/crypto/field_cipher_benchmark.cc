// What encryption at rest costs per ID number: sealing one, opening one, and its blind index.
#include "benchmark/benchmark.h"
#include "common/crypto/field_cipher.h"

namespace jinguo::crypto {
namespace {

FieldCipher Cipher() { return *FieldCipher::FromKeys({{"k1", std::string(32, 'a')}}, std::string(32, 'i')); }

void BM_EncryptIdNumber(benchmark::State& state) {
  FieldCipher c = Cipher();
  for (auto _ : state) benchmark::DoNotOptimize(c.Encrypt("13020719800501002X", "beneficiary/0190d4c2/id_number"));
}
BENCHMARK(BM_EncryptIdNumber);

void BM_DecryptIdNumber(benchmark::State& state) {
  FieldCipher c = Cipher();
  std::string sealed = c.Encrypt("13020719800501002X", "beneficiary/0190d4c2/id_number");
  for (auto _ : state) benchmark::DoNotOptimize(c.Decrypt(sealed, "beneficiary/0190d4c2/id_number", "b"));
}
BENCHMARK(BM_DecryptIdNumber);

void BM_BlindIndexIdNumber(benchmark::State& state) {
  FieldCipher c = Cipher();
  for (auto _ : state) benchmark::DoNotOptimize(c.BlindIndex("id_number", "13020719800501002X"));
}
BENCHMARK(BM_BlindIndexIdNumber);

// What registering one woman adds: her ID number sealed and indexed.
void BM_EncryptAndIndexIdNumber(benchmark::State& state) {
  FieldCipher c = Cipher();
  for (auto _ : state) {
    benchmark::DoNotOptimize(c.Encrypt("13020719800501002X", "beneficiary/0190d4c2/id_number"));
    benchmark::DoNotOptimize(c.BlindIndex("id_number", "13020719800501002X"));
  }
}
BENCHMARK(BM_EncryptAndIndexIdNumber);

}  // namespace
}  // namespace jinguo::crypto
