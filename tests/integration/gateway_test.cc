// The REST gateway (gateway/, grpc-gateway v2) in front of registration and reporting on a real broker: REST calls
// do what their gRPC twins do, answer what gRPC answers, and refuse bad input with the gRPC API's message and field
// violations under the matching HTTP status.
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/rpc/auth.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "jinguo/reporting/v1/reporting.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/integration/harness.h"
#include "tests/integration/registration_client.h"

namespace jinguo::testing {
namespace {

using json = nlohmann::json;
constexpr char kAdmin[] = "gateway-admin";
constexpr char kViewer[] = "gateway-viewer";

class GatewayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    broker_ = KafkaBroker::Start().release();
    ASSERT_NE(broker_, nullptr);
    dir_ = new TempDir();
    std::ofstream(dir_->path() + "/tokens") << rpc::HashToken(kAdmin) << " admin admin *\n"
                                            << rpc::HashToken(kViewer) << " viewer viewer 1302\n";
    reg_port_ = FreePort();
    rep_port_ = FreePort();
    http_port_ = FreePort();
    registration_ = StartRegistration(REGISTRATION_BINARY, reg_port_, dir_->path(), broker_->brokers()).release();
    ASSERT_NE(registration_, nullptr);
    reporting_ = StartService(REPORTING_BINARY, "reporting", rep_port_, dir_->path(), broker_->brokers()).release();
    ASSERT_NE(reporting_, nullptr);
    // A small body limit, so the 413 is cheap to reach.
    gateway_ = ServiceProcess::Start(GATEWAY_BINARY,
                                     {"--listen", absl::StrCat("127.0.0.1:", http_port_), "--registration",
                                      absl::StrCat("127.0.0.1:", reg_port_), "--reporting",
                                      absl::StrCat("127.0.0.1:", rep_port_), "--max-body-bytes", "65536"},
                                     http_port_, dir_->path() + "/gateway.log", absl::Seconds(30), nullptr,
                                     [] {
                                       httplib::Client c("127.0.0.1", http_port_);
                                       auto r = c.Get("/healthz");
                                       return r && r->status == 200;
                                     })
                   .release();
    ASSERT_NE(gateway_, nullptr);
  }
  static void TearDownTestSuite() {
    delete gateway_;
    StopAll({{"reporting", reporting_}, {"registration", registration_}});
    delete dir_;
    delete broker_;
  }

  struct Answer {
    int status = -1;
    json body;
    std::string raw;
    std::string content_type;
  };
  static Answer Call(const std::string& method, const std::string& path, const std::string& body = "",
                     const std::string& token = kAdmin, httplib::Headers headers = {}) {
    httplib::Client c("127.0.0.1", http_port_);
    c.set_read_timeout(30, 0);
    if (!token.empty()) headers.emplace("Authorization", absl::StrCat("Bearer ", token));
    httplib::Result r = method == "GET"     ? c.Get(path, headers)
                        : method == "PATCH" ? c.Patch(path, headers, body, "application/json")
                                            : c.Post(path, headers, body, "application/json");
    Answer a;
    if (!r) return a;
    a.status = r->status;
    a.raw = r->body;
    a.content_type = r->get_header_value("Content-Type");
    a.body = json::parse(r->body, nullptr, false);
    return a;
  }
  // The fields named by a google.rpc.Status answer's BadRequest details.
  static std::vector<std::string> Violations(const json& status) {
    std::vector<std::string> out;
    if (!status.contains("details")) return out;
    for (const auto& d : status["details"]) {
      if (!d.contains("field_violations")) continue;
      for (const auto& v : d["field_violations"]) out.push_back(v.value("field", ""));
    }
    return out;
  }
  static std::string NewHousehold() {
    auto a = Call("POST", "/v1/households",
                  json({{"request_id", NewRequestId()},
                        {"region_code", "130207104201"},
                        {"attribute", "HOUSEHOLD_ATTRIBUTE_GENERAL"},
                        {"head_name", "王建国"}})
                      .dump());
    EXPECT_EQ(a.status, 200) << a.raw;
    return a.body["household"].value("id", "");
  }

  static KafkaBroker* broker_;
  static TempDir* dir_;
  static ServiceProcess *registration_, *reporting_, *gateway_;
  static int reg_port_, rep_port_, http_port_;
};

KafkaBroker* GatewayTest::broker_ = nullptr;
TempDir* GatewayTest::dir_ = nullptr;
ServiceProcess* GatewayTest::registration_ = nullptr;
ServiceProcess* GatewayTest::reporting_ = nullptr;
ServiceProcess* GatewayTest::gateway_ = nullptr;
int GatewayTest::reg_port_ = 0;
int GatewayTest::rep_port_ = 0;
int GatewayTest::http_port_ = 0;

