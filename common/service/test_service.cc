#include "common/service/test_service.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/projection/projection.h"
#include "common/service/audit_service.h"
#include "gtest/gtest.h"

namespace jinguo::service {

namespace {

void AddOnce(std::vector<std::string>& to, const std::string& name) {
  if (std::find(to.begin(), to.end(), name) == to.end()) to.push_back(name);
}

std::string RegionsDir() {
  const char* src = std::getenv("JINGUO_SOURCE_DIR");
  return absl::StrCat(src != nullptr ? src : ".", "/data/regions");
}

}  // namespace

TestService::TestService(TestServiceOptions options) : clock_(options.now), ids_(clock_) {
  char templ[] = "/tmp/jinguo-test-XXXXXX";
  const char* made = mkdtemp(templ);
  EXPECT_NE(made, nullptr);
  dir_ = made != nullptr ? made : "/tmp";
  auto regions = regions::RegionTable::LoadFromDirectory(RegionsDir());
  EXPECT_TRUE(regions.ok()) << regions.status();
  if (regions.ok()) regions_ = *std::move(regions);
  std::map<std::string, rpc::Principal> by_hash;
  for (const auto& [token, who] : options.tokens) by_hash[rpc::HashToken(token)] = who;
  auth_ = std::make_unique<rpc::Authenticator>(std::move(by_hash));
  pages_ = std::make_unique<rpc::PageTokens>(options.name, rpc::PageTokens::RandomKey());
  store::StoreOptions store_options{dir_ + "/db", options.families, 8 << 20, options.scanned_by_first_part};
  AddOnce(store_options.column_families, outbox::kOutboxFamily);
  AddOnce(store_options.column_families, rpc::kRequestsFamily);
  AddOnce(store_options.column_families, audit::kAuditFamily);
  auto db = store::Store::Open(std::move(store_options));
  EXPECT_TRUE(db.ok()) << db.status();
  store_ = *std::move(db);
  auto box = outbox::Outbox::Open(store_.get());
  EXPECT_TRUE(box.ok()) << box.status();
  outbox_ = *std::move(box);
  auto chain = audit::AuditChain::Open(store_.get(), options.name);
  EXPECT_TRUE(chain.ok()) << chain.status();
  audit_ = *std::move(chain);
  commits_ = std::make_unique<outbox::CommitQueue>(outbox_.get(), metrics_.get(), audit_.get());
  requests_ = std::make_unique<rpc::RequestLog>(store_.get());
  writes_ = std::make_unique<rpc::WritePath>(options.name, auth_.get(), nullptr, requests_.get(), commits_.get(),
                                             metrics_.get(), &clock_, /*audit=*/true);
  audit_service_ = std::make_unique<AuditService>(audit_.get(), writes_.get(), pages_.get());
}

TestService::~TestService() {
  if (server_ != nullptr) server_->Shutdown(absl::Seconds(5));
  server_.reset();
  audit_service_.reset();
  writes_.reset();
  commits_.reset();
  requests_.reset();
  audit_.reset();
  outbox_.reset();
  store_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

bool TestService::Serve(grpc::Service* service) {
  rpc::ServerOptions options;
  options.drain = absl::ZeroDuration();
  server_ = std::make_unique<rpc::RpcServer>(options, metrics_);
  server_->AddService(service);
  server_->AddService(audit_service_.get());
  auto port = server_->Start();
  EXPECT_TRUE(port.ok()) << port.status();
  if (!port.ok()) return false;
  server_->SetServing(true);
  channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port), grpc::InsecureChannelCredentials());
  return true;
}

std::unique_ptr<grpc::ClientContext> TestService::As(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return ctx;
}

std::vector<common::v1::EventEnvelope> TestService::Events() const {
  std::vector<common::v1::EventEnvelope> out;
  auto it = store_->Scan(store_->Family(outbox::kOutboxFamily), "");
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    common::v1::OutboxRecord r;
    EXPECT_TRUE(r.ParseFromArray(it->value().data(), static_cast<int>(it->value().size())));
    if (r.topic() != audit::kAuditTopic) out.push_back(r.envelope());
  }
  return out;
}

int64_t TestService::KeyCount(const std::string& family) const {
  int64_t n = 0;
  auto it = store_->Scan(store_->Family(family), "");
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  return n;
}

}  // namespace jinguo::service
