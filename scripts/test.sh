#!/usr/bin/env bash
# Runs every test with ctest, as many at once as there are cores (ctest starts the longest first), and prints its
# summary. Integration tests start their own Kafka brokers on free ports. Exit status is ctest's.
set -uo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
export JINGUO_SOURCE_DIR=$PWD
ctest --test-dir "$BUILD" --output-on-failure -j "$(nproc)" --timeout 1200
