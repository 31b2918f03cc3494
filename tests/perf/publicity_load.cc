// Load for the publicity service's benchmarks (scripts/bench_publicity.sh). Households come from a file of ids, one
// per line (registration_load households); campaigns are made through the publicity service.
//
//   publicity_load sheet-data PUBLICITY TOKEN HOUSEHOLD_IDS_FILE CAMPAIGNS OUT
//       makes CAMPAIGNS campaigns for this year over 1302 and writes, for each, day sheets of 500 households covering
//       every household of the file (each household once per campaign), as length-delimited binary messages for
//       ghz --binary-file; prints sheets= and households=
//   publicity_load single-data PUBLICITY TOKEN HOUSEHOLD_IDS_FILE COUNT ROUND OUT
//       makes a campaign for ROUND and writes COUNT RecordHouseholdReached requests, the first COUNT households of the
//       file each reached once in it
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "google/protobuf/io/zero_copy_stream_impl.h"
#include "google/protobuf/util/delimited_message_util.h"
#include "grpcpp/create_channel.h"
#include "jinguo/publicity/v1/publicity.grpc.pb.h"

namespace uv1 = jinguo::publicity::v1;

namespace {

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::string MakeCampaign(uv1::PublicityService::Stub& publicity, const std::string& token, const std::string& key) {
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::FixedTimeZone(8 * 3600));
  uv1::CreateCampaignRequest req;
  req.set_request_id(absl::StrCat("bench-campaign-", key));
  uv1::Campaign* c = req.mutable_campaign();
  c->set_title(absl::StrCat("bench ", key));
  c->set_region_code("1302");
  c->mutable_starts_on()->set_year(static_cast<int>(today.year()));
  c->mutable_starts_on()->set_month(1);
  c->mutable_starts_on()->set_day(1);
  c->mutable_ends_on()->set_year(static_cast<int>(today.year()));
  c->mutable_ends_on()->set_month(12);
  c->mutable_ends_on()->set_day(31);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  uv1::CreateCampaignResponse resp;
  grpc::Status s = publicity.CreateCampaign(&ctx, req, &resp);
  if (!s.ok()) {
    std::cerr << "publicity_load: campaign: " << s.error_message() << "\n";
    std::exit(1);
  }
  return resp.campaign().id();
}

bool Write(google::protobuf::io::ZeroCopyOutputStream* out, const google::protobuf::Message& m) {
  if (google::protobuf::util::SerializeDelimitedToZeroCopyStream(m, out)) return true;
  std::cerr << "publicity_load: writing failed\n";
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (!((mode == "sheet-data" && argc == 7) || (mode == "single-data" && argc == 8))) {
    std::fprintf(stderr,
                 "usage: publicity_load sheet-data PUBLICITY TOKEN HOUSEHOLD_IDS_FILE CAMPAIGNS OUT\n"
                 "       publicity_load single-data PUBLICITY TOKEN HOUSEHOLD_IDS_FILE COUNT ROUND OUT\n");
    return 2;
  }
  auto publicity = uv1::PublicityService::NewStub(grpc::CreateChannel(argv[2], grpc::InsecureChannelCredentials()));
  const std::string token = argv[3];
  const std::vector<std::string> households = ReadLines(argv[4]);
  if (households.empty()) {
    std::cerr << "publicity_load: no households in " << argv[4] << "\n";
    return 1;
  }
  const std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));
  std::ofstream file(argv[argc - 1], std::ios::binary);
  google::protobuf::io::OstreamOutputStream out(&file);
  if (mode == "sheet-data") {
    int campaigns = std::atoi(argv[5]);
    int sheets = 0;
    for (int k = 0; k < campaigns; ++k) {
      std::string campaign = MakeCampaign(*publicity, token, absl::StrCat("sheets-", run, "-", k));
      for (size_t first = 0; first < households.size(); first += 500) {
        uv1::RecordHouseholdsReachedRequest r;
        r.set_request_id(absl::StrCat("ghz-sheet-", run, "-", k, "-", first));
        r.set_campaign_id(campaign);
        r.set_method(uv1::REACH_METHOD_DOOR_TO_DOOR);
        r.set_reached_by("bench cadre");
        for (size_t i = first; i < households.size() && i < first + 500; ++i)
          r.add_rows()->set_household_id(households[i]);
        if (!Write(&out, r)) return 1;
        ++sheets;
      }
    }
    std::printf("sheets=%d\nhouseholds=%lld\n", sheets, static_cast<long long>(households.size()) * campaigns);
    return 0;
  }
  int64_t count = std::min<int64_t>(std::atoll(argv[5]), static_cast<int64_t>(households.size()));
  std::string campaign = MakeCampaign(*publicity, token, absl::StrCat("single-", run, "-", argv[6]));
  for (int64_t i = 0; i < count; ++i) {
    uv1::RecordHouseholdReachedRequest r;
    r.set_request_id(absl::StrCat("ghz-reach-", run, "-", argv[6], "-", i));
    r.mutable_reach()->set_campaign_id(campaign);
    r.mutable_reach()->set_household_id(households[static_cast<size_t>(i)]);
    r.mutable_reach()->set_method(uv1::REACH_METHOD_LEAFLET_BY_HAND);
    if (!Write(&out, r)) return 1;
  }
  std::printf("publicity_load: %lld RecordHouseholdReached requests\n", static_cast<long long>(count));
  return 0;
}
