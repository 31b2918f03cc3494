// Load for the reporting service's benchmarks (scripts/bench_reporting.sh):
//
//   reporting_load await REPORTING TOKEN REGION COUNT TIMEOUT_S
//       waits until beneficiaries_registered at REGION reaches COUNT; prints seconds
//   reporting_load freshness REGISTRATION REPORTING TOKEN HOUSEHOLDS_FILE RATE SECONDS
//       registers RATE beneficiaries per second for SECONDS into one household (one village) while another thread
//       polls GetRegionSummary of that village; prints p50/p99/max of "acknowledged → visible"
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/validate/id_number.h"
#include "grpcpp/create_channel.h"
#include "jinguo/registration/v1/registration.grpc.pb.h"
#include "jinguo/reporting/v1/reporting.grpc.pb.h"

namespace rv1 = jinguo::registration::v1;
namespace pv1 = jinguo::reporting::v1;

namespace {

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
  auto c = std::make_unique<grpc::ClientContext>();
  c->AddMetadata("authorization", "Bearer " + token);
  return c;
}

int64_t Registered(pv1::ReportingService::Stub& stub, const std::string& token, const std::string& region) {
  pv1::GetRegionSummaryRequest req;
  req.set_region_code(region);
  pv1::GetRegionSummaryResponse resp;
  if (!stub.GetRegionSummary(Ctx(token).get(), req, &resp).ok()) return -1;
  for (const auto& i : resp.summary().indicators()) {
    if (i.name() == "beneficiaries_registered") return i.value();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "await" && argc == 7) {
    // Started together with the service it waits for (a rebuild is timed from process start), so the first
    // connection attempts are refused, after which a channel waits out gRPC's reconnect back-off (seconds, unseen).
    // Until the service first answers, every attempt therefore gets a channel of its own.
    auto connect = [&] {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      return pv1::ReportingService::NewStub(
          grpc::CreateCustomChannel(argv[2], grpc::InsecureChannelCredentials(), args));
    };
    auto stub = connect();
    int64_t want = std::atoll(argv[5]);
    absl::Time start = absl::Now(), deadline = start + absl::Seconds(std::atoi(argv[6]));
    int64_t have = 0;
    bool answered = false;
    while ((have = Registered(*stub, argv[3], argv[4])) < want && absl::Now() < deadline) {
      answered = answered || have >= 0;
      if (!answered) stub = connect();
      absl::SleepFor(absl::Milliseconds(20));
    }
    std::printf("count=%lld\nseconds=%.3f\n", static_cast<long long>(have), absl::ToDoubleSeconds(absl::Now() - start));
    return have >= want ? 0 : 1;
  }
  if (mode == "freshness" && argc == 8) {
    auto registry = rv1::RegistrationService::NewStub(grpc::CreateChannel(argv[2], grpc::InsecureChannelCredentials()));
    auto reports = pv1::ReportingService::NewStub(grpc::CreateChannel(argv[3], grpc::InsecureChannelCredentials()));
    std::string token = argv[4];
    std::string household;
    std::ifstream(argv[5]) >> household;
    int rate = std::atoi(argv[6]), seconds = std::atoi(argv[7]);
    int64_t total = static_cast<int64_t>(rate) * seconds;
    std::vector<absl::Time> acked(total + 1, absl::InfiniteFuture());
    std::atomic<int64_t> sent{0}, done{0};
    std::string village;
    std::mutex village_mu;
    std::atomic<bool> stop{false};
    std::vector<absl::Time> seen;  // seen[k] = when the count first reached k (relative to the baseline)
    int64_t baseline = -1;
    std::string run = absl::StrCat(absl::ToUnixMillis(absl::Now()));
    auto register_one = [&](int64_t i) {
      rv1::RegisterBeneficiaryRequest req;
      req.set_request_id(absl::StrCat("fresh-", run, "-", i));
      auto* b = req.mutable_beneficiary();
      absl::CivilDay birth = absl::CivilDay(1965, 1, 1) + (i / 400);
      b->set_id_number(jinguo::validate::ComposeIdNumber("110105", birth, static_cast<int>(i % 400) * 2));
      b->set_name(absl::StrCat("鲜", run, i));
      b->set_household_id(household);
      b->add_poverty_causes(rv1::POVERTY_CAUSE_ILLNESS);
      rv1::RegisterBeneficiaryResponse resp;
      grpc::Status s = registry->RegisterBeneficiary(Ctx(token).get(), req, &resp);
      if (!s.ok()) std::fprintf(stderr, "register: %s\n", s.error_message().c_str());
      return resp;
    };
    // The first registration tells the village and the baseline count.
    auto first = register_one(0);
    village = first.beneficiary().region_code();
    absl::SleepFor(absl::Seconds(2));
    baseline = Registered(*reports, token, village);
    std::thread watcher([&] {
      int64_t last = baseline;
      while (!stop) {
        int64_t now = Registered(*reports, token, village);
        absl::Time t = absl::Now();
        for (int64_t k = last + 1; k <= now; ++k) seen.push_back(t);
        if (now > last) last = now;
        // A millisecond between polls: the watcher measures to that resolution without taking a core from the
        // services it measures.
        absl::SleepFor(absl::Milliseconds(1));
      }
    });
    absl::Time start = absl::Now();
    std::vector<std::thread> workers;
    for (int w = 0; w < 32; ++w) {
      workers.emplace_back([&] {
        for (int64_t i; (i = ++sent) <= total;) {
          absl::Time due = start + absl::Seconds(1) * (static_cast<double>(i - 1) / rate);
          absl::SleepFor(due - absl::Now());
          register_one(i);
          acked[i] = absl::Now();
          ++done;
        }
      });
    }
    for (auto& w : workers) w.join();
    absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (static_cast<int64_t>(seen.size()) < total && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
    stop = true;
    watcher.join();
    // The k-th arrival in the village (in count order) matches the k-th acknowledgement in time order.
    std::vector<absl::Time> acks(acked.begin() + 1, acked.end());
    std::sort(acks.begin(), acks.end());
    std::vector<double> lag;
    for (size_t k = 0; k < acks.size() && k < seen.size(); ++k) {
      lag.push_back(std::max(0.0, absl::ToDoubleMilliseconds(seen[k] - acks[k])));
    }
    std::sort(lag.begin(), lag.end());
    if (lag.empty()) return 1;
    auto pct = [&](double p) { return lag[std::min(lag.size() - 1, static_cast<size_t>(p * lag.size()))]; };
    double achieved = total / absl::ToDoubleSeconds(absl::Now() - start);
    std::printf("registrations=%lld\nvisible=%zu\nrate_per_sec=%.0f\np50_ms=%.1f\np99_ms=%.1f\nmax_ms=%.1f\n",
                static_cast<long long>(total), seen.size(), achieved, pct(0.5), pct(0.99), lag.back());
    return 0;
  }
  std::fprintf(stderr, "usage: reporting_load await ... | freshness ...\n");
  return 2;
}
