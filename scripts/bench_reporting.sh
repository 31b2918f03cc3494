#!/usr/bin/env bash
# The reporting service's benchmarks, called by scripts/bench.sh with a running broker:
#   GetRegionSummary p99 (ghz, concurrency 50) with 10 thousand and with 1 million beneficiaries loaded: ratio
#     (target <= 1.5);
#   freshness: RegisterBeneficiary acknowledged → visible in GetRegionSummary, p99 at 1,000 registrations/s
#     (target <= 100 ms);
#   the dashboard's city page with all its panels for those 1 million: first paint, all figures loaded (ms, from
#     Chromium's own performance timing) and the bytes it transferred (KiB) (tests/perf/dashboard_load.mjs);
#   projection rate during --rebuild against ConsumerPerformance on the same topic (target >= 0.5);
#   the registry replica's apply rate (common/replica, as a domain service keeps it) against ConsumerPerformance on
#     the registration topic (reported; no target yet).
# JINGUO_BENCH_LARGE (default 1000000) sets the large registry.
# usage: bench_reporting.sh BUILD WORK BROKERS
set -euo pipefail
BUILD=$1 WORK=$2 BROKERS=$3
cd "$(dirname "$0")/.."
GOBIN=$(go env GOPATH)/bin
LARGE=${JINGUO_BENCH_LARGE:-1000000}
SMALL=10000
TOKEN=bench-admin
W=$WORK/reporting-bench
mkdir -p "$W"
echo "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1) bench admin *" >"$W/tokens"

REG=$(deploy/local/kafka.sh free-port) REP=$(deploy/local/kafka.sh free-port) REP_HTTP=$(deploy/local/kafka.sh free-port)
common=(--kafka-brokers "$BROKERS" --tokens-file "$W/tokens" --regions-dir data/regions)
"$BUILD"/services/registration/jinguo-registration --grpc-listen "127.0.0.1:$REG" --data-dir "$W/registration" \
  "${common[@]}" --log-level warn >"$W/registration.log" 2>&1 &
REG_PID=$!
start_reporting() {  # start_reporting LOG_LEVEL [ARGS...]
  local level=$1
  shift
  "$BUILD"/services/reporting/jinguo-reporting --log-level "$level" --grpc-listen "127.0.0.1:$REP" \
    --http-listen "127.0.0.1:$REP_HTTP" --data-dir "$W/reporting" "${common[@]}" "$@" >>"$W/reporting.log" 2>&1 &
  REP_PID=$!
}
start_reporting warn
trap 'kill -TERM $REG_PID $REP_PID 2>/dev/null || true; wait 2>/dev/null || true' RETURN EXIT
for port in $REG $REP; do
  for _ in $(seq 1 60); do
    "$GOBIN"/grpcurl -plaintext "127.0.0.1:$port" grpc.health.v1.Health/Check 2>/dev/null | grep -q SERVING && break
    sleep 0.5
  done
done
LOAD="$BUILD/tests/perf/registration_load"
RLOAD="$BUILD/tests/perf/reporting_load"
"$LOAD" households "127.0.0.1:$REG" "$TOKEN" 1000 "$W/households.txt"

