#!/usr/bin/env bash
# Load test: Custos in front of a real upstream, compared with nginx as a reverse proxy.
#
# nginx serves a ~7 KB JSON file (user records; some carry emails, card numbers and SSNs) as the
# upstream, and also runs as a plain reverse proxy in front of it for comparison. wrk then drives,
# one after the other: the upstream directly, the nginx proxy, Custos forwarding with inspection off
# (Armeria's cost alone), Custos observing (every built-in detector), Custos redacting (cards, SSNs
# and emails masked in responses). Each Custos runs alone while measured.
# Prints requests/s and latency p50/p99 for each, and Custos's ratios to nginx.
#
# Usage: bench/load/run.sh            (DURATION=20s CONNECTIONS=64 THREADS=2 WARMUP=60s to change)
#        bench/load/run.sh --pinned   (or PIN=1): every proxy under test on the same single core
#        MODES="forward" bench/load/run.sh --pinned   only these Custos modes (of: forward observe
#                                     redact), for a quicker comparison of two builds
#        RUNS=3 bench/load/run.sh --pinned   each proxy measured 3 times (each Custos run a fresh
#                                     JVM); the table shows the median run and the CPU range. On
#                                     this 2-core VM one build's forwarding cost spread 76-113 us/req
#                                     over three runs, so compare builds on medians, never one run.
#        BASELINE_JAR=/tmp/before.jar MODES=forward RUNS=5 bench/load/run.sh --pinned
#                                     also measures each mode with that jar (a copy of
#                                     cli/target/custos.jar from another commit), alternating with
#                                     this tree's build in every run: a before/after pair from the
#                                     same run, under the same load.
#
# Pinned mode answers "what does Custos cost per core, next to the proxy I already run": the nginx
# reverse proxy (worker_processes 1) and each Custos (workers: 1, and the whole JVM, its JIT and GC
# threads included) run pinned with taskset to PROXY_CORE (default 1); wrk (THREADS default 1) and
# the upstream nginx (a separate instance) run pinned to LOAD_CORE (default 0). All are measured in
# the same run. Besides requests/s it prints the CPU time the proxy process used per request and how
# busy that made its core: a proxy well under 100 % was held back by the load side, not by itself.
#
# The warm-up is long because on two cores, with wrk and nginx busy too, the JIT compiler needs
# about a minute to finish compiling the request path; shorter runs measure half-compiled code.
# nginx is warmed for 5 s (it has no JIT). The class-data archive of ./custos is left off
# (CUSTOS_CLASS_ARCHIVE=off unless set) so that no training run starts in the background while
# something is measured; it only shortens start-up.
# Installs nginx-light and wrk from Debian's packages when missing (needs root or sudo).
# Unpinned, all processes share this machine's cores with wrk, so compare ratios, not absolute figures.
set -euo pipefail
cd "$(dirname "$0")/../.."

PIN=${PIN:-0}
for arg in "$@"; do
  case "$arg" in
    --pinned) PIN=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "usage: bench/load/run.sh [--pinned]" >&2
      exit 2
      ;;
  esac
done

DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-60s}
NGINX_WARMUP=${NGINX_WARMUP:-5s}
CONNECTIONS=${CONNECTIONS:-64}
if [[ $PIN == 1 ]]; then THREADS=${THREADS:-1}; else THREADS=${THREADS:-2}; fi
RUNS=${RUNS:-1}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "RUNS must be a positive whole number, got '$RUNS'" >&2; exit 2; }
MODES=${MODES:-forward observe redact}
for mode in $MODES; do
  case "$mode" in
    forward | observe | redact) ;;
    *)
      echo "MODES: unknown mode '$mode' (expected some of: forward observe redact)" >&2
      exit 2
      ;;
  esac
done
BASELINE_JAR=${BASELINE_JAR:-}
if [[ -n $BASELINE_JAR && ! -f $BASELINE_JAR ]]; then
  echo "BASELINE_JAR: no such file '$BASELINE_JAR'" >&2
  exit 2
