#include "common/service/operations_service.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/status.h"
#include "common/base/timestamp.h"
#include "common/bus/kafka.h"
#include "common/outbox/outbox.h"
#include "common/rpc/auth.h"
#include "common/rpc/status.h"
#include "common/rpc/write_path.h"
#include "common/service/runtime.h"
#include "rocksdb/utilities/checkpoint.h"
#include "spdlog/spdlog.h"

namespace jinguo::service {

namespace {

namespace fs = std::filesystem;
namespace ov1 = operations::v1;

constexpr size_t kChunkBytes = 1 << 20;
constexpr char kCheckpointInfix[] = ".checkpoint-";

// The directory a checkpoint of the store at `data_dir` goes to: beside it, on the same volume, so RocksDB can
// hard-link the tables instead of copying them.
fs::path CheckpointDir(const std::string& data_dir) {
  fs::path store = fs::path(data_dir).lexically_normal();
  if (store.filename().empty()) store = store.parent_path();
  return store.parent_path() /
         absl::StrCat(store.filename().string(), kCheckpointInfix, absl::ToUnixMillis(absl::Now()));
}

}  // namespace

OperationsService::OperationsService(Runtime* runtime) : runtime_(runtime) {}

void OperationsService::RemoveLeftCheckpoints(const std::string& data_dir) {
  fs::path store = fs::path(data_dir).lexically_normal();
  if (store.filename().empty()) store = store.parent_path();
  std::error_code ec;
  fs::directory_iterator it(store.parent_path().empty() ? fs::path(".") : store.parent_path(), ec);
  if (ec) return;
  const std::string prefix = absl::StrCat(store.filename().string(), kCheckpointInfix);
  for (const auto& entry : it) {
    if (!absl::StartsWith(entry.path().filename().string(), prefix)) continue;
    spdlog::info("removing a backup checkpoint left from before: {}", entry.path().string());
    fs::remove_all(entry.path(), ec);
  }
}

grpc::Status OperationsService::GetOutboxStatus(grpc::ServerContext* ctx, const ov1::GetOutboxStatusRequest*,
                                                ov1::GetOutboxStatusResponse* resp) {
  return runtime_->writes().Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    RETURN_IF_ERROR(rpc::Authorize(who, rpc::Role::kAdmin, ""));
    const ServiceSpec& spec = runtime_->spec();
    resp->set_service(spec.name);
    if (spec.publishes) resp->set_topic(bus::EventTopic(spec.name));
    outbox::Outbox& box = runtime_->outbox();
    resp->set_depth(box.depth());
    ASSIGN_OR_RETURN(std::optional<absl::Time> oldest, box.OldestCommittedAt());
    if (oldest) *resp->mutable_oldest_committed_at() = ToTimestamp(*oldest);
    if (const outbox::OutboxRelay* relay = runtime_->relay()) resp->set_published_since_start(relay->published());
    *resp->mutable_now() = ToTimestamp(runtime_->clock().Now());
    return absl::OkStatus();
  });
}

grpc::Status OperationsService::GetProjectionStatus(grpc::ServerContext* ctx, const ov1::GetProjectionStatusRequest*,
                                                    ov1::GetProjectionStatusResponse* resp) {
  return runtime_->writes().Read(ctx, [&](const rpc::Principal& who) -> absl::Status {
    RETURN_IF_ERROR(rpc::Authorize(who, rpc::Role::kAdmin, ""));
    resp->set_service(runtime_->spec().name);
    for (const auto& p : runtime_->projections()) {
      ov1::ProjectionStatus* out = resp->add_projections();
      out->set_name(p->options().name);
      for (const std::string& t : p->options().topics) out->add_topics(t);
      out->set_applied(p->applied());
      out->set_skipped(p->skipped());
      out->set_dead_lettered(p->dead_lettered());
      out->set_lag_events(p->lag_events());
      out->set_caught_up(p->CaughtUp().ok());
    }
    resp->set_serving(runtime_->readiness().ready());
    *resp->mutable_now() = ToTimestamp(runtime_->clock().Now());
    return absl::OkStatus();
  });
}

