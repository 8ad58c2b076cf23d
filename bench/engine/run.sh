#!/usr/bin/env bash
# Runs the engine prompt-cache bench (bench/engine/README.md): builds the bench and the model maker
# if they are missing, makes the bench-shape model into .cache/models/ if it is missing (unless
# --model is given), shows the machine's load, then runs build/anyclaude-engine-bench with the
# arguments given here. Environment: BUILD_DIR (default build), JOBS (build jobs, default 2).
set -euo pipefail
cd "$(dirname "$0")/../.."

build_dir=${BUILD_DIR:-build}
bench_model=.cache/models/bench-qwen2.gguf

if [[ ! -x $build_dir/anyclaude-engine-bench || ! -x $build_dir/anyclaude-make-model ]]; then
  cmake -S . -B "$build_dir" -G Ninja >/dev/null
  ninja -C "$build_dir" -j "${JOBS:-2}" anyclaude-engine-bench anyclaude-make-model
fi

model_given=false
for arg in "$@"; do
  [[ $arg == --model ]] && model_given=true
done
args=("$@")
if ! $model_given; then
  if [[ ! -f $bench_model ]]; then
    mkdir -p "$(dirname "$bench_model")"
    "$build_dir/anyclaude-make-model" --out "$bench_model" --shape bench --seed 1
  fi
  args=(--model "$bench_model" "${args[@]}")
fi

echo "load before the run: $(uptime)" >&2
exec "$build_dir/anyclaude-engine-bench" "${args[@]}"
