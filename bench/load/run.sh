#!/usr/bin/env bash
# Load test: Custos in front of a real upstream, compared with nginx as a reverse proxy.
#
# nginx serves a ~7 KB JSON file (user records; some carry emails, card numbers and SSNs) as the
# upstream, and also runs as a plain reverse proxy in front of it for comparison. wrk then drives,
# one after the other: the upstream directly, the nginx proxy, Custos forwarding with inspection off
# (Armeria's cost alone), Custos observing, Custos redacting. Each Custos runs alone while measured.
# Prints requests/s and latency p50/p99 for each, and Custos's ratios to nginx.
#
# Usage: bench/load/run.sh            (DURATION=20s CONNECTIONS=64 THREADS=2 WARMUP=60s to change)
# The warm-up is long because on two cores, with wrk and nginx busy too, the JIT compiler needs
# about a minute to finish compiling the request path; shorter runs measure half-compiled code.
# Installs nginx-light and wrk from Debian's packages when missing (needs root or sudo).
# All processes share this machine's cores with wrk, so compare ratios, not absolute figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-60s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
UPSTREAM_PORT=${UPSTREAM_PORT:-18081}
NGINX_PROXY_PORT=${NGINX_PROXY_PORT:-18082}
FORWARD_PORT=${FORWARD_PORT:-18085}
OBSERVE_PORT=${OBSERVE_PORT:-18083}
REDACT_PORT=${REDACT_PORT:-18084}

need() {
  local missing=()
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
  command -v wrk >/dev/null || missing+=(wrk)
  if ((${#missing[@]})); then
    local sudo=""
    [[ $(id -u) -ne 0 ]] && sudo=sudo
    echo "installing ${missing[*]} (Debian packages)" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}
need
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d /tmp/custos-load.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -f $work/nginx.pid ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/www/api" "$work/logs"
python3 bench/load/make-payload.py > "$work/www/api/users"
chmod 755 "$work" && chmod -R a+rX "$work/www" # nginx workers run as www-data when started as root
echo "payload: $(wc -c < "$work/www/api/users") bytes of JSON" >&2

cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type application/json;
  keepalive_requests 1000000;
  upstream origin { server 127.0.0.1:$UPSTREAM_PORT; keepalive 128; }
  server {
    listen 127.0.0.1:$UPSTREAM_PORT;
    root $work/www;
    location / { types { } default_type application/json; }
  }
  server {
    listen 127.0.0.1:$NGINX_PROXY_PORT;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
CONF
"$NGINX" -c "$work/nginx.conf" -p "$work"

custos_config() { # port admin-port [policy-file]
  cat > "$work/custos-$1.yaml" <<CONF
listen: 127.0.0.1:$1
admin: 127.0.0.1:$2
routes:
  - match: { prefix: / }
    cluster: origin
clusters:
  origin:
    endpoints: [127.0.0.1:$UPSTREAM_PORT]
CONF
  if [[ -n ${3:-} ]]; then
    echo "policy: $3" >> "$work/custos-$1.yaml"
  else
    echo "inspection: { enabled: false }" >> "$work/custos-$1.yaml"
  fi
  echo "$work/custos-$1.yaml"
}
cat > "$work/observe.yaml" <<'CONF'
version: 1
CONF
cat > "$work/redact.yaml" <<'CONF'
version: 1
rules:
  - name: sensitive values are masked on the way out
    match: { direction: response }
    categories: [credit_card, us_ssn, email]
    action: redact
    redact: { style: mask }
CONF

./custos --version >/dev/null # builds the jar once, before anything is timed
CUSTOS_JAVA_OPTS=${CUSTOS_JAVA_OPTS:-"-Xmx1g"}
export CUSTOS_JAVA_OPTS
wait_for() { # url
  for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "not answering: $1 (see $work/logs)" >&2
  cat "$work"/logs/*.log >&2 || true
  exit 1
}
for port in "$UPSTREAM_PORT" "$NGINX_PROXY_PORT"; do
  wait_for "http://127.0.0.1:$port/api/users"
done

start_custos() { # mode port: starts a Custos proxy and waits until it answers
  local policy=""
  if [[ $1 != forward ]]; then policy="$work/$1.yaml"; fi
  local cfg
  cfg=$(custos_config "$2" $(($2 + 100)) "$policy")
  ./custos proxy --config "$cfg" > "$work/logs/custos-$1.log" 2>&1 &
  custos_pid=$!
  pids+=("$custos_pid")
  wait_for "http://127.0.0.1:$2/api/users"
  if [[ $1 == redact ]] && curl -fsS "http://127.0.0.1:$2/api/users" | grep -q '"card": "4'; then
    echo "the redact proxy let a card number through: check its policy" >&2
    exit 1
  fi
}
stop_custos() {
  kill "$custos_pid" 2>/dev/null || true
  wait "$custos_pid" 2>/dev/null || true
}

# wrk's latency distribution prints "50%  1.23ms"; normalise to milliseconds.
to_ms() {
  awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.3f", v }'
}
measure() { # name port warm-up
  local url="http://127.0.0.1:$2/api/users" out
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$3" "$url" > /dev/null
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url")
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<< "$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<< "$out" | to_ms)
  p99=$(awk '$1 == "99%" { print $2 }' <<< "$out" | to_ms)
  errors=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<< "$out")
  echo "$1 $rps $p50 $p99 ${errors:-0}"
}

results=()
results+=("$(measure upstream "$UPSTREAM_PORT" 5s)") # nginx has no JIT to warm
results+=("$(measure nginx-proxy "$NGINX_PROXY_PORT" 5s)")
for spec in "forward:$FORWARD_PORT" "observe:$OBSERVE_PORT" "redact:$REDACT_PORT"; do
  start_custos "${spec%%:*}" "${spec##*:}"
  results+=("$(measure "custos-${spec%%:*}" "${spec##*:}" "$WARMUP")")
  stop_custos
done

printf '%s\n' "${results[@]}" | awk -v d="$DURATION" -v c="$CONNECTIONS" -v t="$THREADS" '
  { name[NR] = $1; rps[NR] = $2; p50[NR] = $3; p99[NR] = $4; err[NR] = $5 }
  END {
    printf "wrk -t%s -c%s -d%s, ~7 KB JSON per response, %s\n\n", t, c, d, "keep-alive HTTP/1.1"
    printf "%-16s %12s %10s %10s %8s %14s %16s\n", "target", "requests/s", "p50 ms", "p99 ms", "non-2xx", "x nginx-proxy", "p99 added ms"
    for (i = 1; i <= NR; i++) {
      ratio = (name[i] ~ /^custos/) ? sprintf("%.2f", rps[i] / rps[2]) : "-"
      added = (i > 1) ? sprintf("%.3f", p99[i] - p99[1]) : "-"
      printf "%-16s %12.0f %10.3f %10.3f %8s %14s %16s\n", name[i], rps[i], p50[i], p99[i], err[i], ratio, added
    }
    print "\ntargets: observe >= 1.0x nginx-proxy, redact >= 0.8x, p99 added <= 1 ms"
  }'
