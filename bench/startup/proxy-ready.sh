#!/usr/bin/env bash
# Measures how long `custos proxy` takes to become ready: wall-clock time from launch until the
# admin /readyz answers 200, and the CPU the JVM had used by then (user+system, from /proc).
# Runs the proxy as users do, through the ./custos launcher (so with its class-data archive once
# written; CUSTOS_CLASS_ARCHIVE=off measures without it).
# Usage: bench/startup/proxy-ready.sh [RUNS]  (JVM options via CUSTOS_JAVA_OPTS, as ./custos takes)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
jar="$root/cli/target/custos.jar"
runs="${1:-5}"
[[ -f "$jar" ]] || { echo "proxy-ready: $jar missing (build it: ./custos --version)" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
tick="$(getconf CLK_TCK)"
cp "$root/examples/proxy/policy.yaml" "$work/policy.yaml"
for ((i = 1; i <= runs; i++)); do
  admin="$(free_port)"
  cat >"$work/custos.yaml" <<YAML
listen: 127.0.0.1:0
admin: 127.0.0.1:$admin
routes:
  - match: { prefix: / }
    cluster: backend
clusters:
  backend:
    endpoints: [127.0.0.1:9]
policy: policy.yaml
YAML
  start="$(date +%s.%N)"
  # The launcher execs java, so $! is the JVM's pid.
  "$root/custos" proxy --config "$work/custos.yaml" >"$work/out" 2>&1 &
  pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$admin/readyz"; do
    kill -0 "$pid" 2>/dev/null || { echo "proxy-ready: the proxy exited:" >&2; cat "$work/out" >&2; exit 1; }
    sleep 0.02
  done
  end="$(date +%s.%N)"
  read -r -a stat <"/proc/$pid/stat"
  cpu="$(echo "scale=2; (${stat[13]} + ${stat[14]}) / $tick" | bc)"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  printf 'run %d: ready in %.2f s wall, %s s CPU\n' "$i" "$(echo "$end - $start" | bc)" "$cpu"
done
