#!/usr/bin/env bash
# The main job on the bundled sample: scan the digits sample (45 labels flipped on purpose) for
# suspicious rows, then explain one test prediction by the training rows behind it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
node scripts/build.mjs >/dev/null 2>&1 || node scripts/build.mjs
train=samples/digits/train.csv
test=samples/digits/test.csv
echo "== dataset-debugger scan $train --label label --test $test"
node dist/cli.js scan "$train" --label label --test "$test" --top 15
echo
echo "== dataset-debugger explain $train --label label --test $test --row 0 --top 10"
node dist/cli.js explain "$train" --label label --test "$test" --row 0 --top 10
echo
node -e '
const { execFileSync } = require("node:child_process");
const flipped = new Set(require("./samples/digits/flipped.json").flipped.map((f) => f.row));
const out = JSON.parse(execFileSync("node", ["dist/cli.js", "scan", process.argv[1], "--label", "label", "--json"], { maxBuffer: 1 << 28 }));
const hits = (list) => list.slice(0, flipped.size).filter((e) => flipped.has(e.row)).length;
const by = (key) => [...out.examples].sort((a, b) => b[key] - a[key]);
console.log(`Of the ${flipped.size} rows whose labels were flipped on purpose (samples/digits/flipped.json), ` +
  `${hits(by("labelIssueScore"))} are among the top ${flipped.size} by label issue (the default ranking), ` +
  `${hits(by("labelSuspicion"))} by label suspicion and ${hits(by("globalInfluence"))} by global influence.`);
' "$train"
