// The OperationsService every service serves (the runtime adds it), to national admins: the outbox's depth and
// oldest record, each projection's progress, and an online backup of the store streamed to the caller
// (jinguoctl outbox status, rebuild, backup).
//
// A backup is a RocksDB checkpoint made beside the store (<data dir>.checkpoint-<ms>, hard links on the same
// volume, memtables flushed first), streamed in 1 MiB chunks and removed afterwards; checkpoints left by a crash
// are removed at start. One backup at a time: a second caller gets RESOURCE_EXHAUSTED.
//
// Thread-safety: handlers run on gRPC's threads; what they read is thread-safe.
#pragma once

#include <atomic>
#include <string>

#include "jinguo/operations/v1/operations.grpc.pb.h"

namespace jinguo::service {

class Runtime;

class OperationsService final : public operations::v1::OperationsService::Service {
 public:
  // `runtime` must outlive the service; its outbox, relay and projections are read when called.
  explicit OperationsService(Runtime* runtime);

  grpc::Status GetOutboxStatus(grpc::ServerContext* ctx, const operations::v1::GetOutboxStatusRequest* req,
                               operations::v1::GetOutboxStatusResponse* resp) override;
  grpc::Status GetProjectionStatus(grpc::ServerContext* ctx, const operations::v1::GetProjectionStatusRequest* req,
                                   operations::v1::GetProjectionStatusResponse* resp) override;
  grpc::Status StreamBackup(grpc::ServerContext* ctx, const operations::v1::StreamBackupRequest* req,
                            grpc::ServerWriter<operations::v1::StreamBackupResponse>* writer) override;

  // Removes the checkpoints a crash left beside the store at `data_dir`.
  static void RemoveLeftCheckpoints(const std::string& data_dir);

 private:
  Runtime* runtime_;
  std::atomic<bool> backing_up_{false};
};

}  // namespace jinguo::service
