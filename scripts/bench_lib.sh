# Functions the services' benchmark scripts share (sourced by scripts/bench_<service>.sh). They read GOBIN, W (the
# benchmark's work directory) and PER_ROUND (calls in one ghz round).

# wait_serving PORT...: until each gRPC server answers SERVING (60 s each); exits naming the port otherwise.
wait_serving() {
  local port
  for port in "$@"; do
    for _ in $(seq 1 120); do
      if "$GOBIN"/grpcurl -plaintext "127.0.0.1:$port" grpc.health.v1.Health/Check 2>/dev/null | grep -q SERVING; then
        continue 2
      fi
      sleep 0.5
    done
    echo "bench: the service on port $port did not start; see $W/*.log" >&2
    exit 1
  done
}

# wait_replica HTTP_PORT AT_LEAST NAME: until the service's projections have applied at least AT_LEAST events and
# stopped moving (10 minutes at most), then says how many its registry replica applied.
wait_replica() {
  local port=$1 at_least=$2 name=$3 last=-1 now
  applied() {
    curl -fsS "127.0.0.1:$port/metrics" |
      awk '/^jinguo_projection_events_total/ && /outcome="applied"/ { s += $2 } END { printf "%d", s }'
  }
  for _ in $(seq 1 600); do
    now=$(applied)
    if [ "$now" -ge "$at_least" ] && [ "$now" = "$last" ]; then break; fi
    last=$now
    sleep 1
  done
  echo "$name's replica applied $(applied) registry events"
}

# ghz_round PORT NAME CALL [ghz args]: PER_ROUND calls at concurrency 50 over 4 connections, the report kept as
# $W/NAME.json; prints "rps status-codes".
ghz_round() {
  local port=$1 name=$2 call=$3
  shift 3
  "$GOBIN"/ghz --insecure -c 50 -n "$PER_ROUND" --connections 4 --import-paths protos --call "$call" "$@" -O json \
    "127.0.0.1:$port" >"$W/$name.json"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(round(r["rps"]), r.get("statusCodeDistribution"))' \
    "$W/$name.json"
}

# ratio_line NAME "CHECK RATES" "CALL RATES": each side's rate over its rounds (equal request counts: the harmonic
# mean of the round rates) and the call's ratio to Health/Check, against the target of 0.5.
ratio_line() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys
name = sys.argv[1]
checks = [float(x) for x in sys.argv[2].split()]
calls = [float(x) for x in sys.argv[3].split()]
rate = lambda xs: len(xs) / sum(1 / x for x in xs)
c, s = rate(checks), rate(calls)
print(f"Health/Check {c:,.0f} req/s; {name} {s:,.0f} req/s; ratio {s / c:.2f} (target >= 0.5)")
PY
}
