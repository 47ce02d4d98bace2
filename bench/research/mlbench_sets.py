#!/usr/bin/python3
"""More data sets nobody tuned on, from Debian's `r-cran-mlbench` (R data files, read with Debian's
`python3-rdata`), written as CSV with a sets.json that bench/label-errors.ts reads through DD_SETS:

  apt-get install python3-rdata
  apt-get download r-cran-mlbench && dpkg-deb -x r-cran-mlbench_*.deb MLB
  /usr/bin/python3 bench/research/mlbench_sets.py MLB/usr/lib/R/site-library/mlbench/data OUTDIR [NAME=ROBJECT[:LABEL] ...]

Sets: shuttle (Statlog Shuttle, 58,000 rows x 9 numeric features, 7 classes, 79% in one class): the
one real set here above the 50,000 rows where `auto` drops kNN and the forest (docs/detection.md,
"Session 17"); sonar (208 x 60 numeric, 2 classes). Left out: the sets that are ../shared/data or
bench/research/weka_sets.py sets (glass, pima, satellite, soybean, vowel, ionosphere), the kinds the
issue's own held-out table names (letter recognition, vehicle, DNA = splice, house votes), regression
sets, and the Wisconsin breast-cancer file (the same source as ../shared/data's breast cancer).
"""
import csv
import json
import os
import sys
import warnings

import rdata

SETS = {"shuttle": "Shuttle", "sonar": "Sonar"}


def main():
    src, out = sys.argv[1], sys.argv[2]
    # Optional NAME=ROBJECT[:LABEL] arguments pick other R data frames of SRC (label: the last column
    # unless named), e.g. Zoo=Zoo, or kernlab's data folder with musk=musk income=income:INCOME.
    picked = {a.split("=")[0]: a.split("=")[1] for a in sys.argv[3:]} or SETS
    os.makedirs(out, exist_ok=True)
    listing = []
    for name, spec in picked.items():
        robj, _, label = spec.partition(":")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Unknown encoding. Assumed ASCII." for the factor levels
            df = rdata.conversion.convert(rdata.parser.parse_file(os.path.join(src, robj + ".rda")))[robj]
        label = label or df.columns[-1]
        path = os.path.join(out, name + ".csv")
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(list(df.columns))
            for row in df.itertuples(index=False):
                w.writerow(["" if v != v else (repr(v) if isinstance(v, float) else str(v)) for v in row])
        listing.append({"name": name, "file": os.path.abspath(path), "label": label})
        print(f"{name}: {len(df)} rows, {len(df.columns) - 1} features, label '{label}'")
    json.dump(listing, open(os.path.join(out, "sets.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
