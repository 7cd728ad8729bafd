#!/usr/bin/env bash
# Measures how long a configuration rollout takes to reach the fleet: a command plane (SQLite)
# and PROXIES real proxies long-polling their configuration; each of ROUNDS rollouts is timed from
# the rollout's 201 until every proxy serves the new version.
#
# Usage: bench/config-rollout.sh [PROXIES] [ROUNDS]     Defaults: 4 20.
set -euo pipefail
cd "$(dirname "$0")/.."

mvn -q -B -ntp -pl command -am test-compile dependency:build-classpath -Dskip.npm=true \
  -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test 1>&2
cp="command/target/classes:command/target/test-classes:$(cat command/target/bench.cp)"
exec java -Xmx1g -cp "$cp" dev.custos.command.ConfigRolloutBench "$@"
