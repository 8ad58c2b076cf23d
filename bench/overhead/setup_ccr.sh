#!/usr/bin/env bash
# Installs claude-code-router 3.1.1 (the Node.js peer the gateway-overhead benchmark compares
# against) into an ignored folder, default .cache/ccr. `npm install` of the package itself fails
# (its dependency @the-next-ai/ai-gateway is not on the registry; the package ships its own
# copy), so its dependencies are installed first and the packed package is unpacked beside them.
# better-sqlite3 is compiled against the local Node headers (no prebuilt download offline).
# Idempotent. Prints the path of the ccr entry point on success.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIR="${CCR_DIR:-$ROOT/.cache/ccr}"
VERSION=3.1.1
PKG="$DIR/node_modules/@musistudio/claude-code-router"
mkdir -p "$DIR"
cd "$DIR"
[[ -f package.json ]] || echo '{ "name": "ccr-bench", "private": true }' > package.json

NODEDIR="${npm_config_nodedir:-}"
if [[ -z "$NODEDIR" && -f /usr/include/node/node_version.h ]]; then NODEDIR=/usr; fi
if [[ ! -f node_modules/better-sqlite3/build/Release/better_sqlite3.node || ! -d node_modules/ajv-formats ]]; then
  echo "setup_ccr: installing dependencies into $DIR (compiles better-sqlite3, takes a few minutes)" >&2
  HOME="$DIR/home" JOBS="${JOBS:-1}" npm_config_nodedir="$NODEDIR" npm_config_build_from_source=true \
    npm install --no-audit --no-fund --foreground-scripts \
    better-sqlite3@12 undici@7 node-forge ajv ajv-formats >&2
fi
# npm install prunes what package.json does not list, so the package is unpacked afterwards.
if [[ ! -f "$PKG/package.json" ]] || ! grep -q "\"version\": \"$VERSION\"" "$PKG/package.json"; then
  TGZ="musistudio-claude-code-router-$VERSION.tgz"
  [[ -f "$TGZ" ]] || HOME="$DIR/home" npm pack "@musistudio/claude-code-router@$VERSION" --pack-destination "$DIR" >&2
  rm -rf "$PKG"
  mkdir -p "$PKG"
  tar xzf "$TGZ" -C "$PKG" --strip-components=1
fi
echo "$PKG/dist/main/cli.js"
