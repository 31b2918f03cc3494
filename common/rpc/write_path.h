// The path every mutating call takes, and the shape every read takes, so that a service's handler is only its
// decision:
//
//   write: drain gate → authenticate → authorize the role in the caller's scope → request id checked → lock the
//          keys the decision reads (or everything) → a known request id is answered from the request log →
//          decide (fields, regions, domain rules; writes into a Tx) → the answer recorded in the same batch →
//          commit queue (state, indexes, request record and outbox events in one synced write) → answer.
//   read:  drain gate → authenticate → read → absl::Status turned into grpc::Status in one place.
//
// With auditing on (the service's commit queue has an audit chain), every mutating call leaves an audit record:
// a successful one in its own write batch, with the ids and region of the events it produced as its targets; a
// refused one (unauthenticated, not permitted, bad input, a rule) in a batch of its own, written before the
// refusal is answered. Sensitive reads are recorded with AuditRead.
//
// A decision returns an error to refuse: nothing of its Tx is written. A decision that writes a part and then
// finds that part must not stand (an import row) rolls back to a save point.
//
// Thread-safety: thread-safe; handlers call it from gRPC's threads.
#pragma once

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "common/base/clock.h"
#include "common/base/keyed_mutex.h"
#include "common/outbox/commit_queue.h"
#include "common/rpc/auth.h"
#include "common/rpc/request_log.h"
#include "common/rpc/server.h"
#include "grpcpp/grpcpp.h"
#include "jinguo/audit/v1/audit.pb.h"
#include "jinguo/common/v1/event.pb.h"
#include "prometheus/counter.h"
#include "prometheus/registry.h"
#include "rocksdb/write_batch.h"

namespace jinguo::rpc {

// What one mutating call writes: state and indexes into `batch`, events into `events`. Save points nest.
class Tx {
 public:
  rocksdb::WriteBatch batch;
  std::vector<common::v1::OutboxRecord> events;

  // Marks the current contents; RollbackToSavePoint drops everything added since, PopSavePoint keeps it.
  void SetSavePoint();
  void RollbackToSavePoint();
  void PopSavePoint();

 private:
  std::vector<size_t> event_marks_;
};

// Which keys a mutating call holds from its first read until its batch is on disk.
struct LockScope {
  // Every stripe: for calls that touch many entities at once (a household move, a merge).
  static LockScope Everything() { return {true, {}}; }
  static LockScope Keys(std::vector<std::string> keys) { return {false, std::move(keys)}; }
  bool everything = false;
  std::vector<std::string> keys;
};

// One mutating call as the write path sees it.
struct WriteCall {
  const char* method;  // the RPC's name, as the request log records it
  const std::string& request_id;
  const google::protobuf::Message& request;
  google::protobuf::Message* response;
  Role role = Role::kOperator;  // the least role that may make the call
};

class WritePath {
 public:
  using Decide = absl::FunctionRef<absl::Status(const Principal& who, Tx& tx)>;
  // The keys to lock; may read the store (e.g. to resolve a merged id to its survivor).
  using Lock = absl::FunctionRef<LockScope()>;

  // `service` labels the metrics (jinguo_<service>_request_replays_total). `audit`: record every call.
  WritePath(std::string service, const Authenticator* auth, const DrainGate* gate, RequestLog* requests,
            outbox::CommitQueue* commits, prometheus::Registry* metrics, const Clock* clock = &SystemClock::Get(),
            bool audit = false);

  // Runs one mutating call on gRPC's callback API: the reactor is finished at once for an answer that writes
  // nothing, and by the commit thread once the write is on disk otherwise.
  grpc::ServerUnaryReactor* Mutate(grpc::CallbackServerContext* ctx, const WriteCall& call, Lock lock, Decide decide);

  // Runs one read: `read` gets the authenticated caller and fills the response; its error is the call's.
  grpc::Status Read(grpc::ServerContext* ctx, absl::FunctionRef<absl::Status(const Principal& who)> read) const;

  // For calls that are neither (a stream): the drain gate, then the caller, who must hold `role` in her scope.
  absl::StatusOr<Principal> Admit(const grpc::ServerContextBase& ctx, Role role) const;

  // Records a sensitive read by `who` (unmasked identifiers, health results, children's data, an export) of
  // `targets` in `region`, without waiting for it to reach the disk. Nothing when auditing is off.
  void AuditRead(const grpc::ServerContextBase& ctx, const Principal& who, const char* method,
                 std::vector<std::string> targets, std::string region);
  // The same for a read over HTTP (the dashboard), from `client_address` ("ipv4:10.0.0.5:51234").
  void AuditRead(const std::string& client_address, const Principal& who, const char* method,
                 std::vector<std::string> targets, std::string region);
  // The audit record of a call by `who` (nullptr: not authenticated), before its outcome and targets.
  audit::v1::AuditRecord AuditOf(const grpc::ServerContextBase& ctx, const Principal* who, const char* method,
                                 absl::string_view request_id, audit::v1::AuditKind kind) const;
  audit::v1::AuditRecord AuditOf(const std::string& client_address, const Principal* who, const char* method,
                                 absl::string_view request_id, audit::v1::AuditKind kind) const;
  // Commits one chunk of a bulk operation (a daily sweep or close, a region's enrolment) with an audit record naming
  // `principal` and `method` when auditing and the chunk made events, and waits until it is on disk.
  absl::Status CommitBulk(Tx tx, const std::string& principal, const std::string& client_address, const char* method);
  // Adds the aggregates and beneficiaries of `events` to `record`'s targets, and the first one's region.
  static void TargetsFrom(const std::vector<common::v1::OutboxRecord>& events, audit::v1::AuditRecord& record);
  bool auditing() const { return audit_; }

  KeyedMutex& locks() { return locks_; }
  RequestLog& requests() { return *requests_; }
  outbox::CommitQueue& commits() { return *commits_; }
  // Counts a call answered from the request log.
  void CountReplay() { replays_total_->Increment(); }

 private:
  const Authenticator* auth_;
  const DrainGate* gate_;
  RequestLog* requests_;
  outbox::CommitQueue* commits_;
  const Clock* clock_;
  bool audit_;
  KeyedMutex locks_;
  prometheus::Counter* replays_total_;
};

}  // namespace jinguo::rpc
