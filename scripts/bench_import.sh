#!/usr/bin/env bash
# A clerk's 100,000-row roster (.xlsx, one row in a hundred spoiled) through jinguoctl import into a fresh
# registration service, called by scripts/bench.sh with a running broker: rows/s from the command's start to its
# summary, reading the workbook included (target >= 10,000). JINGUO_BENCH_ROSTER sets the row count.
# usage: bench_import.sh BUILD WORK BROKERS
set -euo pipefail
BUILD=$1 WORK=$2 BROKERS=$3
cd "$(dirname "$0")/.."
source scripts/bench_lib.sh
GOBIN=$(go env GOPATH)/bin
N=${JINGUO_BENCH_ROSTER:-100000}
TOKEN=bench-admin
W=$WORK/import-bench
mkdir -p "$W"
echo "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1) bench admin *" >"$W/tokens"
REG=$(deploy/local/kafka.sh free-port)
"$BUILD"/services/registration/jinguo-registration --grpc-listen "127.0.0.1:$REG" --data-dir "$W/registration" \
  --kafka-brokers "$BROKERS" --tokens-file "$W/tokens" --regions-dir data/regions --log-level warn \
  >"$W/registration.log" 2>&1 &
REG_PID=$!
trap 'kill -TERM $REG_PID 2>/dev/null || true; wait 2>/dev/null || true' RETURN EXIT
wait_serving "$REG"
LOAD="$BUILD/tests/perf/registration_load"
"$LOAD" households "127.0.0.1:$REG" "$TOKEN" 1000 "$W/households.txt"
"$LOAD" xlsx "$W/households.txt" "$N" "$W/roster.xlsx"
echo "== jinguoctl import of a $N-row roster ($(du -k "$W/roster.xlsx" | cut -f1) KiB .xlsx, 1% spoiled rows)"
START=$(date +%s.%N)
set +e
"$BUILD"/tools/jinguoctl/jinguoctl import "$W/roster.xlsx" --registration "127.0.0.1:$REG" --token "$TOKEN" --quiet \
  >"$W/import.txt" 2>"$W/import.err"
RC=$?
set -e
END=$(date +%s.%N)
sed 's/^/  /' "$W/import.txt"
echo "  rejection file: $(($(wc -l <"$W/roster.rejected.csv") - 1)) problems (exit code $RC)"
python3 -c "print(f'import {$N:,} rows in {$END - $START:.1f} s: {$N / ($END - $START):,.0f} rows/s (target >= 10,000)')"
