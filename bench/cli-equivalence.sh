#!/usr/bin/env bash
# Behaviour check for refactors: runs the CLI's `scan --json` and `explain --json` on several
# development sets and writes each JSON document to OUTDIR (one file per command), so two builds
# can be compared with `node bench/compare-json.mjs OLD_DIR NEW_DIR` (1e-9 relative).
#   bash bench/cli-equivalence.sh OUTDIR [CLI]     (CLI defaults to dist/cli.js; build it first)
set -euo pipefail
out=${1:?usage: cli-equivalence.sh OUTDIR [CLI]}
cli=${2:-dist/cli.js}
mkdir -p "$out"
fx=test/fixtures/data
run() { local name=$1; shift; node "$cli" "$@" --json > "$out/$name.json" 2> "$out/$name.err" || echo "$name: exit $?" >> "$out/exit-codes.txt"; }
run digits-scan scan $fx/digits.csv --label label
run digits-scan-loss scan $fx/digits.csv --label label --rank-by loss --top 50
run digits-explain explain $fx/digits.csv --label label --row 5 --top all
run digits-explain-newton explain $fx/digits.csv --label label --row 17 --mode newton --top 30
run digits-explain-prob explain $fx/digits.csv --label label --row 3 --objective probability --top 30
run breast-scan scan $fx/breast_cancer.csv --label diagnosis
run breast-explain explain $fx/breast_cancer.csv --label diagnosis --row 10 --top all --mode newton
run satellite-scan scan $fx/satellite.csv --label class --rank-by globalInfluence --top 100
run satellite-explain explain $fx/satellite.csv --label class --row 100 --top 40 --objective margin
run reviews-scan scan $fx/reviews.jsonl --label label --top 50
run wine-ekfac explain ../shared/data/wine.csv --label class --row 2 --solver ekfac --top 30
run glass-cg scan ../shared/data/glass.csv --label Type --solver cg --top 30
run wine-mlp-lissa scan ../shared/data/wine.csv --label class --model mlp --scope full --solver lissa --top 20 --epochs 40
run wine-mlp-cg explain ../shared/data/wine.csv --label class --row 4 --model mlp --scope full --solver cg --top 20 --epochs 40
run breast-tod scan $fx/breast_cancer.csv --label diagnosis --method turnOverDropout --top 30 --epochs 5
run wine-unsupervised scan ../shared/data/wine.csv --unsupervised --clusters 3 --top 20
run wine-unsupervised-explain explain ../shared/data/wine.csv --unsupervised --clusters 3 --row 7 --top 20
