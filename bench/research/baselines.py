#!/usr/bin/python3
"""Baselines for bench/label-errors.ts (docs/detection.md): out-of-fold probabilities of four
scikit-learn models and cleanlab-style label-issue detection on them.

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/research/baselines.py TASKDIR OUT.json [--only u10,c20] [--seeds 0,1] [--models hgb,knn]

TASKDIR is written by `node --import tsx bench/label-errors.ts --export TASKDIR` (the engine's
features per data set as float64, the noisy labels and flipped rows per task). Results are appended
to OUT.json task by task (a rerun skips tasks already there).

Models (5-fold StratifiedKFold, shuffled with random_state = the task's seed, cross_val_predict):
  logreg  StandardScaler + LogisticRegression(max_iter=2000)
  hgb     HistGradientBoostingClassifier() (defaults)
  mlp     StandardScaler + MLPClassifier(hidden_layer_sizes=(128,), random_state=0)
  knn     StandardScaler + KNeighborsClassifier(n_neighbors=15)
On data sets with text columns (TASKDIR/<set>.text.json, the raw texts the export writes), also the
pipelines a user would run on the raw text rather than on the engine's hashed features:
  nb_text      CountVectorizer() + MultinomialNB() (every word, alpha = 1)
  tfidf_logreg TfidfVectorizer() + LogisticRegression(max_iter=2000)

find_label_issues below is this project's own re-implementation of the default of cleanlab's
cleanlab.filter.find_label_issues (filter_by='prune_by_noise_rate', frac_noise=1, min_examples_per_class=1),
written from the algorithm in Northcutt et al. (JAIR 2021) and cleanlab's documentation, not cleanlab's
code: per-class thresholds t_j = mean p_j over rows labelled j; the confident joint (rows with some
p_j >= t_j - 1e-6, counted at the argmax among those, or the argmax overall when several), its diagonal
clipped at 1, calibrated (each row to the label's count, then to N) and rounded; for every given label k
and other class j, the round(C[k, j]) rows labelled k with the largest margin p_j - p_k are flagged; rows
whose argmax is their label are unflagged. Simplification: cleanlab's _keep_at_least_n_per_class
redistribution is reduced to keeping at least one row per class unflagged.
A ranking for recall@q: flagged rows first, then the rest, each part by self-confidence p_i[y_i]
ascending (cleanlab's order_label_issues with rank_by='self_confidence', the default label quality score).
"""
import json
import os
import sys
import time
import warnings

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.naive_bayes import MultinomialNB

warnings.filterwarnings("ignore")

MODELS = {
    "logreg": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
    "hgb": lambda: HistGradientBoostingClassifier(),
    "mlp": lambda: make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(128,), random_state=0)),
    "knn": lambda: make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=15)),
    "nb_text": lambda: make_pipeline(CountVectorizer(), MultinomialNB()),
    "tfidf_logreg": lambda: make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=2000)),
}
# Models that take the raw texts (run only on sets with a <set>.text.json).
TEXT_MODELS = {"nb_text", "tfidf_logreg"}


def oof_proba(X, y, K, seed, model):
    # Classes absent from a training fold: cross_val_predict fills their columns with 0.
    cv = StratifiedKFold(5, shuffle=True, random_state=seed)
    P = cross_val_predict(MODELS[model](), X, y, cv=cv, method="predict_proba")
    out = np.zeros((len(y), K))
    present = np.unique(y)
    out[:, present] = P
    return out


def round_preserving_row_totals(M):
    out = np.floor(M).astype(int)
    for r in range(M.shape[0]):
        need = int(round(M[r].sum())) - out[r].sum()
        if need > 0:
            frac = M[r] - np.floor(M[r])
            out[r, np.argsort(-frac)[:need]] += 1
    return out


def confident_joint(y, P, K):
    n = len(y)
    counts = np.bincount(y, minlength=K).astype(float)
    t = np.array([P[y == j, j].mean() if counts[j] > 0 else 1.0 for j in range(K)])
    above = P >= t - 1e-6
    nab = above.sum(axis=1)
    guess = np.where(nab > 1, P.argmax(axis=1), above.argmax(axis=1))
    ok = nab > 0
    C = np.zeros((K, K))
    np.add.at(C, (y[ok], guess[ok]), 1)
    np.fill_diagonal(C, np.maximum(C.diagonal(), 1))
    C = (C.T / np.clip(C.sum(axis=1), 1e-12, None) * counts).T
    C = C / C.sum() * n
    return round_preserving_row_totals(C), t


def find_label_issues(y, P, K):
    C, _ = confident_joint(y, P, K)
    mask = np.zeros(len(y), bool)
    for k in range(K):
        idx = np.where(y == k)[0]
        if len(idx) <= 1:
            continue
        for j in range(K):
            n = int(C[k, j])
            if j == k or n <= 0:
                continue
            n = min(n, len(idx) - 1)
            margin = P[idx, j] - P[idx, k]
            mask[idx[np.argsort(-margin, kind="stable")[:n]]] = True
    mask[P.argmax(axis=1) == y] = False
    est = int(C.sum() - np.trace(C))
    return mask, est


