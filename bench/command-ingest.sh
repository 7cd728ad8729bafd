#!/usr/bin/env bash
# Measures the command plane's ingest rate: several simulated proxies post gzip batches of
# findings events over HTTP/2 to a command plane storing into PostgreSQL (127.0.0.1:5432, trust
# auth, database test, user postgres; each run in a schema of its own, dropped afterwards).
#
# Usage: bench/command-ingest.sh [postgresql|sqlite] [PROXIES] [BATCHES_PER_PROXY] [EVENTS_PER_BATCH]
# Defaults: postgresql 8 50 500 (200,000 events, about a million findings).
set -euo pipefail
cd "$(dirname "$0")/.."

mvn -q -B -ntp -pl command -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.cp -Dmdep.includeScope=test 1>&2
cp="command/target/classes:command/target/test-classes:$(cat command/target/bench.cp)"
exec java -Xmx2g -cp "$cp" dev.custos.command.IngestBench "$@"
