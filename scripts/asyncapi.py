#!/usr/bin/env python3
"""Writes docs/events/asyncapi.yaml, the event catalogue (AsyncAPI 3.1), from protos/: one channel per topic
(jinguo.<service>.events.v1, the audit trail jinguo.audit.v1, the dead-letter topic jinguo.dlq.v1 and its replay
topic jinguo.dlq.replay.v1), one message per event, each payload in
protobuf schema format, self-contained (the event and every message and enum it uses, with their comments), as
AsyncAPI's protobuf schema parser needs them (it follows no imports).

An event is a message of protos/jinguo/<service>/v1/events.proto that no other message there uses as a field (the
others, such as BeneficiaryFacts, are parts of events). Run with a Python that has protobuf (build/python-venv);
protoc is Debian's.
    scripts/asyncapi.py [OUT]     (default docs/events/asyncapi.yaml; "-" for stdout)
"""
import os
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SERVICES = ["registration", "health", "loans", "training", "publicity"]
SCALARS = {
    1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64", 7: "fixed32", 8: "bool",
    9: "string", 12: "bytes", 13: "uint32", 15: "sfixed32", 16: "sfixed64", 17: "sint32", 18: "sint64",
}


def descriptors():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "set.pb")
        files = [f"jinguo/{s}/v1/events.proto" for s in SERVICES] + ["jinguo/common/v1/event.proto",
                                                                       "jinguo/audit/v1/audit.proto"]
        subprocess.check_call(["protoc", "-I", os.path.join(ROOT, "protos"), "--include_imports",
                               "--include_source_info", f"--descriptor_set_out={out}"] + files)
        with open(out, "rb") as f:
            return descriptor_pb2.FileDescriptorSet.FromString(f.read())


class Catalogue:
    def __init__(self, fds):
        self.messages, self.enums, self.comments, self.files = {}, {}, {}, {}
        for fd in fds.file:
            self.files[fd.name] = fd
            comments = {tuple(loc.path): loc.leading_comments.strip() for loc in fd.source_code_info.location
                        if loc.leading_comments.strip()}

            def walk(prefix, messages, enums, path):
                for i, m in enumerate(messages):
                    name = f"{prefix}.{m.name}"
                    p = path + (4 if len(path) == 0 else 3, i)
                    self.messages[name] = (m, fd.name)
                    self.comments[name] = comments.get(p, "")
                    for j, f in enumerate(m.field):
                        self.comments[f"{name}#{f.name}"] = comments.get(p + (2, j), "")
                    walk(name, m.nested_type, m.enum_type, p)
                for i, e in enumerate(enums):
                    self.enums[f"{prefix}.{e.name}"] = e

            walk(f".{fd.package}", fd.message_type, fd.enum_type, ())

    def events(self, service):
        fd = self.files[f"jinguo/{service}/v1/events.proto"]
        names = [f".{fd.package}.{m.name}" for m in fd.message_type]
        used = {f.type_name for n in names for f in self.messages[n][0].field if f.type_name}
        return [n for n in names if n not in used]

    def closure(self, root):
        """The messages and enums `root` uses, transitively (google.protobuf types are left to their imports)."""
        messages, enums, todo = [], [], [root]
        while todo:
            name = todo.pop(0)
            if name in messages or name.startswith(".google.protobuf."):
                continue
            messages.append(name)
            for f in self.messages[name][0].field:
                if f.type == 11 and f.type_name not in messages:
                    todo.append(f.type_name)
                elif f.type == 14 and f.type_name not in enums:
                    enums.append(f.type_name)
        return messages, enums

    @staticmethod
    def short(name):
        return name.rsplit(".", 1)[1]

    def proto_text(self, root):
        messages, enums = self.closure(root)
        lines = ['syntax = "proto3";', ""]
        imports = sorted({"google/protobuf/" + f.type_name.split(".")[-1].lower() + ".proto"
                          for m in messages for f in self.messages[m][0].field
                          if f.type_name.startswith(".google.protobuf.")})
        lines += [f'import "{i}";' for i in imports] + ([""] if imports else [])
        for name in messages:
            m = self.messages[name][0]
            comment = self.comments.get(name, "")
            if name == root:
                comment = (comment + "\n" if comment else "") + "@RootNode"
            lines += [f"// {line}" for line in comment.splitlines()]
            lines.append(f"message {self.short(name)} {{")
            for f in m.field:
                for line in self.comments.get(f"{name}#{f.name}", "").splitlines():
                    lines.append(f"  // {line}")
                label = "repeated " if f.label == 3 else ""
                if f.type in (11, 14):
                    t = f.type_name[1:] if f.type_name.startswith(".google.protobuf.") else self.short(f.type_name)
                else:
                    t = SCALARS[f.type]
                lines.append(f"  {label}{t} {f.name} = {f.number};")
            lines.append("}")
            lines.append("")
        for name in enums:
            e = self.enums[name]
            lines.append(f"enum {self.short(name)} {{")
            lines += [f"  {v.name} = {v.number};" for v in e.value]
            lines.append("}")
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"


