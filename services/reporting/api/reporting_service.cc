#include "services/reporting/api/reporting_service.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/civil_date.h"
#include "common/base/csv.h"
#include "common/base/status.h"
#include "common/rpc/status.h"
#include "common/validate/field_violations.h"
#include "common/validate/region_code.h"
#include "jinguo/registration/v1/types.pb.h"
#include "services/reporting/domain/indicators.h"
#include "spdlog/spdlog.h"

namespace jinguo::reporting::api {

using rpc::Role;

namespace {

const char* LevelName(size_t length) {
  switch (length) {
    case 0:
      return "country";
    case 2:
      return "province";
    case 4:
      return "city";
    case 6:
      return "county";
    case 9:
      return "township";
    default:
      return "village";
  }
}

}  // namespace

std::string Summaries::NameOf(const std::string& node) const {
  if (node.empty()) return "全国";
  std::string name = regions_->FullName(node);
  if (node.size() == 12) absl::StrAppend(&name, " ", node.substr(9), "村/居");
  return name;
}

absl::StatusOr<v1::RegionSummary> Summaries::Summary(const std::string& node,
                                                     const std::optional<absl::CivilDay>& as_of) const {
  std::map<std::string, int64_t> counters;
  absl::CivilDay day = as_of ? *as_of : ChinaDay(clock_->Now());
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& d : domain::Indicators()) out.push_back(d.name);
    return out;
  }();
  if (as_of) {
    ASSIGN_OR_RETURN(counters, model_->CountersAsOf(node, names, *as_of));
  } else {
    ASSIGN_OR_RETURN(counters, model_->Counters(node, names));
  }
  ASSIGN_OR_RETURN(counters[domain::kVisitsIndicator], model_->VisitsInWindow(node, day, domain::kVisitWindowDays));
  ASSIGN_OR_RETURN(counters[domain::kWomenVisitedIndicator],
                   model_->WomenVisitedInWindow(node, day, domain::kVisitWindowDays));
  counters[domain::kWomenNotVisitedIndicator] =
      counters[domain::NameOf(domain::kWomenRegistered)] - counters[domain::kWomenVisitedIndicator];
  // Since the quarter began: the cumulative counter now less its value at the end of the quarter's eve.
  std::vector<std::string> cumulative;
  for (const auto& w : domain::QuarterWindows()) cumulative.push_back(w.cumulative);
  ASSIGN_OR_RETURN(auto before_quarter, model_->CountersAsOf(node, cumulative, QuarterStart(day) - 1));
  for (const auto& w : domain::QuarterWindows()) {
    counters[w.windowed] = counters[w.cumulative] - before_quarter[w.cumulative];
  }
  v1::RegionSummary s;
  s.set_region_code(node);
  s.set_name(NameOf(node));
  s.set_level(LevelName(node.size()));
  if (as_of) *s.mutable_as_of() = ToProto(*as_of);
  for (const auto& d : domain::Indicators()) {
    auto* i = s.add_indicators();
    i->set_name(d.name);
    i->set_label(d.label);
    i->set_value(counters[d.name]);
  }
  for (const auto& r : domain::Ratios()) {
    int64_t numerator = 0;
    for (const char* n : r.numerator) numerator += counters[n];
    auto* i = s.add_indicators();
    i->set_name(r.name);
    i->set_label(r.label);
    i->set_value(domain::BasisPoints(numerator, counters[r.denominator]));
  }
  for (const auto& c : domain::Coverage()) {
    auto* item = s.add_coverage();
    item->set_name(c.name);
    item->set_label(c.label);
    item->set_numerator(counters[c.numerator]);
    item->set_denominator(counters[c.denominator]);
    item->set_basis_points(domain::BasisPoints(item->numerator(), item->denominator()));
  }
  return s;
}

absl::StatusOr<std::vector<std::string>> Summaries::Children(const std::string& node) const {
  if (node.size() == 9) return model_->VillagesUnder(node);
  if (node.size() == 12) return std::vector<std::string>();
  return regions_->Children(node);
}

ReportingService::ReportingService(const Summaries* summaries, const store::ReadModel* model,
                                   const regions::RegionTable* regions, const rpc::Authenticator* auth,
                                   const Clock* clock, store::ChangeFeed* feed, std::function<absl::Status()> current,
                                   rpc::WritePath* audit)
    : summaries_(summaries),
      model_(model),
      regions_(regions),
      auth_(auth),
      clock_(clock),
      feed_(feed),
      current_(std::move(current)),
      audit_(audit) {}

