#!/usr/bin/env python3
"""Reads Jinguo's event topics (docs/events/asyncapi.yaml) with confluent-kafka and prints each event as one JSON
line: where it was (topic, partition, offset), its key, the envelope's fields, and the payload decoded by type.

    event_consumer.py --brokers 127.0.0.1:9092 [--topics registration,health] [--group my-system]
                      [--from-beginning] [--max N] [--idle-seconds 10]

With --group, the consumer group keeps its offsets in Kafka, so the next run continues where this one stopped:
that is how a system takes only what changed since it last read. Without it, each run reads from the beginning.
Events arrive at least once; skip an (aggregate_id, aggregate_version) already applied.
"""
import argparse
import importlib
import json
import sys
import uuid

from confluent_kafka import Consumer, KafkaException
from google.protobuf import json_format

from jinguo.common.v1 import event_pb2

SERVICES = ["registration", "health", "loans", "training", "publicity"]
for _module in [f"jinguo.{s}.v1.events_pb2" for s in SERVICES] + ["jinguo.audit.v1.audit_pb2"]:
    importlib.import_module(_module)  # registers every payload type, so an Any decodes by its type URL


def decode(value: bytes) -> dict:
    """The envelope as a dict, its payload decoded (json_format resolves the Any by type URL)."""
    envelope = event_pb2.EventEnvelope.FromString(value)
    return json_format.MessageToDict(envelope, preserving_proto_field_name=True)


def consume(brokers: str, topics, group: str = "", from_beginning: bool = True, max_events: int = 0,
            idle_seconds: float = 10.0):
    """Yields (message, decoded envelope) until `max_events` (0: no limit) or `idle_seconds` without a message."""
    consumer = Consumer({
        "bootstrap.servers": brokers,
        "group.id": group or f"event-consumer-{uuid.uuid4()}",
        "auto.offset.reset": "earliest" if from_beginning else "latest",
        "enable.auto.commit": bool(group),
        "enable.partition.eof": False,
    })
    consumer.subscribe([f"jinguo.{t}.events.v1" if "." not in t else t for t in topics])
    seen = 0
    try:
        while max_events == 0 or seen < max_events:
            msg = consumer.poll(idle_seconds)
            if msg is None:
                return
            if msg.error():
                raise KafkaException(msg.error())
            seen += 1
            yield msg, decode(msg.value())
    finally:
        consumer.close()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--brokers", default="127.0.0.1:9092")
    p.add_argument("--topics", default=",".join(SERVICES), help="services (or full topic names), comma-separated")
    p.add_argument("--group", default="", help="a consumer group that keeps its offsets between runs")
    p.add_argument("--from-beginning", action="store_true", help="a new group starts at the oldest event")
    p.add_argument("--max", type=int, default=0)
    p.add_argument("--idle-seconds", type=float, default=10.0)
    a = p.parse_args(argv)
    for msg, event in consume(a.brokers, a.topics.split(","), a.group, a.from_beginning or not a.group, a.max,
                              a.idle_seconds):
        print(json.dumps({"topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset(),
                          "key": (msg.key() or b"").decode(), **event}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
