#!/usr/bin/env bash
# An open-ended fuzzing campaign (docs/fuzzing.md): every Jazzer target in turn, each round from a
# fresh libFuzzer seed, growing the corpus in <module>/.cifuzz-corpus/. Stops at the first finding,
# whose input Jazzer writes as crash-<sha1> into the target's seed directory.
#
#   ROUNDS=10 SECONDS_PER_TARGET=60 bench/fuzz.sh            # all targets
#   TARGETS='DecoderFuzzTest#unicodeJson' ROUNDS=60 bench/fuzz.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rounds="${ROUNDS:-1}"
seconds="${SECONDS_PER_TARGET:-60}"
targets="${TARGETS:-DecoderFuzzTest#json DecoderFuzzTest#text DecoderFuzzTest#form DecoderFuzzTest#unicodeJson BodyDecoderFuzzTest#decode}"

mvn -q -B -ntp -pl proxy -am test-compile
for round in $(seq "$rounds"); do
  for target in $targets; do
    seed="$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')"
    args=(-Djazzer.internal.arg.0=fuzz "-Djazzer.internal.arg.1=-seed=$seed"
          "-Djazzer.internal.arg.2=-max_total_time=$seconds" -Dsurefire.failIfNoSpecifiedTests=false)
    echo "== round $round/$rounds: $target, seed $seed, ${seconds}s"
    case "$target" in
      BodyDecoderFuzzTest*)
        JAZZER_FUZZ=1 mvn -q -B -ntp -pl proxy surefire:test@fuzz-targets -Dtest="$target" "${args[@]}" ;;
      *)
        JAZZER_FUZZ=1 mvn -q -B -ntp -pl engine surefire:test -Dtest="$target" "${args[@]}" ;;
    esac
  done
done
echo "== no finding in $rounds round(s)"
