#!/usr/bin/env bash
# The health service's benchmarks, called by scripts/bench.sh with a running broker:
#   EnrollEligible over a county of JINGUO_BENCH_HEALTH_WOMEN (default 100,000) eligible women, all in health's
#   registry replica before the clock starts: women enrolled per second (target >= 20,000);
#   RecordScreening under ghz (concurrency 50, every request a new screening of one of those women) against
#   grpc.health.v1.Health/Check on the same server, alternating in JINGUO_BENCH_ROUNDS rounds (default 2):
#   throughput ratio (target >= 0.5);
#   the daily sweep over JINGUO_BENCH_SWEEP_STAGES (default 1,000,000) open follow-up stages all past their due date
#   (made by as many abnormal screenings dated 40 days back): seconds (target <= 30).
# The women are imported into registration (registration_load, born in 1970, so aged 35-64 this year and next
# decades) in 丰南区 黄各庄镇; the policy covers 丰南区.
# usage: bench_health.sh BUILD WORK BROKERS
set -euo pipefail
BUILD=$1 WORK=$2 BROKERS=$3
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
GOBIN=$(go env GOPATH)/bin
N=${JINGUO_BENCH_HEALTH_WOMEN:-100000}
TOKEN=bench-admin
W=$WORK/health-bench
mkdir -p "$W"
echo "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1) bench admin *" >"$W/tokens"
REG=$(deploy/local/kafka.sh free-port) HEALTH=$(deploy/local/kafka.sh free-port) HEALTH_HTTP=$(deploy/local/kafka.sh free-port)
common=(--kafka-brokers "$BROKERS" --tokens-file "$W/tokens" --regions-dir data/regions --log-level warn)
"$BUILD"/services/registration/jinguo-registration --grpc-listen "127.0.0.1:$REG" --data-dir "$W/registration" \
  "${common[@]}" >"$W/registration.log" 2>&1 &
REG_PID=$!
"$BUILD"/services/health/jinguo-health --grpc-listen "127.0.0.1:$HEALTH" --http-listen "127.0.0.1:$HEALTH_HTTP" \
  --data-dir "$W/health" --registration-address "127.0.0.1:$REG" "${common[@]}" >"$W/health.log" 2>&1 &
HEALTH_PID=$!
trap 'kill -TERM $REG_PID $HEALTH_PID 2>/dev/null || true; wait 2>/dev/null || true' RETURN EXIT
wait_serving "$REG" "$HEALTH"

echo "== EnrollEligible over $N eligible women"
"$BUILD"/tests/perf/registration_load households "127.0.0.1:$REG" "$TOKEN" 1000 "$W/households.txt"
# FIRST chosen so that the rows' birth dates start on 1970-01-01 (registration_load: row i is born on
# 1960-01-01 + ((1000000000 + i) / 500) % 14600 days).
"$BUILD"/tests/perf/registration_load import "127.0.0.1:$REG" "$TOKEN" "$W/households.txt" "$N" 1925000 \
  >"$W/import.txt"
# Until health's replica has applied every registration event (women and households) and stays still.
wait_replica "$HEALTH_HTTP" "$N" health
call() {  # call METHOD JSON
  "$GOBIN"/grpcurl -plaintext -max-time 600 -H "authorization: Bearer $TOKEN" -d "$2" "127.0.0.1:$HEALTH" \
    "jinguo.health.v1.HealthService/$1"
}
YEAR=$(date +%Y)
POLICY=$(call CreateInsurancePolicy "{\"request_id\":\"bench-policy\",\"insurer\":\"bench\",\"policy_year\":$YEAR,
  \"starts_on\":{\"year\":$YEAR,\"month\":1,\"day\":1},\"ends_on\":{\"year\":$YEAR,\"month\":12,\"day\":31},
  \"sum_insured_fen\":1000000,\"premium_fen\":5000,\"region_code\":\"130207\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["policy"]["id"])')
START=$(date +%s.%N)
call EnrollEligible "{\"request_id\":\"bench-enrol\",\"policy_id\":\"$POLICY\"}" >"$W/enrolled.json"
END=$(date +%s.%N)
python3 - "$W/enrolled.json" "$START" "$END" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
seconds = float(sys.argv[3]) - float(sys.argv[2])
enrolled = int(r.get("enrolled", 0))
print(f"EnrollEligible: {enrolled:,} women enrolled in {seconds:.2f} s: {enrolled / seconds:,.0f} women/s "
      f"(target >= 20,000); not eligible {int(r.get('not_eligible', r.get('notEligible', 0))):,}")
PY

echo "== RecordScreening vs Health/Check"
REQUESTS=${JINGUO_BENCH_REQUESTS:-20000}
ROUNDS=${JINGUO_BENCH_ROUNDS:-2}
PER_ROUND=$((REQUESTS / ROUNDS))
# Unmeasured first: a round of screenings warms the server, the broker and the replica's caches.
"$BUILD"/tests/perf/health_load ghz-data "127.0.0.1:$REG" "$TOKEN" 130207104 "$PER_ROUND" "$W/warmup.bin" >/dev/null
ghz_round "$HEALTH" warmup jinguo.health.v1.HealthService/RecordScreening --proto jinguo/health/v1/health.proto \
  --binary-file "$W/warmup.bin" -m "{\"authorization\":\"Bearer $TOKEN\"}" >/dev/null
CHECKS=() SCREENINGS=()
for r in $(seq 1 "$ROUNDS"); do
  "$BUILD"/tests/perf/health_load ghz-data "127.0.0.1:$REG" "$TOKEN" 130207104 "$PER_ROUND" "$W/round-$r.bin" >/dev/null
  c=$(ghz_round "$HEALTH" "check-$r" grpc.health.v1.Health/Check --proto grpc/health/v1/health.proto -d '{}')
  s=$(ghz_round "$HEALTH" "screen-$r" jinguo.health.v1.HealthService/RecordScreening --proto jinguo/health/v1/health.proto \
    --binary-file "$W/round-$r.bin" -m "{\"authorization\":\"Bearer $TOKEN\"}")
  echo "round $r: Health/Check $c; RecordScreening $s"
  CHECKS+=("${c%% *}") SCREENINGS+=("${s%% *}")
done
ratio_line RecordScreening "${CHECKS[*]}" "${SCREENINGS[*]}"

STAGES=${JINGUO_BENCH_SWEEP_STAGES:-1000000}
echo "== the daily sweep over $STAGES overdue stages"
"$BUILD"/tests/perf/health_load ghz-data "127.0.0.1:$REG" "$TOKEN" 130207104 "$STAGES" "$W/abnormal.bin" 40 >/dev/null
"$GOBIN"/ghz --insecure -c 50 -n "$STAGES" --connections 4 --import-paths protos \
  --call jinguo.health.v1.HealthService/RecordScreening --proto jinguo/health/v1/health.proto \
  --binary-file "$W/abnormal.bin" -m "{\"authorization\":\"Bearer $TOKEN\"}" -O json "127.0.0.1:$HEALTH" \
  >"$W/abnormal.json"
python3 - "$W/abnormal.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['count']:,} abnormal screenings recorded at {r['rps']:,.0f} req/s:", r.get("statusCodeDistribution"))
PY
START=$(date +%s.%N)
call RunDailySweep '{}' >"$W/swept.json"
END=$(date +%s.%N)
python3 - "$W/swept.json" "$START" "$END" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
seconds = float(sys.argv[3]) - float(sys.argv[2])
print(f"daily sweep: {int(r.get('marked_overdue', r.get('markedOverdue', 0))):,} stages marked overdue in {seconds:.1f} s (target <= 30 s for 1,000,000)")
PY
