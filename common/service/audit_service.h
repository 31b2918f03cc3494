// The AuditService every service serves (the runtime adds it): ListAuditRecords over the service's own chain, to
// auditors only, filtered by principal, target id, method and time range, paged by sealed page tokens.
//
// Thread-safety: handlers run on gRPC's threads; the chain's List is thread-safe.
#pragma once

#include "common/audit/audit_chain.h"
#include "common/rpc/paging.h"
#include "common/rpc/write_path.h"
#include "jinguo/audit/v1/audit.grpc.pb.h"

namespace jinguo::service {

class AuditService final : public audit::v1::AuditService::Service {
 public:
  AuditService(const audit::AuditChain* chain, rpc::WritePath* writes, const rpc::PageTokens* pages)
      : chain_(chain), writes_(writes), pages_(pages) {}

  grpc::Status ListAuditRecords(grpc::ServerContext* ctx, const audit::v1::ListAuditRecordsRequest* req,
                                audit::v1::ListAuditRecordsResponse* resp) override;

 private:
  const audit::AuditChain* chain_;
  rpc::WritePath* writes_;
  const rpc::PageTokens* pages_;
};

}  // namespace jinguo::service
