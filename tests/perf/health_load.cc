// Load for the health service's benchmark (scripts/bench_health.sh):
//
//   health_load ghz-data REGISTRATION_ADDRESS TOKEN REGION_PREFIX COUNT OUT
//       lists the women registered under REGION_PREFIX (ListBeneficiaries) and writes COUNT RecordScreening
//       requests over them in turn (cervical, HPV negative, unique request ids) as length-delimited binary messages
//       for ghz --binary-file, which decodes them all before its clock starts
//   health_load ghz-data … OUT DAYS_AGO
//       the same, each screening HPV positive for 16/18 and dated DAYS_AGO days back: every one opens a follow-up
//       case whose colposcopy is due 30 days after it (overdue when DAYS_AGO is more than 30), for the sweep
#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
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
  if (mode != "ghz-data" || (argc != 7 && argc != 8)) {
    std::fprintf(stderr, "usage: health_load ghz-data REGISTRATION_ADDRESS TOKEN REGION_PREFIX COUNT OUT [DAYS_AGO]\n");
    return 2;
  }
  int days_ago = argc == 8 ? std::atoi(argv[7]) : -1;
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
    r.mutable_result()->set_hpv(days_ago >= 0 ? hv1::HPV_RESULT_POSITIVE_16_18 : hv1::HPV_RESULT_NEGATIVE);
    if (days_ago >= 0) {
      absl::CivilDay on = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600)) - days_ago;
      r.mutable_screened_on()->set_year(static_cast<int>(on.year()));
      r.mutable_screened_on()->set_month(on.month());
      r.mutable_screened_on()->set_day(on.day());
    }
    if (!google::protobuf::util::SerializeDelimitedToZeroCopyStream(r, &out)) {
      std::cerr << "health_load: writing " << argv[6] << " failed\n";
      return 1;
    }
  }
  std::printf("health_load: %lld RecordScreening requests over %zu women\n", static_cast<long long>(count),
              women.size());
  return 0;
}
