#!/usr/bin/env bash
# Detection quality: precision and recall per category on the labelled corpus
# (engine/src/test/resources/quality), findings per MiB on ordinary text (this repository's
# sources, the JDK's src.zip, man pages, /var/log) and on generated API traffic (ApiTrafficTest).
# Fails when a figure misses its threshold in
# engine/src/test/resources/quality/thresholds.properties. Run from anywhere; builds only the engine.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
mvn -q -B -ntp -pl engine test -Dtest='DetectionQualityTest,OrdinaryTextTest,ApiTrafficTest' \
  -Dsurefire.failIfNoSpecifiedTests=false || status=$?
for report in engine/target/quality/detection-quality.txt engine/target/quality/ordinary-text.txt \
    engine/target/quality/api-traffic.txt; do
  if [[ -f "$report" ]]; then
    echo "== ${report#engine/target/quality/}"
    cat "$report"
  fi
done
exit "$status"
