#!/usr/bin/env bash
# Whole-process speed of `custos scan` on a large JSON-lines file, against GNU grep.
#
# Writes a 256 MB JSON-lines file of user records (bench/make-jsonl.py: deterministic; every 4th
# record has an email, every 8th a card number, every 16th an SSN) once, then times, each as a
# whole process from start to exit:
#   custos  ./custos scan FILE                      (every built-in detector, text findings)
#   grep    grep -oE -e CARDS -e SSNS -e EMAILS FILE (three simple patterns)
# CARDS = [0-9]{13,19}, SSNS = [0-9]{3}-[0-9]{2}-[0-9]{4},
# EMAILS = [A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}
# Both write their matches through a pipe (hyperfine --output=pipe): grep finishes early when its
# output is /dev/null. Prints wall-clock MB/s (MB = 10^6 bytes) of each, the ratio, and the CPU
# seconds (user + system) each process used: custos may use every core, grep uses one.
#
# Usage: bench/scan-vs-grep.sh        (SIZE=256000000 RUNS=3 WARMUP_RUNS=1 CUSTOS_ARGS="..."
#                                      GREP_LOCALE=C.UTF-8 to change;
#                                      FILE=path to keep the generated file elsewhere)
# Uses hyperfine (installed from Debian's packages when missing, needs root or sudo), else
# /usr/bin/time. The file is kept in bench/target and reused while its size matches.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${SIZE:-256000000}
RUNS=${RUNS:-3}
WARMUP_RUNS=${WARMUP_RUNS:-1}
FILE=${FILE:-bench/target/scan-vs-grep/users-$SIZE.jsonl}
CUSTOS_ARGS=${CUSTOS_ARGS:-}
# grep's speed depends on its locale: several times faster with LC_ALL=C than with a UTF-8 one.
# The default is a UTF-8 locale, as on most machines (and the one issue 11's reference figure used).
GREP_LOCALE=${GREP_LOCALE:-C.UTF-8}
CARDS='[0-9]{13,19}'
SSNS='[0-9]{3}-[0-9]{2}-[0-9]{4}'
EMAILS='[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}'

if ! command -v hyperfine >/dev/null; then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo=sudo
  echo "installing hyperfine (Debian package)" >&2
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq hyperfine >/dev/null; } ||
    echo "hyperfine could not be installed; timing with /usr/bin/time" >&2
fi

mkdir -p "$(dirname "$FILE")"
if [[ ! -f $FILE || $(stat -c %s "$FILE") != "$SIZE" ]]; then
  echo "writing $FILE ($SIZE bytes) ..." >&2
  python3 bench/make-jsonl.py "$SIZE" > "$FILE.tmp"
  mv "$FILE.tmp" "$FILE"
fi

# Builds the jar and, once per build, the class-data archive that ./custos uses (in the foreground,
# so that no training run competes with what is timed).
CUSTOS_CLASS_ARCHIVE="wait" ./custos --version >/dev/null
cat "$FILE" > /dev/null # into the page cache: both read from memory

work=$(mktemp -d /tmp/custos-scan-vs-grep.XXXXXX)
trap 'rm -rf "$work"' EXIT
# --exit-code 0: findings are expected; an error still exits 2 and fails the run.
custos_cmd="./custos scan --exit-code 0 $CUSTOS_ARGS '$FILE'"
grep_cmd="LC_ALL=$GREP_LOCALE grep -oE -e '$CARDS' -e '$SSNS' -e '$EMAILS' '$FILE'"

echo "custos findings: $(bash -c "$custos_cmd" 2>/dev/null | wc -l), grep matches: $(bash -c "$grep_cmd" | wc -l)" >&2

# Prints: wall-seconds cpu-seconds (means over the runs)
if command -v hyperfine >/dev/null; then
  hyperfine --style basic --output=pipe --warmup "$WARMUP_RUNS" --runs "$RUNS" \
    --export-json "$work/times.json" -n custos "$custos_cmd" -n grep "$grep_cmd" >&2
  read -r custos_wall custos_cpu grep_wall grep_cpu < <(python3 -c '
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
print(*(f"{v:.3f}" for n in ("custos", "grep") for v in (r[n]["mean"], r[n]["user"] + r[n]["system"])))
' "$work/times.json")
else
  time_it() { # command: mean wall and CPU seconds over RUNS runs (after WARMUP_RUNS)
    local i wall=0 cpu=0 w c
    for ((i = 0; i < WARMUP_RUNS; i++)); do bash -c "$1" > /dev/null 2>&1 || true; done
    for ((i = 0; i < RUNS; i++)); do
      /usr/bin/time -f '%e %U %S' -o "$work/t" bash -c "$1 | cat > /dev/null" 2>/dev/null
      read -r w u s < "$work/t"
      wall=$(awk -v a="$wall" -v b="$w" 'BEGIN { print a + b }')
      c=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
      cpu=$(awk -v a="$cpu" -v b="$c" 'BEGIN { print a + b }')
    done
    awk -v w="$wall" -v c="$cpu" -v n="$RUNS" 'BEGIN { printf "%.3f %.3f", w / n, c / n }'
  }
  read -r custos_wall custos_cpu < <(time_it "$custos_cmd")
  read -r grep_wall grep_cpu < <(time_it "$grep_cmd")
fi

awk -v size="$SIZE" -v cw="$custos_wall" -v cc="$custos_cpu" -v gw="$grep_wall" -v gc="$grep_cpu" \
  -v runs="$RUNS" -v cores="$(nproc)" -v loadavg="$(cut -d' ' -f1-3 /proc/loadavg)" \
  -v locale="$GREP_LOCALE" 'BEGIN {
  printf "\n%s MB of JSON Lines, whole process, mean of %s runs; %s cores, load average %s; grep with LC_ALL=%s\n\n", size / 1e6, runs, cores, loadavg, locale
  printf "| %-22s | %9s | %9s | %13s | %13s |\n", "", "seconds", "MB/s", "CPU seconds", "MB/s per CPU s"
  printf "|%s|%s:|%s:|%s:|%s:|\n", "------------------------", "----------", "----------", "--------------", "---------------"
  printf "| %-22s | %9.2f | %9.1f | %13.2f | %13.1f |\n", "custos scan", cw, size / 1e6 / cw, cc, size / 1e6 / cc
  printf "| %-22s | %9.2f | %9.1f | %13.2f | %13.1f |\n", "grep -oE (3 patterns)", gw, size / 1e6 / gw, gc, size / 1e6 / gc
  printf "\ncustos / grep: %.2fx (wall-clock MB/s; target >= 2x)\n", gw / cw
}'