TEST_F(GatewayTest, RegistersAndReadsAsGrpcDoes) {
  std::string household = NewHousehold();
  ASSERT_FALSE(household.empty());
  std::string id_number = TestIdNumber(absl::CivilDay(1980, 5, 1), 11);
  json body = {{"request_id", NewRequestId()},
               {"beneficiary",
                {{"id_number", id_number},
                 {"name", "李秀英"},
                 {"household_id", household},
                 {"poverty_causes", {"POVERTY_CAUSE_ILLNESS"}}}}};
  auto created = Call("POST", "/v1/beneficiaries", body.dump());
  ASSERT_EQ(created.status, 200) << created.raw;
  std::string id = created.body["beneficiary"]["id"];

  // The same beneficiary through gRPC and through REST.
  auto registry = rv1::RegistrationService::NewStub(registration_->channel());
  rv1::GetBeneficiaryRequest req;
  req.set_beneficiary_id(id);
  rv1::GetBeneficiaryResponse grpc_answer;
  ASSERT_TRUE(registry->GetBeneficiary(Authorized(kAdmin).get(), req, &grpc_answer).ok());
  auto rest = Call("GET", "/v1/beneficiaries/" + id);
  ASSERT_EQ(rest.status, 200) << rest.raw;
  EXPECT_EQ(rest.body["beneficiary"]["name"], grpc_answer.beneficiary().name());
  EXPECT_EQ(rest.body["beneficiary"]["id_number"], grpc_answer.beneficiary().id_number());
  EXPECT_EQ(rest.body["beneficiary"]["region_code"], "130207104201");
  // A viewer gets the masked number, as on gRPC.
  auto viewed = Call("GET", "/v1/beneficiaries/" + id, "", kViewer);
  ASSERT_EQ(viewed.status, 200) << viewed.raw;
  EXPECT_NE(viewed.body["beneficiary"].value("id_number", ""), id_number);
  EXPECT_NE(viewed.body["beneficiary"].value("id_number", "").find('*'), std::string::npos);

  // Listing, with the page size in the query string.
  auto listed = Call("GET", "/v1/beneficiaries?region_prefix=130207&page.page_size=10");
  ASSERT_EQ(listed.status, 200) << listed.raw;
  EXPECT_FALSE(listed.body["beneficiaries"].empty());

  // Reporting through the same gateway: the county's coverage once the registration is projected, and the
  // country's at /v1/coverage.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto c = Call("GET", "/v1/regions/130207/coverage");
        return c.status == 200 && c.body["items"][1].value("denominator", "0") != "0";
      },
      absl::Seconds(30)));
  EXPECT_EQ(Call("GET", "/v1/coverage").status, 200);
  // The export is a CSV download.
  auto csv = Call("GET", "/v1/regions/130207:export");
  ASSERT_EQ(csv.status, 200) << csv.raw;
  EXPECT_NE(csv.content_type.find("text/csv"), std::string::npos);
  EXPECT_EQ(csv.raw.rfind("\xEF\xBB\xBFregion_code,name,level", 0), 0u) << csv.raw.substr(0, 60);
}

TEST_F(GatewayTest, RequestIdHeaderMakesARetryIdempotent) {
  std::string household = NewHousehold();
  json body = {{"beneficiary",
                {{"id_number", TestIdNumber(absl::CivilDay(1981, 6, 2), 12)},
                 {"name", "张桂兰"},
                 {"household_id", household},
                 {"poverty_causes", {"POVERTY_CAUSE_ILLNESS"}}}}};
  httplib::Headers h = {{"X-Request-Id", NewRequestId()}};
  auto first = Call("POST", "/v1/beneficiaries", body.dump(), kAdmin, h);
  auto retry = Call("POST", "/v1/beneficiaries", body.dump(), kAdmin, h);
  ASSERT_EQ(first.status, 200) << first.raw;
  ASSERT_EQ(retry.status, 200) << retry.raw;
  EXPECT_EQ(first.body["beneficiary"]["id"], retry.body["beneficiary"]["id"]) << "the retry registered her twice";
}

TEST_F(GatewayTest, ImportsJsonLines) {
  std::string household = NewHousehold();
  std::string body;
  for (int i = 0; i < 3; ++i) {
    json row = {{"row_number", i + 1},
                {"request_id", NewRequestId()},
                {"beneficiary",
                 {{"id_number", TestIdNumber(absl::CivilDay(1982, 2, 3), 30 + i)},
                  {"name", absl::StrCat("导入", i)},
                  {"household_id", household},
                  {"poverty_causes", {"POVERTY_CAUSE_ILLNESS"}}}}};
    if (i == 2) row["beneficiary"]["id_number"] = "not-an-id-number";
    body += row.dump() + "\n";
  }
  auto a = Call("POST", "/v1/beneficiaries:import", body);
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body.value("rows", ""), "3") << a.raw;
  EXPECT_EQ(a.body.value("accepted", ""), "2") << a.raw;
  ASSERT_EQ(a.body["rejected"].size(), 1u) << a.raw;
  EXPECT_EQ(a.body["rejected"][0].value("row_number", ""), "3");
  EXPECT_EQ(a.body["rejected"][0].value("field", ""), "beneficiary.id_number");
}

