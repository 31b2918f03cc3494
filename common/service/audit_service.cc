#include "common/service/audit_service.h"

#include "absl/strings/str_cat.h"
#include "common/base/status.h"
#include "common/base/timestamp.h"
#include "common/store/keys.h"

namespace jinguo::service {

namespace {

constexpr rpc::PageLimits kLimits{100, 1000};
// Records looked at per page at most, so a filter that matches rarely still answers promptly (with a token).
constexpr int kScanLimit = 20000;

}  // namespace

grpc::Status AuditService::ListAuditRecords(grpc::ServerContext* ctx, const audit::v1::ListAuditRecordsRequest* req,
                                            audit::v1::ListAuditRecordsResponse* resp) {
  return writes_->Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    RETURN_IF_ERROR(rpc::AuthorizeAudit(who));
    validate::FieldViolations v;
    audit::AuditChain::Filter filter{req->principal(), req->target_id(), req->method()};
    if (req->has_from()) filter.from = FromTimestamp(req->from());
    if (req->has_to()) filter.to = FromTimestamp(req->to());
    if (req->has_from() && req->has_to() && filter.to <= filter.from) v.Add("to", "must be after from");
    int size = rpc::PageSize(req->page().page_size(), kLimits, "page.page_size", v);
    rpc::PageQuery query{"ListAuditRecords",
                         who.region_scope,
                         "",
                         {absl::StrCat("principal=", req->principal()), absl::StrCat("target_id=", req->target_id()),
                          absl::StrCat("method=", req->method()), absl::StrCat("from=", absl::FormatTime(filter.from)),
                          absl::StrCat("to=", absl::FormatTime(filter.to))}};
    auto after = pages_->Resume(query, req->page().page_token(), "page.page_token");
    if (!after.ok()) v.Merge(after.status());
    RETURN_IF_ERROR(v.ToStatus());
    uint64_t from_seq = 0;
    if (!after->empty()) store::DecodeU64(*after, &from_seq);
    uint64_t next = 0;
    ASSIGN_OR_RETURN(auto records, chain_->List(filter, from_seq, size, kScanLimit, &next));
    for (auto& r : records) *resp->add_records() = std::move(r);
    if (next != 0) resp->set_next_page_token(pages_->Issue(query, store::EncodeU64(next)));
    return absl::OkStatus();
  });
}

}  // namespace jinguo::service
