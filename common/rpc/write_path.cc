#include "common/rpc/write_path.h"

#include "absl/strings/str_cat.h"
#include "common/base/check.h"
#include "common/rpc/status.h"
#include "common/validate/field_violations.h"

namespace jinguo::rpc {

void Tx::SetSavePoint() {
  batch.SetSavePoint();
  event_marks_.push_back(events.size());
}

void Tx::RollbackToSavePoint() {
  JG_CHECK(!event_marks_.empty());
  rocksdb::Status s = batch.RollbackToSavePoint();
  JG_CHECK(s.ok());
  events.resize(event_marks_.back());
  event_marks_.pop_back();
}

void Tx::PopSavePoint() {
  JG_CHECK(!event_marks_.empty());
  rocksdb::Status s = batch.PopSavePoint();
  JG_CHECK(s.ok());
  event_marks_.pop_back();
}

WritePath::WritePath(std::string service, const Authenticator* auth, const DrainGate* gate, RequestLog* requests,
                     outbox::CommitQueue* commits, prometheus::Registry* metrics)
    : auth_(auth), gate_(gate), requests_(requests), commits_(commits) {
  replays_total_ = &prometheus::BuildCounter()
                        .Name(absl::StrCat("jinguo_", service, "_request_replays_total"))
                        .Help("Mutating calls answered from the request log (a retry with a known request_id)")
                        .Register(*metrics)
                        .Add({});
}

absl::StatusOr<Principal> WritePath::Admit(const grpc::ServerContextBase& ctx, Role role) const {
  if (gate_ != nullptr) {
    if (absl::Status open = gate_->Admit(); !open.ok()) return open;
  }
  auto who = auth_->Authenticate(ctx);
  if (!who.ok()) return who.status();
  if (absl::Status s = Authorize(*who, role, who->region_scope); !s.ok()) return s;
  return who;
}

grpc::ServerUnaryReactor* WritePath::Mutate(grpc::CallbackServerContext* ctx, const WriteCall& call, Lock lock,
                                            Decide decide) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  auto finish = [reactor](const absl::Status& s) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  };
  auto who = Admit(*ctx, call.role);
  if (!who.ok()) return finish(who.status());
  if (absl::Status s = CheckRequestId(call.request_id); !s.ok()) {
    validate::FieldViolations v;
    v.Add("request_id", s.message());
    return finish(v.ToStatus());
  }

  KeyedMutex::Held held;
  LockScope scope = lock();
  if (scope.everything) {
    held = locks_.LockEverything();
  } else {
    scope.keys.push_back(absl::StrCat("req:", call.method, "/", call.request_id));
    held = locks_.LockAll(scope.keys);
  }
  auto earlier = requests_->Find(call.method, call.request_id, call.request, call.response);
  if (!earlier.ok()) return finish(earlier.status());
  if (*earlier) {
    CountReplay();
    return finish(absl::OkStatus());
  }
  Tx tx;
  if (absl::Status s = decide(*who, tx); !s.ok()) return finish(s);
  requests_->Record(&tx.batch, call.method, call.request_id, call.request, *call.response);
  // The keys stay held until the write is on disk, so the next call on them reads what this one wrote.
  commits_->Submit(std::move(tx.batch), std::move(tx.events),
                   [held = std::move(held), finish](const absl::Status& s) mutable {
                     held.Release();
                     finish(s);
                   });
  return reactor;
}

grpc::Status WritePath::Read(grpc::ServerContext* ctx,
                             absl::FunctionRef<absl::Status(const Principal& who)> read) const {
  if (gate_ != nullptr) {
    if (absl::Status open = gate_->Admit(); !open.ok()) return ToGrpcStatus(open);
  }
  auto who = auth_->Authenticate(*ctx);
  if (!who.ok()) return ToGrpcStatus(who.status());
  return ToGrpcStatus(read(*who));
}

}  // namespace jinguo::rpc
