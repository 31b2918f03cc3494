// The security foundation as an operator and an intruder meet it, on the real registration binary: identifiers
// are never on disk in clear, the key file decides whether the service starts, `jinguoctl rekey` moves a stopped
// store to a new key, gRPC requires client certificates from the deployment's CA, and Kafka is reached over TLS.
#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/rpc/auth.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "jinguo/registration/v1/events.pb.h"
#include "tests/integration/harness.h"
#include "tests/integration/registration_client.h"

namespace jinguo::testing {
namespace {

constexpr char kAdmin[] = "admin-token";
constexpr char kVillage[] = "130207104201";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A mobile number distinct per `serial`.
std::string TestMobile(int serial) { return absl::StrCat("139", 10000000 + serial); }

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.path() + "/tokens") << rpc::HashToken(kAdmin) << " admin admin *\n";
    keys_ = WriteDataKeyFile(dir_.path());
  }

  std::vector<std::string> Args(const std::string& brokers, int port, const std::string& keys) const {
    std::vector<std::string> args = {"--grpc-listen",   absl::StrCat("127.0.0.1:", port),
                                     "--http-listen",   "127.0.0.1:0",
                                     "--data-dir",      dir_.path() + "/db",
                                     "--kafka-brokers", brokers,
                                     "--tokens-file",   dir_.path() + "/tokens",
                                     "--regions-dir",   SourceDir() + "/data/regions",
                                     "--log-level",     "debug"};
    if (!keys.empty()) args.insert(args.end(), {"--data-key-file", keys});
    return args;
  }

  std::unique_ptr<ServiceProcess> Start(const std::string& brokers, const std::string& keys,
                                        std::vector<std::string> extra = {},
                                        std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr) {
    port_ = FreePort();
    std::vector<std::string> args = Args(brokers, port_, keys);
    args.insert(args.end(), extra.begin(), extra.end());
    return ServiceProcess::Start(REGISTRATION_BINARY, args, port_, log_, absl::Seconds(60), std::move(credentials));
  }

  // Runs the service binary as a start that must fail; returns what it printed.
  std::string RefusedStart(const std::string& brokers, const std::string& keys) {
    std::string command = REGISTRATION_BINARY;
    for (const std::string& a : Args(brokers, FreePort(), keys)) command += " '" + a + "'";
    std::string out = dir_.path() + "/refused.log";
    int rc = Shell("timeout 60 " + command + " > " + out + " 2>&1");
    EXPECT_NE(rc, 0) << "the service started";
    EXPECT_NE(rc, 124) << "the service neither started nor stopped within 60 s";
    return ReadAll(out);
  }

  TempDir dir_;
  std::string keys_;
  int port_ = 0;  // of the service Start started last
  std::string log_ = dir_.path() + "/service.log";
};

