// Routes each event a projection applies to the handler registered for its payload type, so that a service's
// events join a projection with one file of handlers (e.g. reporting's handlers/health.cc) and no branch on
// event-type strings anywhere:
//
//   router.On<registration::v1::VisitRecorded>([&](const auto& visit, const auto& event, ProjectionTx& tx) {…});
//
// A payload is decoded into a message the router keeps per type and reuses from event to event (its strings
// keep their buffers). An event whose payload does not decode is INVALID_ARGUMENT (dead-lettered by the runtime).
// An event of a type nobody registered goes to the fallback (Otherwise), or is ignored.
//
// Thread-safety: register from one thread before the projection starts; Route only on the projection's thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/projection/projection.h"
#include "jinguo/common/v1/event.pb.h"

namespace jinguo::projection {

class EventRouter {
 public:
  using Fallback = std::function<absl::Status(const common::v1::EventEnvelope& event, ProjectionTx& tx)>;

  // `handle(payload, event, tx)` applies every event whose payload is a `Payload`. One handler per type.
  template <typename Payload, typename Handle>
  void On(Handle handle) {
    auto reused = std::make_shared<Payload>();
    Add(Payload::descriptor()->full_name(),
        [reused, handle = std::move(handle)](const common::v1::EventEnvelope& e, ProjectionTx& tx) -> absl::Status {
          if (!reused->ParseFromString(e.payload().value())) {
            return absl::InvalidArgumentError(
                absl::StrCat(e.event_type(), ": payload is not a readable ", Payload::descriptor()->full_name()));
          }
          return handle(static_cast<const Payload&>(*reused), e, tx);
        });
  }
  // As On, with `decode(payload bytes, reused message)` instead of a parse (e.g. one that keeps submessages).
  template <typename Payload, typename Decode, typename Handle>
  void On(Decode decode, Handle handle) {
    auto reused = std::make_shared<Payload>();
    Add(Payload::descriptor()->full_name(),
        [reused, decode = std::move(decode), handle = std::move(handle)](const common::v1::EventEnvelope& e,
                                                                         ProjectionTx& tx) -> absl::Status {
          if (!decode(e.payload().value(), reused.get())) {
            return absl::InvalidArgumentError(
                absl::StrCat(e.event_type(), ": payload is not a readable ", Payload::descriptor()->full_name()));
          }
          return handle(static_cast<const Payload&>(*reused), e, tx);
        });
  }
  // Applies the events of every type without a handler of its own.
  void Otherwise(Fallback fallback) { fallback_ = std::move(fallback); }

  // The payload's full type name ("jinguo.registration.v1.VisitRecorded") from its type URL.
  static absl::string_view PayloadType(const common::v1::EventEnvelope& e) {
    absl::string_view url = e.payload().type_url();
    size_t slash = url.rfind('/');
    return slash == absl::string_view::npos ? url : url.substr(slash + 1);
  }
  bool Handles(absl::string_view payload_type) const { return routes_.contains(payload_type); }

  absl::Status Route(const common::v1::EventEnvelope& e, ProjectionTx& tx) const {
    auto it = routes_.find(PayloadType(e));
    if (it != routes_.end()) return it->second(e, tx);
    return fallback_ ? fallback_(e, tx) : absl::OkStatus();
  }

 private:
  using Route_ = std::function<absl::Status(const common::v1::EventEnvelope&, ProjectionTx&)>;
  void Add(const std::string& type, Route_ route) {
    bool added = routes_.emplace(type, std::move(route)).second;
    if (!added) std::abort();  // two handlers for one payload type: a programming error
  }
  absl::flat_hash_map<std::string, Route_> routes_;
  Fallback fallback_;
};

}  // namespace jinguo::projection
