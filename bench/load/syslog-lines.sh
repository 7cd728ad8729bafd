#!/usr/bin/env bash
# Sends LINES syslog messages (RFC 5424, octet-counted, a card in every 100th) through a custos
# tcp_listeners listener with a redact rule to a plain TCP upstream, and prints lines per second
# from the first byte the upstream received to the last, how many cards came out in clear (0),
# and the proxy's CPU time over the run (user + system, from /proc), which says more than the
# wall clock on a loaded machine.
#
# Usage: bench/load/syslog-lines.sh     (LINES=2000000 to change; default 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/../.."

LINES=${LINES:-1000000}
UPSTREAM_PORT=${UPSTREAM_PORT:-18093}
SYSLOG_PORT=${SYSLOG_PORT:-18094}
PROXY_PORT=${PROXY_PORT:-18095}

work=$(mktemp -d /tmp/custos-syslog.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/custos.yaml" <<CONF
listen: 127.0.0.1:$PROXY_PORT
findings: { file: 'off' }
routes:
  - match: { prefix: / }
    cluster: logs
clusters:
  logs: { endpoints: [127.0.0.1:$UPSTREAM_PORT] }
tcp_listeners:
  - { name: syslog, listen: "127.0.0.1:$SYSLOG_PORT", cluster: logs, framing: syslog }
policy:
  version: 1
  rules:
    - name: cards are masked
      match: { direction: request }
      categories: [credit_card]
      action: redact
      redact: { style: mask }
CONF
./custos --version >/dev/null # builds the jar once, before anything is timed
./custos proxy --config "$work/custos.yaml" > "$work/proxy.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do
  grep -q "tcp listener syslog" "$work/proxy.log" && break
  sleep 0.2
done
python3 bench/load/syslog-lines.py serve "$UPSTREAM_PORT" "$LINES" > "$work/upstream.log" &
pids+=($!)
until grep -q ready "$work/upstream.log"; do sleep 0.1; done
cpu() { awk '{ print $14 + $15 }' "/proc/${pids[0]}/stat"; }
echo "sending $LINES syslog messages through custos" >&2
before=$(cpu)
python3 bench/load/syslog-lines.py send "$SYSLOG_PORT" "$LINES"
until grep -q received "$work/upstream.log"; do sleep 0.05; done
after=$(cpu)
grep received "$work/upstream.log"
awk -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" -v n="$LINES" \
  'BEGIN { printf "proxy CPU: %.1f s (user + system), %.0f lines per CPU second\n", t / hz, n * hz / t }'
