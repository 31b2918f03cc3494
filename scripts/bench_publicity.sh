#!/usr/bin/env bash
# The publicity service's benchmarks, called by scripts/bench.sh with a running broker. JINGUO_BENCH_HOUSEHOLDS
# (default 20,000) households are registered (registration_load, 丰南区 黄各庄镇) and reach publicity's registry
# replica before any clock starts.
#   RecordHouseholdsReached: cadres' day sheets of 500 households (ghz, concurrency 4), every household once in each
#   of 5 campaigns: households/s (target >= 20,000);
#   RecordHouseholdReached, a single household a call, under ghz (concurrency 50) against grpc.health.v1.Health/Check
#   on the same server, alternating in JINGUO_BENCH_ROUNDS rounds (default 2): throughput ratio (target >= 0.5).
# usage: bench_publicity.sh BUILD WORK BROKERS
set -euo pipefail
BUILD=$1 WORK=$2 BROKERS=$3
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
GOBIN=$(go env GOPATH)/bin
N=${JINGUO_BENCH_HOUSEHOLDS:-20000}
TOKEN=bench-admin
W=$WORK/publicity-bench
mkdir -p "$W"
echo "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1) bench admin *" >"$W/tokens"
REG=$(deploy/local/kafka.sh free-port) PUB=$(deploy/local/kafka.sh free-port) HTTP=$(deploy/local/kafka.sh free-port)
common=(--kafka-brokers "$BROKERS" --tokens-file "$W/tokens" --regions-dir data/regions --log-level warn)
"$BUILD"/services/registration/jinguo-registration --grpc-listen "127.0.0.1:$REG" --data-dir "$W/registration" \
  "${common[@]}" >"$W/registration.log" 2>&1 &
REG_PID=$!
"$BUILD"/services/publicity/jinguo-publicity --grpc-listen "127.0.0.1:$PUB" --http-listen "127.0.0.1:$HTTP" \
  --data-dir "$W/publicity" --registration-address "127.0.0.1:$REG" "${common[@]}" >"$W/publicity.log" 2>&1 &
PUB_PID=$!
trap 'kill -TERM $REG_PID $PUB_PID 2>/dev/null || true; wait 2>/dev/null || true' RETURN EXIT
wait_serving "$REG" "$PUB"

"$BUILD"/tests/perf/registration_load households "127.0.0.1:$REG" "$TOKEN" "$N" "$W/households.txt"
wait_replica "$HTTP" "$N" publicity
LOAD=("$BUILD"/tests/perf/publicity_load)

echo "== RecordHouseholdsReached: day sheets of 500 households"
"${LOAD[@]}" sheet-data "127.0.0.1:$PUB" "$TOKEN" "$W/households.txt" 5 "$W/sheets.bin" >"$W/sheets.txt"
SHEETS=$(sed -n 's/^sheets=//p' "$W/sheets.txt")
"$GOBIN"/ghz --insecure -c 4 -n "$SHEETS" --connections 2 --import-paths protos \
  --call jinguo.publicity.v1.PublicityService/RecordHouseholdsReached --proto jinguo/publicity/v1/publicity.proto \
  --binary-file "$W/sheets.bin" -m "{\"authorization\":\"Bearer $TOKEN\"}" -O json "127.0.0.1:$PUB" >"$W/sheets.json"
python3 - "$W/sheets.json" "$(sed -n 's/^households=//p' "$W/sheets.txt")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
households = int(sys.argv[2])
seconds = r["total"] / 1e9
lat = {d["percentage"]: d["latency"] / 1e6 for d in r["latencyDistribution"]}
print(f"RecordHouseholdsReached: {households:,} households on {r['count']} sheets in {seconds:.2f} s: "
      f"{households / seconds:,.0f} households/s (target >= 20,000); a sheet p50 {lat[50]:.0f} ms, p99 {lat[99]:.0f} ms "
      f"{r.get('statusCodeDistribution')}")
PY

# Every row was reached: the file's last household is in each campaign's sheets once.
LAST=$(tail -n 1 "$W/households.txt")
"$GOBIN"/grpcurl -plaintext -H "authorization: Bearer $TOKEN" -d "{\"household_id\":\"$LAST\"}" "127.0.0.1:$PUB" \
  jinguo.publicity.v1.PublicityService/GetHouseholdRecord |
  python3 -c 'import json,sys; n=len(json.load(sys.stdin)["record"].get("reaches", [])); print(f"the last household was reached in {n} of 5 campaigns"); sys.exit(0 if n == 5 else 1)'

echo "== RecordHouseholdReached vs Health/Check"
REQUESTS=${JINGUO_BENCH_REQUESTS:-20000}
ROUNDS=${JINGUO_BENCH_ROUNDS:-2}
PER_ROUND=$((REQUESTS / ROUNDS))
"${LOAD[@]}" single-data "127.0.0.1:$PUB" "$TOKEN" "$W/households.txt" "$PER_ROUND" warmup "$W/warmup.bin" >/dev/null
ghz_round "$PUB" warmup jinguo.publicity.v1.PublicityService/RecordHouseholdReached \
  --proto jinguo/publicity/v1/publicity.proto --binary-file "$W/warmup.bin" -m "{\"authorization\":\"Bearer $TOKEN\"}" \
  >/dev/null
CHECKS=() REACHES=()
for r in $(seq 1 "$ROUNDS"); do
  "${LOAD[@]}" single-data "127.0.0.1:$PUB" "$TOKEN" "$W/households.txt" "$PER_ROUND" "$r" "$W/round-$r.bin" >/dev/null
  c=$(ghz_round "$PUB" "check-$r" grpc.health.v1.Health/Check --proto grpc/health/v1/health.proto -d '{}')
  s=$(ghz_round "$PUB" "reach-$r" jinguo.publicity.v1.PublicityService/RecordHouseholdReached \
    --proto jinguo/publicity/v1/publicity.proto --binary-file "$W/round-$r.bin" -m "{\"authorization\":\"Bearer $TOKEN\"}")
  echo "round $r: Health/Check $c; RecordHouseholdReached $s"
  CHECKS+=("${c%% *}") REACHES+=("${s%% *}")
done
ratio_line RecordHouseholdReached "${CHECKS[*]}" "${REACHES[*]}"