grpc::Status OperationsService::StreamBackup(grpc::ServerContext* ctx, const ov1::StreamBackupRequest*,
                                             grpc::ServerWriter<ov1::StreamBackupResponse>* writer) {
  rpc::WritePath& writes = runtime_->writes();
  absl::StatusOr<rpc::Principal> who = writes.Admit(*ctx, rpc::Role::kAdmin);
  if (who.ok()) {
    if (absl::Status s = rpc::Authorize(*who, rpc::Role::kAdmin, ""); !s.ok()) who = s;
  }
  if (!who.ok()) return rpc::ToGrpcStatus(who.status());
  if (backing_up_.exchange(true)) {
    return rpc::ToGrpcStatus(absl::ResourceExhaustedError("a backup of this service is already being taken"));
  }
  absl::Cleanup done = [this] { backing_up_ = false; };
  // The backup holds every record of the store: a read of everything, audited as such.
  writes.AuditRead(*ctx, *who, "StreamBackup", {}, "");

  store::Store& store = runtime_->store();
  const fs::path dir = CheckpointDir(store.path());
  absl::Cleanup remove = [&dir] {
    std::error_code ec;
    fs::remove_all(dir, ec);
  };
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status made = rocksdb::Checkpoint::Create(store.db(), &raw);
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  uint64_t sequence = 0;
  // log_size_for_flush 0: the memtables are flushed first, so the checkpoint needs no write-ahead log (a store
  // with unlogged writes has none to copy).
  if (made.ok()) made = checkpoint->CreateCheckpoint(dir.string(), /*log_size_for_flush=*/0, &sequence);
  if (!made.ok()) {
    spdlog::error("backup: checkpoint in {} failed: {}", dir.string(), made.ToString());
    return rpc::ToGrpcStatus(absl::InternalError(absl::StrCat("the checkpoint failed: ", made.ToString())));
  }

  ov1::StreamBackupResponse head;
  ov1::BackupManifest* manifest = head.mutable_manifest();
  manifest->set_service(runtime_->spec().name);
  *manifest->mutable_created_at() = ToTimestamp(runtime_->clock().Now());
  manifest->set_sequence(sequence);
  std::vector<std::string> families;
  if (rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.string(), &families).ok()) {
    for (const std::string& f : families) manifest->add_families(f);
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  int64_t total = 0;
  for (const fs::path& f : files) {
    ov1::BackupFile* file = manifest->add_files();
    file->set_name(f.filename().string());
    file->set_size(static_cast<int64_t>(fs::file_size(f)));
    total += file->size();
  }
  manifest->set_total_bytes(total);
  if (!writer->Write(head)) return grpc::Status(grpc::StatusCode::CANCELLED, "the caller went away");
  spdlog::info("backup for {}: {} files, {} bytes, up to sequence {}", who->name, files.size(), total, sequence);

  std::string buffer(kChunkBytes, '\0');
  for (size_t i = 0; i < files.size(); ++i) {
    std::ifstream in(files[i], std::ios::binary);
    if (!in) return rpc::ToGrpcStatus(absl::InternalError(absl::StrCat("cannot read ", files[i].string())));
    int64_t offset = 0;
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      std::streamsize got = in.gcount();
      if (got <= 0) break;
      ov1::StreamBackupResponse part;
      ov1::FileChunk* chunk = part.mutable_chunk();
      chunk->set_file_index(static_cast<int32_t>(i));
      chunk->set_offset(offset);
      chunk->set_data(buffer.data(), static_cast<size_t>(got));
      offset += got;
      if (ctx->IsCancelled() || !writer->Write(part)) {
        return grpc::Status(grpc::StatusCode::CANCELLED, "the caller went away");
      }
    }
  }
  return grpc::Status::OK;
}

}  // namespace jinguo::service
