#!/usr/bin/env bash
# Measures the Stratus bridge, Mosquitto (Debian) and Aedes (npm) with the Stratus load generator,
# in one run, on one machine: each broker pinned to one core, the load generator to another.
# Prints a markdown table with ratios against Mosquitto; raw results and logs go to
# benchmarks/broker-compare/target/.
#
# usage: benchmarks/broker-compare/run.sh [--seconds N] [--warmup N] [--connections N]
#                                         [--payload BYTES] [--brokers "bridge mosquitto aedes"]
#
# Needs: a JDK >= 21 and Maven (the launcher finds the JDK), mosquitto, Node.js >= 20 with npm,
# taskset (util-linux) and at least 2 cores. BROKER_CPU and LOADGEN_CPU choose the cores (1 and 0).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$HERE/target"

SECONDS_PER_RUN=10
WARMUP=2
CONNECTIONS=10000
PAYLOAD=64
BROKERS="bridge mosquitto aedes"
BROKER_CPU="${BROKER_CPU:-1}"
LOADGEN_CPU="${LOADGEN_CPU:-0}"

die() {
  echo "run.sh: $*" >&2
  exit 2
}

ARGS="$*"
STARTED_AT="$(date -u '+%Y-%m-%d %H:%M UTC')"
LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || die "$1 needs a value"
  case "$1" in
    --seconds) SECONDS_PER_RUN="$2" ;;
    --warmup) WARMUP="$2" ;;
    --connections) CONNECTIONS="$2" ;;
    --payload) PAYLOAD="$2" ;;
    --brokers) BROKERS="$2" ;;
    *) die "unknown option $1 (see the header of this script)" ;;
  esac
  shift 2
done

for tool in taskset mosquitto node npm python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done
[ "$(nproc --all)" -ge 2 ] || die "needs at least 2 cores (one for the broker, one for the load)"

JAVA_HOME="$("$ROOT/stratus" java 2>/dev/null | head -n1)" || die "no JDK >= 21 found"
export JAVA_HOME
JAVA="$JAVA_HOME/bin/java"

# 10,000 idle connections need as many file descriptors in the broker and in the load generator.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((CONNECTIONS + 1000)) ]; then
  echo "run.sh: warning: open files limit $(ulimit -n) is below $((CONNECTIONS + 1000)); the idle scenario may fail" >&2
fi

mkdir -p "$OUT"
RESULTS="$OUT/results.txt"
: >"$RESULTS"

# Tests are the CI's job; formatting too. Build only what this script runs.
build() {
  (cd "$ROOT" && mvn -q -B -DskipTests -Dspotless.check.skip=true -pl "$1" -am package) >&2
}
echo "== building the load generator ==" >&2
build loadgen || die "the build of the load generator failed"
LOADGEN_JAR="$ROOT/loadgen/target/stratus-loadgen.jar"
BRIDGE_JAR="$ROOT/bridge/target/stratus-bridge.jar"
if [[ " $BROKERS " == *" bridge "* ]]; then
  echo "== building the bridge ==" >&2
  if ! build bridge; then
    # The table then has Mosquitto and Aedes only, which is still a useful baseline.
    echo "run.sh: the bridge does not build: measuring the other brokers only" >&2
    BROKERS="$(echo " $BROKERS " | sed 's/ bridge / /; s/^ *//; s/ *$//')"
  fi
fi

if [[ " $BROKERS " == *" aedes "* ]]; then
  echo "== installing Aedes (package-lock.json) ==" >&2
  (cd "$HERE" && npm ci --no-audit --no-fund --silent) >&2 || die "npm ci failed"
fi

