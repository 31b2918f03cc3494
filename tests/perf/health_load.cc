// Load for the health service's benchmark (scripts/bench_health.sh):
//
//   health_load ghz-data REGISTRATION_ADDRESS TOKEN REGION_PREFIX COUNT OUT
//       lists the women registered under REGION_PREFIX (ListBeneficiaries) and writes COUNT RecordScreening
//       requests over them in turn (cervical, HPV negative, unique request ids) as length-delimited binary messages
//       for ghz --binary-file, which decodes them all before its clock starts
#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/io/zero_copy_stream_impl.h"
#include "google/protobuf/util/delimited_message_util.h"
#include "grpcpp/create_channel.h"
#include "jinguo/health/v1/health.pb.h"
#include "jinguo/registration/v1/registration.grpc.pb.h"

namespace hv1 = jinguo::health::v1;
namespace rv1 = jinguo::registration::v1;

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode != "ghz-data" || argc != 7) {
    std::fprintf(stderr, "usage: health_load ghz-data REGISTRATION_ADDRESS TOKEN REGION_PREFIX COUNT OUT\n");
    return 2;
  }
  auto registry = rv1::RegistrationService::NewStub(grpc::CreateChannel(argv[2], grpc::InsecureChannelCredentials()));
  std::vector<std::string> women;
  std::string token;
  do {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", argv[3]));
    rv1::ListBeneficiariesRequest req;
    req.set_region_prefix(argv[4]);
    req.set_category(rv1::CATEGORY_WOMAN);
    req.mutable_page()->set_page_size(500);
    req.mutable_page()->set_page_token(token);
    rv1::ListBeneficiariesResponse resp;
    grpc::Status s = registry->ListBeneficiaries(&ctx, req, &resp);
    if (!s.ok()) {
      std::cerr << "health_load: listing women: " << s.error_message() << "\n";
      return 1;
    }
    for (const auto& b : resp.beneficiaries()) women.push_back(b.id());
    token = resp.next_page_token();
  } while (!token.empty() && women.size() < 100000);
  if (women.empty()) {
    std::cerr << "health_load: no women registered under " << argv[4] << "\n";
    return 1;
  }
  int64_t count = std::atoll(argv[5]);
  std::ofstream file(argv[6], std::ios::binary);
  google::protobuf::io::OstreamOutputStream out(&file);
  std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  for (int64_t i = 0; i < count; ++i) {
    hv1::RecordScreeningRequest r;
    r.set_request_id(absl::StrCat("ghz-screening-", run, "-", i));
    r.set_beneficiary_id(women[static_cast<size_t>(i) % women.size()]);
    r.set_kind(hv1::SCREENING_KIND_CERVICAL);
    r.set_method(hv1::SCREENING_METHOD_HPV);
    r.set_facility("bench clinic");
    r.mutable_result()->set_hpv(hv1::HPV_RESULT_NEGATIVE);
    if (!google::protobuf::util::SerializeDelimitedToZeroCopyStream(r, &out)) {
      std::cerr << "health_load: writing " << argv[6] << " failed\n";
      return 1;
    }
  }
  std::printf("health_load: %lld RecordScreening requests over %zu women\n", static_cast<long long>(count),
              women.size());
  return 0;
}
