#!/usr/bin/env bash
# Soak test: mixed traffic through one Custos proxy with a 256 MiB heap for 10 minutes, at about
# half of the capacity measured just before; shows that memory stays flat and nothing fails.
#
# Traffic (bench/load/SoakLoad.java, one JVM that is both the upstream and the client), in turn:
# normal JSON and JSON with cards and SSNs (masked by the proxy) over HTTP/1.1, gzip-compressed
# JSON with cards (decoded, masked), a request carrying an SSN (blocked, 403), and normal and
# redacted JSON over h2c. Every answer is checked: a raw card or SSN, or an unexpected status, is
# an error. Every 30 s the proxy gets a full GC (jcmd GC.run) and the heap used after it and the
# process's RSS are recorded. Prints one line per sample and a summary: heap after each full GC
# (flat means no leak), RSS, requests, errors, p50/p99 latency.
#
# Usage: bench/load/soak.sh        (DURATION=600 seconds by default; CAPACITY_SECONDS=20,
#                                   WARMUP=60 seconds, HEAP=256m, RATE=<requests/s> to skip the
#                                   capacity measurement)
# Loads the machine's cores for the whole run.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-600}
WARMUP=${WARMUP:-60}
CAPACITY_SECONDS=${CAPACITY_SECONDS:-20}
HEAP=${HEAP:-256m}
PROXY_PORT=${PROXY_PORT:-18180}
ADMIN_PORT=${ADMIN_PORT:-18181}
UPSTREAM_PORT=${UPSTREAM_PORT:-18182}

./custos --version >/dev/null # builds cli/target/custos.jar when needed, before anything is timed
jar=cli/target/custos.jar
work=$(mktemp -d /tmp/custos-soak.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

java -Xmx512m -cp "$jar" bench/load/SoakLoad.java upstream "$UPSTREAM_PORT" > "$work/upstream.log" 2>&1 &
pids+=($!)

cat > "$work/policy.yaml" <<'CONF'
version: 1
rules:
  - name: no SSN goes upstream
    match: { direction: request }
    categories: [us_ssn]
    action: block
  - name: cards and SSNs are masked on the way out
    match: { direction: response }
    categories: [credit_card, us_ssn]
    action: redact
CONF
cat > "$work/custos.yaml" <<CONF
listen: 127.0.0.1:$PROXY_PORT
admin: 127.0.0.1:$ADMIN_PORT
findings: { file: off }
routes:
  - match: { prefix: / }
    cluster: origin
clusters:
  origin:
    endpoints: [127.0.0.1:$UPSTREAM_PORT]
policy: policy.yaml
CONF
CUSTOS_JAVA_OPTS="-Xmx$HEAP -Xlog:gc:file=$work/gc.log" ./custos proxy --config "$work/custos.yaml" \
  > "$work/custos.log" 2>&1 &
proxy=$!
pids+=("$proxy")
for _ in $(seq 1 300); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PROXY_PORT/normal" 2>/dev/null && break
  sleep 0.2
done
curl -fsS -o /dev/null "http://127.0.0.1:$PROXY_PORT/normal" || { cat "$work"/*.log >&2; exit 1; }
jvm=$(pgrep -P "$proxy" java || echo "$proxy") # ./custos execs java: usually the same process

load() { java -Xmx512m -cp "$jar" bench/load/SoakLoad.java "$@"; }
echo "warming up for ${WARMUP}s" >&2
load capacity "$PROXY_PORT" "$WARMUP" > /dev/null
if [[ -z ${RATE:-} ]]; then
  capacity=$(load capacity "$PROXY_PORT" "$CAPACITY_SECONDS")
  echo "$capacity" >&2
  RATE=$(awk '{ printf "%d", $2 / 2 }' <<< "$capacity")
fi
echo "soak: ${RATE} requests/s for ${DURATION}s, proxy heap -Xmx$HEAP" >&2

sample() { # prints: seconds heap-after-full-gc-MiB rss-MiB
  jcmd "$jvm" GC.run > /dev/null
  local used rss
  used=$(jcmd "$jvm" GC.heap_info | awk '/garbage-first heap|total/ && /used/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K,?/, "", v); printf "%.1f", v / 1024; exit } }')
  rss=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$jvm/status")
  echo "$1 $used $rss"
}
start=$(date +%s)
load soak "$PROXY_PORT" "$RATE" "$DURATION" > "$work/soak.out" &
loader=$!
pids+=("$loader")
samples=()
samples+=("$(sample 0)")
while kill -0 "$loader" 2>/dev/null; do
  sleep 30
  kill -0 "$loader" 2>/dev/null || break
  samples+=("$(sample $(($(date +%s) - start)))")
done
wait "$loader" || true
samples+=("$(sample $(($(date +%s) - start)))")

cat "$work/soak.out" >&2
echo
echo "seconds  heap-after-full-GC-MiB  RSS-MiB"
printf '%s\n' "${samples[@]}" | awk '{ printf "%7s  %22s  %7s\n", $1, $2, $3 }'
grep '^summary' "$work/soak.out"
printf '%s\n' "${samples[@]}" | awk 'NR == 2 { first = $2 } { last = $2; if ($2 > max) max = $2 }
  END { printf "heap after full GC: first (after warm-up load) %.1f MiB, last %.1f MiB, max %.1f MiB\n", first, last, max }'
echo "proxy errors logged: $(grep -c ' ERROR ' "$work/custos.log" || true)"
