#!/usr/bin/env bash
# make bench: micro-benchmarks (Google Benchmark), then the pipeline against Kafka's own tools on one broker:
#   outbox relay throughput  / ProducerPerformance (same record size, acks=all)   target >= 0.8
#   projection apply rate    / ConsumerPerformance (same topic, same events)      target >= 0.5
# then the services' own benchmarks (scripts/bench_registration.sh, scripts/bench_reporting.sh,
# scripts/bench_health.sh, scripts/bench_loans.sh, scripts/bench_training.sh, scripts/bench_publicity.sh).
# JINGUO_BENCH_RECORDS sets the event count (default 500000).
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
export JINGUO_SOURCE_DIR=$PWD
N=${JINGUO_BENCH_RECORDS:-500000}

echo "== micro-benchmarks"
"$BUILD"/common/validate/validate_benchmark --benchmark_min_time=0.2
"$BUILD"/common/regions/regions_benchmark --benchmark_min_time=1
"$BUILD"/services/reporting/event_projector_benchmark
"$BUILD"/common/crypto/crypto_benchmark --benchmark_min_time=0.2
"$BUILD"/services/loans/schedule_benchmark --benchmark_min_time=0.2

WORK=$(mktemp -d)
# The registry seals ID and phone numbers under keys drawn for this run (docs/security.md).
(umask 077 && printf 'b1 data %s\nidx1 index %s\n' "$(openssl rand -hex 32)" "$(openssl rand -hex 32)" >"$WORK/data-keys")
export JINGUO_DATA_KEY_FILE=$WORK/data-keys
# Each section gets a broker of its own, so one section's topics never weigh on the next one's figures.
BROKER_DIR=
start_broker() {
  [ -z "$BROKER_DIR" ] || deploy/local/kafka.sh stop "$BROKER_DIR"
  BROKER_DIR=$WORK/kafka-$1
  local port
  port=$(deploy/local/kafka.sh free-port)
  deploy/local/kafka.sh start "$port" "$BROKER_DIR"
  BROKERS=127.0.0.1:$port
}
cleanup() { [ -z "$BROKER_DIR" ] || deploy/local/kafka.sh stop "$BROKER_DIR" || true; rm -rf "$WORK"; }
trap cleanup EXIT
start_broker pipeline
CP=$(deploy/local/kafka.sh classpath)
kafka_tool() { java -Xmx1g -Dlog4j.configuration="file:$BROKER_DIR/log4j.properties" -cp "$CP" "$@"; }
kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BROKERS" --create --topic bench.relay --partitions 3 >/dev/null
kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BROKERS" --create --topic bench.kafka --partitions 3 >/dev/null

echo "== outbox relay vs ProducerPerformance ($N records)"
"$BUILD"/tests/perf/pipeline_bench relay "$BROKERS" bench.relay "$N" "$WORK/relay" | tee "$WORK/relay.txt"
SIZE=$(sed -n 's/^record_size=//p' "$WORK/relay.txt")
RELAY=$(sed -n 's/^records_per_sec=//p' "$WORK/relay.txt")
kafka_tool org.apache.kafka.tools.ProducerPerformance --topic bench.kafka --num-records "$N" --record-size "$SIZE" \
  --throughput -1 --producer-props bootstrap.servers="$BROKERS" acks=all enable.idempotence=true linger.ms=5 \
  compression.type=lz4 | tail -n 1 | tee "$WORK/producer.txt"
KPROD=$(sed -n 's/.* records sent, \([0-9.]*\) records\/sec.*/\1/p' "$WORK/producer.txt")

echo "== projection vs ConsumerPerformance (topic bench.relay, $N events)"
"$BUILD"/tests/perf/pipeline_bench project "$BROKERS" bench.relay "$N" "$WORK/projection" | tee "$WORK/project.txt"
PROJ=$(sed -n 's/^records_per_sec=//p' "$WORK/project.txt")
kafka_tool org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$BROKERS" --topic bench.relay \
  --messages "$N" --timeout 60000 2>/dev/null | grep -E "^[0-9]{4}-" | tail -n 1 | tee "$WORK/consumer.txt" || true
# CSV: start, end, MB, MB/s, nMsg, nMsg/s, rebalance ms, fetch ms, fetch MB/s, fetch nMsg/s
KCONS=$(awk -F', *' 'END { print $10 }' "$WORK/consumer.txt")

python3 - "$RELAY" "$KPROD" "$PROJ" "$KCONS" <<'PY'
import sys
relay, kprod, proj, kcons = map(float, sys.argv[1:])
print()
print(f"outbox relay      {relay:>12,.0f} rec/s   ProducerPerformance {kprod:>12,.0f} rec/s   ratio {relay/kprod:.2f} (target >= 0.8)")
print(f"projection apply  {proj:>12,.0f} rec/s   ConsumerPerformance {kcons:>12,.0f} rec/s   ratio {proj/kcons:.2f} (target >= 0.5)")
PY

echo
start_broker registration
scripts/bench_registration.sh "$BUILD" "$WORK" "$BROKERS"
echo
start_broker reporting
scripts/bench_reporting.sh "$BUILD" "$WORK" "$BROKERS"
echo
start_broker health
scripts/bench_health.sh "$BUILD" "$WORK" "$BROKERS"
echo
start_broker loans
scripts/bench_loans.sh "$BUILD" "$WORK" "$BROKERS"
echo
start_broker training
scripts/bench_training.sh "$BUILD" "$WORK" "$BROKERS"
echo
start_broker publicity
scripts/bench_publicity.sh "$BUILD" "$WORK" "$BROKERS"
echo
start_broker gateway
scripts/bench_gateway.sh "$BUILD" "$WORK" "$BROKERS"
echo
start_broker import
scripts/bench_import.sh "$BUILD" "$WORK" "$BROKERS"
