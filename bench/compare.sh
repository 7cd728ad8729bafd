#!/usr/bin/env bash
# Before/after engine figures in one run: builds the benchmarks of an earlier commit (in a
# temporary worktree) and of this checkout, then alternates them, pinned to one core, so both see
# the same machine: CpuTimeRun (MB/s per core of one-shot scans of the 4 MiB corpora, every backend
# and content type the commit knows) and MessageCost (µs of CPU per scan of the load test's 7 KB JSON
# page, pure-Java backend), the side that runs first changing every round. MessageCost is compiled from this checkout against the earlier build
# when that commit has no such class. Prints each run, then the median per row and the ratio.
#
# Usage: bench/compare.sh BEFORE-REF [ROUNDS]       e.g. bench/compare.sh 10cc06a 3
# Every figure is the scanning thread's own CPU time (see CpuTimeRun), so other processes disturb
# it little, but a quiet machine still gives the tightest figures. CORE (default 1) picks the core.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
before_ref=${1:?usage: bench/compare.sh BEFORE-REF [ROUNDS]}
rounds=${2:-3}
core=${CORE:-1}

work=$(mktemp -d /tmp/custos-compare.XXXXXX)
cleanup() {
  git -C "$root" worktree remove --force "$work/before" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "building the benchmarks of $before_ref and of this checkout ..." >&2
git -C "$root" rev-parse --verify --quiet "$before_ref^{commit}" >/dev/null ||
  { echo "compare: $before_ref is not a commit here" >&2; exit 2; }
git -C "$root" worktree add --detach "$work/before" "$before_ref" >/dev/null
(cd "$work/before" && mvn -q -B -ntp -pl bench -am package -DskipTests >&2)
mvn -q -B -ntp -pl bench -am package -DskipTests >&2
before_jar="$work/before/bench/target/benchmarks.jar"
after_jar="$root/bench/target/benchmarks.jar"
before_cp="$before_jar"
if ! unzip -l "$before_jar" 'dev/custos/bench/MessageCost.class' >/dev/null 2>&1; then
  mkdir -p "$work/message-cost"
  javac -nowarn -d "$work/message-cost" -cp "$before_jar" bench/src/main/java/dev/custos/bench/MessageCost.java
  before_cp="$work/message-cost:$before_jar"
fi
python3 bench/load/make-payload.py > "$work/users.json"

results="$work/results.tsv"
for ((r = 1; r <= rounds; r++)); do
  # Each round changes which side runs first, so neither always meets a fresher machine.
  order="before after"
  ((r % 2 == 0)) && order="after before"
  for side in $order; do
    if [[ $side == before ]]; then cp=$before_cp; else cp=$after_jar; fi
    echo "round $r: $side" >&2
    taskset -c "$core" java -cp "$cp" dev.custos.bench.CpuTimeRun 16 2>/dev/null |
      awk -v s="$side" 'NR > 1 && $3 ~ /^[0-9.]+$/ { print s "\t" $1 " " $2 " MB/s\t" $3 }' >> "$results"
    taskset -c "$core" java -cp "$cp" dev.custos.bench.MessageCost "$work/users.json" 30 java 2>/dev/null |
      awk -v s="$side" '{ for (i = 1; i <= NF; i++) if ($i == "us") { print s "\tjava 7 KB JSON message, us of CPU\t" $(i - 1); exit } }' >> "$results"
  done
done

echo
echo "before = $before_ref ($(git -C "$root" rev-parse --short "$before_ref")), after = $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo ' + local changes'); $rounds rounds, taskset -c $core; load average $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    side, name, value = line.rstrip("\n").split("\t")
    rows.setdefault(name, {}).setdefault(side, []).append(float(value))
print(f"{'':44} {'before':>9} {'after':>9} {'after/before':>13}")
for name, sides in rows.items():
    b = statistics.median(sides["before"]) if "before" in sides else float("nan")
    a = statistics.median(sides["after"]) if "after" in sides else float("nan")
    print(f"{name:44} {b:9.1f} {a:9.1f} {a / b:13.2f}")
PY
