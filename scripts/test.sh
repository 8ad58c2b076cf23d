#!/usr/bin/env bash
# Runs every test: sets up and builds (scripts/setup.sh), then the C++ unit and loopback
# integration tests (ctest), then the end-to-end tests with real clients (the official
# Anthropic SDK and Claude Code 2.1.328) against the built gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=${ANYCLAUDE_BUILD_DIR:-build}

echo "== C++ tests (ctest)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" --timeout 300

echo "== end-to-end tests (node --test)"
ANYCLAUDE_BIN="$PWD/$BUILD_DIR/anyclaude" tests/e2e/run.sh
