#!/usr/bin/env bash
# make run: starts Kafka and every service in deploy/local/services.txt with state under var/ and logs under
# var/log/, loads the demo data, prints where to look, and stops everything cleanly on Ctrl-C (or SIGTERM).
#   JINGUO_KAFKA_PORT   broker port (default 9092)
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
ROOT=$PWD
KAFKA_PORT=${JINGUO_KAFKA_PORT:-9092}
mkdir -p var/log
PIDS=()
SLEEPER=""

stop_all() {
  trap - INT TERM EXIT
  [ -z "$SLEEPER" ] || kill "$SLEEPER" 2>/dev/null || true
  echo
  echo "run: stopping services"
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "run: stopping Kafka"
  deploy/local/kafka.sh stop var/kafka || true
  echo "run: stopped; state kept in var/ (rm -rf var to start afresh)"
}
# A signal stops everything and then exits (the handler alone would return to the wait loop below).
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT

if deploy/local/kafka.sh status var/kafka >/dev/null 2>&1; then
  echo "run: Kafka already up on 127.0.0.1:$KAFKA_PORT"
else
  deploy/local/kafka.sh start "$KAFKA_PORT" var/kafka
fi
BROKERS=127.0.0.1:$KAFKA_PORT

# The development data keys that seal ID and phone numbers at rest (docs/security.md): drawn once into var/keys/,
# kept with the stores they seal (rm -rf var forgets both). Services that hold no identifiers ignore the variable.
if [ ! -s var/keys/data-keys ]; then
  mkdir -p var/keys
  (umask 077 && printf '# make run development keys: id use hex\ndev1 data %s\nidx1 index %s\n' \
    "$(openssl rand -hex 32)" "$(openssl rand -hex 32)" >var/keys/data-keys)
  echo "run: drew development data keys into var/keys/data-keys"
fi
export JINGUO_DATA_KEY_FILE=$ROOT/var/keys/data-keys
# The development token services send when their registry replica asks registration about a woman it has not seen.
export JINGUO_SERVICE_TOKEN_FILE=$ROOT/deploy/local/service-token

declare -A GRPC_PORT HTTP_PORT
while read -r name grpc http; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  GRPC_PORT[$name]=$grpc
  HTTP_PORT[$name]=$http
  bin=$BUILD/services/$name/jinguo-$name
  [ -x "$bin" ] || { echo "run: $bin is missing; run make build" >&2; exit 1; }
  "$bin" --grpc-listen "127.0.0.1:$grpc" --http-listen "127.0.0.1:$http" --data-dir "var/$name" \
    --kafka-brokers "$BROKERS" --tokens-file deploy/local/tokens.txt --regions-dir data/regions \
    >>"var/log/$name.log" 2>&1 &
  PIDS+=($!)
  echo "run: started $name (pid $!, gRPC 127.0.0.1:$grpc, HTTP 127.0.0.1:$http, log var/log/$name.log)"
done < deploy/local/services.txt

# The REST gateway in front of every service (scripts/gateway.sh builds it with the rest).
GATEWAY_PORT=${JINGUO_GATEWAY_PORT:-8080}
GATEWAY_ARGS=(--listen "127.0.0.1:$GATEWAY_PORT")
for name in "${!GRPC_PORT[@]}"; do GATEWAY_ARGS+=("--$name" "127.0.0.1:${GRPC_PORT[$name]}"); done
"$BUILD/gateway/jinguo-gateway" "${GATEWAY_ARGS[@]}" >>var/log/gateway.log 2>&1 &
PIDS+=($!)
echo "run: started the REST gateway (pid $!, http://127.0.0.1:$GATEWAY_PORT, log var/log/gateway.log)"
HTTP_PORT[gateway]=$GATEWAY_PORT

for name in "${!HTTP_PORT[@]}"; do
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:${HTTP_PORT[$name]}/healthz" >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -fsS "http://127.0.0.1:${HTTP_PORT[$name]}/healthz" >/dev/null 2>&1 \
    || { echo "run: $name did not become ready; see var/log/$name.log" >&2; tail -n 20 "var/log/$name.log" >&2; exit 1; }
done

if [ -x scripts/demo.sh ] && [ ${#GRPC_PORT[@]} -gt 0 ]; then scripts/demo.sh "$BUILD"; fi

echo
echo "Jinguo is running."
echo "  Kafka       127.0.0.1:$KAFKA_PORT (state var/kafka)"
for name in "${!GRPC_PORT[@]}"; do
  echo "  $name  gRPC 127.0.0.1:${GRPC_PORT[$name]}  metrics http://127.0.0.1:${HTTP_PORT[$name]}/metrics"
done
echo "  REST        http://127.0.0.1:$GATEWAY_PORT/v1/... for every RPC; OpenAPI http://127.0.0.1:$GATEWAY_PORT/openapi.json, viewer http://127.0.0.1:$GATEWAY_PORT/docs/"
echo "              e.g. curl -H 'Authorization: Bearer dev-admin' http://127.0.0.1:$GATEWAY_PORT/v1/regions/1302/coverage"
echo "  tokens      dev-admin (admin), dev-tangshan (operator, 唐山市 1302), dev-viewer (viewer), dev-auditor (auditor: the audit trail only), dev-doctor (health, 唐山市), dev-bank (lender, 唐山市)"
echo "  data keys   var/keys/data-keys (development keys sealing ID and phone numbers at rest)"
echo "Press Ctrl-C to stop."
# A background sleep (a signal interrupts `wait` at once); stop_all ends it, as it ignores SIGINT.
while true; do
  sleep 3600 &
  SLEEPER=$!
  wait "$SLEEPER" || true
done
