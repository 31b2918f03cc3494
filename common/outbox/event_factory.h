// Builds the outbox records of one service's events: the envelope (UUIDv7 id, type, aggregate and version,
// occurred-at from the injected clock, producer, correlation id, beneficiary and region) around a payload.
// Thread-safe.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "common/base/clock.h"
#include "common/base/uuid.h"
#include "google/protobuf/message.h"
#include "jinguo/common/v1/event.pb.h"

namespace jinguo::outbox {

struct EventSubject {
  std::string aggregate_id;
  int64_t aggregate_version = 0;
  std::string beneficiary_id;  // may be empty
  std::string region_code;     // may be empty
};

class EventFactory {
 public:
  // `service` names the producer and the topic jinguo.<service>.events.v1. `clock` and `ids` must outlive it.
  EventFactory(absl::string_view service, const Clock& clock, UuidV7Generator& ids);

  // The event type is the payload message's name ("BeneficiaryRegistered").
  common::v1::OutboxRecord Make(const EventSubject& subject, const google::protobuf::Message& payload,
                                absl::string_view correlation_id) const;

  const std::string& topic() const { return topic_; }

 private:
  std::string producer_;
  std::string topic_;
  const Clock& clock_;
  UuidV7Generator& ids_;
};

}  // namespace jinguo::outbox