// 1,000 women with ID numbers and mobiles: none of those numbers is anywhere under the data directory in clear
// (SST, WAL, MANIFEST, OPTIONS, any log), nor in the service's own log, while the registry still answers with them.
TEST_F(SecurityTest, NoIdNumberOrMobileIsOnDiskInClearAfterAThousandWomen) {
  auto broker = KafkaBroker::Start();
  ASSERT_NE(broker, nullptr);
  auto service = Start(broker->brokers(), keys_);
  ASSERT_NE(service, nullptr);
  auto stub = rv1::RegistrationService::NewStub(service->channel());
  rv1::RegisterHouseholdResponse household;
  ASSERT_TRUE(stub->RegisterHousehold(Authorized(kAdmin).get(), HouseholdRequest(kVillage), &household).ok());

  std::vector<std::string> secrets;
  rv1::ImportBeneficiariesResponse summary;
  {
    auto ctx = Authorized(kAdmin);
    auto writer = stub->ImportBeneficiaries(ctx.get(), &summary);
    for (int i = 0; i < 1000; ++i) {
      rv1::ImportBeneficiariesRequest row;
      row.set_request_id(absl::StrCat("secret-", i));
      std::string id_number = TestIdNumber(absl::CivilDay(1960, 1, 1) + i * 7, i);
      *row.mutable_beneficiary() =
          BeneficiaryRequest(household.household().id(), id_number, absl::StrCat("妇女", i)).beneficiary();
      row.mutable_beneficiary()->set_mobile(TestMobile(i));
      secrets.push_back(id_number);
      secrets.push_back(TestMobile(i));
      ASSERT_TRUE(writer->Write(row));
    }
    writer->WritesDone();
    grpc::Status s = writer->Finish();
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  ASSERT_EQ(summary.accepted(), 1000) << (summary.rejected_size() ? summary.rejected(0).reason() : "");

  // The registry answers with them, unmasked to an admin, and finds a woman by her ID number.
  rv1::ListBeneficiariesRequest list;
  list.mutable_page()->set_page_size(5);
  rv1::ListBeneficiariesResponse page;
  ASSERT_TRUE(stub->ListBeneficiaries(Authorized(kAdmin).get(), list, &page).ok());
  ASSERT_GT(page.beneficiaries_size(), 0);
  std::set<std::string> known(secrets.begin(), secrets.end());
  for (const auto& b : page.beneficiaries()) {
    EXPECT_TRUE(known.count(b.id_number())) << b.id_number();
    EXPECT_TRUE(known.count(b.mobile())) << b.mobile();
  }
  rv1::RegisterBeneficiaryResponse again;
  grpc::Status repeat = stub->RegisterBeneficiary(
      Authorized(kAdmin).get(), BeneficiaryRequest(household.household().id(), secrets[0], "妇女0"), &again);
  EXPECT_EQ(repeat.error_code(), grpc::StatusCode::ALREADY_EXISTS) << repeat.error_message();

  ASSERT_EQ(service->Stop(), 0);  // flushes memtables: everything is now in SST files as well as the WAL
  size_t files = 0, bytes = 0;
  std::vector<std::string> found;
  auto search = [&](const std::string& path) {
    std::string raw = ReadAll(path);
    ++files;
    bytes += raw.size();
    for (const std::string& s : secrets) {
      if (raw.find(s) != std::string::npos) found.push_back(absl::StrCat(s.substr(0, 3), "… in ", path));
    }
  };
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path() + "/db")) {
    if (entry.is_regular_file()) search(entry.path().string());
  }
  search(log_);
  EXPECT_GT(bytes, 100u * 1000) << "the registry's files are too small to hold 1,000 women";
  EXPECT_GE(files, 4u);
  EXPECT_TRUE(found.empty()) << found.size() << " identifiers in clear, e.g. " << found.front();
}

