#!/usr/bin/env bash
# Rebuilds build/example-filter.wasm from assembly/index.ts with the pinned compiler and SDK
# (assemblyscript 0.14.9, the version @solo-io/proxy-runtime 0.1.8 is written for).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm run build
