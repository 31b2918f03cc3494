#include <filesystem>
#include <fstream>

#include "common/rpc/auth.h"
#include "common/rpc/request_log.h"
#include "common/rpc/server.h"
#include "common/rpc/status.h"
#include "common/validate/field_violations.h"
#include "google/rpc/status.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "jinguo/common/v1/types.pb.h"

namespace jinguo::rpc {
namespace {

std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "jinguo-rpc-XXXXXX").string();
  return mkdtemp(tmpl.data());
}

TEST(Auth, TokensFileMapsHashedTokensToPrincipals) {
  std::string dir = TempDir();
  std::ofstream(dir + "/tokens") << "# hash name role scope\n"
                                 << HashToken("s3cret-op") << " alice operator 1302\n"
                                 << HashToken("s3cret-view") << " bob viewer *\n";
  auto auth = Authenticator::Load(dir + "/tokens");
  ASSERT_TRUE(auth.ok()) << auth.status();
  auto alice = auth->AuthenticateToken("s3cret-op");
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(alice->name, "alice");
  EXPECT_EQ(alice->role, Role::kOperator);
  EXPECT_EQ(alice->region_scope, "1302");
  EXPECT_EQ(auth->AuthenticateToken("guess").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(auth->AuthenticateToken("s3cret-view")->region_scope, "");
  std::filesystem::remove_all(dir);
}

TEST(Auth, BadTokensFileLinesAreNamed) {
  std::string dir = TempDir();
  std::ofstream(dir + "/tokens") << HashToken("x") << " alice chief 1302\n";
  auto auth = Authenticator::Load(dir + "/tokens");
  ASSERT_FALSE(auth.ok());
  EXPECT_NE(auth.status().message().find(":1: role must be"), std::string::npos) << auth.status();
  std::filesystem::remove_all(dir);
}

// Found by fuzz_tokens_file: a line holding the hash of the empty token would admit a caller who sends
// "authorization: Bearer " with nothing after it.
TEST(Auth, AnEmptyTokenNeverAuthenticates) {
  auto refused = Authenticator::Parse(absl::StrCat("# ops\n", HashToken(""), " anyone admin *\n"), "tokens.txt",
                                      &SystemClock::Get());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("tokens.txt:2: the hash is that of an empty token"), std::string::npos)
      << refused.status();
  Authenticator auth({{HashToken(""), Principal{"anyone", Role::kAdmin, ""}}});
  EXPECT_EQ(auth.AuthenticateToken("").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(Auth, RoleAndRegionScopeDecide) {
  Principal op{"alice", Role::kOperator, "1302"};
  Principal viewer{"bob", Role::kViewer, ""};
  EXPECT_TRUE(Authorize(op, Role::kOperator, "130207104201").ok());
  EXPECT_EQ(Authorize(op, Role::kOperator, "130107104201").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Authorize(op, Role::kOperator, "").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Authorize(viewer, Role::kOperator, "1302").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Authorize(viewer, Role::kViewer, "").ok());
  EXPECT_FALSE(viewer.SeesIdentifiers());
  EXPECT_TRUE(op.SeesIdentifiers());
}

// A bank's staff read as viewers do, with identifiers, and act on loans in their scope; operators do not.
TEST(Auth, LendersActOnLoansInTheirScope) {
  Principal bank{"psbc-fengnan", Role::kLender, "130207"};
  Principal op{"clerk", Role::kOperator, "1302"};
  EXPECT_TRUE(Authorize(bank, Role::kViewer, "130207104201").ok());
  EXPECT_EQ(Authorize(bank, Role::kOperator, "130207104201").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(bank.SeesIdentifiers());
  EXPECT_TRUE(AuthorizeLending(bank, "130207104201").ok());
  EXPECT_EQ(AuthorizeLending(bank, "130208").code(), absl::StatusCode::kPermissionDenied);
  absl::Status clerk = AuthorizeLending(op, "130207");
  EXPECT_EQ(clerk.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(clerk.message().find("role lender"), absl::string_view::npos) << clerk;
  EXPECT_TRUE(AuthorizeLending(Principal{"admin", Role::kAdmin, ""}, "130207").ok());
}

// Health workers read as viewers do (with identifiers, and health results); auditors read audit records and no
// business data; admins do not read audit.
TEST(Auth, HealthAndAuditorRolesStandApart) {
  Principal health{"doctor", Role::kHealth, "1302"};
  Principal auditor{"auditor", Role::kAuditor, ""};
  Principal admin{"admin", Role::kAdmin, ""};
  Principal viewer{"viewer", Role::kViewer, ""};
  EXPECT_TRUE(Authorize(health, Role::kViewer, "130207104201").ok());
  EXPECT_EQ(Authorize(health, Role::kOperator, "130207104201").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(health.SeesHealthResults());
  EXPECT_TRUE(health.SeesIdentifiers());
  EXPECT_FALSE(viewer.SeesHealthResults());
  EXPECT_TRUE(admin.SeesHealthResults());  // the health service's issue: results for the health role and admins
  EXPECT_TRUE(AuthorizeHealthResults(health, "130207104201").ok());
  EXPECT_EQ(AuthorizeHealthResults(health, "130102").code(), absl::StatusCode::kPermissionDenied);
  Principal op{"clerk", Role::kOperator, "1302"};
  absl::Status clerk = AuthorizeHealthResults(op, "130207104201");
  EXPECT_EQ(clerk.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(clerk.message().find("health results"), absl::string_view::npos) << clerk;
  EXPECT_EQ(AuthorizeHealthResults(auditor, "").code(), absl::StatusCode::kPermissionDenied);
  absl::Status business = Authorize(auditor, Role::kViewer, "");
  EXPECT_EQ(business.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(business.message().find("audit records only"), absl::string_view::npos) << business;
  EXPECT_FALSE(auditor.SeesIdentifiers());
  EXPECT_TRUE(AuthorizeAudit(auditor).ok());
  EXPECT_EQ(AuthorizeAudit(admin).code(), absl::StatusCode::kPermissionDenied);
}

// A token with not_after is valid through that day in China, and "token expired" after it.
TEST(Auth, TokensExpireAfterTheirLastDay) {
  std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/expiring") << HashToken("t1") << " clerk operator 1302 not_after=2026-12-31\n"
                                   << HashToken("t2") << " forever viewer *\n";
  // 2026-12-31 23:30 in Beijing is 15:30 UTC.
  ManualClock clock(absl::FromCivil(absl::CivilSecond(2026, 12, 31, 15, 30, 0), absl::UTCTimeZone()));
  auto auth = Authenticator::Load(dir + "/expiring", &clock);
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_TRUE(auth->AuthenticateToken("t1").ok());
  clock.Advance(absl::Hours(1));  // 2027-01-01 00:30 in Beijing
  auto expired = auth->AuthenticateToken("t1");
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(expired.status().message(), "token expired");
  EXPECT_TRUE(auth->AuthenticateToken("t2").ok());

  std::ofstream(dir + "/bad-expiry") << HashToken("t1") << " clerk operator 1302 not_after=2026-02-30\n";
  auto bad = Authenticator::Load(dir + "/bad-expiry");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find(":1: not_after"), absl::string_view::npos) << bad.status();
  std::ofstream(dir + "/bad-role") << HashToken("t1") << " clerk boss 1302\n";
  EXPECT_NE(Authenticator::Load(dir + "/bad-role").status().message().find("health, lender or auditor"),
            absl::string_view::npos);
}

TEST(Status, FieldViolationsTravelAsBadRequestDetails) {
  validate::FieldViolations v;
  v.Add("beneficiary.id_number", "must be 18 characters, got 17");
  grpc::Status s = ToGrpcStatus(v.ToStatus());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::BadRequest br;
  ASSERT_TRUE(details.details(0).UnpackTo(&br));
  EXPECT_EQ(br.field_violations(0).field(), "beneficiary.id_number");
}

TEST(Status, MessagesAreMasked) {
  grpc::Status s = ToGrpcStatus(absl::NotFoundError("no beneficiary with 11010519491231002X"));
  EXPECT_EQ(s.error_message(), "no beneficiary with 110***********002X");
}

TEST(RequestLog, ReplaysTheFirstAnswerAndRefusesAReusedId) {
  std::string dir = TempDir();
  {
    auto store = store::Store::Open({dir, {kRequestsFamily}, 8 << 20});
    ASSERT_TRUE(store.ok());
    RequestLog log(store->get());
    common::v1::RequestId request;
    request.set_value("req-1");
    common::v1::CivilDate response;
    auto lock = log.Lock("Register", "req-1");
    EXPECT_FALSE(*log.Find("Register", "req-1", request, &response));
    response.set_year(2026);
    rocksdb::WriteBatch batch;
    log.Record(&batch, "Register", "req-1", request, response);
    ASSERT_TRUE((*store)->Write(&batch).ok());
  }
  auto store = store::Store::Open({dir, {kRequestsFamily}, 8 << 20});
  ASSERT_TRUE(store.ok());
  RequestLog log(store->get());
  common::v1::RequestId same;
  same.set_value("req-1");
  common::v1::CivilDate replay;
  ASSERT_TRUE(*log.Find("Register", "req-1", same, &replay));
  EXPECT_EQ(replay.year(), 2026);
  common::v1::RequestId different;
  different.set_value("req-1-but-changed");
  EXPECT_EQ(log.Find("Register", "req-1", different, &replay).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_FALSE(*log.Find("Other", "req-1", same, &replay));
  std::filesystem::remove_all(dir);
}

TEST(RequestLog, RequestIdsAreChecked) {
  EXPECT_TRUE(CheckRequestId("0190a6f0-7c3e-7abc-8def-0123456789ab").ok());
  EXPECT_FALSE(CheckRequestId("").ok());
  EXPECT_FALSE(CheckRequestId("has space").ok());
  EXPECT_FALSE(CheckRequestId(std::string(129, 'a')).ok());
}

TEST(RpcServer, HealthIsNotServingUntilReady) {
  RpcServer server({}, std::make_shared<prometheus::Registry>());
  auto port = server.Start();
  ASSERT_TRUE(port.ok()) << port.status();
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(*port), grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  auto check = [&] {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status s = stub->Check(&ctx, req, &resp);
    return s.ok() ? resp.status() : grpc::health::v1::HealthCheckResponse::UNKNOWN;
  };
  EXPECT_EQ(check(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  server.SetServing(true);
  EXPECT_EQ(check(), grpc::health::v1::HealthCheckResponse::SERVING);
  server.Shutdown(absl::Seconds(1));
}

}  // namespace
}  // namespace jinguo::rpc
