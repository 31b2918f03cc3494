#!/usr/bin/env bash
# The loans service's benchmarks, called by scripts/bench.sh with a running broker:
#   the daily close over JINGUO_BENCH_LOANS (default 1,000,000) active loans, every one with an instalment falling
#   due on the date closed (paid on time: each accrues its period's subsidy with an event and an accrual record),
#   written into the stopped service's store by tests/perf/loans_load: seconds (target <= 30);
#   RecordRepayment under ghz (concurrency 50, 1.00 元 on each of the first 20,000 loans in turn) against
#   grpc.health.v1.Health/Check on the same server, alternating in JINGUO_BENCH_ROUNDS rounds (default 2):
#   throughput ratio (target >= 0.5).
# usage: bench_loans.sh BUILD WORK BROKERS
set -euo pipefail
BUILD=$1 WORK=$2 BROKERS=$3
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
GOBIN=$(go env GOPATH)/bin
N=${JINGUO_BENCH_LOANS:-1000000}
TOKEN=bench-admin
W=$WORK/loans-bench
mkdir -p "$W"
echo "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1) bench admin *" >"$W/tokens"
GRPC=$(deploy/local/kafka.sh free-port)
HTTP=$(deploy/local/kafka.sh free-port)
REG=$(deploy/local/kafka.sh free-port)
# Registration publishes the topic loans' registry replica follows (empty here: the loans are written directly).
"$BUILD"/services/registration/jinguo-registration --grpc-listen "127.0.0.1:$REG" --data-dir "$W/registration" \
  --kafka-brokers "$BROKERS" --tokens-file "$W/tokens" --regions-dir data/regions --log-level warn \
  >"$W/registration.log" 2>&1 &
REG_PID=$!
PID=
start() {
  "$BUILD"/services/loans/jinguo-loans --grpc-listen "127.0.0.1:$GRPC" --http-listen "127.0.0.1:$HTTP" \
    --data-dir "$W/loans" --kafka-brokers "$BROKERS" --tokens-file "$W/tokens" --regions-dir data/regions \
    --registration-address "127.0.0.1:$REG" --close-at 23:59 --close-check-seconds 3600 --log-level warn \
    >>"$W/loans.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 240); do
    "$GOBIN"/grpcurl -plaintext "127.0.0.1:$GRPC" grpc.health.v1.Health/Check 2>/dev/null | grep -q SERVING && return 0
    sleep 0.5
  done
  echo "bench_loans: the loans service did not start; see $W/loans.log" >&2
  return 1
}
stop() { kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
trap 'stop; kill -TERM $REG_PID 2>/dev/null || true; wait 2>/dev/null || true' RETURN EXIT

# A first start makes the store; the loans are written into it stopped.
start
stop
YESTERDAY=$(TZ=Asia/Shanghai date -d yesterday +%F)
"$BUILD"/tests/perf/loans_load seed "$W/loans" "$N" "$YESTERDAY"
start
echo "== the daily close over $N active loans, each with an instalment due on $YESTERDAY"
read -r Y M D <<<"$(echo "$YESTERDAY" | tr - ' ')"
START=$(date +%s.%N)
"$GOBIN"/grpcurl -plaintext -max-time 1800 -H "authorization: Bearer $TOKEN" \
  -d "{\"request_id\":\"bench-close\",\"business_date\":{\"year\":$Y,\"month\":$((10#$M)),\"day\":$((10#$D))}}" \
  "127.0.0.1:$GRPC" jinguo.loans.v1.LoanService/CloseBusinessDay >"$W/closed.json"
END=$(date +%s.%N)
python3 - "$W/closed.json" "$START" "$END" "$N" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
seconds = float(sys.argv[3]) - float(sys.argv[2])
loans = int(r.get("loans_processed", r.get("loansProcessed", 0)))
fen = int(r.get("subsidy_accrued_fen", r.get("subsidyAccruedFen", 0)))
print(f"daily close: {loans:,} loans closed in {seconds:.1f} s ({loans / seconds:,.0f} loans/s; target <= 30 s for "
      f"{int(sys.argv[4]):,}); subsidy accrued {fen / 100:,.2f} 元")
PY

echo "== RecordRepayment vs Health/Check"
REQUESTS=${JINGUO_BENCH_REQUESTS:-20000}
ROUNDS=${JINGUO_BENCH_ROUNDS:-2}
PER_ROUND=$((REQUESTS / ROUNDS))
LOANS=$((N < 20000 ? N : 20000))
"$BUILD"/tests/perf/loans_load ghz-data "$PER_ROUND" "$LOANS" "$W/warmup.bin"
ghz_round "$GRPC" warmup jinguo.loans.v1.LoanService/RecordRepayment --proto jinguo/loans/v1/loans.proto \
  --binary-file "$W/warmup.bin" -m "{\"authorization\":\"Bearer $TOKEN\"}" >/dev/null
CHECKS=() REPAYS=()
for r in $(seq 1 "$ROUNDS"); do
  "$BUILD"/tests/perf/loans_load ghz-data "$PER_ROUND" "$LOANS" "$W/round-$r.bin"
  c=$(ghz_round "$GRPC" "check-$r" grpc.health.v1.Health/Check --proto grpc/health/v1/health.proto -d '{}')
  s=$(ghz_round "$GRPC" "repay-$r" jinguo.loans.v1.LoanService/RecordRepayment --proto jinguo/loans/v1/loans.proto \
    --binary-file "$W/round-$r.bin" -m "{\"authorization\":\"Bearer $TOKEN\"}")
  echo "round $r: Health/Check $c; RecordRepayment $s"
  CHECKS+=("${c%% *}") REPAYS+=("${s%% *}")
done
ratio_line RecordRepayment "${CHECKS[*]}" "${REPAYS[*]}"
