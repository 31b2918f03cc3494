// The client context of every jinguoctl call: the caller's bearer token and a 30-second deadline.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "grpcpp/client_context.h"

namespace jinguo::tools {

inline std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return ctx;
}

}  // namespace jinguo::tools
