#!/usr/bin/env bash
# Runs every test: sets up and builds (scripts/setup.sh), then the C++ unit and loopback
# integration tests (ctest), then the end-to-end tests with real clients (the official
# Anthropic SDK and Claude Code 2.1.328) against the built gateway, then the gateway's tests
# again under ASan + UBSan (ANYCLAUDE_SKIP_SANITIZERS=1 skips that stage).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=${ANYCLAUDE_BUILD_DIR:-build}

echo "== C++ tests (ctest)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" --timeout 300

echo "== end-to-end tests (node --test)"
ANYCLAUDE_BIN="$PWD/$BUILD_DIR/anyclaude" tests/e2e/run.sh

# The gateway's own code again under AddressSanitizer + UndefinedBehaviorSanitizer (the engine
# is left out here: it would need llama.cpp itself rebuilt with the sanitizers).
if [ "${ANYCLAUDE_SKIP_SANITIZERS:-0}" != "1" ]; then
  echo "== sanitizer tests (ASan + UBSan, gateway modules)"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DANYCLAUDE_SANITIZE=ON -DANYCLAUDE_ENGINE=OFF >/dev/null
  cmake --build build-asan -j"$(nproc)"
  ctest --test-dir build-asan --output-on-failure -j"$(nproc)" --timeout 300
fi