fi
PROXY_CORE=${PROXY_CORE:-1}
LOAD_CORE=${LOAD_CORE:-0}
UPSTREAM_PORT=${UPSTREAM_PORT:-18081}
NGINX_PROXY_PORT=${NGINX_PROXY_PORT:-18082}
FORWARD_PORT=${FORWARD_PORT:-18085}
OBSERVE_PORT=${OBSERVE_PORT:-18083}
REDACT_PORT=${REDACT_PORT:-18084}
export CUSTOS_CLASS_ARCHIVE=${CUSTOS_CLASS_ARCHIVE:-off}

need() {
  local missing=()
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
  command -v wrk >/dev/null || missing+=(wrk)
  if [[ $PIN == 1 ]] && ! command -v taskset >/dev/null; then missing+=(util-linux); fi
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

# Commands prefixed with these run on the proxy's core and on the load side's core (nothing unpinned).
on_proxy_core=()
on_load_core=()
if [[ $PIN == 1 ]]; then
  cores=$(nproc)
  if ((PROXY_CORE == LOAD_CORE || PROXY_CORE >= cores || LOAD_CORE >= cores)); then
    echo "pinned mode needs two distinct cores below $cores (PROXY_CORE=$PROXY_CORE LOAD_CORE=$LOAD_CORE)" >&2
    exit 2
  fi
  on_proxy_core=(taskset -c "$PROXY_CORE")
  on_load_core=(taskset -c "$LOAD_CORE")
fi

work=$(mktemp -d /tmp/custos-load.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in "$work"/nginx-*.pid; do
    if [[ -f $f ]]; then kill "$(cat "$f")" 2>/dev/null || true; fi
  done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/www/api" "$work/logs"
python3 bench/load/make-payload.py > "$work/www/api/users"
chmod 755 "$work" && chmod -R a+rX "$work/www" # nginx workers run as www-data when started as root
echo "payload: $(wc -c < "$work/www/api/users") bytes of JSON" >&2

upstream_server="
  server {
    listen 127.0.0.1:$UPSTREAM_PORT;
    root $work/www;
    location / { types { } default_type application/json; }
  }"
proxy_server="
  upstream origin { server 127.0.0.1:$UPSTREAM_PORT; keepalive 128; }
  server {
    listen 127.0.0.1:$NGINX_PROXY_PORT;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }"
start_nginx() { # name servers [command prefix...]: one nginx with one worker process
  local name=$1 servers=$2
  shift 2
  cat > "$work/nginx-$name.conf" <<CONF
worker_processes 1;
pid $work/nginx-$name.pid;
error_log $work/logs/nginx-$name.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type application/json;
  keepalive_requests 1000000;
  $servers
}
CONF
  "$@" "$NGINX" -c "$work/nginx-$name.conf" -p "$work"
}
if [[ $PIN == 1 ]]; then
  # Two instances: the upstream with the load generator, the proxy on the proxy core.
  start_nginx upstream "$upstream_server" "${on_load_core[@]}"
  start_nginx proxy "$proxy_server" "${on_proxy_core[@]}"
else
  start_nginx all "$upstream_server $proxy_server"
fi

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
  if [[ $PIN == 1 ]]; then
    echo "workers: 1" >> "$work/custos-$1.yaml"
  fi
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

start_custos() { # mode port [jar]: starts a Custos proxy (this tree's, or the jar's) and waits until it answers
  local policy=""
  if [[ $1 != forward ]]; then policy="$work/$1.yaml"; fi
  local cfg
  cfg=$(custos_config "$2" $(($2 + 100)) "$policy")
  local command=(./custos)
  if [[ -n ${3:-} ]]; then
    # shellcheck disable=SC2206 # CUSTOS_JAVA_OPTS is a list of JVM options, split on purpose
    command=(java $CUSTOS_JAVA_OPTS -jar "$3")
  fi
  # ./custos ends in exec java: $! is the JVM itself.
  "${on_proxy_core[@]}" "${command[@]}" proxy --config "$cfg" > "$work/logs/custos-$1.log" 2>&1 &
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

clock_ticks=$(getconf CLK_TCK)
cpu_ticks() { # pid...: user + system CPU ticks of these processes (fields 14 and 15 of /proc/PID/stat)
  local total=0 pid stat fields
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    read -r -a fields <<< "${stat##*) }" # the fields after "pid (comm) "; comm may hold spaces
    total=$((total + fields[11] + fields[12]))
  done
  echo "$total"
}
nginx_proxy_pids() { # the proxy instance's master and worker
  local master
  master=$(cat "$work/nginx-proxy.pid")
  echo "$master" $(pgrep -P "$master")
}

# wrk's latency distribution prints "50%  1.23ms"; normalise to milliseconds.
to_ms() {
  awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.3f", v }'
}
# Prints: name requests/s p50-ms p99-ms non-2xx cpu-us-per-request core-busy-%
# (the last two "-" when no proxy pid is given).
measure() { # name port warm-up [proxy pid...]
  local name=$1 url="http://127.0.0.1:$2/api/users" warmup=$3 out
  shift 3
  "${on_load_core[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$warmup" "$url" > /dev/null
  local before=0
  (($#)) && before=$(cpu_ticks "$@")
  out=$("${on_load_core[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url")
  local cpu="-" busy="-"
  if (($#)); then
    local used requests seconds
    used=$(($(cpu_ticks "$@") - before))
    requests=$(awk '/ requests in / { print $1 }' <<< "$out")
    seconds=$(awk '/ requests in / { sub(/s,?$/, "", $4); print $4 }' <<< "$out")
    cpu=$(awk -v u="$used" -v hz="$clock_ticks" -v n="$requests" 'BEGIN { printf "%.1f", (n > 0 ? u / hz / n * 1e6 : 0) }')
    busy=$(awk -v u="$used" -v hz="$clock_ticks" -v s="$seconds" 'BEGIN { printf "%.0f", (s > 0 ? u / hz / s * 100 : 0) }')
  fi
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<< "$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<< "$out" | to_ms)
  p99=$(awk '$1 == "99%" { print $2 }' <<< "$out" | to_ms)
  errors=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<< "$out")
  echo "$name $rps $p50 $p99 ${errors:-0} $cpu $busy"
}

# median_of line...: the line with the median requests/s (field 2), its CPU us/req (field 6)
# followed by the range over all lines ("min-max", or "-" for one run or no CPU figure).
median_of() {
  printf '%s\n' "$@" | sort -k2,2g | awk '
    { line[NR] = $0; cpu[NR] = $6 }
    END {
      lo = ""; hi = ""
      for (i = 1; i <= NR; i++) if (cpu[i] != "-") {
        if (lo == "" || cpu[i] + 0 < lo + 0) lo = cpu[i]
        if (hi == "" || cpu[i] + 0 > hi + 0) hi = cpu[i]
      }
      range = (NR > 1 && lo != "") ? lo "-" hi : "-"
      print line[int((NR + 1) / 2)], range
    }'
}

results=()
results+=("$(measure upstream "$UPSTREAM_PORT" "$NGINX_WARMUP") -")
runs=()
for _ in $(seq 1 "$RUNS"); do
  if [[ $PIN == 1 ]]; then
    # shellcheck disable=SC2046 # one pid per word
    runs+=("$(measure nginx-proxy "$NGINX_PROXY_PORT" "$NGINX_WARMUP" $(nginx_proxy_pids))")
  else
    runs+=("$(measure nginx-proxy "$NGINX_PROXY_PORT" "$NGINX_WARMUP")")
  fi
done
results+=("$(median_of "${runs[@]}")")
declare -A mode_port=([forward]=$FORWARD_PORT [observe]=$OBSERVE_PORT [redact]=$REDACT_PORT)
measure_custos() { # mode name [jar]: one run of one build, printed as a measure line
  start_custos "$1" "${mode_port[$1]}" "${3:-}"
  if [[ $PIN == 1 ]]; then
    measure "$2" "${mode_port[$1]}" "$WARMUP" "$custos_pid"
  else
    measure "$2" "${mode_port[$1]}" "$WARMUP"
  fi
  stop_custos
}
for mode in $MODES; do
  runs=()
  baseline_runs=()
  for _ in $(seq 1 "$RUNS"); do # each run a fresh JVM: JIT outcomes differ from one start to the next
    if [[ -n $BASELINE_JAR ]]; then
      baseline_runs+=("$(measure_custos "$mode" "custos-$mode-baseline" "$BASELINE_JAR")")
    fi
    runs+=("$(measure_custos "$mode" "custos-$mode")")
  done
  if [[ -n $BASELINE_JAR ]]; then
    results+=("$(median_of "${baseline_runs[@]}")")
  fi
  results+=("$(median_of "${runs[@]}")")
done

if [[ $PIN == 1 ]]; then
  printf '%s\n' "${results[@]}" | awk -v d="$DURATION" -v c="$CONNECTIONS" -v t="$THREADS" \
    -v runs="$RUNS" -v w="$WARMUP" -v nw="$NGINX_WARMUP" -v pc="$PROXY_CORE" -v lc="$LOAD_CORE" '
    BEGIN {
      label["upstream"] = "upstream (with wrk, core " lc ")"
      label["nginx-proxy"] = "nginx reverse proxy"
      label["custos-forward"] = "Custos, inspection off"
      label["custos-observe"] = "Custos, observe (every built-in detector)"
      label["custos-redact"] = "Custos, redact cards/SSNs/emails"
    }
    { name[NR] = $1; rps[NR] = $2; p50[NR] = $3; p99[NR] = $4; err[NR] = $5; cpu[NR] = $6; busy[NR] = $7
      range[NR] = $8
      if ($1 ~ /-baseline$/) { bn = $1; sub(/-baseline$/, "", bn); label[$1] = label[bn] " (BASELINE_JAR)" }
      if ($1 == "nginx-proxy") base = $2 }
    END {
      printf "pinned: each proxy on core %s (taskset -c %s; nginx worker_processes 1; Custos workers: 1),\n", pc, pc
      printf "wrk -t%s -c%s and the upstream nginx on core %s; ~7 KB JSON per response, keep-alive HTTP/1.1;\n", t, c, lc
      printf "each measured for %s after a warm-up of %s (nginx: %s); median of %s run(s).\n\n", d, w, nw, runs
      printf "| %-42s | %17s | %21s | %11s | %13s | %9s | %6s | %6s | %7s |\n", "", "req/s on one core", "x nginx reverse proxy", "CPU us/req", "CPU us range", "core busy", "p50 ms", "p99 ms", "non-2xx"
      printf "|%s|%s:|%s:|%s:|%s:|%s:|%s:|%s:|%s:|\n", "--------------------------------------------", "------------------", "----------------------", "------------", "--------------", "----------", "-------", "-------", "--------"
      for (i = 1; i <= NR; i++) {
        ratio = (name[i] != "upstream" && base > 0) ? sprintf("%.2f", rps[i] / base) : "-"
        b = (busy[i] == "-") ? "-" : busy[i] " %"
        printf "| %-42s | %17.0f | %21s | %11s | %13s | %9s | %6.2f | %6.2f | %7s |\n", label[name[i]], rps[i], ratio, cpu[i], range[i], b, p50[i], p99[i], err[i]
      }
      print "\nCPU us/req and core busy: user + system time of the proxy process(es) over the measured run."
      print "A proxy whose core is well under 100 % busy was limited by the load side, not by itself."
      print "targets (issue 11): inspection off >= 0.8x nginx, observe >= 0.5x, redact >= 0.45x"
    }'
else
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
fi
