#!/usr/bin/env bash
# Streams a large text response with a card number every ~4 KiB through the real proxy with a
# redact rule and a small heap, and checks every card came out masked and the length was kept.
#
# Usage: bench/load/stream-redact.sh     (MIB=1024 HEAP=256m to change; defaults 1 GiB, 256 MiB)
# The proxy runs with -XX:+ExitOnOutOfMemoryError: holding the body would end the run. Prints the
# time, the throughput and the largest heap in use after a collection (from the GC log).
# The CI-sized twin is proxy/src/test/java/dev/custos/proxy/RedactingStreamTest.java (256 MiB
# through the test JVM's 192 MiB heap).
set -euo pipefail
cd "$(dirname "$0")/../.."

MIB=${MIB:-1024}
HEAP=${HEAP:-256m}
UPSTREAM_PORT=${UPSTREAM_PORT:-18091}
PROXY_PORT=${PROXY_PORT:-18092}

work=$(mktemp -d /tmp/custos-stream.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

python3 bench/load/stream-redact.py serve "$UPSTREAM_PORT" &
pids+=($!)
cat > "$work/custos.yaml" <<CONF
listen: 127.0.0.1:$PROXY_PORT
findings: { file: 'off' }
routes:
  - match: { prefix: / }
    cluster: origin
    timeout: "0"
clusters:
  origin: { endpoints: [127.0.0.1:$UPSTREAM_PORT] }
policy:
  version: 1
  rules:
    - name: cards are masked
      match: { direction: response }
      categories: [credit_card]
      action: redact
      redact: { style: mask }
CONF
./custos --version >/dev/null # builds the jar once, before anything is timed
CUSTOS_JAVA_OPTS="-Xmx$HEAP -XX:+ExitOnOutOfMemoryError -Xlog:gc:file=$work/gc.log" \
  ./custos proxy --config "$work/custos.yaml" > "$work/proxy.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PROXY_PORT/cards?units=1" 2>/dev/null && break
  sleep 0.2
done

unit=$(python3 -c 'import importlib.util,sys; s=importlib.util.spec_from_file_location("s","bench/load/stream-redact.py"); m=importlib.util.module_from_spec(s); s.loader.exec_module(m); print(len(m.UNIT))')
units=$((MIB * 1024 * 1024 / unit))
echo "streaming $((units * unit)) bytes ($units cards) through custos with -Xmx$HEAP" >&2
start=$(date +%s.%N)
curl -fsSN "http://127.0.0.1:$PROXY_PORT/cards?units=$units" | python3 bench/load/stream-redact.py check "$units"
end=$(date +%s.%N)
kill -0 "${pids[1]}" 2>/dev/null || { echo "the proxy died (see its log)" >&2; cat "$work/proxy.log" >&2; exit 1; }
awk -v s="$start" -v e="$end" -v b="$((units * unit))" \
  'BEGIN { printf "%.1f s, %.1f MiB/s\n", e - s, b / 1048576 / (e - s) }'
# Lines such as "GC(12) Pause Young (Normal) (G1 Evacuation Pause) 60M->12M(256M) 3.1ms".
awk 'match($0, /->[0-9]+M\(/) { v = substr($0, RSTART + 2, RLENGTH - 4) + 0; if (v > m) m = v }
  END { printf "largest heap after a collection: %d MiB\n", m }' "$work/gc.log"
