#!/usr/bin/env bash
# One Apache Kafka 3.9.1 broker+controller (KRaft) on 127.0.0.1, for local runs and tests.
#
#   kafka.sh fetch                      resolve the jars from Maven Central into the cache (once)
#   kafka.sh start  PORT DIR            format DIR if new, start the broker on PORT, wait until it answers
#   kafka.sh stop   DIR                 stop the broker started in DIR (SIGTERM, then SIGKILL after 30 s)
#   kafka.sh status DIR                 exit 0 and print the port when the broker in DIR answers metadata
#   kafka.sh classpath                  print the classpath (for the kafka-tools performance tools)
#   kafka.sh free-port                  print a free TCP port on 127.0.0.1 (for scripts that start brokers, services)
#
# DIR holds everything of one broker: server.properties, data/, kafka.pid, kafka.log. Tests pass their own
# temporary DIR and a free PORT; the controller listens on a second free port chosen here.
# KAFKA_OWNER_PID (start): the broker is stopped, and DIR removed, once that process has gone (see watch_owner).
# Environment: JINGUO_CACHE (default ~/.cache/jinguo) for the jars; KAFKA_HEAP (the broker's heap, default 1g).
# A TLS listener beside the plaintext one (start, when DIR is new): KAFKA_SSL_PORT, KAFKA_SSL_KEYSTORE (a PEM file:
# the broker's unencrypted PKCS#8 key, then its certificate chain) and, to require client certificates signed by
# it, KAFKA_SSL_TRUSTSTORE (the CA's PEM).
set -euo pipefail

KAFKA_VERSION=3.9.1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${JINGUO_CACHE:-$HOME/.cache/jinguo}
LIBS=$CACHE/kafka-$KAFKA_VERSION/libs

die() { echo "kafka.sh: $*" >&2; exit 1; }

fetch() {
  if [ -f "$LIBS/.complete" ]; then return 0; fi
  command -v mvn >/dev/null || die "mvn is needed to fetch the Kafka jars (apt-get install maven)"
  echo "kafka.sh: fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $LIBS" >&2
  mkdir -p "$LIBS"
  mvn -B -q -f "$HERE/kafka-pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$LIBS" -DincludeScope=runtime >&2 || die "mvn could not resolve the Kafka jars"
  ls "$LIBS"/kafka_2.13-$KAFKA_VERSION.jar >/dev/null || die "kafka_2.13-$KAFKA_VERSION.jar missing after fetch"
  touch "$LIBS/.complete"
}

# A port nothing listens on, drawn from below the kernel's ephemeral range: a port that bind(0) hands out comes
# from that range, and any outgoing connection may take it before the broker or service listens on it.
free_port() {
  python3 - <<'PY'
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
candidates = [random.randint(10000, low - 1) for _ in range(100)] if low > 11000 else []
for port in candidates + [0]:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        print(s.getsockname()[1])
        break
    except OSError:
        continue
    finally:
        s.close()
PY
}

answers() {  # answers PORT: the broker returns metadata within 3 s
  kcat -b "127.0.0.1:$1" -L -m 3 >/dev/null 2>&1
}

