#!/usr/bin/env bash
# The training service's benchmarks, called by scripts/bench.sh with a running broker. JINGUO_BENCH_TRAINING_WOMEN
# (default 10,000) women are imported into registration (registration_load, 丰南区 黄各庄镇) and reach training's
# registry replica before any clock starts.
#   RecordAttendance of a whole 200-person sheet, one call at a time (ghz -c 1, 500 sheets, later sheets replacing
#   earlier ones): p50 / p99 latency in ms;
#   Enrol under ghz (concurrency 50, every request a new woman in one of 200 programmes) against
#   grpc.health.v1.Health/Check on the same server, alternating in JINGUO_BENCH_ROUNDS rounds (default 2):
#   throughput ratio (target >= 0.5);
#   CompleteProgramme of a programme with 10,000 participants and five sheets: ms.
# usage: bench_training.sh BUILD WORK BROKERS
set -euo pipefail
BUILD=$1 WORK=$2 BROKERS=$3
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
GOBIN=$(go env GOPATH)/bin
N=${JINGUO_BENCH_TRAINING_WOMEN:-10000}
TOKEN=bench-admin
W=$WORK/training-bench
mkdir -p "$W"
echo "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1) bench admin *" >"$W/tokens"
REG=$(deploy/local/kafka.sh free-port) TRAINING=$(deploy/local/kafka.sh free-port) HTTP=$(deploy/local/kafka.sh free-port)
common=(--kafka-brokers "$BROKERS" --tokens-file "$W/tokens" --regions-dir data/regions --log-level warn)
"$BUILD"/services/registration/jinguo-registration --grpc-listen "127.0.0.1:$REG" --data-dir "$W/registration" \
  "${common[@]}" >"$W/registration.log" 2>&1 &
REG_PID=$!
"$BUILD"/services/training/jinguo-training --grpc-listen "127.0.0.1:$TRAINING" --http-listen "127.0.0.1:$HTTP" \
  --data-dir "$W/training" --registration-address "127.0.0.1:$REG" "${common[@]}" >"$W/training.log" 2>&1 &
TRAINING_PID=$!
trap 'kill -TERM $REG_PID $TRAINING_PID 2>/dev/null || true; wait 2>/dev/null || true' RETURN EXIT
wait_serving "$REG" "$TRAINING"

"$BUILD"/tests/perf/registration_load households "127.0.0.1:$REG" "$TOKEN" 1000 "$W/households.txt"
# Born from 1970 on (registration_load: row i is born on 1960-01-01 + ((1000000000 + i) / 500) % 14600 days).
"$BUILD"/tests/perf/registration_load import "127.0.0.1:$REG" "$TOKEN" "$W/households.txt" "$N" 1925000 \
  >"$W/import.txt"
wait_replica "$HTTP" "$N" training
PREFIX=130207
LOAD=("$BUILD"/tests/perf/training_load)
ghz_json() {  # ghz_json NAME CALL ARGS...: runs ghz, keeps its JSON report as $W/NAME.json
  local name=$1 call=$2
  shift 2
  "$GOBIN"/ghz --insecure --call "$call" "$@" -O json "127.0.0.1:$TRAINING" >"$W/$name.json"
}

echo "== RecordAttendance: a whole 200-person sheet at a time"
"${LOAD[@]}" sheet-data "127.0.0.1:$REG" "127.0.0.1:$TRAINING" "$TOKEN" "$PREFIX" 200 500 "$W/sheets.bin"
ghz_json sheets jinguo.training.v1.TrainingService/RecordAttendance --import-paths protos \
  --proto jinguo/training/v1/training.proto -c 1 -n 500 --binary-file "$W/sheets.bin" \
  -m "{\"authorization\":\"Bearer $TOKEN\"}"
python3 - "$W/sheets.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
lat = {d["percentage"]: d["latency"] / 1e6 for d in r["latencyDistribution"]}
print(f"RecordAttendance (200 marks): p50 {lat[50]:.1f} ms, p99 {lat[99]:.1f} ms over {r['count']} sheets "
      f"{r.get('statusCodeDistribution')}")
PY

echo "== Enrol vs Health/Check"
REQUESTS=${JINGUO_BENCH_REQUESTS:-20000}
ROUNDS=${JINGUO_BENCH_ROUNDS:-2}
PER_ROUND=$((REQUESTS / ROUNDS))
enrol_data() {  # enrol_data ROUND OUT: PER_ROUND requests, each round new women
  "${LOAD[@]}" enrol-data "127.0.0.1:$REG" "127.0.0.1:$TRAINING" "$TOKEN" "$PREFIX" 200 "$PER_ROUND" \
    $(($1 * PER_ROUND)) "$2" >/dev/null
}
enrol_data 0 "$W/warmup.bin"
ghz_round "$TRAINING" warmup jinguo.training.v1.TrainingService/Enrol --proto jinguo/training/v1/training.proto \
  --binary-file "$W/warmup.bin" -m "{\"authorization\":\"Bearer $TOKEN\"}" >/dev/null
CHECKS=() ENROLS=()
for r in $(seq 1 "$ROUNDS"); do
  enrol_data "$r" "$W/round-$r.bin"
  c=$(ghz_round "$TRAINING" "check-$r" grpc.health.v1.Health/Check --proto grpc/health/v1/health.proto -d '{}')
  s=$(ghz_round "$TRAINING" "enrol-$r" jinguo.training.v1.TrainingService/Enrol --proto jinguo/training/v1/training.proto \
    --binary-file "$W/round-$r.bin" -m "{\"authorization\":\"Bearer $TOKEN\"}")
  echo "round $r: Health/Check $c; Enrol $s"
  CHECKS+=("${c%% *}") ENROLS+=("${s%% *}")
done
ratio_line Enrol "${CHECKS[*]}" "${ENROLS[*]}"

echo "== CompleteProgramme with $N participants"
"${LOAD[@]}" complete "127.0.0.1:$REG" "127.0.0.1:$TRAINING" "$TOKEN" "$PREFIX" "$N" >"$W/complete.txt"
python3 - "$W/complete.txt" <<'PY'
import sys
r = dict(line.strip().split("=", 1) for line in open(sys.argv[1]) if "=" in line)
print(f"CompleteProgramme: {int(r['completed']) + int(r['not_completed']):,} participants decided in "
      f"{r['completion_ms']} ms ({r['completed']} completed, {r['not_completed']} not)")
PY