// The key file decides: none, one that is malformed, or another deployment's → the service refuses to start and
// says why; the right one → it starts and reads what it wrote.
TEST_F(SecurityTest, AMissingMalformedOrForeignKeyFileStopsTheStartSayingWhy) {
  auto broker = KafkaBroker::Start();
  ASSERT_NE(broker, nullptr);
  EXPECT_NE(RefusedStart(broker->brokers(), "").find("--data-key-file is required"), std::string::npos);
  EXPECT_NE(RefusedStart(broker->brokers(), dir_.path() + "/no-such-file").find("no-such-file cannot be read"),
            std::string::npos);
  std::string short_key = dir_.path() + "/short-keys";
  std::ofstream(short_key) << "k1 data 00112233\nidx1 index " << std::string(64, 'a') << "\n";
  std::string said = RefusedStart(broker->brokers(), short_key);
  EXPECT_NE(said.find("short-keys line 1: a key is 64 hex characters"), std::string::npos) << said;

  std::string id_number = TestIdNumber(absl::CivilDay(1985, 3, 3), 1);
  std::string beneficiary_id;
  {
    auto service = Start(broker->brokers(), keys_);
    ASSERT_NE(service, nullptr);
    auto stub = rv1::RegistrationService::NewStub(service->channel());
    rv1::RegisterHouseholdResponse household;
    ASSERT_TRUE(stub->RegisterHousehold(Authorized(kAdmin).get(), HouseholdRequest(kVillage), &household).ok());
    rv1::RegisterBeneficiaryResponse b;
    ASSERT_TRUE(stub->RegisterBeneficiary(Authorized(kAdmin).get(),
                                          BeneficiaryRequest(household.household().id(), id_number, "王秀兰"), &b)
                    .ok());
    beneficiary_id = b.beneficiary().id();
    ASSERT_EQ(service->Stop(), 0);
  }
  // Another deployment's key file: its index key is not the one the ID-number index was built with.
  TempDir other;
  std::string foreign = WriteDataKeyFile(other.path());
  said = RefusedStart(broker->brokers(), foreign);
  EXPECT_NE(said.find("--data-key-file: the index key in " + foreign + " is not the one"), std::string::npos) << said;
  // This deployment's index key with a data key k1 drawn afresh: the refusal names k1.
  std::string mine = ReadAll(keys_), theirs = ReadAll(foreign);
  std::string index_line = mine.substr(mine.find("idx1 index"));
  std::string mixed = theirs.substr(0, theirs.find("idx1 index")) + index_line;
  std::ofstream(foreign, std::ios::trunc) << mixed;
  said = RefusedStart(broker->brokers(), foreign);
  EXPECT_NE(said.find("data key k1 in " + foreign + " is not the one"), std::string::npos) << said;
  EXPECT_EQ(said.find(id_number), std::string::npos);

  auto service = Start(broker->brokers(), keys_);
  ASSERT_NE(service, nullptr);
  auto stub = rv1::RegistrationService::NewStub(service->channel());
  rv1::GetBeneficiaryRequest get;
  get.set_beneficiary_id(beneficiary_id);
  rv1::GetBeneficiaryResponse got;
  ASSERT_TRUE(stub->GetBeneficiary(Authorized(kAdmin).get(), get, &got).ok());
  EXPECT_EQ(got.beneficiary().id_number(), id_number);
}

// Rotation: a new data key appended to the file seals new writes; `jinguoctl rekey` re-seals a stopped store under
// it; the old key may then leave the file and everything still reads back.
TEST_F(SecurityTest, RekeyMovesEveryIdentifierToTheNewKeySoTheOldOneCanLeave) {
  auto broker = KafkaBroker::Start();
  ASSERT_NE(broker, nullptr);
  std::map<std::string, std::string> id_numbers;  // beneficiary id → ID number
  auto register_some = [&](int from, int count) {
    auto service = Start(broker->brokers(), keys_);
    ASSERT_NE(service, nullptr);
    auto stub = rv1::RegistrationService::NewStub(service->channel());
    rv1::RegisterHouseholdResponse household;
    ASSERT_TRUE(stub->RegisterHousehold(Authorized(kAdmin).get(), HouseholdRequest(kVillage), &household).ok());
    for (int i = from; i < from + count; ++i) {
      std::string id_number = TestIdNumber(absl::CivilDay(1970, 1, 1) + i, 100 + i);
      auto request = BeneficiaryRequest(household.household().id(), id_number, "张桂英");
      request.mutable_beneficiary()->set_mobile(TestMobile(i));
      rv1::RegisterBeneficiaryResponse b;
      ASSERT_TRUE(stub->RegisterBeneficiary(Authorized(kAdmin).get(), request, &b).ok());
      id_numbers[b.beneficiary().id()] = id_number;
    }
    ASSERT_EQ(service->Stop(), 0);
  };
  register_some(0, 20);
  std::string first_key = ReadAll(keys_);
  std::string old_line = first_key.substr(first_key.find("k1 data"));
  old_line = old_line.substr(0, old_line.find('\n') + 1);
  // The new key goes last: it seals what comes next.
  std::ofstream(keys_, std::ios::app) << "k2 data " << std::string(64, 'e') << "\n";
  register_some(20, 5);

  std::string out = dir_.path() + "/rekey.out";
  ASSERT_EQ(Shell(absl::StrCat(JINGUOCTL_BINARY, " rekey --data-dir ", dir_.path(), "/db --data-key-file ", keys_,
                               " > ", out, " 2>&1")),
            0)
      << ReadAll(out);
  std::string said = ReadAll(out);
  EXPECT_NE(said.find("re-encrypted under data key k2"), std::string::npos) << said;
  // A second run finds nothing left to re-seal.
  ASSERT_EQ(Shell(absl::StrCat(JINGUOCTL_BINARY, " rekey --data-dir ", dir_.path(), "/db --data-key-file ", keys_,
                               " > ", out, " 2>&1")),
            0);
  EXPECT_NE(ReadAll(out).find(" 0 re-encrypted"), std::string::npos) << ReadAll(out);

  // k1 leaves the file.
  std::string text = ReadAll(keys_);
  text.erase(text.find(old_line), old_line.size());
  std::ofstream(keys_, std::ios::trunc) << text;
  auto service = Start(broker->brokers(), keys_);
  ASSERT_NE(service, nullptr);
  auto stub = rv1::RegistrationService::NewStub(service->channel());
  for (const auto& [id, id_number] : id_numbers) {
    rv1::GetBeneficiaryRequest get;
    get.set_beneficiary_id(id);
    rv1::GetBeneficiaryResponse got;
    grpc::Status s = stub->GetBeneficiary(Authorized(kAdmin).get(), get, &got);
    ASSERT_TRUE(s.ok()) << id << ": " << s.error_message();
    EXPECT_EQ(got.beneficiary().id_number(), id_number);
  }
}

