#!/usr/bin/env bash
# The registration service's benchmarks, called by scripts/bench.sh with a running broker:
#   RegisterBeneficiary under ghz (concurrency 50, unique valid ID numbers) against grpc.health.v1.Health/Check on
#   the same server with the same settings: throughput ratio (target >= 0.5), p50/p99 latency;
#   ImportBeneficiaries of JINGUO_BENCH_IMPORT_ROWS rows (default 1,000,000): rows/s (target >= 20,000), peak RSS.
# JINGUO_BENCH_SYNC_DELAY_US=N runs the service as on a slower disk: every fsync takes N microseconds more
# (tests/perf/slow_sync.cc, preloaded), e.g. 280 for a disk of 0.35 ms per synced 4 KiB write where this one
# takes 0.07 (dd if=/dev/zero of=F bs=4k count=500 oflag=dsync).
# usage: bench_registration.sh BUILD WORK BROKERS
set -euo pipefail
BUILD=$1 WORK=$2 BROKERS=$3
cd "$(dirname "$0")/.."
GOBIN=$(go env GOPATH)/bin
N=${JINGUO_BENCH_REQUESTS:-20000}
ROWS=${JINGUO_BENCH_IMPORT_ROWS:-1000000}
TOKEN=bench-admin
echo "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1) bench admin *" >"$WORK/tokens"
PORT=$(deploy/local/kafka.sh free-port)
HTTP_PORT=$(deploy/local/kafka.sh free-port)
PRELOAD=
if [ -n "${JINGUO_BENCH_SYNC_DELAY_US:-}" ]; then
  PRELOAD=$PWD/$BUILD/tests/perf/libslow_sync.so
  echo "== the service's fsyncs each take ${JINGUO_BENCH_SYNC_DELAY_US} us more (a slower disk)"
fi
LD_PRELOAD=$PRELOAD JINGUO_SYNC_DELAY_US=${JINGUO_BENCH_SYNC_DELAY_US:-0} \
"$BUILD"/services/registration/jinguo-registration --grpc-listen "127.0.0.1:$PORT" --data-dir "$WORK/registration" \
  --http-listen "127.0.0.1:$HTTP_PORT" --kafka-brokers "$BROKERS" --tokens-file "$WORK/tokens" \
  --regions-dir data/regions --log-level warn \
  >"$WORK/registration.log" 2>&1 &
SVC=$!
trap 'kill -TERM $SVC 2>/dev/null || true; wait $SVC 2>/dev/null || true' RETURN EXIT
for _ in $(seq 1 60); do
  "$GOBIN"/grpcurl -plaintext "127.0.0.1:$PORT" grpc.health.v1.Health/Check 2>/dev/null | grep -q SERVING && break
  sleep 0.5
done
"$BUILD"/tests/perf/registration_load households "127.0.0.1:$PORT" "$TOKEN" 1000 "$WORK/households.txt"
# WARM more registrations first, unmeasured, so the figures are the steady state (the broker's JIT warm, the
# server's threads and RocksDB's memtables in use) rather than the first seconds after start. The broker is started
# fresh for this benchmark, and its JIT compiler keeps working through the first tens of thousands of events: on
# one broker, its CPU per 20,000 registrations fell from 1.9 s to 0.8 s over four runs. So the warm-up is as long
# as the measured run.
WARM=${JINGUO_BENCH_WARMUP:-$N}
# Requests are length-delimited binary messages (--binary-file): ghz decodes them before its clock starts, as it
# does Health/Check's single request. From a JSON array it parses each element during the measured run.
LOAD="$BUILD"/tests/perf/registration_load
"$LOAD" ghz-data "$WORK/households.txt" 0 "$WARM" "$WORK/warmup-requests.bin"

