#!/usr/bin/env bash
# Checks a release tarball: its layout (launcher, lib/custos.jar, LICENSE, NOTICE, README.md,
# examples), that the launcher in it runs the jar beside it without Maven or sources (no build),
# and that the version it prints is the tarball's.
#
#   release/check.sh cli/target/custos-0.1.0-SNAPSHOT.tar.gz
set -euo pipefail

tarball="${1:?usage: release/check.sh custos-<version>.tar.gz}"
name="$(basename "$tarball" .tar.gz)"          # custos-<version>
version="${name#custos-}"
work="$(mktemp -d)"
trap 'rm -rf -- "$work"' EXIT

fail() { echo "release/check.sh: FAIL: $*" >&2; exit 1; }

tar -xzf "$tarball" -C "$work"
dir="$work/$name"
[[ -d "$dir" ]] || fail "$tarball has no top-level folder $name/"
for f in custos lib/custos.jar LICENSE NOTICE README.md examples/proxy/custos.yaml; do
  [[ -f "$dir/$f" ]] || fail "$tarball lacks $name/$f"
done
[[ -x "$dir/custos" ]] || fail "$name/custos is not executable"
grep -q 'Apache License' "$dir/LICENSE" || fail "$name/LICENSE is not the Apache License"
[[ ! -e "$dir/cli" ]] || fail "$tarball carries sources ($name/cli)"

# Run with no Maven on the PATH: the launcher must not try to build.
nomvn="$work/bin"
mkdir -p "$nomvn"
printf '#!/bin/sh\necho "mvn must not run" >&2; exit 99\n' >"$nomvn/mvn"
chmod +x "$nomvn/mvn"
out="$(PATH="$nomvn:$PATH" CUSTOS_CACHE_DIR=off "$dir/custos" --version)" \
  || fail "$name/custos --version exited $?"
[[ "$out" == *"$version"* ]] || fail "$name/custos --version printed '$out' (expected: $version)"

# And a real command on the shipped examples: a scan with findings exits 1.
status=0
(cd "$dir" && PATH="$nomvn:$PATH" CUSTOS_CACHE_DIR=off ./custos scan examples/payloads >/dev/null) \
  || status=$?
[[ "$status" -eq 1 ]] || fail "$name/custos scan examples/payloads exited $status (expected 1)"
echo "release/check.sh: $tarball ok ($out)"
