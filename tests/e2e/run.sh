#!/usr/bin/env bash
# Runs the end-to-end tests (tests/e2e/*.test.mjs) against the anyclaude binary, with a global
# time limit. Usage: tests/e2e/run.sh [extra node --test args]; ANYCLAUDE_BIN overrides
# build/anyclaude. Exits non-zero on any failure, a missing binary, or the time limit.
set -euo pipefail
cd "$(dirname "$0")/../.."
export ANYCLAUDE_BIN="${ANYCLAUDE_BIN:-build/anyclaude}"
LIMIT="${E2E_TIME_LIMIT:-900}"
if [[ ! -x "$ANYCLAUDE_BIN" ]]; then
  echo "e2e: gateway binary not found or not executable: $ANYCLAUDE_BIN (build it or set ANYCLAUDE_BIN)" >&2
  exit 2
fi
if [[ ! -x node_modules/.bin/claude ]]; then
  echo "e2e: node_modules missing; run npm install (or npm ci) at the repo root" >&2
  exit 2
fi
echo "e2e: binary $ANYCLAUDE_BIN, limit ${LIMIT}s"
exec timeout --kill-after=10 "$LIMIT" node --test --test-concurrency=1 --test-timeout=180000 "$@" tests/e2e/
