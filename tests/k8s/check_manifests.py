#!/usr/bin/env python3
"""Checks the chart's rendered manifests for what the services need, beyond their schemas:
every topic a service uses has a KafkaTopic that keeps events forever (with min.insync.replicas 2 and three
replicas in production); every service has a StatefulSet with gRPC readiness, liveness and startup probes on its
plain-text health listener, a locked-down security context, a volume claim kept on delete, a PodDisruptionBudget, a
NetworkPolicy and a KafkaUser.

    check_manifests.py RENDERED.yaml [--prod]
Prints each failure and exits 1 when there is one.
"""
import os
import re
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def services():
    out = []
    with open(os.path.join(ROOT, "deploy", "local", "services.txt")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                out.append(line.split()[0])
    return out


def topics_used(names):
    """The services' event topics (every service but reporting publishes one) and the topics named in common/."""
    topics = {f"jinguo.{s}.events.v1" for s in names if s != "reporting"}
    for dirpath, _, files in os.walk(os.path.join(ROOT, "common")):
        for name in files:
            if name.endswith(".h"):
                with open(os.path.join(dirpath, name)) as f:
                    topics |= set(re.findall(r'Topic(?:\[\])?\s*=\s*"(jinguo\.[a-z.]+\.v1)"', f.read()))
    return topics


def main():
    path, prod = sys.argv[1], "--prod" in sys.argv
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    failures = []

    def fail(msg):
        failures.append(msg)

    kafka_topics = {t["spec"]["topicName"]: t for t in by_kind.get("KafkaTopic", [])}
    for topic in sorted(topics_used(services())):
        t = kafka_topics.get(topic)
        if t is None:
            fail(f"topic {topic}: no KafkaTopic")
            continue
        config = t["spec"].get("config", {})
        if str(config.get("retention.ms")) != "-1":
            fail(f"topic {topic}: retention.ms is {config.get('retention.ms')}, not -1 (events are kept forever)")
        if prod and (int(config.get("min.insync.replicas", 1)) < 2 or int(t["spec"].get("replicas", 1)) < 3):
            fail(f"topic {topic}: production needs 3 replicas and min.insync.replicas 2")

    def selects(selector, labels):
        return all(labels.get(k) == v for k, v in (selector or {}).get("matchLabels", {}).items())

    sets = {s["metadata"]["name"]: s for s in by_kind.get("StatefulSet", [])}
    users = {u["metadata"]["name"] for u in by_kind.get("KafkaUser", [])}
    for name in services():
        s = sets.get(f"jinguo-{name}")
        if s is None:
            fail(f"{name}: no StatefulSet")
            continue
        pod = s["spec"]["template"]
        labels = pod["metadata"]["labels"]
        c = pod["spec"]["containers"][0]
        env = {e["name"]: e.get("value") for e in c.get("env", [])}
        health_port = next((p["containerPort"] for p in c.get("ports", []) if p.get("name") == "health"), None)
        if health_port is None or env.get("JINGUO_HEALTH_LISTEN") != f"0.0.0.0:{health_port}":
            fail(f"{name}: no plain-text health listener (JINGUO_HEALTH_LISTEN on the port named health)")
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            if "grpc" not in c.get(probe, {}):
                fail(f"{name}: no gRPC {probe}")
            elif c[probe]["grpc"]["port"] != health_port:
                # The gRPC port requires a client certificate; the kubelet's probe presents none.
                fail(f"{name}: its {probe} is not on the health listener")
        sc = c.get("securityContext", {})
        if not (sc.get("readOnlyRootFilesystem") and sc.get("allowPrivilegeEscalation") is False
                and sc.get("capabilities", {}).get("drop") == ["ALL"]):
            fail(f"{name}: the container is not locked down (read-only root, no escalation, no capabilities)")
        psc = pod["spec"].get("securityContext", {})
        if not psc.get("runAsNonRoot") or psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            fail(f"{name}: the pod may run as root or without the RuntimeDefault seccomp profile")
        if s["spec"].get("persistentVolumeClaimRetentionPolicy", {}).get("whenDeleted") != "Retain":
            fail(f"{name}: its RocksDB volume would be deleted with the StatefulSet")
        if not any(selects(p["spec"]["selector"], labels) for p in by_kind.get("PodDisruptionBudget", [])):
            fail(f"{name}: no PodDisruptionBudget")
        if not any(selects(n["spec"]["podSelector"], labels) for n in by_kind.get("NetworkPolicy", [])):
            fail(f"{name}: no NetworkPolicy")
        if f"jinguo-{name}" not in users:
            fail(f"{name}: no KafkaUser")
    # Prometheus sees every pod once: the ServiceMonitor selects one Service of each service's.
    for m in by_kind.get("ServiceMonitor", []):
        services_scraped = [v["metadata"]["name"] for v in by_kind.get("Service", [])
                            if selects(m["spec"]["selector"], v["metadata"].get("labels", {}))]
        for name in services():
            n = sum(1 for v in services_scraped if v.startswith(f"jinguo-{name}"))
            if n != 1:
                fail(f"{name}: the ServiceMonitor scrapes {n} of its Services (one, or each pod counts {n} times)")
    if not by_kind.get("ServiceMonitor") or not by_kind.get("PrometheusRule"):
        fail("no ServiceMonitor or PrometheusRule (rendered as with the Prometheus Operator's CRDs)")
    for f in failures:
        print(f"check_manifests: {path}: {f}")
    print(f"check_manifests: {path}: {len(docs)} objects, {len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
