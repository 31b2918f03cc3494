#!/usr/bin/env bash
# make fuzz: runs every libFuzzer target of BUILD (a -DJINGUO_FUZZ=ON tree) for SECONDS each, starting from its
# seed corpus tests/fuzz/corpus/<target>/ plus what earlier runs found (BUILD/fuzz/corpus/<target>/), and prints
# one line per target. A crash leaves its input in BUILD/fuzz/artifacts/ and fails the run: copy that input into
# tests/fuzz/corpus/<target>/ once fixed, and every later make test-sanitize replays it.
#   scripts/fuzz.sh BUILD SECONDS [TARGET...]
set -uo pipefail
BUILD=${1:?usage: scripts/fuzz.sh BUILD SECONDS [TARGET...]}
SECONDS_EACH=${2:-600}
shift 2 || true
cd "$(dirname "$0")/.."
export JINGUO_SOURCE_DIR=$PWD
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$BUILD"/tests/fuzz/fuzz_*; do [ -x "$f" ] && targets+=("$(basename "$f")"); done
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no fuzz targets in $BUILD/tests/fuzz (make fuzz builds them)" >&2; exit 2; }
mkdir -p "$BUILD/fuzz/artifacts"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=0
passed=0
for t in "${targets[@]}"; do
  work=$BUILD/fuzz/corpus/$t
  seeds=tests/fuzz/corpus/$t
  mkdir -p "$work"
  log=$BUILD/fuzz/$t.log
  echo "fuzz: $t for ${SECONDS_EACH}s (seeds $seeds, log $log)"
  "$BUILD/tests/fuzz/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$BUILD/fuzz/artifacts/$t-" "$work" "$seeds" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
  if [ $rc -ne 0 ]; then
    failed=$((failed + 1))
    echo "fuzz: $t FAILED after ${runs:-?} runs; the input is in $BUILD/fuzz/artifacts/; the end of its log:"
    grep -v '^#' "$log" | tail -n 40
  else
    passed=$((passed + 1))
    echo "fuzz: $t ok: ${runs:-?} runs, ${cov:-cov ?}, corpus $(ls "$work" | wc -l) inputs"
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
