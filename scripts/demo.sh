#!/usr/bin/env bash
# Loads the deterministic Tangshan demo registry into a running `make run` (see tools/jinguoctl/demo_registry.h),
# then prints the five-100% table per county and the dashboard's address. Loading again changes nothing.
set -euo pipefail
BUILD=${1:-build}
cd "$(dirname "$0")/.."
port_of() { awk -v s="$1" -v col="$2" '$1 == s { print $col }' deploy/local/services.txt; }
"$BUILD"/tools/jinguoctl/jinguoctl demo --token dev-admin --city 1302 \
  --registration "127.0.0.1:$(port_of registration 2)" --reporting "127.0.0.1:$(port_of reporting 2)" \
  --health "127.0.0.1:$(port_of health 2)" --second-token dev-tangshan \
  --loans "127.0.0.1:$(port_of loans 2)" --bank-token dev-bank \
  --training "127.0.0.1:$(port_of training 2)" \
  --publicity "127.0.0.1:$(port_of publicity 2)" \
  --dashboard "http://127.0.0.1:$(port_of reporting 3)/"