BROKER_PID=""
cleanup() {
  if [ -n "$BROKER_PID" ] && kill -0 "$BROKER_PID" 2>/dev/null; then
    kill "$BROKER_PID" 2>/dev/null || true
    wait "$BROKER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits for "listening tcp HOST:PORT" (and "listening ws URL") in a broker's log.
wait_listening() {
  local log="$1" want_ws="$2" i
  for i in $(seq 1 300); do
    if grep -q '^listening tcp ' "$log" && { [ "$want_ws" = no ] || grep -q '^listening ws ' "$log"; }; then
      return 0
    fi
    kill -0 "$BROKER_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Starts broker $1 pinned to BROKER_CPU, logging to $OUT/$1-$2.log; sets BROKER_PID, TCP_URL and
# WS_URL (empty when the broker has no WebSocket listener). Fails when the broker does not start.
start_broker() {
  local name="$1" log="$OUT/$1-$2.log"
  : >"$log"
  TCP_URL=""
  WS_URL=""
  case "$name" in
    bridge)
      # Started by the launcher, with the JVM flags users get (the jar was just built, the JDK is the
      # one found above). -XX:ActiveProcessorCount=1: the JVM sizes its GC and thread pools for
      # the one core it gets. The queue limits are Mosquitto's below: the fan-in subscriber may
      # have the whole flow window owed at once, QoS 1 queued in the engine or QoS 0 queued as
      # bytes (20,000 owed 64-byte messages are about 1.6 MB).
      STRATUS_JAVA_OPTS="-XX:ActiveProcessorCount=1" taskset -c "$BROKER_CPU" "$ROOT/stratus" bridge \
        --tcp-port 0 --ws-port 0 --allow-anonymous true \
        --max-queued-messages 1000000 --outbound-soft-limit 256m --outbound-hard-limit 1024m \
        >>"$log" 2>&1 &
      BROKER_PID=$!
      wait_listening "$log" yes || return 1
      ;;
    mosquitto)
      local port conf="$OUT/mosquitto.conf"
      port="$(free_port)"
      # max_queued_messages: the fan-in subscriber may have the whole flow window queued at once;
      # Mosquitto must not drop it. set_tcp_nodelay: what a latency-minded deployment would set.
      # Debian's Mosquitto 2.0 is built without websockets: measured over tcp only.
      cat >"$conf" <<EOF
listener $port 127.0.0.1
allow_anonymous true
max_queued_messages 1000000
set_tcp_nodelay true
EOF
      taskset -c "$BROKER_CPU" mosquitto -c "$conf" >>"$log" 2>&1 &
      BROKER_PID=$!
      local i up=no
      for i in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
          up=yes
          break
        fi
        kill -0 "$BROKER_PID" 2>/dev/null || break
        sleep 0.1
      done
      [ "$up" = yes ] || return 1
      echo "listening tcp 127.0.0.1:$port" >>"$log"
      ;;
    aedes)
      taskset -c "$BROKER_CPU" node "$HERE/aedes-server.mjs" --tcp-port 0 --ws-port 0 >>"$log" 2>&1 &
      BROKER_PID=$!
      wait_listening "$log" yes || return 1
      ;;
    *) die "unknown broker $name (bridge, mosquitto or aedes)" ;;
  esac
  TCP_URL="mqtt://$(sed -n 's/^listening tcp //p' "$log" | tail -n1)"
  WS_URL="$(sed -n 's/^listening ws //p' "$log" | tail -n1)"
}

stop_broker() {
  kill "$BROKER_PID" 2>/dev/null || true
  wait "$BROKER_PID" 2>/dev/null || true
  BROKER_PID=""
}

# Runs the load generator pinned to LOADGEN_CPU; appends its result lines, tagged with the broker.
loadgen() {
  local broker="$1"
  shift
  local line
  if ! taskset -c "$LOADGEN_CPU" "$JAVA" -jar "$LOADGEN_JAR" --format text "$@" \
    2>>"$OUT/loadgen-$broker.log" >"$OUT/last.txt"; then
    echo "run.sh: $broker: loadgen $* failed (see $OUT/loadgen-$broker.log)" >&2
  fi
  while IFS= read -r line; do
    echo "broker=$broker $line" >>"$RESULTS"
    echo "  $broker: $line" >&2
  done <"$OUT/last.txt"
}

for broker in $BROKERS; do
  echo "== $broker ==" >&2
  : >"$OUT/loadgen-$broker.log"
  # Idle first, each on a freshly started broker: memory freed by earlier scenarios would hide
  # what new connections cost.
  for transport in tcp ws; do
    if ! start_broker "$broker" "idle-$transport"; then
      echo "run.sh: $broker did not start (see $OUT/$broker-idle-$transport.log)" >&2
      stop_broker
      continue
    fi
    url="$TCP_URL"
    [ "$transport" = ws ] && url="$WS_URL"
    if [ -n "$url" ]; then
      sleep 1
      loadgen "$broker" --url "$url" --scenario idle --connections "$CONNECTIONS" --broker-pid "$BROKER_PID"
    fi
    stop_broker
  done
  if ! start_broker "$broker" load; then
    echo "run.sh: $broker did not start (see $OUT/$broker-load.log)" >&2
    stop_broker
    continue
  fi
  for transport in tcp ws; do
    url="$TCP_URL"
    [ "$transport" = ws ] && url="$WS_URL"
    [ -n "$url" ] || continue
    for qos in 0 1; do
      for scenario in fanin fanout latency; do
        loadgen "$broker" --url "$url" --scenario "$scenario" --qos "$qos" \
          --seconds "$SECONDS_PER_RUN" --warmup "$WARMUP" --payload "$PAYLOAD"
      done
    done
  done
  stop_broker
