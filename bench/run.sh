#!/usr/bin/env bash
# Builds the benchmarks and runs the suite with the settings used for bench/RESULTS.md, then
# prints MB/s per benchmark (MB = 10^6 bytes; one op = one 4 MiB payload, so MB/s = ops/s × 4.194304)
# and the ratio to the java.util.regex baseline on the same content.
#
# Usage: bench/run.sh [extra JMH options...]     e.g. bench/run.sh ScanBenchmark -p backend=java
# Single-threaded benchmarks: every figure is per core. Takes about 5 minutes on 2 cores
# (the java.util.regex baseline needs a few seconds per 4 MiB op).
set -euo pipefail
cd "$(dirname "$0")/.."

mvn -q -o -pl bench -am package -DskipTests 2>/dev/null || mvn -q -pl bench -am package -DskipTests

csv=bench/target/results.csv
# -foe false: a backend that cannot load here (Hyperscan) fails its own trials only; it shows as n/a.
if [[ "${SUMMARY_ONLY:-}" != 1 ]]; then
java -jar bench/target/benchmarks.jar "${@:-dev.custos.bench.}" \
  -f 1 -wi 2 -w 2s -i 3 -r 3s -foe false -rf csv -rff "$csv"
fi

awk -F, -v mb=4.194304 '
  { gsub(/["\r]/, "") }
  NR == 1 {
    for (i = 1; i <= NF; i++) {
      if ($i == "Benchmark") cb = i; if ($i == "Score") cs = i; if ($i == "Score Error (99.9%)") ce = i
      if ($i == "Param: backend") cbk = i; if ($i == "Param: content") cct = i
    }
    next
  }
  {
    name = $cb; sub(/^dev\.custos\.bench\./, "", name)
    content = (cct && $cct != "") ? $cct : (name ~ /^Redact/ ? "json" : "")
    backend = (cbk && $cbk != "") ? $cbk : "-"
    n++; row[n] = name; be[n] = backend; ct[n] = content
    score[n] = $cs * mb; err[n] = $ce * mb
    if (name ~ /^Baseline/) base[content] = score[n]
  }
  END {
    printf "%-28s %-10s %-8s %12s %10s %12s\n", "benchmark", "backend", "content", "MB/s", "± (99.9%)", "x baseline"
    for (i = 1; i <= n; i++) {
      ratio = (ct[i] in base && base[ct[i]] > 0) ? sprintf("%.2f", score[i] / base[ct[i]]) : "-"
      printf "%-28s %-10s %-8s %12.2f %10.2f %12s\n", row[i], be[i], ct[i], score[i], err[i], ratio
    }
  }' "$csv"
