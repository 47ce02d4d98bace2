#!/usr/bin/python3
"""Extra data sets for an out-of-sample check of the detector (docs/detection.md, "Session 13: five
sets nobody tuned on"): classification sets from Debian's `weka` package (its examples folder, ARFF),
written as CSV with a sets.json that bench/label-errors.ts reads through DD_SETS.

  apt-get download weka && dpkg-deb -x weka_*.deb WEKA
  /usr/bin/python3 bench/research/weka_sets.py WEKA/usr/share/doc/weka/examples OUTDIR

Sets: credit-g (1000 rows, 7 numeric + 13 categorical, 2 classes), ionosphere (351 x 34, 2),
segment (segment-challenge + segment-test, 2310 x 19, 7), breast-cancer (Ljubljana, 286 rows,
9 categorical with missing values, 2; not the Wisconsin set of ../shared/data), iris (150 x 4, 3).
Left out: the examples that are ../shared/data sets (diabetes = pima, glass, soybean) or the issue's
held-out kind (vote), too small (labor, contact-lenses, weather), regression (cpu), text in one
attribute per word (Reuters), unlabelled (supermarket), and unbalanced (12 positives in 856 rows).
"""
import csv
import json
import os
import sys

SETS = {
    "credit_g": ["credit-g.arff"],
    "ionosphere": ["ionosphere.arff"],
    "segment": ["segment-challenge.arff", "segment-test.arff"],
    "breast_cancer_lj": ["breast-cancer.arff"],
    "iris": ["iris.arff"],
}


def split_row(line):
    """One ARFF data line: comma-separated, values optionally in single or double quotes."""
    out, cur, quote, i = [], "", None, 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\" and i + 1 < len(line):
                cur += line[i + 1]
                i += 1
            elif ch == quote:
                quote = None
            else:
                cur += ch
        elif ch in "'\"":
            quote = ch
        elif ch == ",":
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
        i += 1
    out.append(cur.strip())
    return out


def read_arff(path):
    names, rows, data = [], [], False
    for raw in open(path, encoding="utf-8", errors="replace"):
        line = raw.strip()
        if not line or line.startswith("%"):
            continue
        low = line.lower()
        if not data and low.startswith("@attribute"):
            rest = line[len("@attribute"):].strip()
            if rest[0] in "'\"":
                end = rest.index(rest[0], 1)
                names.append(rest[1:end])
            else:
                names.append(rest.split()[0])
        elif low.startswith("@data"):
            data = True
        elif data:
            rows.append(["" if v == "?" else v for v in split_row(line)])
    return names, rows


def main():
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    listing = []
    for name, files in SETS.items():
        header, rows = None, []
        for f in files:
            h, r = read_arff(os.path.join(src, f))
            assert header in (None, h), f"{f}: columns differ"
            header = h
            rows += r
        label = header[-1]
        path = os.path.join(out, name + ".csv")
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        listing.append({"name": name, "file": os.path.abspath(path), "label": label})
        print(f"{name}: {len(rows)} rows, {len(header) - 1} features, label '{label}'")
    json.dump(listing, open(os.path.join(out, "sets.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
