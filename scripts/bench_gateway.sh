#!/usr/bin/env bash
# The REST gateway's benchmark, called by scripts/bench.sh with a running broker: GetBeneficiary through REST
# (hey, GET /v1/beneficiaries/{id}, concurrency 50) against GetBeneficiary through gRPC (ghz, concurrency 50) on
# the same registration server, alternating in JINGUO_BENCH_ROUNDS rounds (default 2) of JINGUO_BENCH_CALLS calls
# (default 20,000): throughput ratio REST / gRPC (target >= 0.5).
# usage: bench_gateway.sh BUILD WORK BROKERS
set -euo pipefail
BUILD=$1 WORK=$2 BROKERS=$3
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
GOBIN=$(go env GOPATH)/bin
PER_ROUND=${JINGUO_BENCH_CALLS:-20000}
ROUNDS=${JINGUO_BENCH_ROUNDS:-2}
TOKEN=bench-admin
W=$WORK/gateway-bench
mkdir -p "$W"
echo "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1) bench admin *" >"$W/tokens"
REG=$(deploy/local/kafka.sh free-port) GW=$(deploy/local/kafka.sh free-port)
"$BUILD"/services/registration/jinguo-registration --grpc-listen "127.0.0.1:$REG" --data-dir "$W/registration" \
  --kafka-brokers "$BROKERS" --tokens-file "$W/tokens" --regions-dir data/regions --log-level warn \
  >"$W/registration.log" 2>&1 &
REG_PID=$!
"$BUILD"/gateway/jinguo-gateway --listen "127.0.0.1:$GW" --registration "127.0.0.1:$REG" >"$W/gateway.log" 2>&1 &
GW_PID=$!
trap 'kill -TERM $REG_PID $GW_PID 2>/dev/null || true; wait 2>/dev/null || true' RETURN EXIT
wait_serving "$REG"
for _ in $(seq 1 50); do curl -fsS "127.0.0.1:$GW/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

# One woman to read, registered through the gateway itself.
AUTH="Authorization: Bearer $TOKEN"
HH=$(curl -fsS -H "$AUTH" -d '{"request_id":"bench-hh","region_code":"130207104201","attribute":"HOUSEHOLD_ATTRIBUTE_GENERAL","head_name":"王建国"}' \
  "127.0.0.1:$GW/v1/households" | python3 -c 'import json,sys; print(json.load(sys.stdin)["household"]["id"])')
IDNO=$(python3 -c '
b = "13020719800301002"
print(b + "10X98765432"[sum(int(d) * w for d, w in zip(b, [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])) % 11])')
ID=$(curl -fsS -H "$AUTH" -d "{\"request_id\":\"bench-b\",\"beneficiary\":{\"id_number\":\"$IDNO\",\"name\":\"李秀英\",\"household_id\":\"$HH\",\"poverty_causes\":[\"POVERTY_CAUSE_ILLNESS\"]}}" \
  "127.0.0.1:$GW/v1/beneficiaries" | python3 -c 'import json,sys; print(json.load(sys.stdin)["beneficiary"]["id"])')

echo "== GetBeneficiary: REST through the gateway vs gRPC ($ROUNDS alternating rounds of $PER_ROUND)"
GRPC_RATES="" REST_RATES=""
for r in $(seq 1 "$ROUNDS"); do
  read -r rate codes < <(ghz_round "$REG" grpc-$r jinguo.registration.v1.RegistrationService/GetBeneficiary \
    --proto jinguo/registration/v1/registration.proto -d "{\"beneficiary_id\":\"$ID\"}" \
    -m "{\"authorization\":\"Bearer $TOKEN\"}")
  GRPC_RATES+=" $rate"
  "$GOBIN"/hey -n "$PER_ROUND" -c 50 -H "$AUTH" "http://127.0.0.1:$GW/v1/beneficiaries/$ID" >"$W/rest-$r.txt"
  rest=$(awk '/Requests\/sec/ { printf "%d", $2 }' "$W/rest-$r.txt")
  ok=$(awk '/\[200\]/ { print $2 }' "$W/rest-$r.txt")
  REST_RATES+=" $rest"
  echo "round $r: gRPC $rate req/s $codes; REST $rest req/s (${ok:-0} answered 200)"
done
python3 - "$GRPC_RATES" "$REST_RATES" <<'PY'
import sys
rate = lambda xs: len(xs) / sum(1 / float(x) for x in xs)
g, r = rate(sys.argv[1].split()), rate(sys.argv[2].split())
print(f"GetBeneficiary gRPC {g:,.0f} req/s; REST {r:,.0f} req/s; ratio {r / g:.2f} (target >= 0.5)")
PY
