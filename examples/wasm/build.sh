#!/usr/bin/env bash
# Rebuilds project-code.wasm from project-code.wat with Chicory's wat2wasm (the Maven Central
# artifact com.dylibso.chicory:wabt the wasm module tests with): runs the test that checks the
# two agree, in write mode. Then prints the sha256 for the policy's pin.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
mvn -q -B -pl wasm -am test -Dtest='WasmDetectorExamplesTest' \
  -Dsurefire.failIfNoSpecifiedTests=false -Dcustos.examples.write=true
sha256sum "$here/project-code.wasm"
