#!/usr/bin/env bash
# Runs every test: sets up and builds (scripts/setup.sh), then the C++ unit and loopback
# integration tests (ctest), then the end-to-end tests with real clients (the official
# Anthropic SDK and Claude Code 2.1.328) against the built gateway, then all of it again under
# ASan + UBSan, then a short run of each fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=${ANYCLAUDE_BUILD_DIR:-build}

echo "== C++ tests (ctest)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" --timeout 300

echo "== end-to-end tests (node --test)"
ANYCLAUDE_BIN="$PWD/$BUILD_DIR/anyclaude" tests/e2e/run.sh

# Everything again under AddressSanitizer + UndefinedBehaviorSanitizer: the project's code is
# instrumented (llama.cpp is not; see CMakeLists.txt), the whole ctest suite runs, engine
# included, then the end-to-end tests against the sanitized binary (a sanitizer report makes the
# process exit non-zero, which the tests see). ANYCLAUDE_SKIP_SANITIZERS=1 skips this stage.
if [ "${ANYCLAUDE_SKIP_SANITIZERS:-0}" != "1" ]; then
  echo "== sanitizer tests (ASan + UBSan): ctest"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANYCLAUDE_SANITIZE=ON -DANYCLAUDE_ENGINE=ON >/dev/null
  cmake --build build-asan -j"$(nproc)"
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_stack_use_after_return=1:abort_on_error=0:exitcode=66}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  ctest --test-dir build-asan --output-on-failure -j"$(nproc)" --timeout 600
  echo "== sanitizer tests (ASan + UBSan): end-to-end"
  ANYCLAUDE_BIN="$PWD/build-asan/anyclaude" tests/e2e/run.sh
fi

# The fuzz targets, briefly (scripts/fuzz.sh --seconds 600 is the long run; fuzz/README.md).
if [ "${ANYCLAUDE_SKIP_FUZZ:-0}" != "1" ]; then
  echo "== fuzz targets (short run)"
  scripts/fuzz.sh --seconds "${ANYCLAUDE_FUZZ_SECONDS:-15}"
fi
