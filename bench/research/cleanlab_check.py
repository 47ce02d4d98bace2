#!/usr/bin/python3
"""Checks bench/research/baselines.py's re-implementation of cleanlab's find_label_issues against
cleanlab itself, on the same out-of-fold probabilities (docs/detection.md, "The baselines checked
against cleanlab").

  PYTHONPATH=CLEANLAB_SRC OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/research/cleanlab_check.py TASKDIR OUT.json [--models logreg,knn] [--sets pima,glass]

CLEANLAB_SRC is a checkout of cleanlab's source (its `cleanlab` package folder inside; it needs numpy,
scikit-learn, tqdm, pandas and termcolor: Debian's python3-sklearn, python3-tqdm, python3-pandas,
python3-termcolor). TASKDIR is written by `node --import tsx bench/label-errors.ts --export TASKDIR`.
Per task and model: the flagged rows of both (their Jaccard overlap), both rankings' recall@10%
(flagged rows first, then the rest, each part by self-confidence, as baselines.py ranks), both
estimated error counts, and the committed recall@10% of bench/research/baselines*.json for that task.
"""
import glob
import json
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import baselines  # noqa: E402  (this folder)
import cleanlab  # noqa: E402
from cleanlab.count import estimate_joint, num_label_issues  # noqa: E402
from cleanlab.filter import find_label_issues as cleanlab_find_label_issues  # noqa: E402

warnings.filterwarnings("ignore")


def ranking(mask, P, y):
    sc = P[np.arange(len(y)), y]
    flagged = np.where(mask)[0]
    rest = np.where(~mask)[0]
    return np.concatenate([flagged[np.argsort(sc[flagged], kind="stable")], rest[np.argsort(sc[rest], kind="stable")]])


def main():
    taskdir, outpath = sys.argv[1], sys.argv[2]
    arg = lambda n, d: sys.argv[sys.argv.index(n) + 1].split(",") if n in sys.argv else d  # noqa: E731
    models = arg("--models", ["logreg", "knn"])
    sets = arg("--sets", None)
    here = os.path.dirname(os.path.abspath(__file__))
    committed = {}
    for f in glob.glob(os.path.join(here, "baselines*.json")):
        for r in json.load(open(f)):
            committed[(r["set"], r["noise"], r["seed"], r["model"])] = r["r10"]
    tasks = json.load(open(os.path.join(taskdir, "tasks.json")))
    out = []
    X_cache = {}
    for t in tasks:
        name = t["set"]
        if sets and name not in sets:
            continue
        if name not in X_cache:
            X_cache[name] = np.fromfile(os.path.join(taskdir, f"{name}.X.f64"), dtype=np.float64).reshape(t["N"], t["D"])[:, :-1]
        X, y, K = X_cache[name], np.asarray(t["y"]), t["K"]
        flipped = np.asarray(t["flipped"], int)
        true_y = y.copy()
        true_y[flipped] = t["original"]
        for m in models:
            P = baselines.oof_proba(X, y, K, t["seed"], m)
            # cleanlab asserts rows of pred_probs sum to 1; a class absent from a training fold leaves a 0 column.
            P = P / P.sum(axis=1, keepdims=True)
            ours, ours_est = baselines.find_label_issues(y, P, K)
            theirs = cleanlab_find_label_issues(labels=y, pred_probs=P)
            theirs_est = int(num_label_issues(labels=y, pred_probs=P, estimation_method="off_diagonal_calibrated"))
            r_ours = baselines.metrics(ranking(ours, P, y), flipped, true_y, len(y))["r10"]
            r_theirs = baselines.metrics(ranking(theirs, P, y), flipped, true_y, len(y))["r10"]
            union = int((ours | theirs).sum())
            res = dict(set=name, noise=t["noise"], seed=t["seed"], model=m, r10_reimplementation=r_ours, r10_cleanlab=r_theirs,
                       r10_committed=committed.get((name, t["noise"], t["seed"], m)), flagged_reimplementation=int(ours.sum()),
                       flagged_cleanlab=int(theirs.sum()), jaccard=(int((ours & theirs).sum()) / union) if union else 1.0,
                       estimate_reimplementation=ours_est, estimate_cleanlab=theirs_est, cleanlab_version=cleanlab.__version__)
            out.append(res)
            print(f"{name} {t['noise']} {t['seed']} {m}: r10 ours {r_ours:.3f} cleanlab {r_theirs:.3f} committed {res['r10_committed']} jaccard {res['jaccard']:.3f}", flush=True)
    json.dump(out, open(outpath, "w"), separators=(",", ":"))


if __name__ == "__main__":
    main()