// gRPC with mutual TLS: a service given a client CA answers only clients presenting a certificate that CA signed.
TEST_F(SecurityTest, MutualTlsRefusesClientsWithoutACertificateFromTheDeploymentsCa) {
  std::string pki = dir_.path() + "/pki";
  ASSERT_TRUE(MakeTestCertificates(pki));
  auto broker = KafkaBroker::Start();
  ASSERT_NE(broker, nullptr);
  auto tls = [&](const std::string& client) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = ReadAll(pki + "/ca.pem");
    if (!client.empty()) {
      o.pem_cert_chain = ReadAll(pki + "/" + client + ".pem");
      o.pem_private_key = ReadAll(pki + "/" + client + ".key");
    }
    return grpc::SslCredentials(o);
  };
  const int health_port = FreePort();
  auto service = Start(broker->brokers(), keys_,
                       {"--tls-cert", pki + "/server.pem", "--tls-key", pki + "/server.key", "--tls-client-ca",
                        pki + "/ca.pem", "--health-listen", absl::StrCat("127.0.0.1:", health_port)},
                       tls("client"));
  ASSERT_NE(service, nullptr);
  auto call_with = [&](std::shared_ptr<grpc::ChannelCredentials> credentials, int port = 0) {
    auto stub = rv1::RegistrationService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port == 0 ? port_ : port), std::move(credentials)));
    auto ctx = Authorized(kAdmin);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    rv1::RegisterHouseholdResponse r;
    return stub->RegisterHousehold(ctx.get(), HouseholdRequest(kVillage), &r);
  };
  grpc::Status accepted = call_with(tls("client"));
  EXPECT_TRUE(accepted.ok()) << accepted.error_message();
  EXPECT_EQ(call_with(tls("")).error_code(), grpc::StatusCode::UNAVAILABLE) << "no client certificate";
  EXPECT_EQ(call_with(tls("other")).error_code(), grpc::StatusCode::UNAVAILABLE) << "a certificate of another CA";
  EXPECT_EQ(call_with(grpc::InsecureChannelCredentials()).error_code(), grpc::StatusCode::UNAVAILABLE) << "plain text";

  // Kubernetes' gRPC probes present no certificate: the health listener answers them in plain text, with the
  // service's readiness and liveness, and serves nothing else.
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", health_port), grpc::InsecureChannelCredentials()));
  for (const std::string name : {"", "jinguo.liveness"}) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(name);
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status s = health->Check(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << "health of '" << name << "': " << s.error_message();
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING) << name;
  }
  EXPECT_EQ(call_with(grpc::InsecureChannelCredentials(), health_port).error_code(), grpc::StatusCode::UNIMPLEMENTED)
      << "the health listener serves the registry";
  EXPECT_EQ(service->Stop(), 0);
}