ghz_run() {  # ghz_run NAME CALL [extra args]: prints rps p50_ms p99_ms
  local name=$1 call=$2
  shift 2
  "$GOBIN"/ghz --insecure -c 50 -n "$N" --connections 4 --import-paths protos --call "$call" "$@" -O json \
    "127.0.0.1:$PORT" >"$WORK/$name.json"
  python3 - "$WORK/$name.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
lat = {d["percentage"]: d["latency"] / 1e6 for d in r.get("latencyDistribution") or []}
codes = r.get("statusCodeDistribution", {})
print(f'{r["rps"]:.0f} {lat.get(50, 0):.2f} {lat.get(99, 0):.2f} ' + ','.join(f'{k}:{v}' for k, v in codes.items())[:200])
PY
}
# The two are measured alternately, ROUNDS times each on an equal share of the requests, and each rate is the
# requests over the time they took in all: on this shared two-core machine a single run of each put a phase of
# the machine's own slowness on one side only (Health/Check alone read 5,500-9,200 req/s from run to run).
ROUNDS=${JINGUO_BENCH_ROUNDS:-2}
echo "== RegisterBeneficiary vs Health/Check (ghz, concurrency 50, $N requests each in $ROUNDS alternating rounds)"
N=$WARM ghz_run warmup jinguo.registration.v1.RegistrationService/RegisterBeneficiary \
  --proto jinguo/registration/v1/registration.proto --binary-file "$WORK/warmup-requests.bin" \
  -m "{\"authorization\":\"Bearer $TOKEN\"}" >/dev/null
PER_ROUND=$((N / ROUNDS))
for r in $(seq 0 $((ROUNDS - 1))); do
  "$LOAD" ghz-data "$WORK/households.txt" $((WARM + r * PER_ROUND)) "$PER_ROUND" "$WORK/register-requests-$r.bin"
done
: >"$WORK/rounds.txt"
for r in $(seq 0 $((ROUNDS - 1))); do
  read -r HRPS HP50 HP99 HCODES < <(N=$PER_ROUND ghz_run health-$r grpc.health.v1.Health/Check \
    --proto grpc/health/v1/health.proto -d '{"service":""}')
  read -r RRPS RP50 RP99 RCODES < <(N=$PER_ROUND ghz_run register-$r \
    jinguo.registration.v1.RegistrationService/RegisterBeneficiary --proto jinguo/registration/v1/registration.proto \
    --binary-file "$WORK/register-requests-$r.bin" -m "{\"authorization\":\"Bearer $TOKEN\"}")
  echo "round $((r + 1)): Health/Check $HRPS req/s (p50 $HP50 ms, p99 $HP99 ms, $HCODES); RegisterBeneficiary $RRPS req/s (p50 $RP50 ms, p99 $RP99 ms, $RCODES)"
  echo "$HRPS $RRPS $RP50 $RP99" >>"$WORK/rounds.txt"
done
python3 - "$WORK/rounds.txt" "$PER_ROUND" <<'PY'
import sys
rows = [list(map(float, line.split())) for line in open(sys.argv[1])]
per = int(sys.argv[2])
health = len(rows) * per / sum(per / r[0] for r in rows)
register = len(rows) * per / sum(per / r[1] for r in rows)
p50 = sorted(r[2] for r in rows)[len(rows) // 2]
p99 = max(r[3] for r in rows)
print(f"Health/Check         {health:.0f} req/s")
print(f"RegisterBeneficiary  {register:.0f} req/s  p50 {p50:.2f} ms (median round)  p99 {p99:.2f} ms (worst round)")
print(f"RegisterBeneficiary / Health/Check throughput ratio {register / health:.2f} (target >= 0.5)")
PY
# Every measured call must have registered someone new: a call whose request id the server had seen is answered
# from its request log, far more cheaply, and would flatter the figure.
REPLAYS=$(curl -fsS "127.0.0.1:$HTTP_PORT/metrics" | awk '/^jinguo_registration_request_replays_total / { print $2 }')
if [ "${REPLAYS:-missing}" != 0 ]; then
  echo "bench_registration.sh: $REPLAYS RegisterBeneficiary calls were replays, not registrations; the ratio is void" >&2
  exit 1
fi
echo "all $((WARM + N)) RegisterBeneficiary calls registered a new beneficiary (request replays: 0)"

echo "== ImportBeneficiaries of $ROWS rows"
"$BUILD"/tests/perf/registration_load import "127.0.0.1:$PORT" "$TOKEN" "$WORK/households.txt" "$ROWS" | tee "$WORK/import.txt"
RSS=$(awk '/VmHWM/ { print $2 }' /proc/$SVC/status)
python3 -c "print(f'import: {float(open(\"$WORK/import.txt\").read().split(\"rows_per_sec=\")[1]):,.0f} rows/s (target >= 20,000); registration peak RSS {$RSS/1024:.0f} MiB')"
