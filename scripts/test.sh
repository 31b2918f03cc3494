#!/usr/bin/env bash
# Runs every test with ctest and prints its summary. Unit tests first (fast), then the integration tests, which
# start their own Kafka brokers on free ports. Exit status is ctest's.
set -uo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
export JINGUO_SOURCE_DIR=$PWD
ctest --test-dir "$BUILD" --output-on-failure -j "$(nproc)" --timeout 1200
