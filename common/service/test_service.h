// A service in-process, for API tests: its store in a temporary directory (the common families added as the
// runtime adds them), the write path over a real commit queue, outbox and audit chain (nothing relays it: events
// stay there for the test to read), the national region table, fixed tokens, a manual clock and a gRPC server on
// a loopback port serving the service and its AuditService. No broker; every call goes over gRPC, as a client's
// does.
//
// Thread-safety: set up and read from the test's thread; the server's threads run the service.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/audit/audit_chain.h"
#include "common/base/clock.h"
#include "common/base/uuid.h"
#include "common/outbox/commit_queue.h"
#include "common/outbox/outbox.h"
#include "common/regions/region_table.h"
#include "common/rpc/auth.h"
#include "common/rpc/paging.h"
#include "common/rpc/request_log.h"
#include "common/rpc/server.h"
#include "common/rpc/write_path.h"
#include "common/store/store.h"
#include "grpcpp/grpcpp.h"
#include "jinguo/common/v1/event.pb.h"
#include "prometheus/registry.h"

namespace jinguo::service {

struct TestServiceOptions {
  std::string name;
  std::vector<std::string> families;
  std::vector<std::string> scanned_by_first_part;
  // Bearer token → who it is.
  std::map<std::string, rpc::Principal> tokens;
  // What the clock reads at start.
  absl::Time now = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 10, 0, 0), absl::UTCTimeZone());
};

class TestService {
 public:
  explicit TestService(TestServiceOptions options);
  ~TestService();

  store::Store& store() { return *store_; }
  rpc::WritePath& writes() { return *writes_; }
  const rpc::PageTokens& pages() const { return *pages_; }
  const regions::RegionTable& regions() const { return *regions_; }
  ManualClock& clock() { return clock_; }
  UuidV7Generator& ids() { return ids_; }
  prometheus::Registry& metrics() { return *metrics_; }
  audit::AuditChain& audit() { return *audit_; }

  // Starts serving `service` (which must outlive this object); returns false (and fails the test) when it cannot.
  bool Serve(grpc::Service* service);
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  // A context carrying `token` and a 10-second deadline.
  static std::unique_ptr<grpc::ClientContext> As(const std::string& token);

  // Every event committed so far, in commit order (audit records on jinguo.audit.v1 left out).
  std::vector<common::v1::EventEnvelope> Events() const;
  // Keys stored in `family`.
  int64_t KeyCount(const std::string& family) const;

 private:
  std::string dir_;
  ManualClock clock_;
  UuidV7Generator ids_;
  std::shared_ptr<prometheus::Registry> metrics_ = std::make_shared<prometheus::Registry>();
  std::unique_ptr<regions::RegionTable> regions_;
  std::unique_ptr<rpc::Authenticator> auth_;
  std::unique_ptr<rpc::PageTokens> pages_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<outbox::Outbox> outbox_;
  std::unique_ptr<audit::AuditChain> audit_;
  std::unique_ptr<grpc::Service> audit_service_;
  std::unique_ptr<outbox::CommitQueue> commits_;
  std::unique_ptr<rpc::RequestLog> requests_;
  std::unique_ptr<rpc::WritePath> writes_;
  std::unique_ptr<rpc::RpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace jinguo::service
