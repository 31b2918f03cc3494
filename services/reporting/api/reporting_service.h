// The reporting service's gRPC adapter, and the summaries the dashboard's JSON shares with it. Every answer is
// built from per-node counters (store/read_model.h), so its cost does not grow with the number of beneficiaries.
// Thread-safety: all methods may run concurrently.
#pragma once

#include <functional>

#include "common/base/clock.h"
#include "common/regions/region_table.h"
#include "common/rpc/auth.h"
#include "common/rpc/write_path.h"
#include "jinguo/reporting/v1/reporting.grpc.pb.h"
#include "services/reporting/store/event_projector.h"
#include "services/reporting/store/read_model.h"

namespace jinguo::reporting::api {

namespace v1 = ::jinguo::reporting::v1;

// Builds region summaries from the read model.
class Summaries {
 public:
  Summaries(const store::ReadModel* model, const regions::RegionTable* regions, const Clock* clock)
      : model_(model), regions_(regions), clock_(clock) {}

  // The summary of `node` now, or at the end of `as_of` when given.
  absl::StatusOr<v1::RegionSummary> Summary(const std::string& node, const std::optional<absl::CivilDay>& as_of) const;
  // The node's children: regions from the table down to townships, then villages that have data.
  absl::StatusOr<std::vector<std::string>> Children(const std::string& node) const;
  // "河北省 唐山市" ("全国" for the country).
  std::string NameOf(const std::string& node) const;

 private:
  const store::ReadModel* model_;
  const regions::RegionTable* regions_;
  const Clock* clock_;
};

class ReportingService final : public v1::ReportingService::Service {
 public:
  // `current` says whether the read models are current (OK) or still catching up after a start (UNAVAILABLE,
  // which every read then answers rather than figures lower than the ones shown before the restart).
  ReportingService(const Summaries* summaries, const store::ReadModel* model, const regions::RegionTable* regions,
                   const rpc::Authenticator* auth, const Clock* clock, store::ChangeFeed* feed,
                   std::function<absl::Status()> current, rpc::WritePath* audit = nullptr);

  grpc::Status GetRegionSummary(grpc::ServerContext* ctx, const v1::GetRegionSummaryRequest* req,
                                v1::GetRegionSummaryResponse* resp) override;
  grpc::Status ListChildSummaries(grpc::ServerContext* ctx, const v1::ListChildSummariesRequest* req,
                                  v1::ListChildSummariesResponse* resp) override;
  grpc::Status GetCoverage(grpc::ServerContext* ctx, const v1::GetCoverageRequest* req,
                           v1::GetCoverageResponse* resp) override;
  grpc::Status GetBeneficiaryProfile(grpc::ServerContext* ctx, const v1::GetBeneficiaryProfileRequest* req,
                                     v1::GetBeneficiaryProfileResponse* resp) override;
  grpc::Status ExportReport(grpc::ServerContext* ctx, const v1::ExportReportRequest* req,
                            grpc::ServerWriter<v1::ExportReportResponse>* writer) override;
  grpc::Status WatchRegion(grpc::ServerContext* ctx, const v1::WatchRegionRequest* req,
                           grpc::ServerWriter<v1::WatchRegionResponse>* writer) override;

 private:
  // Authenticates and checks that the caller may read `region` and that it names a region; the as-of date, when
  // given, must be a real day not in the future.
  absl::StatusOr<rpc::Principal> CheckRead(const grpc::ServerContext& ctx, const std::string& region,
                                           const common::v1::CivilDate* as_of, bool has_as_of,
                                           std::optional<absl::CivilDay>* day) const;

  const Summaries* summaries_;
  const store::ReadModel* model_;
  const regions::RegionTable* regions_;
  const rpc::Authenticator* auth_;
  const Clock* clock_;
  store::ChangeFeed* feed_;
  std::function<absl::Status()> current_;
  rpc::WritePath* audit_;  // records children's profile reads and exports; nullptr: none
};

}  // namespace jinguo::reporting::api
