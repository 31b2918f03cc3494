#include "common/rpc/write_path.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/base/check.h"
#include "common/base/timestamp.h"
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
                     outbox::CommitQueue* commits, prometheus::Registry* metrics, const Clock* clock, bool audit)
    : auth_(auth), gate_(gate), requests_(requests), commits_(commits), clock_(clock), audit_(audit) {
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

audit::v1::AuditRecord WritePath::AuditOf(const grpc::ServerContextBase& ctx, const Principal* who, const char* method,
                                          absl::string_view request_id, audit::v1::AuditKind kind) const {
  return AuditOf(ctx.peer(), who, method, request_id, kind);
}

audit::v1::AuditRecord WritePath::AuditOf(const std::string& client_address, const Principal* who, const char* method,
                                          absl::string_view request_id, audit::v1::AuditKind kind) const {
  audit::v1::AuditRecord r;
  r.set_kind(kind);
  if (who != nullptr) {
    r.set_principal(who->name);
    r.set_role(std::string(RoleName(who->role)));
  }
  r.set_method(method);
  r.set_request_id(std::string(request_id.substr(0, 128)));
  r.set_client_address(client_address);
  *r.mutable_time() = ToTimestamp(clock_->Now());
  return r;
}

absl::Status WritePath::CommitBulk(Tx tx, const std::string& principal, const std::string& client_address,
                                   const char* method) {
  std::vector<audit::v1::AuditRecord> audits;
  if (audit_ && !tx.events.empty()) {
    audit::v1::AuditRecord r;
    r.set_kind(audit::v1::AUDIT_KIND_WRITE);
    r.set_principal(principal);
    r.set_method(method);
    r.set_client_address(client_address);
    *r.mutable_time() = ToTimestamp(clock_->Now());
    TargetsFrom(tx.events, r);
    audits.push_back(std::move(r));
  }
  return commits_->Commit(std::move(tx.batch), std::move(tx.events), std::move(audits));
}

void WritePath::TargetsFrom(const std::vector<common::v1::OutboxRecord>& events, audit::v1::AuditRecord& record) {
  std::set<std::string> seen(record.target_ids().begin(), record.target_ids().end());
  for (const auto& e : events) {
    for (const std::string* id : {&e.envelope().aggregate_id(), &e.envelope().beneficiary_id()}) {
      if (!id->empty() && seen.insert(*id).second) record.add_target_ids(*id);
    }
    if (record.region_code().empty()) record.set_region_code(e.envelope().region_code());
  }
}

void WritePath::AuditRead(const grpc::ServerContextBase& ctx, const Principal& who, const char* method,
                          std::vector<std::string> targets, std::string region) {
  AuditRead(ctx.peer(), who, method, std::move(targets), std::move(region));
}

void WritePath::AuditRead(const std::string& client_address, const Principal& who, const char* method,
                          std::vector<std::string> targets, std::string region) {
  if (!audit_) return;
  audit::v1::AuditRecord r = AuditOf(client_address, &who, method, "", audit::v1::AUDIT_KIND_READ);
  for (auto& t : targets) r.add_target_ids(std::move(t));
  r.set_region_code(std::move(region));
  std::vector<audit::v1::AuditRecord> audits;
  audits.push_back(std::move(r));
  commits_->Submit(
      rocksdb::WriteBatch(), {}, [](const absl::Status&) {}, std::move(audits));
}

grpc::ServerUnaryReactor* WritePath::Mutate(grpc::CallbackServerContext* ctx, const WriteCall& call, Lock lock,
                                            Decide decide) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  auto finish = [reactor](const absl::Status& s) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  };
  // A call answered without a write of its own: with auditing, its record is written first.
  auto answer = [&](const Principal* who, const absl::Status& s) {
    if (!audit_) return finish(s);
    std::vector<audit::v1::AuditRecord> audits;
    audits.push_back(AuditOf(*ctx, who, call.method, call.request_id, audit::v1::AUDIT_KIND_WRITE));
    audits.back().set_outcome(static_cast<int>(s.code()));
    commits_->Submit(
        rocksdb::WriteBatch(), {}, [finish, s](const absl::Status& written) { finish(written.ok() ? s : written); },
        std::move(audits));
    return reactor;
  };
  if (gate_ != nullptr) {
    if (absl::Status open = gate_->Admit(); !open.ok()) return finish(open);
  }
  auto who = auth_->Authenticate(*ctx);
  if (!who.ok()) return answer(nullptr, who.status());
  if (absl::Status s = Authorize(*who, call.role, who->region_scope); !s.ok()) return answer(&*who, s);
  if (absl::Status s = CheckRequestId(call.request_id); !s.ok()) {
    validate::FieldViolations v;
    v.Add("request_id", s.message());
    return answer(&*who, v.ToStatus());
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
  if (!earlier.ok()) return answer(&*who, earlier.status());
  if (*earlier) {
    CountReplay();
    return answer(&*who, absl::OkStatus());
  }
  Tx tx;
  if (absl::Status s = decide(*who, tx); !s.ok()) return answer(&*who, s);
  requests_->Record(&tx.batch, call.method, call.request_id, call.request, *call.response);
  std::vector<audit::v1::AuditRecord> audits;
  if (audit_) {
    audits.push_back(AuditOf(*ctx, &*who, call.method, call.request_id, audit::v1::AUDIT_KIND_WRITE));
    TargetsFrom(tx.events, audits.back());
  }
  // The keys stay held until the write is on disk, so the next call on them reads what this one wrote.
  commits_->Submit(
      std::move(tx.batch), std::move(tx.events),
      [held = std::move(held), finish](const absl::Status& s) mutable {
        held.Release();
        finish(s);
      },
      std::move(audits));
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
