#!/usr/bin/env bash
# Installs the npm dependencies from package-lock.json when node_modules is missing or older than
# the lock file. Used by `npm test` and `npm run sample` so that both work from a clean clone.
set -euo pipefail
cd "$(dirname "$0")/.."
# npm ci must not take the configuration of an npm that started this script (lib/npm-env.sh).
. scripts/lib/npm-env.sh
dd_clean_npm_env
stamp=node_modules/.dd-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  echo "== installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
  touch "$stamp"
fi
