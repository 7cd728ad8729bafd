#!/usr/bin/env bash
# Rebuilds build/employee-id.wasm from assembly/index.ts with the pinned compiler
# (assemblyscript 0.28.20, package-lock.json), then prints its sha256 for the policy's pin.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run build
sha256sum build/employee-id.wasm