TEST_F(GatewayTest, RefusesBadInputWithTheGrpcMessage) {
  // Malformed JSON, an unknown field (named), a wrong type: 400 before any service sees them.
  auto malformed = Call("POST", "/v1/households", "{\"request_id\": ");
  EXPECT_EQ(malformed.status, 400) << malformed.raw;
  EXPECT_EQ(malformed.body.value("code", 0), 3);
  auto unknown = Call("POST", "/v1/households", R"({"request_id":"u1","regin_code":"130207104201"})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.value("message", "").find("regin_code"), std::string::npos) << unknown.raw;
  auto wrong_type = Call("POST", "/v1/households", R"({"request_id":"u2","region_code":130207104201})");
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_NE(wrong_type.body.value("message", "").find("region_code"), std::string::npos) << wrong_type.raw;

  // The service's own refusal: the same message and field violations as gRPC, as 400.
  auto bad_region = Call("POST", "/v1/households",
                         json({{"request_id", NewRequestId()},
                               {"region_code", "999"},
                               {"attribute", "HOUSEHOLD_ATTRIBUTE_GENERAL"},
                               {"head_name", "王建国"}})
                             .dump());
  EXPECT_EQ(bad_region.status, 400) << bad_region.raw;
  auto registry = rv1::RegistrationService::NewStub(registration_->channel());
  rv1::RegisterHouseholdRequest req = HouseholdRequest("999");
  rv1::RegisterHouseholdResponse resp;
  grpc::Status s = registry->RegisterHousehold(Authorized(kAdmin).get(), req, &resp);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Violations(bad_region.body), ViolatedFields(s)) << bad_region.raw;
  EXPECT_NE(Violations(bad_region.body).size(), 0u);

  // A path id that is not an id: what gRPC answers (NOT_FOUND, 404), with its message.
  auto not_an_id = Call("GET", "/v1/beneficiaries/not-an-id");
  rv1::GetBeneficiaryRequest get;
  get.set_beneficiary_id("not-an-id");
  rv1::GetBeneficiaryResponse got;
  grpc::Status missing = registry->GetBeneficiary(Authorized(kAdmin).get(), get, &got);
  ASSERT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(not_an_id.status, 404) << not_an_id.raw;
  EXPECT_EQ(not_an_id.body.value("message", ""), missing.error_message());

  // No token: 401 with gRPC's message; another region's data: 403.
  auto anonymous = Call("GET", "/v1/regions/1302/coverage", "", "");
  EXPECT_EQ(anonymous.status, 401) << anonymous.raw;
  auto reports = jinguo::reporting::v1::ReportingService::NewStub(reporting_->channel());
  grpc::ClientContext ctx;
  jinguo::reporting::v1::GetCoverageRequest cov;
  cov.set_region_code("1302");
  jinguo::reporting::v1::GetCoverageResponse cov_resp;
  grpc::Status unauthenticated = reports->GetCoverage(&ctx, cov, &cov_resp);
  EXPECT_EQ(anonymous.body.value("message", ""), unauthenticated.error_message());
  EXPECT_EQ(Call("GET", "/v1/regions/1301/coverage", "", kViewer).status, 403);
  // A body over the limit (64 KiB here): 413.
  auto huge =
      Call("POST", "/v1/households", json({{"request_id", "big"}, {"head_name", std::string(70000, 'x')}}).dump());
  EXPECT_EQ(huge.status, 413) << huge.raw.substr(0, 200);
  EXPECT_NE(huge.body.value("message", "").find("request body"), std::string::npos);
  // No such route.
  EXPECT_EQ(Call("GET", "/v1/no-such-thing").status, 404);
}

TEST_F(GatewayTest, ServesItsOpenApiDocument) {
  auto doc = Call("GET", "/openapi.json", "", "");
  ASSERT_EQ(doc.status, 200);
  ASSERT_TRUE(doc.body.contains("paths")) << doc.raw.substr(0, 200);
  for (const char* path :
       {"/v1/beneficiaries", "/v1/beneficiaries/{beneficiary_id}", "/v1/regions/{region_code}/summary",
        "/v1/loans/{loan_id}:approve", "/v1/programmes", "/v1/campaigns", "/v1/screenings"}) {
    EXPECT_TRUE(doc.body["paths"].contains(path)) << path;
  }
  std::ifstream committed(SourceDir() + "/docs/api/openapi.json");
  json kept = json::parse(committed, nullptr, false);
  EXPECT_EQ(kept, doc.body) << "docs/api/openapi.json differs from what the gateway serves";
  auto viewer = Call("GET", "/docs/", "", "");
  EXPECT_EQ(viewer.status, 200);
  EXPECT_NE(viewer.raw.find("swagger-ui-bundle.js"), std::string::npos);
}

}  // namespace
}  // namespace jinguo::testing