absl::StatusOr<rpc::Principal> ReportingService::CheckRead(const grpc::ServerContext& ctx, const std::string& region,
                                                           const common::v1::CivilDate* as_of, bool has_as_of,
                                                           std::optional<absl::CivilDay>* day) const {
  ASSIGN_OR_RETURN(rpc::Principal who, auth_->Authenticate(ctx));
  RETURN_IF_ERROR(current_());
  validate::FieldViolations v;
  v.Check("region_code", validate::CheckRegionPrefix(*regions_, region));
  if (has_as_of) {
    auto d = FromProto(*as_of);
    if (!d.ok()) {
      v.Add("as_of", d.status().message());
    } else if (*d > ChinaDay(clock_->Now())) {
      v.Add("as_of", "is in the future");
    } else {
      *day = *d;
    }
  }
  RETURN_IF_ERROR(v.ToStatus());
  RETURN_IF_ERROR(rpc::Authorize(who, Role::kViewer, region));
  return who;
}

grpc::Status ReportingService::GetRegionSummary(grpc::ServerContext* ctx, const v1::GetRegionSummaryRequest* req,
                                                v1::GetRegionSummaryResponse* resp) {
  std::optional<absl::CivilDay> day;
  auto who = CheckRead(*ctx, req->region_code(), &req->as_of(), req->has_as_of(), &day);
  if (!who.ok()) return rpc::ToGrpcStatus(who.status());
  auto s = summaries_->Summary(req->region_code(), day);
  if (!s.ok()) return rpc::ToGrpcStatus(s.status());
  *resp->mutable_summary() = *std::move(s);
  return grpc::Status::OK;
}

grpc::Status ReportingService::ListChildSummaries(grpc::ServerContext* ctx, const v1::ListChildSummariesRequest* req,
                                                  v1::ListChildSummariesResponse* resp) {
  std::optional<absl::CivilDay> day;
  auto who = CheckRead(*ctx, req->region_code(), &req->as_of(), req->has_as_of(), &day);
  if (!who.ok()) return rpc::ToGrpcStatus(who.status());
  auto parent = summaries_->Summary(req->region_code(), day);
  if (!parent.ok()) return rpc::ToGrpcStatus(parent.status());
  *resp->mutable_parent() = *std::move(parent);
  auto children = summaries_->Children(req->region_code());
  if (!children.ok()) return rpc::ToGrpcStatus(children.status());
  for (const auto& child : *children) {
    auto s = summaries_->Summary(child, day);
    if (!s.ok()) return rpc::ToGrpcStatus(s.status());
    *resp->add_children() = *std::move(s);
  }
  return grpc::Status::OK;
}

grpc::Status ReportingService::GetCoverage(grpc::ServerContext* ctx, const v1::GetCoverageRequest* req,
                                           v1::GetCoverageResponse* resp) {
  std::optional<absl::CivilDay> day;
  auto who = CheckRead(*ctx, req->region_code(), &req->as_of(), req->has_as_of(), &day);
  if (!who.ok()) return rpc::ToGrpcStatus(who.status());
  auto s = summaries_->Summary(req->region_code(), day);
  if (!s.ok()) return rpc::ToGrpcStatus(s.status());
  resp->set_region_code(s->region_code());
  resp->set_name(s->name());
  *resp->mutable_items() = s->coverage();
  return grpc::Status::OK;
}

grpc::Status ReportingService::GetBeneficiaryProfile(grpc::ServerContext* ctx,
                                                     const v1::GetBeneficiaryProfileRequest* req,
                                                     v1::GetBeneficiaryProfileResponse* resp) {
  auto who = auth_->Authenticate(*ctx);
  if (!who.ok()) return rpc::ToGrpcStatus(who.status());
  if (absl::Status s = current_(); !s.ok()) return rpc::ToGrpcStatus(s);
  if (req->beneficiary_id().empty()) {
    validate::FieldViolations v;
    v.Add("beneficiary_id", "is required");
    return rpc::ToGrpcStatus(v.ToStatus());
  }
  auto state = model_->Profile(req->beneficiary_id());
  if (!state.ok()) return rpc::ToGrpcStatus(state.status());
  if (!*state || !(*state)->registered()) {
    return rpc::ToGrpcStatus(absl::NotFoundError(absl::StrCat("no beneficiary ", req->beneficiary_id())));
  }
  const v1::ProfileState& p = **state;
  if (absl::Status s = rpc::Authorize(*who, Role::kViewer, p.region_code()); !s.ok()) return rpc::ToGrpcStatus(s);
  bool child = p.category() == registration::v1::CATEGORY_CHILD;
  // Data on children is sensitive: viewers do not see a child's name, and every read of a child's profile is
  // audited.
  if (child && audit_ != nullptr) {
    audit_->AuditRead(*ctx, *who, "GetBeneficiaryProfile", {p.beneficiary_id()}, p.region_code());
  }
  v1::BeneficiaryProfile* out = resp->mutable_profile();
  out->set_beneficiary_id(p.beneficiary_id());
  out->set_name(child && !who->SeesIdentifiers() ? "（儿童信息已隐藏）" : p.name());
  out->set_id_number_masked(p.id_number_masked());
  out->set_region_code(p.region_code());
  out->set_category(registration::v1::Category_Name(p.category()));
  out->set_monitoring_status(registration::v1::MonitoringStatus_Name(p.monitoring_status()));
  out->set_cadres(p.cadre_ids_size());
  domain::Contributions::Of(p.contributions()).ForEach([&](domain::Indicator indicator, int64_t value) {
    (*out->mutable_contributions())[domain::NameOf(indicator)] = value;
  });
  *out->mutable_timeline() = p.timeline();
  out->set_merged_into(p.merged_into());
  return grpc::Status::OK;
}

