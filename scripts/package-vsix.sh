#!/usr/bin/env bash
# Builds the extension (scripts/build.mjs bundles extension, worker, CLI and webview into dist/) and
# packages it as dist/dataset-debugger.vsix, offline: --no-dependencies because the bundles carry their
# dependencies, and .vscodeignore keeps only dist/, media/, package.json, README, LICENSE, CHANGELOG.
# Usage: bash scripts/package-vsix.sh [output.vsix]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-dist/dataset-debugger.vsix}"

echo "[package-vsix] npm run build"
npm run build

mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
echo "[package-vsix] vsce package --no-dependencies -o $OUT"
# vsce asks interactively about a missing LICENSE or repository field; stdin is not a terminal in CI,
# so say up front what is allowed instead of letting a prompt fail.
# --no-rewrite-relative-links: README links such as docs/testing.md stay relative (vsce would otherwise
# need a repository URL to rewrite them, and fail).
VSCE_FLAGS=(--no-dependencies --allow-missing-repository --no-rewrite-relative-links)
if ! ls LICENSE LICENSE.md LICENSE.txt >/dev/null 2>&1; then
  echo "[package-vsix] WARNING: no LICENSE file; packaging with --skip-license"
  VSCE_FLAGS+=(--skip-license)
fi
npx --no-install vsce package "${VSCE_FLAGS[@]}" -o "$OUT" </dev/null

[ -s "$OUT" ] || { echo "[package-vsix] ERROR: $OUT was not produced" >&2; exit 1; }
echo "[package-vsix] $OUT: $(du -h "$OUT" | cut -f1)"
npx --no-install vsce ls "${VSCE_FLAGS[@]}" </dev/null 2>/dev/null | sed 's/^/[package-vsix]   /' || true