def metrics(order, flipped, true_y, N):
    """order: row indices, most suspected first."""
    fl = np.zeros(N, bool)
    fl[flipped] = True
    nf = fl.sum()
    rank = np.empty(N, int)
    rank[order] = np.arange(N)
    out = {}
    for q in (0.05, 0.1, 0.2):
        top = int(round(q * N))
        out[f"r{int(q * 100)}"] = float(fl[order[:top]].sum() / nf)
    # AUROC of the ranking (flipped rows positive).
    pos = rank[fl]
    neg_count = N - nf
    # Number of (pos, neg) pairs with the positive ranked before the negative.
    sorted_pos = np.sort(pos)
    before = sorted_pos - np.arange(nf)  # negatives ranked before each positive
    out["auc"] = float(1 - before.sum() / (nf * neg_count))
    # Recall per true class in the top 10%.
    top10 = set(order[: int(round(0.1 * N))].tolist())
    per = {}
    for c in np.unique(true_y[flipped]):
        rows = [r for r in flipped if true_y[r] == c]
        per[int(c)] = [sum(r in top10 for r in rows), len(rows)]
    out["perClass"] = per
    return out


def main():
    taskdir, outpath = sys.argv[1], sys.argv[2]
    only = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else None
    models = sys.argv[sys.argv.index("--models") + 1].split(",") if "--models" in sys.argv else list(MODELS)
    seeds = [int(x) for x in sys.argv[sys.argv.index("--seeds") + 1].split(",")] if "--seeds" in sys.argv else None
    tasks = json.load(open(os.path.join(taskdir, "tasks.json")))
    done = json.load(open(outpath)) if os.path.exists(outpath) else []
    have = {(d["set"], d["noise"], d["seed"], d["model"]) for d in done}
    order = {"u10": 0, "c20": 1, "u20": 2, "c10": 3, "u05": 4}
    tasks.sort(key=lambda t: (order.get(t["noise"], 9), t["seed"], t["N"]))
    X_cache = {}
    for t in tasks:
        if (only and t["noise"] not in only) or (seeds is not None and t["seed"] not in seeds):
            continue
        name = t["set"]
        if name not in X_cache:
            X = np.fromfile(os.path.join(taskdir, f"{name}.X.f64"), dtype=np.float64).reshape(t["N"], t["D"])
            X_cache[name] = X[:, :-1]  # drop the bias column
        X = X_cache[name]
        text_path = os.path.join(taskdir, f"{name}.text.json")
        texts = np.asarray(json.load(open(text_path)), dtype=object) if os.path.exists(text_path) else None
        y = np.asarray(t["y"])
        flipped = np.asarray(t["flipped"], int)
        K = t["K"]
        for m in models:
            if (name, t["noise"], t["seed"], m) in have or (m in TEXT_MODELS and texts is None):
                continue
            t0 = time.time()
            P = oof_proba(texts if m in TEXT_MODELS else X, y, K, t["seed"], m)
            t1 = time.time()
            mask, est = find_label_issues(y, P, K)
            sc = P[np.arange(len(y)), y]
            flagged = np.where(mask)[0]
            rest = np.where(~mask)[0]
            order_ = np.concatenate([flagged[np.argsort(sc[flagged], kind="stable")], rest[np.argsort(sc[rest], kind="stable")]])
            # The true labels of flipped rows are not in the task: recover them from the clean file? Not needed
            # for recall; per-class recall uses the true class, which for a flipped row is unknown here, so the
            # task carries it (trueY of flipped rows) when exported.
            true_y = y.copy()
            for r, c in zip(t["flipped"], t.get("original", [])):
                true_y[r] = c
            res = metrics(order_, flipped, true_y, len(y))
            pred = P.argmax(axis=1)
            sug = [(pred[r] == true_y[r]) for r in flipped if pred[r] != y[r]]
            res.update(
                set=name, noise=t["noise"], seed=t["seed"], model=m, flagged=int(mask.sum()), estimate=est,
                flips=int(len(flipped)), suggestAcc=float(np.mean(sug)) if sug else None, suggestions=len(sug),
                oofAccuracy=float((pred == y).mean()), oofLogLoss=float(-np.mean(np.log(np.clip(P[np.arange(len(y)), y], 1e-15, 1)))),
                fitSeconds=t1 - t0, clSeconds=time.time() - t1,
            )
            done.append(res)
            have.add((name, t["noise"], t["seed"], m))
            with open(outpath + ".tmp", "w") as f:
                json.dump(done, f)
            os.replace(outpath + ".tmp", outpath)
            print(f"{name} {t['noise']} seed {t['seed']} {m}: r10 {res['r10']:.3f} fit {t1 - t0:.1f}s", flush=True)


if __name__ == "__main__":
    main()