// jinguoctl's operators' commands reach a service that requires mutual TLS with the operator's certificate, the
// name in the service's certificate given when the address is another (as through a port-forward).
TEST_F(SecurityTest, OperatorsToolsReachAServiceOverMutualTls) {
  std::string pki = dir_.path() + "/pki";
  ASSERT_TRUE(MakeTestCertificates(pki));
  auto broker = KafkaBroker::Start();
  ASSERT_NE(broker, nullptr);
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = ReadAll(pki + "/ca.pem");
  o.pem_cert_chain = ReadAll(pki + "/client.pem");
  o.pem_private_key = ReadAll(pki + "/client.key");
  auto service =
      Start(broker->brokers(), keys_,
            {"--tls-cert", pki + "/server.pem", "--tls-key", pki + "/server.key", "--tls-client-ca", pki + "/ca.pem"},
            grpc::SslCredentials(o));
  ASSERT_NE(service, nullptr);
  const std::string status =
      absl::StrCat(JINGUOCTL_BINARY, " outbox status --token ", kAdmin, " --address 127.0.0.1:", port_);
  std::string out;
  EXPECT_EQ(RunCommand(status, &out), 1) << "plain text reached a mutual-TLS service: " << out;
  ASSERT_EQ(RunCommand(absl::StrCat(status, " --tls-cert ", pki, "/client.pem --tls-key ", pki, "/client.key --tls-ca ",
                                    pki, "/ca.pem --tls-server-name localhost"),
                       &out),
            0)
      << out;
  EXPECT_NE(out.find("jinguo.registration.events.v1"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(absl::StrCat(status, " --tls-cert ", pki, "/missing.pem --tls-key ", pki, "/client.key"), &out),
            2);
  EXPECT_NE(out.find("missing.pem"), std::string::npos) << out;
  EXPECT_EQ(service->Stop(), 0);
}

// Kafka over TLS: a service told --kafka-security-protocol ssl, with the brokers' CA and its own certificate,
// publishes through a listener that requires client certificates.
TEST_F(SecurityTest, EventsReachKafkaOverTlsWithAClientCertificate) {
  std::string pki = dir_.path() + "/pki";
  ASSERT_TRUE(MakeTestCertificates(pki));
  auto broker = KafkaBroker::StartWithTls(pki);
  ASSERT_NE(broker, nullptr);
  EventTap tap(broker->brokers(), "jinguo.registration.events.v1");  // the plaintext listener, to read back
  auto service = Start(broker->tls_brokers(), keys_,
                       {"--kafka-security-protocol", "ssl", "--kafka-ssl-ca", pki + "/ca.pem", "--kafka-ssl-cert",
                        pki + "/client.pem", "--kafka-ssl-key", pki + "/client.key"});
  ASSERT_NE(service, nullptr);
  auto stub = rv1::RegistrationService::NewStub(service->channel());
  rv1::RegisterHouseholdResponse household;
  ASSERT_TRUE(stub->RegisterHousehold(Authorized(kAdmin).get(), HouseholdRequest(kVillage), &household).ok());
  tap.WaitForAggregate(household.household().id(), 1);
  bool seen = false;
  for (const auto& e : tap.Settle()) seen = seen || e.aggregate_id() == household.household().id();
  EXPECT_TRUE(seen) << "the household's event did not arrive through the TLS listener";
  EXPECT_EQ(service->Stop(), 0);
}

}  // namespace
}  // namespace jinguo::testing