def yaml_block(text, indent):
    pad = " " * indent
    return "|\n" + "".join(f"{pad}{line}\n" if line else "\n" for line in text.splitlines())


def quoted(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def render(cat):
    out = []
    w = out.append
    w("# Jinguo's event catalogue: every topic, its key, the envelope and every event. Generated by\n")
    w("# scripts/asyncapi.py from protos/ (do not edit; CI checks it is current and validates it).\n")
    w("asyncapi: 3.1.0\n")
    w("info:\n  title: Jinguo events\n  version: 1.0.0\n")
    w("  description: " + quoted(
        "Each service publishes its facts, in the past tense, to its own topic jinguo.<service>.events.v1 through its "
        "outbox: state, events and audit record commit together, so nothing acknowledged is lost. The Kafka key is "
        "the aggregate id (all of an aggregate's events go to one partition, in order) and the value is a "
        "jinguo.common.v1.EventEnvelope (protobuf, components.schemas.EventEnvelope) whose payload is a "
        "google.protobuf.Any holding the event (type URL type.googleapis.com/<package>.<EventType>; event_type "
        "names it too). Consumers skip an aggregate_version they have applied, so replays are harmless. Topics keep "
        "every event forever: a consumer rebuilds its state by reading from the beginning. "
        "clients/python/examples/event_consumer.py decodes them.") + "\n")
    w("defaultContentType: application/x-protobuf\n")
    w("servers:\n  local:\n    host: 127.0.0.1:9092\n    protocol: kafka\n"
      "    description: the single broker of make run (deploy/local/kafka.sh); on Kubernetes, the Strimzi cluster\n")
    w("channels:\n")
    for s in SERVICES:
        w(f"  {s}:\n    address: jinguo.{s}.events.v1\n")
        w(f"    description: {quoted(f'Every event of the {s} service.')}\n")
        w("    messages:\n")
        for e in cat.events(s):
            w(f"      {cat.short(e)}:\n        $ref: '#/components/messages/{cat.short(e)}'\n")
        w("    bindings:\n      kafka:\n        bindingVersion: 0.5.0\n        topicConfiguration:\n"
          "          retention.ms: -1\n          cleanup.policy: [delete]\n")
    w("  audit:\n    address: jinguo.audit.v1\n    description: " + quoted(
        "Every service's audit trail (each write and each sensitive read: who, what, when, from where), one "
        "message per commit group, keyed <service>-audit, in an EventEnvelope of event_type AuditRecords whose "
        "aggregate_version is the last record's sequence in that service's hash chain.") + "\n")
    w("    messages:\n      AuditRecords:\n        $ref: '#/components/messages/AuditRecords'\n")
    w("  dlq:\n    address: jinguo.dlq.v1\n    description: " + quoted(
        "Messages a consumer could not process, each wrapped in jinguo.common.v1.DeadLetter with the source topic, "
        "partition, offset, the consumer and the reason; sent back on jinguo.dlq.replay.v1 after a fix.") + "\n")
    w("    messages:\n      DeadLetter:\n        $ref: '#/components/messages/DeadLetter'\n")
    w("  dlqReplay:\n    address: jinguo.dlq.replay.v1\n    description: " + quoted(
        "Dead letters an operator sends back to their consumer once the reason is fixed (jinguoctl dlq replay), "
        "keyed by the consumer's name; each consumer applies the letters addressed to it, each once, and skips one "
        "whose aggregate has moved on since.") + "\n")
    w("    messages:\n      ReplayedLetter:\n        $ref: '#/components/messages/ReplayedLetter'\n")
    w("operations:\n")
    for s in SERVICES:
        w(f"  consume{s.capitalize()}Events:\n    action: receive\n    channel:\n      $ref: '#/channels/{s}'\n")
        w(f"    summary: {quoted(f'Read the {s} topic (reporting and the domain services do).')}\n")
    w("  consumeAuditRecords:\n    action: receive\n    channel:\n      $ref: '#/channels/audit'\n")
    w("  consumeDeadLetters:\n    action: receive\n    channel:\n      $ref: '#/channels/dlq'\n")
    w("  consumeReplayedLetters:\n    action: receive\n    channel:\n      $ref: '#/channels/dlqReplay'\n")
    w("components:\n  schemas:\n    EventEnvelope:\n")
    w("      schemaFormat: application/vnd.google.protobuf;version=3\n")
    w("      schema: " + yaml_block(cat.proto_text(".jinguo.common.v1.EventEnvelope"), 8))
    w("  messages:\n")
    for s in SERVICES:
        for e in cat.events(s):
            name = cat.short(e)
            desc = cat.comments.get(e, "") or name
            w(f"    {name}:\n      name: {name}\n      title: {quoted(name)}\n")
            w(f"      summary: {quoted(desc)}\n")
            w("      description: " + quoted(
                f"On jinguo.{s}.events.v1 inside an EventEnvelope with event_type {name} and payload type "
                f"type.googleapis.com/{e[1:]}; the Kafka key is the envelope's aggregate_id.") + "\n")
            w("      contentType: application/x-protobuf\n")
            w("      bindings:\n        kafka:\n          bindingVersion: 0.5.0\n          key:\n"
              "            type: string\n            description: the aggregate id\n")
            w("      payload:\n        schemaFormat: application/vnd.google.protobuf;version=3\n")
            w("        schema: " + yaml_block(cat.proto_text(e), 10))
    w("    AuditRecords:\n      name: AuditRecords\n      contentType: application/x-protobuf\n")
    w("      description: " + quoted("On jinguo.audit.v1 inside an EventEnvelope with payload type "
                                    "type.googleapis.com/jinguo.audit.v1.AuditRecords.") + "\n")
    w("      payload:\n        schemaFormat: application/vnd.google.protobuf;version=3\n")
    w("        schema: " + yaml_block(cat.proto_text(".jinguo.audit.v1.AuditRecords"), 10))
    w("    DeadLetter:\n      name: DeadLetter\n      contentType: application/x-protobuf\n")
    w("      payload:\n        schemaFormat: application/vnd.google.protobuf;version=3\n")
    w("        schema: " + yaml_block(cat.proto_text(".jinguo.common.v1.DeadLetter"), 10))
    w("    ReplayedLetter:\n      name: ReplayedLetter\n      contentType: application/x-protobuf\n")
    w("      payload:\n        schemaFormat: application/vnd.google.protobuf;version=3\n")
    w("        schema: " + yaml_block(cat.proto_text(".jinguo.common.v1.ReplayedLetter"), 10))
    return "".join(out)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs", "events", "asyncapi.yaml")
    text = render(Catalogue(descriptors()))
    if out == "-":
        sys.stdout.write(text)
    else:
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