done

echo "== results ($RESULTS) ==" >&2
# What docs/benchmarks.md records with the table: the command, the date, the machine, the versions.
{
  echo "Command: \`benchmarks/broker-compare/run.sh $ARGS\`"
  echo
  echo "- date: $STARTED_AT; load average at start: $LOAD_AT_START"
  echo "- machine: $(nproc --all) cores ($(lscpu | sed -n 's/^Model name: *//p' | head -n1)), $(free -g | awk '/^Mem:/ {print $2}') GiB memory"
  echo "- JDK: $("$JAVA" -version 2>&1 | head -n1); Mosquitto $(mosquitto -h 2>/dev/null | sed -n 's/^mosquitto version //p'); Node.js $(node --version), Aedes $(node -p "require('$HERE/node_modules/aedes/package.json').version" 2>/dev/null || echo n/a)"
  echo "- brokers pinned to CPU $BROKER_CPU, load generator to CPU $LOADGEN_CPU; $SECONDS_PER_RUN s measured after $WARMUP s warm-up; payload $PAYLOAD bytes; $CONNECTIONS idle connections"
  echo
} | tee "$OUT/table.md"
# The table: one row per measurement, one column per broker, then each broker against Mosquitto.
awk -v brokers="$BROKERS" '
  function key(b, s, t, q, k) { return b SUBSEP s SUBSEP t SUBSEP q SUBSEP k }
  function fmt(v, d) {
    if (v == "" || v == "n/a") return "n/a"
    return sprintf("%." d "f", v)
  }
  function thousands(v,   s, r) {
    s = sprintf("%.0f", v); r = ""
    while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
    return s r
  }
  {
    delete f
    for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    q = ("qos" in f) ? f["qos"] : "-"
    for (k in f) v[key(f["broker"], f["scenario"], f["transport"], q, k)] = f[k]
    seen[f["broker"], f["scenario"], f["transport"], q] = 1
  }
  # Prints one row; better = "high" or "low" only changes nothing but the reading of ratios.
  function row(label, s, t, q, k, digits, showLost,   line, b, x, m, cell, lost) {
    line = "| " label " | " t " | " q " |"
    for (i = 1; i <= nb; i++) {
      b = bl[i]
      if (!((b, s, t, q) in seen)) { line = line " — |"; continue }
      x = v[key(b, s, t, q, k)]
      cell = (digits == 0 && x != "n/a") ? thousands(x) : fmt(x, digits)
      lost = v[key(b, s, t, q, "lost")]
      if (showLost && lost + 0 > 0) cell = cell " (lost " thousands(lost) ")"
      line = line " " cell " |"
    }
    for (i = 1; i <= nb; i++) {
      b = bl[i]
      if (b == "mosquitto") continue
      x = v[key(b, s, t, q, k)]
      m = v[key("mosquitto", s, t, q, k)]
      if (((b, s, t, q) in seen) && (("mosquitto", s, t, q) in seen) && m + 0 > 0 && x != "n/a")
        line = line " " sprintf("%.2f", x / m) " |"
      else
        line = line " — |"
    }
    print line
  }
  END {
    nb = split(brokers, bl, " ")
    header = "| Measurement | Transport | QoS |"
    rule = "|---|---|---|"
    for (i = 1; i <= nb; i++) { header = header " " bl[i] " |"; rule = rule "---:|" }
    for (i = 1; i <= nb; i++) if (bl[i] != "mosquitto") { header = header " " bl[i] " ÷ mosquitto |"; rule = rule "---:|" }
    print header
    print rule
    split("tcp ws", transports, " ")
    for (ti = 1; ti <= 2; ti++) {
      t = transports[ti]
      for (q = 0; q <= 1; q++) {
        row("fan-in 4→1, deliveries/s", "fanin", t, q, "throughput_msg_s", 0, 1)
        row("fan-out 1→100, deliveries/s", "fanout", t, q, "throughput_msg_s", 0, 1)
        row("latency p50 at 1,000 msg/s, ms", "latency", t, q, "p50_ms", 3, 1)
        row("latency p99 at 1,000 msg/s, ms", "latency", t, q, "p99_ms", 3, 0)
      }
    }
    for (ti = 1; ti <= 2; ti++) {
      t = transports[ti]
      row("idle connections: connects/s", "idle", t, "-", "connect_rate_s", 0, 0)
      row("idle connections: broker RSS per connection, KiB", "idle", t, "-", "rss_per_conn_kib", 2, 0)
    }
  }
' "$RESULTS" | tee -a "$OUT/table.md"
