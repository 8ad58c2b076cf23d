#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) in build-fuzz and runs each for a while, one at a time.
#
#   scripts/fuzz.sh [--seconds N] [TARGET...]
#
# TARGET: request_decoder, upstream_stream, text_tool_calls, snapshot_reader (default: all four).
# --seconds N: how long each target runs (default 600). The corpora live in
# build-fuzz/corpus/<target> (seeded from ../shared/fixtures, fuzz/seeds/<target> and, for the
# snapshot reader, files written by the real writer) and grow from run to run; logs go to
# build-fuzz/logs/<target>.log, crash / leak / timeout / oom inputs to build-fuzz/artifacts/<target>/.
# Prints a summary table; exits non-zero when any target found a problem (its input's path is
# printed). Reproduce one with: build-fuzz/fuzz/fuzz_<target> <path of the input>.
# ANYCLAUDE_FUZZ_ARGS adds libFuzzer flags (e.g. "-jobs=2 -workers=2").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${ANYCLAUDE_FUZZ_BUILD_DIR:-build-fuzz}
FIXTURES=${ANYCLAUDE_FIXTURES:-$ROOT/../shared/fixtures/claude-code-2.1.328}
ALL_TARGETS=(request_decoder upstream_stream text_tool_calls snapshot_reader)

seconds=600
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
    --seconds=*) seconds=${1#--seconds=}; shift ;;
    -h|--help) sed -n "2,14p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
case "$seconds" in ''|*[!0-9]*) echo "fuzz.sh: --seconds wants a whole number" >&2; exit 2 ;; esac
for t in "${targets[@]}"; do
  case " ${ALL_TARGETS[*]} " in *" $t "*) ;; *) echo "fuzz.sh: unknown target $t (${ALL_TARGETS[*]})" >&2; exit 2 ;; esac
done

# Clang for libFuzzer: clang++-14 where installed, else clang++.
CXX_BIN=$(command -v clang++-14 || command -v clang++ || true)
C_BIN=$(command -v clang-14 || command -v clang || true)
if [ -z "$CXX_BIN" ] || [ -z "$C_BIN" ]; then
  echo "fuzz.sh: clang is needed (apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 2
fi

echo "== building the fuzzers in $BUILD"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$CXX_BIN" \
  -DCMAKE_C_COMPILER="$C_BIN" -DANYCLAUDE_FUZZ=ON -DANYCLAUDE_ENGINE=OFF -DANYCLAUDE_TESTS=OFF >/dev/null
cmake --build "$BUILD" --target fuzzers -j"$(nproc)"

# Corpora: the seeds are copied in each time (existing files are kept, so the corpus grows).
prepare_corpus() {
  local t=$1 dir=$BUILD/corpus/$1
  mkdir -p "$dir"
  if [ -d "fuzz/seeds/$t" ]; then cp -n fuzz/seeds/"$t"/* "$dir"/ 2>/dev/null || true; fi
  case "$t" in
    request_decoder)
      if compgen -G "$FIXTURES/*.json" >/dev/null; then
        cp -n "$FIXTURES"/*.json "$dir"/ 2>/dev/null || true
      else
        echo "fuzz.sh: no fixtures in $FIXTURES (seeding from fuzz/seeds only)" >&2
      fi
      ;;
    snapshot_reader)
      mkdir -p "$BUILD/corpus/snapshot_seeds"
      "$BUILD/fuzz/make_snapshot_seeds" "$BUILD/corpus/snapshot_seeds"
      cp -n "$BUILD"/corpus/snapshot_seeds/*.ackv "$dir"/ 2>/dev/null || true
      ;;
  esac
}

max_len() {
  case "$1" in
    request_decoder) echo 65536 ;;  # the Claude Code captures are up to 62 KB
    upstream_stream) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

mkdir -p "$BUILD/logs"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

summary=()
failed=0
for t in "${targets[@]}"; do
  prepare_corpus "$t"
  corpus=$BUILD/corpus/$t
  artifacts=$BUILD/artifacts/$t
  log=$BUILD/logs/$t.log
  mkdir -p "$artifacts"
  find "$artifacts" -type f | sort >"$BUILD/logs/$t.artifacts-before"
  echo "== fuzz_$t: ${seconds}s, corpus $corpus ($(find "$corpus" -type f | wc -l) files), log $log"
  rc=0
  # -max_total_time stops libFuzzer; the outer timeout only guards against a hang outside it.
  timeout --signal=INT --kill-after=60 $((seconds + 300)) \
    "$BUILD/fuzz/fuzz_$t" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 \
      -max_len="$(max_len "$t")" -dict="fuzz/$t.dict" -artifact_prefix="$artifacts/" \
      -print_final_stats=1 ${ANYCLAUDE_FUZZ_ARGS:-} >"$log" 2>&1 || rc=$?
  new_artifacts=$(find "$artifacts" -type f | sort | comm -13 "$BUILD/logs/$t.artifacts-before" -)
  crashes=$(grep -c . <<<"$new_artifacts" || true)
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi  # stopped without writing an input

  done_line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$done_line")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$done_line")
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
  rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$log" | tail -1)
  files=$(find "$corpus" -type f | wc -l)
  bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", (s + 1023) / 1024 }')
  summary+=("$(printf '%-16s %7s %12s %8s %6s %7s %13s %7s' "$t" "$seconds" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "${ft:-?}" "$files/${bytes}KB" "$crashes")")
  if [ "$crashes" -ne 0 ]; then
    failed=1
    echo "!! fuzz_$t found a problem (exit $rc); see $log"
    grep -E 'ERROR: |invariant failed|runtime error|SUMMARY: ' "$log" | head -5 | sed 's/^/   /' || true
    if [ -n "$new_artifacts" ]; then sed 's/^/   input: /' <<<"$new_artifacts"; fi
    echo "   reproduce: $BUILD/fuzz/fuzz_$t <input>"
  fi
done

echo
echo "== fuzz summary (seconds per target: $seconds)"
printf '%-16s %7s %12s %8s %6s %7s %13s %7s\n' target seconds execs exec/s cov ft corpus crashes
for line in "${summary[@]}"; do echo "$line"; done
exit "$failed"