summary_p99() {  # prints p99 ms of GetRegionSummary(130207) under ghz
  "$GOBIN"/ghz --insecure -c 50 -n 20000 --connections 4 --import-paths protos \
    --proto jinguo/reporting/v1/reporting.proto --call jinguo.reporting.v1.ReportingService/GetRegionSummary \
    -d '{"region_code":"130207"}' -m "{\"authorization\":\"Bearer $TOKEN\"}" -O json "127.0.0.1:$REP" >"$W/summary.json"
  python3 -c "
import json; r = json.load(open('$W/summary.json'))
lat = {d['percentage']: d['latency'] / 1e6 for d in r['latencyDistribution']}
print(f\"{lat[99]:.2f} {r['rps']:.0f} {r.get('statusCodeDistribution')}\")"
}

echo "== GetRegionSummary with $SMALL and with $LARGE beneficiaries"
"$LOAD" import "127.0.0.1:$REG" "$TOKEN" "$W/households.txt" "$SMALL" >/dev/null
"$RLOAD" await "127.0.0.1:$REP" "$TOKEN" "" "$SMALL" 300 >/dev/null
read -r P99_SMALL RPS_SMALL CODES_SMALL < <(summary_p99)
echo "  $SMALL: p99 $P99_SMALL ms ($RPS_SMALL req/s) $CODES_SMALL"
"$LOAD" import "127.0.0.1:$REG" "$TOKEN" "$W/households.txt" "$((LARGE - SMALL))" "$SMALL" 2>/dev/null | grep rows_per_sec
"$RLOAD" await "127.0.0.1:$REP" "$TOKEN" "" "$LARGE" 1200 | sed 's/^/  catch-up /'
read -r P99_LARGE RPS_LARGE CODES_LARGE < <(summary_p99)
echo "  $LARGE: p99 $P99_LARGE ms ($RPS_LARGE req/s) $CODES_LARGE"
python3 -c "print(f'GetRegionSummary p99 ratio {$LARGE} / {$SMALL}: {$P99_LARGE/$P99_SMALL:.2f} (target <= 1.5)')"

echo "== dashboard: 唐山市 (1302) page with $LARGE beneficiaries, all panels, in Chromium (5 cold loads)"
node tests/perf/dashboard_load.mjs "http://127.0.0.1:$REP_HTTP" "$TOKEN" 1302 5 | sed 's/^/  /'

echo "== freshness at 1,000 registrations/s"
"$RLOAD" freshness "127.0.0.1:$REG" "127.0.0.1:$REP" "$TOKEN" "$W/households.txt" 1000 10 | tee "$W/fresh.txt"

# Measured alternately, ROUNDS times each (ConsumerPerformance first, while the reporting service is stopped, so
# neither run shares the machine with the other's work: a rebuild leaves RocksDB compactions running for seconds
# after its last event), and each rate is the events over the time they took in all. On this shared two-core
# machine a single ConsumerPerformance run read anywhere from 224,000 to 552,000 msg/s on the same topic.
ROUNDS=${JINGUO_BENCH_ROUNDS:-2}
echo "== projection rate during --rebuild vs ConsumerPerformance ($ROUNDS alternating rounds)"
CP=$(deploy/local/kafka.sh classpath)
EVENTS=$(java -cp "$CP" org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$BROKERS" \
  --topic jinguo.registration.events.v1 2>/dev/null | awk -F: '{ s += $3 } END { print s }')
TOTAL=$("$RLOAD" await "127.0.0.1:$REP" "$TOKEN" "" 0 5 | sed -n 's/^count=//p')
# The registration service has no part in this; stopped, it cannot take CPU from either side (its store may still
# be compacting the million rows it took).
kill -TERM $REG_PID
wait $REG_PID || true
: >"$W/rounds.txt"
for r in $(seq 1 "$ROUNDS"); do
  kill -TERM $REP_PID
  wait $REP_PID || true
  java -cp "$CP" org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$BROKERS" \
    --topic jinguo.registration.events.v1 --messages "$EVENTS" --timeout 120000 2>/dev/null \
    | grep -E "^[0-9]{4}-" | tail -n 1 >"$W/consumer.txt"
  LOG_LINES=$(wc -l <"$W/reporting.log")
  START=$(date +%s.%N)
  start_reporting info --rebuild
  "$RLOAD" await "127.0.0.1:$REP" "$TOKEN" "" "$TOTAL" 1200 >/dev/null
  END=$(date +%s.%N)
  # When the projection subscribed: the service logs it ("topics ready") right after. ConsumerPerformance
  # times itself from its subscription too, after its JVM and consumer are up; so the ratio uses this start, and
  # the service's own start-up (store open, read models cleared, region table loaded) is shown beside it.
  SUBSCRIBED=$(tail -n +"$((LOG_LINES + 1))" "$W/reporting.log" | python3 -c '
import datetime, json, sys
for line in sys.stdin:
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("msg", "").startswith("reporting: topics ready"):
        t = datetime.datetime.strptime(r["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
        print(t.timestamp())
        break')
  if [ -z "$SUBSCRIBED" ]; then echo "bench_reporting.sh: the rebuild's start is not in $W/reporting.log" >&2; exit 1; fi
  # nMsg.sec, including the consumer group join, as the rebuild's time does.
  KCONS=$(cut -d, -f6 "$W/consumer.txt" | tr -d ' ')
  python3 -c "print(f'round $r: rebuild {$EVENTS:,} events in {$END - $SUBSCRIBED:.2f} s from subscription = {$EVENTS / ($END - $SUBSCRIBED):,.0f} events/s (start-up before it {$SUBSCRIBED - $START:.2f} s); ConsumerPerformance {$KCONS:,.0f} msg/s')"
  echo "$(python3 -c "print($END - $SUBSCRIBED, $SUBSCRIBED - $START)") $KCONS" >>"$W/rounds.txt"
done
python3 - "$EVENTS" "$W/rounds.txt" <<'PY'
import sys
events = int(sys.argv[1])
rows = [list(map(float, line.split())) for line in open(sys.argv[2])]
rebuild = len(rows) * events / sum(r[0] for r in rows)
from_start = len(rows) * events / sum(r[0] + r[1] for r in rows)
kcons = len(rows) * events / sum(events / r[2] for r in rows)
print(f"rebuild: {rebuild:,.0f} events/s over {len(rows)} rounds, subscription to last count "
      f"({from_start:,.0f} events/s from process start)")
print(f"ConsumerPerformance: {kcons:,.0f} msg/s over {len(rows)} rounds; ratio {rebuild / kcons:.2f} (target >= 0.5)")
PY

# The replica applies the registration topic as each domain service will: measured with reporting stopped,
# alternating with ConsumerPerformance, each timed from its subscription.
kill -TERM $REP_PID
wait $REP_PID || true
echo "== registry replica apply rate vs ConsumerPerformance ($ROUNDS alternating rounds)"
: >"$W/replica-rounds.txt"
for r in $(seq 1 "$ROUNDS"); do
  java -cp "$CP" org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$BROKERS" \
    --topic jinguo.registration.events.v1 --messages "$EVENTS" --timeout 120000 2>/dev/null \
    | grep -E "^[0-9]{4}-" | tail -n 1 >"$W/consumer.txt"
  KCONS=$(cut -d, -f6 "$W/consumer.txt" | tr -d ' ')
  rm -rf "$W/replica"
  RREPL=$("$BUILD"/tests/perf/pipeline_bench replica "$BROKERS" jinguo.registration.events.v1 "$EVENTS" "$W/replica" \
    | sed -n 's/^records_per_sec=//p')
  echo "round $r: replica $RREPL events/s; ConsumerPerformance $KCONS msg/s"
  echo "$RREPL $KCONS" >>"$W/replica-rounds.txt"
done
python3 - "$EVENTS" "$W/replica-rounds.txt" <<'PY'
import sys
events = int(sys.argv[1])
rows = [list(map(float, line.split())) for line in open(sys.argv[2])]
replica = len(rows) * events / sum(events / r[0] for r in rows)
kcons = len(rows) * events / sum(events / r[1] for r in rows)
print(f"registry replica: {replica:,.0f} events/s; ConsumerPerformance {kcons:,.0f} msg/s; ratio {replica / kcons:.2f}")
PY
