#!/usr/bin/env bash
# Checks the ./custos launcher's class-data archive: written once (foreground with
# CUSTOS_CLASS_ARCHIVE=wait, background otherwise, once for concurrent first runs), used by later
# runs, and a damaged archive never breaks a command or changes its output. Uses a temporary
# CUSTOS_CACHE_DIR, so the user's archives are left alone. Needs cli/target/custos.jar.
# Usage: bench/startup/launcher-test.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
[[ -f "$root/cli/target/custos.jar" ]] || { echo "launcher-test: build cli/target/custos.jar first" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export CUSTOS_CACHE_DIR="$work/cache"
export CUSTOS_EVIDENCE_KEY="launcher-test-evidence-key-0123456789"
printf 'mail jane.doe@example.com card 4111 1111 1111 1111 ssn 123-45-6789\n' >"$work/sample.txt"
failures=0
check() { # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}
scan() { # scan OUT ERR [env...]: runs a scan, keeps stdout and stderr, expects exit code 1
  local out="$1" err="$2"; shift 2
  local rc=0
  env "$@" "$root/custos" scan "$work/sample.txt" >"$out" 2>"$err" || rc=$?
  [[ $rc == 1 ]] || { echo "  exit code $rc (expected: 1, findings)"; cat "$err"; return 1; }
}
archives() { find "$CUSTOS_CACHE_DIR/cds" -maxdepth 1 -name 'custos-*-*.jsa' 2>/dev/null | wc -l; }
wait_training() { # waits until no training run holds a lock (at most 5 minutes)
  for _ in $(seq 1 600); do
    compgen -G "$CUSTOS_CACHE_DIR/cds/*.lock" >/dev/null || return 0
    sleep 0.5
  done
  return 1
}
uses_archive() { # uses_archive: a scan maps classes from the archive
  env CUSTOS_JAVA_OPTS="-Xlog:class+load=info:file=$work/classes.log" \
    "$root/custos" scan "$work/sample.txt" >/dev/null 2>&1 || true
  grep -q 'shared objects file (top)' "$work/classes.log"
}

scan "$work/expected" "$work/err" CUSTOS_CLASS_ARCHIVE=off
check "without an archive: findings on stdout" grep -q credit_card "$work/expected"
check "off: no archive written" test "$(archives)" = 0

scan "$work/out" "$work/err" CUSTOS_CLASS_ARCHIVE=wait
check "wait: says it writes the archive" grep -q "writing the class-data archive" "$work/err"
check "wait: one archive written" test "$(archives)" = 1
check "wait: same output" cmp -s "$work/expected" "$work/out"
archive="$(find "$CUSTOS_CACHE_DIR/cds" -maxdepth 1 -name 'custos-*-*.jsa')"
size="${archive##*-}"
check "archive named with its size" test "$(stat -c %s "$archive")" = "${size%.jsa}"

scan "$work/out" "$work/err"
check "with the archive: same output" cmp -s "$work/expected" "$work/out"
check "with the archive: no warning on stderr" test -z "$(grep -iE 'warn|cds|archive' "$work/err")"
check "with the archive: classes come from it" uses_archive

chmod u+w "$archive"
dd if=/dev/urandom of="$archive" bs=4096 count=4 seek=64 conv=notrunc status=none
scan "$work/out" "$work/err"
check "corrupted archive: same output" cmp -s "$work/expected" "$work/out"
check "corrupted archive: one warning line on stderr" \
  test "$(grep -c 'Unable to use shared archive' "$work/err")" = 1

truncate -s 100000 "$archive"
scan "$work/out" "$work/err" CUSTOS_CLASS_ARCHIVE=off
scan "$work/out" "$work/err"
check "truncated archive: same output (no crash)" cmp -s "$work/expected" "$work/out"
check "truncated archive: reported and removed" grep -q "is damaged" "$work/err"
check "truncated archive: gone" test ! -e "$archive"
check "truncated archive: a new one written in the background" wait_training
check "truncated archive: replaced" test "$(archives)" = 1

# Concurrent first runs: each runs at once without the archive; one background training writes it.
rm -rf "$CUSTOS_CACHE_DIR"
for i in 1 2 3; do scan "$work/out$i" "$work/err$i" & done
wait
for i in 1 2 3; do check "concurrent first run $i: same output" cmp -s "$work/expected" "$work/out$i"; done
wait_training
check "concurrent first runs: one archive, written in the background" test "$(archives)" = 1
check "concurrent first runs: no temporary file left" \
  test -z "$(find "$CUSTOS_CACHE_DIR/cds" -name '.training-*')"

# A mid-sized scan (1 to 384 MiB) gets the serial collector, unless CUSTOS_JAVA_OPTS names one:
# two collectors would stop the JVM before it scans anything.
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$work/mid.txt"
cat "$work/sample.txt" >>"$work/mid.txt"
mid_scan() { # mid_scan [env...]: exit code 1 (findings) expected
  local rc=0
  env "$@" "$root/custos" scan "$work/mid.txt" >/dev/null 2>"$work/err" || rc=$?
  [[ $rc == 1 ]] || { echo "  exit code $rc (expected: 1, findings)"; cat "$work/err"; return 1; }
}
check "mid-sized scan: runs" mid_scan CUSTOS_CLASS_ARCHIVE=off
check "mid-sized scan with a collector in CUSTOS_JAVA_OPTS: runs" \
  mid_scan CUSTOS_CLASS_ARCHIVE=off CUSTOS_JAVA_OPTS=-XX:+UseG1GC

if ((failures > 0)); then echo "launcher-test: $failures failed"; exit 1; fi
echo "launcher-test: all passed"