grpc::Status ReportingService::ExportReport(grpc::ServerContext* ctx, const v1::ExportReportRequest* req,
                                            grpc::ServerWriter<v1::ExportReportResponse>* writer) {
  std::optional<absl::CivilDay> day;
  auto who = CheckRead(*ctx, req->region_code(), nullptr, false, &day);
  if (!who.ok()) return rpc::ToGrpcStatus(who.status());
  // An export leaves the system: who took which region's figures is recorded.
  if (audit_ != nullptr) audit_->AuditRead(*ctx, *who, "ExportReport", {}, req->region_code());
  std::string chunk = "\xEF\xBB\xBF";  // BOM: spreadsheets then read the file as UTF-8
  absl::StrAppend(&chunk, "region_code,name,level");
  for (const auto& d : domain::Indicators()) absl::StrAppend(&chunk, ",", d.label);
  for (const auto& r : domain::Ratios()) absl::StrAppend(&chunk, ",", r.label);
  for (const auto& c : domain::Coverage()) absl::StrAppend(&chunk, ",", c.label, "覆盖率%");
  chunk.push_back('\n');
  auto flush = [&](bool force) {
    if (chunk.empty() || (!force && chunk.size() < 64 * 1024)) return true;
    v1::ExportReportResponse piece;
    piece.set_csv(chunk);
    chunk.clear();
    return writer->Write(piece);
  };
  std::vector<std::string> stack{req->region_code()};
  while (!stack.empty()) {
    if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "export cancelled");
    std::string node = stack.back();
    stack.pop_back();
    auto s = summaries_->Summary(node, std::nullopt);
    if (!s.ok()) return rpc::ToGrpcStatus(s.status());
    absl::StrAppend(&chunk, node, ",", CsvField(s->name()), ",", s->level());
    for (const auto& i : s->indicators()) absl::StrAppend(&chunk, ",", i.value());
    for (const auto& c : s->coverage()) {
      absl::StrAppend(&chunk, ",", c.basis_points() / 100, ".", absl::StrFormat("%02d", c.basis_points() % 100));
    }
    chunk.push_back('\n');
    if (!flush(false)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
    auto children = summaries_->Children(node);
    if (!children.ok()) return rpc::ToGrpcStatus(children.status());
    for (auto it = children->rbegin(); it != children->rend(); ++it) stack.push_back(*it);
  }
  flush(true);
  return grpc::Status::OK;
}

grpc::Status ReportingService::WatchRegion(grpc::ServerContext* ctx, const v1::WatchRegionRequest* req,
                                           grpc::ServerWriter<v1::WatchRegionResponse>* writer) {
  std::optional<absl::CivilDay> day;
  auto who = CheckRead(*ctx, req->region_code(), nullptr, false, &day);
  if (!who.ok()) return rpc::ToGrpcStatus(who.status());
  uint64_t generation = feed_->generation();
  std::string last;
  while (!ctx->IsCancelled()) {
    auto s = summaries_->Summary(req->region_code(), std::nullopt);
    if (!s.ok()) return rpc::ToGrpcStatus(s.status());
    std::string bytes = s->SerializeAsString();
    if (bytes != last) {
      v1::WatchRegionResponse msg;
      *msg.mutable_summary() = *std::move(s);
      if (!writer->Write(msg)) break;
      last = std::move(bytes);
    }
    feed_->WaitForChange(req->region_code(), &generation, absl::Seconds(1));
  }
  return grpc::Status::OK;
}

}  // namespace jinguo::reporting::api