java_run() {
  java -Xms64m -Xmx256m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$DIR/log4j.properties" -cp "$LIBS/*" "$@"
}

start() {
  PORT=${1:?usage: kafka.sh start PORT DIR}
  DIR=${2:?usage: kafka.sh start PORT DIR}
  fetch
  mkdir -p "$DIR/data"
  DIR=$(cd "$DIR" && pwd)
  if [ -f "$DIR/kafka.pid" ] && kill -0 "$(cat "$DIR/kafka.pid")" 2>/dev/null; then
    die "a broker is already running from $DIR (pid $(cat "$DIR/kafka.pid"))"
  fi
  if [ ! -f "$DIR/data/meta.properties" ]; then
    CPORT=$(free_port)
    local ssl_listener="" ssl_advertised="" ssl_config=""
    if [ -n "${KAFKA_SSL_PORT:-}" ]; then
      [ -f "${KAFKA_SSL_KEYSTORE:-}" ] || die "KAFKA_SSL_PORT needs KAFKA_SSL_KEYSTORE (a PEM key and certificate)"
      ssl_listener=",SSL://127.0.0.1:$KAFKA_SSL_PORT"
      ssl_advertised=",SSL://127.0.0.1:$KAFKA_SSL_PORT"
      ssl_config="ssl.keystore.type=PEM
ssl.keystore.location=$(realpath "$KAFKA_SSL_KEYSTORE")"
      if [ -n "${KAFKA_SSL_TRUSTSTORE:-}" ]; then
        ssl_config="$ssl_config
ssl.truststore.type=PEM
ssl.truststore.location=$(realpath "$KAFKA_SSL_TRUSTSTORE")
ssl.client.auth=required"
      fi
    fi
    cat >"$DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT$ssl_listener
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT$ssl_advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL
$ssl_config
log.dirs=$DIR/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.ms=-1
EOF
    cat >"$DIR/log4j.properties" <<EOF
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$DIR/kafka.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
EOF
    CLUSTER_ID=$(java_run kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    java_run kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$DIR/server.properties" >"$DIR/format.log" 2>&1 \
      || { cat "$DIR/format.log" >&2; die "formatting $DIR failed"; }
  else
    grep -q "^listeners=PLAINTEXT://127.0.0.1:$PORT," "$DIR/server.properties" \
      || die "$DIR was formatted for another port; use that port or a fresh directory"
  fi
  # setsid: the broker gets its own session, so a Ctrl-C meant for a test runner does not reach it first.
  # The JVM options are those Kafka's own start scripts use (kafka-run-class.sh, KAFKA_JVM_PERFORMANCE_OPTS), and its
  # default 1 GiB heap: G1 aiming at 20 ms pauses. A pause stalls every producer and consumer of the broker at once;
  # they are logged to DIR/gc.log.
  setsid bash -c 'exec "$@"' _ java -Xms"${KAFKA_HEAP:-1g}" -Xmx"${KAFKA_HEAP:-1g}" -XX:+UseG1GC \
    -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -XX:MaxInlineLevel=15 -Djava.awt.headless=true -Xlog:gc:file="$DIR/gc.log":time,uptime \
    -Dlog4j.configuration="file:$DIR/log4j.properties" -cp "$LIBS/*" kafka.Kafka "$DIR/server.properties" \
    >>"$DIR/kafka.out" 2>&1 </dev/null &
  echo $! >"$DIR/kafka.pid"
  for _ in $(seq 1 120); do
    if answers "$PORT"; then
      echo "kafka.sh: broker up on 127.0.0.1:$PORT (state in $DIR)" >&2
      [ -z "${KAFKA_OWNER_PID:-}" ] || watch_owner
      return 0
    fi
    kill -0 "$(cat "$DIR/kafka.pid")" 2>/dev/null || { tail -n 30 "$DIR/kafka.out" "$DIR/kafka.log" >&2 || true; die "broker exited during start"; }
    sleep 0.5
  done
  die "broker on port $PORT did not answer within 60 s (see $DIR/kafka.log)"
}

# With KAFKA_OWNER_PID set (tests set their own pid), the broker belongs to that process: should it end without
# stopping the broker (killed, crashed, timed out), a detached watcher stops the broker and removes DIR, so no
# 1 GiB JVM outlives its test. A stop by the owner removes kafka.pid, which ends the watcher.
watch_owner() {
  setsid bash -c 'while kill -0 "$1" 2>/dev/null; do [ -f "$2/kafka.pid" ] || exit 0; sleep 2; done
    [ -f "$2/kafka.pid" ] || exit 0
    "$3" stop "$2" && rm -rf "$2"' _ "$KAFKA_OWNER_PID" "$DIR" "$HERE/kafka.sh" >/dev/null 2>&1 </dev/null &
}

stop() {
  DIR=${1:?usage: kafka.sh stop DIR}
  [ -f "$DIR/kafka.pid" ] || return 0
  PID=$(cat "$DIR/kafka.pid")
  if kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID"
    for _ in $(seq 1 60); do kill -0 "$PID" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$PID" 2>/dev/null; then echo "kafka.sh: broker $PID did not stop in 30 s; killing" >&2; kill -KILL "$PID" || true; fi
  fi
  rm -f "$DIR/kafka.pid"
}

status() {
  DIR=${1:?usage: kafka.sh status DIR}
  [ -f "$DIR/server.properties" ] || { echo "no broker formatted in $DIR"; return 1; }
  PORT=$(sed -n 's/^listeners=PLAINTEXT:\/\/127.0.0.1:\([0-9]*\),.*/\1/p' "$DIR/server.properties")
  if answers "$PORT"; then echo "up 127.0.0.1:$PORT"; else echo "down 127.0.0.1:$PORT"; return 1; fi
}

case "${1:-}" in
  fetch) fetch ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  status) shift; status "$@" ;;
  classpath) fetch; echo "$LIBS/*" ;;
  free-port) free_port ;;
  *) die "usage: kafka.sh fetch | start PORT DIR | stop DIR | status DIR | classpath | free-port" ;;
esac
