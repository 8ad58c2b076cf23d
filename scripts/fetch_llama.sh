#!/usr/bin/env bash
# Fetches the pinned llama.cpp source: the git bundle shipped in the npm package
# node-llama-cpp@3.22.1 (tarball sha256 checked), cloned into a cache folder outside the clone
# so every build on this machine reuses it. Prints the source folder on stdout.
# Usage: scripts/fetch_llama.sh [CACHE_DIR]   (default: $ANYCLAUDE_CACHE or ~/.cache/anyclaude)
set -euo pipefail
VERSION=3.22.1
SHA256=a0d9dd80eacd2ab1cfe71aee57ac8a806487fd70b3d2a38fbec637752d9e5c5f
CACHE=${1:-${ANYCLAUDE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/anyclaude}}
DIR="$CACHE/llama.cpp/node-llama-cpp-$VERSION"
SRC="$DIR/src"
if [ -f "$SRC/CMakeLists.txt" ] && [ -f "$DIR/.complete" ]; then
  echo "$SRC"
  exit 0
fi
mkdir -p "$DIR"
cd "$DIR"
rm -rf src package pack
mkdir pack
echo "fetch_llama: npm pack node-llama-cpp@$VERSION" >&2
(cd pack && npm pack --silent "node-llama-cpp@$VERSION" >/dev/null)
TGZ="pack/node-llama-cpp-$VERSION.tgz"
GOT=$(sha256sum "$TGZ" | cut -d' ' -f1)
if [ "$GOT" != "$SHA256" ]; then
  echo "fetch_llama: sha256 mismatch for $TGZ: got $GOT, want $SHA256" >&2
  exit 1
fi
tar xzf "$TGZ" package/llama/gitRelease.bundle package/llama/llama.cpp.info.json
git clone -q package/llama/gitRelease.bundle src 2>/dev/null
cp package/llama/llama.cpp.info.json src/.node-llama-cpp-info.json
rm -rf pack package
touch .complete
echo "fetch_llama: llama.cpp $(grep -o '"tag": *"[^"]*"' src/.node-llama-cpp-info.json) in $SRC" >&2
echo "$SRC"
