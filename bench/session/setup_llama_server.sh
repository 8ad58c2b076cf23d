#!/usr/bin/env bash
# Builds llama-server from the same pinned llama.cpp the gateway embeds (scripts/fetch_llama.sh),
# in its own build folder beside the source (never in the project's build/ nor committed), for the
# session benchmark's llama-server targets. No web UI (nothing is downloaded). Prints the
# binary's path on stdout.
#   bench/session/setup_llama_server.sh [--cuda] [--jobs N]
# --cuda builds with -DGGML_CUDA=ON into build-server-cuda (needs nvcc; CUDA_ARCHITECTURES, default
# native, or 90 when no GPU is visible). Environment: JOBS (2).
set -euo pipefail
cd "$(dirname "$0")/../.."

cuda=false
jobs=${JOBS:-2}
while [[ $# -gt 0 ]]; do
  case $1 in
    --cuda) cuda=true ;;
    --jobs) jobs=$2; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

src=$(scripts/fetch_llama.sh)
dir=$src/../build-server
extra=()
if $cuda; then
  command -v nvcc >/dev/null || PATH=$PATH:/usr/local/cuda/bin
  command -v nvcc >/dev/null || { echo "--cuda: nvcc not found" >&2; exit 1; }
  dir=$src/../build-server-cuda
  # "native" needs a visible GPU; without one (building ahead of time) CUDA_ARCHITECTURES or 90 (H100).
  arch=${CUDA_ARCHITECTURES:-native}
  if [[ -z ${CUDA_ARCHITECTURES:-} ]] && ! nvidia-smi -L >/dev/null 2>&1; then arch=90; fi
  extra=(-DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$arch")
fi
dir=$(realpath -m "$dir")

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

if [[ ! -f $dir/build.ninja ]]; then
  cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON -DLLAMA_OPENSSL=OFF \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 "${launcher[@]}" "${extra[@]}" >&2
fi
cmake --build "$dir" --target llama-server -j "$jobs" >&2
echo "$dir/bin/llama-server"
