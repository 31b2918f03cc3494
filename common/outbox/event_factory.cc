#include "common/outbox/event_factory.h"

#include "common/base/timestamp.h"
#include "common/bus/kafka.h"

namespace jinguo::outbox {

EventFactory::EventFactory(absl::string_view service, const Clock& clock, UuidV7Generator& ids)
    : producer_(service), topic_(bus::EventTopic(service)), clock_(clock), ids_(ids) {}

common::v1::OutboxRecord EventFactory::Make(const EventSubject& subject, const google::protobuf::Message& payload,
                                            absl::string_view correlation_id) const {
  common::v1::OutboxRecord record;
  record.set_topic(topic_);
  record.set_key(subject.aggregate_id);
  auto* e = record.mutable_envelope();
  e->set_event_id(ids_.Next());
  e->set_event_type(payload.GetDescriptor()->name());
  e->set_aggregate_id(subject.aggregate_id);
  e->set_aggregate_version(subject.aggregate_version);
  *e->mutable_occurred_at() = ToTimestamp(clock_.Now());
  e->set_producer(producer_);
  e->set_correlation_id(std::string(correlation_id));
  e->set_beneficiary_id(subject.beneficiary_id);
  e->set_region_code(subject.region_code);
  e->mutable_payload()->PackFrom(payload);
  return record;
}

}  // namespace jinguo::outbox
