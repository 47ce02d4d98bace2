#!/usr/bin/env python3
"""Label-suspicion research: which per-row score ranks flipped labels highest?

For each data set and seed: seeded 80/20 split, 10% of the TRAINING labels flipped with
shared/reference/noise.py's scheme, multinomial logistic regression with l2 = 1e-3 in the conventions
of shared/reference/ref_influence.py (its functions are imported; the fit is a damped Newton method
to ||grad J|| < 1e-10, the same optimum as ref.fit), then every
candidate score is computed on the noisy training set and judged against the known flips:
recall of flipped rows in the top 5/10/20% and AUROC; finally the top 10% of each ranking are
relabelled (to the method's own suggested class) and the model is refitted to measure test accuracy.

  python3 bench/research/label_suspicion.py      # all sets, seeds 0-4 -> results.md (+ results.json)
  python3 bench/research/label_suspicion.py --seeds 0 1 2 --rate 0.2 --no-relabel --out results_rate20.md
  python3 bench/research/label_suspicion.py --reference > bench/research/refs.json   # TS test numbers
  python3 bench/research/label_suspicion.py --exact-loo > bench/research/exact_loo.txt

The full run takes about 2.5 CPU minutes (7 minutes wall on the shared 2-core machine); progress per
data set and seed goes to stderr, the markdown table to --out and stdout.

Candidates (all parameter-free; sign: larger = more suspicious):
  alo_rw      (chosen) reweighted leave-one-out loss: refit once with row weights
              c_i = p_loo[y_i] / sum_j p_loo[y_j], then -log p'_loo[y_i] by one Newton step without
              row i under that weighted objective (see docs/label-suspicion.md)
  loss        CE_i = -log p_i[y_i]
  self_infl   s_i = g_i^T H^-1 g_i                                 (current engine ranking)
  relatif     s_i / ||H^-1 g_i||     (theta-relative RelatIF of the row on itself)
  alo1        CE_i + s_i / N          (first-order leave-one-out loss)
  alo         -log p_loo[y_i], p_loo from one Newton step with H_{-i} (Woodbury on K x K blocks)
  loo_margin  max_{k != y} z_loo[k] - z_loo[y]   (LOO logit margin against the best other class)
  relabel_cv  reduction of the total leave-one-out loss of the OTHER rows when row i is relabelled
              to its best other LOO class, first-order influence through H^-1
  alo_prune   like alo_rw with hard weights: drop the rows whose LOO argmax is not their label
  alo_cjprune like alo_rw with hard weights: drop the rows that confident learning's confident joint
              puts off the diagonal (p_loo[j] >= mean p_loo[j] over rows labelled j, for some j != y)
  relabel_tot loo_margin + relabel_cv   (change of the whole LOO loss, own row included)
  relabel_5f  reduction of the 5-fold held-out loss when row i is relabelled (influence per fold)
  cl          confident learning self-confidence 1 - p_oof[y_i], stratified 5-fold (own numpy code)
  random      seeded random order
"""
import os

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")  # the machine's 2 cores are shared: one BLAS thread

import argparse
import json
import re
import sys
import time
from collections import Counter

import numpy as np
from scipy import linalg, optimize
from scipy.stats import rankdata

REF = os.environ.get("REF_DIR", "/work/shared/reference")
sys.path.insert(0, REF)
import ref_influence as ref  # noqa: E402
from noise import flip_labels  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "test", "fixtures", "data")
LAM = 1e-3
SETS = {"digits": ("digits.csv", "label"), "breast_cancer": ("breast_cancer.csv", "diagnosis"),
        "satellite": ("satellite.csv", "class"), "reviews": ("reviews.jsonl", "label")}
METHODS = ["alo_rw", "alo", "loo_margin", "alo1", "alo_prune", "alo_cjprune", "relabel_tot",
           "relabel_cv", "relabel_5f", "cl", "loss", "self_infl", "relatif", "random"]
# Relabel + refit (test accuracy) only for these, to keep the run within a few minutes.
RELABEL = ["alo_rw", "alo", "alo_prune", "alo_cjprune", "cl", "loss", "self_infl", "random"]
CHOSEN = "alo_rw"


# ---------------------------------------------------------------- data and features
def load(name):
    """-> raw features (float matrix, or list of texts for reviews), labels (str array)."""
    fname, label = SETS[name]
    path = os.path.join(DATA, fname)
    if fname.endswith(".jsonl"):
        rows = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
        return [r["text"] for r in rows], np.array([r[label] for r in rows])
    X, labels, _ = ref.read_csv(path, label)
    return X, labels


def tokens(text):
    t = re.findall(r"[a-z0-9']+", text.lower())
    return t + [a + " " + b for a, b in zip(t, t[1:])]


class TextFeatures:
    """Unigram + bigram vocabulary from the TRAINING texts (lower-cased [a-z0-9']+ tokens, document
    frequency >= 5, the 500 most frequent), tf-idf (raw count x log((1+n)/(1+df)) + 1), each row
    L2-normalised, bias 1 appended. Not z-scored (z-scoring would undo the idf and blow up rare terms)."""

    def __init__(self, texts):
        df = Counter()
        for t in texts:
            df.update(set(tokens(t)))
        vocab = sorted((w for w, c in df.items() if c >= 5), key=lambda w: (-df[w], w))[:500]
        self.index = {w: j for j, w in enumerate(vocab)}
        n = len(texts)
        self.idf = np.log((1 + n) / (1 + np.array([df[w] for w in vocab]))) + 1

    def __call__(self, texts):
        X = np.zeros((len(texts), len(self.index)))
        for i, t in enumerate(texts):
            for w in tokens(t):
                j = self.index.get(w)
                if j is not None:
                    X[i, j] += 1
        X *= self.idf
        nrm = np.linalg.norm(X, axis=1, keepdims=True)
        X = np.divide(X, nrm, out=np.zeros_like(X), where=nrm > 0)
        return np.hstack([X, np.ones((len(X), 1))])


def featurizer(raw_train):
    return TextFeatures(raw_train) if isinstance(raw_train, list) else ref.Standardizer(raw_train)


def take(raw, idx):
    return [raw[i] for i in idx] if isinstance(raw, list) else raw[idx]


def split(n, seed):
    """Seeded 80/20 split: -> (train indices, test indices), each sorted."""
    perm = np.random.default_rng(seed).permutation(n)
    n_test = int(round(0.2 * n))
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


# ---------------------------------------------------------------- model pieces
def hessian(X, Pr, lam):
    """Same matrix as ref.hessian, built block by block: H[kD:(k+1)D, lD:(l+1)D] =
    (1/N) X^T diag(A_kl) X (+ lam I), A_i = diag(p_i) - p_i p_i^T. Faster for large D."""
    (N, D), K = X.shape, Pr.shape[1]
    H = np.empty((K * D, K * D))
    for k in range(K):
        for l in range(k, K):
            w = Pr[:, k] * ((k == l) - Pr[:, l]) / N
            B = X.T @ (X * w[:, None])
            H[k * D:(k + 1) * D, l * D:(l + 1) * D] = B
            H[l * D:(l + 1) * D, k * D:(k + 1) * D] = B.T
    H[np.diag_indices_from(H)] += lam
    return H


def hessian_w(X, Pr, lam, c):
    """Hessian of sum_i c_i CE_i + lam/2 ||W||^2 (hessian() has c_i = 1/N)."""
    return hessian(X * np.sqrt(c * len(X))[:, None], Pr, lam)


def newton_fit_w(X, Y, lam, c, W0=None, tol=1e-10, max_iter=100):
    """Newton fit of the row-weighted objective sum_i c_i CE_i + lam/2 ||W||^2 (rows with c_i = 0
    are dropped)."""
    on = c > 0
    return newton_fit(X[on], Y[on], lam, W0, tol, max_iter, c[on])


def newton_fit(X, Y, lam, W0=None, tol=1e-10, max_iter=100, c=None):
    """Minimise J by damped Newton (exact Hessian, Armijo backtracking) until ||grad J|| < tol.
    Same optimum as ref.fit (J is strictly convex), much faster on near-separable data."""
    (N, D), K = X.shape, Y.shape[1]
    c = np.full(N, 1.0 / N) if c is None else c
    w = np.zeros(K * D) if W0 is None else W0.ravel().copy()
    J, g = ref.objective(w, X, Y, lam, c)
    steps = 0
    for _ in range(max_iter):
        if np.linalg.norm(g) < tol:
            break
        step = linalg.solve(hessian_w(X, ref.probs(w.reshape(K, D), X), lam, c), g, assume_a="pos")
        gn, t = np.linalg.norm(g), 1.0
        while t >= 1e-10:
            J2, g2 = ref.objective(w - t * step, X, Y, lam, c)
            # far from the optimum: Armijo on J; near it J is flat to rounding, so use ||grad|| (as ref.fit)
            if (J2 <= J - 1e-4 * t * (g @ step)) if gn > 1e-6 else (np.linalg.norm(g2) < gn):
                break
            t *= 0.5
        if t < 1e-10:
            break  # no progress possible in float64
        w, J, g = w - t * step, J2, g2
        steps += 1
    return w.reshape(K, D), dict(newtonSteps=steps, gradNorm=float(np.linalg.norm(g)), objective=float(J))


def quick_fit(X, Y, lam, W0=None):
    """Fit for out-of-fold probabilities and test accuracy: ||grad J|| < 1e-8."""
    return newton_fit(X, Y, lam, W0, tol=1e-8)[0]


def loo_logits(X, W, Pr, Y, Hinv_solve, N, c=None):
    """Logits of row i under one exact Newton step of J without row i, from W* (the ALO of
    ref.approx_loo_loss, returning the logits): z_loo_i = W x_i + M_i (I - A_i M_i / N)^-1 r_i / N,
    M_i[k,l] = (e_k kron x_i)^T H^-1 (e_l kron x_i), r_i = p_i - y_i. Also returns M (N x K x K)."""
    K, D = W.shape
    Hinv = Hinv_solve(np.eye(K * D)).reshape(K, D, K, D)
    M = np.empty((len(X), K, K))
    for k in range(K):
        for l in range(k, K):
            M[:, k, l] = M[:, l, k] = ((X @ Hinv[k, :, l, :]) * X).sum(1)
    A = Pr[:, :, None] * np.eye(K) - Pr[:, :, None] * Pr[:, None, :]
    c = np.full(len(X), 1.0 / N) if c is None else c  # row i's weight in J (1/N unweighted)
    u = np.linalg.solve(np.eye(K) - c[:, None, None] * (A @ M), (Pr - Y)[:, :, None])
    return X @ W.T + c[:, None] * (M @ u)[:, :, 0], M


def best_other(P, y):
    """Index of the most probable class other than y, per row."""
    Q = P.copy()
    Q[np.arange(len(y)), y] = -np.inf
    return Q.argmax(1)


def stratified_folds(y, k, seed):
    """Fold id per row: each class's rows shuffled (seeded) and dealt round-robin."""
    rng = np.random.default_rng(seed)
    fold = np.empty(len(y), int)
    start = 0
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        fold[idx] = (start + np.arange(len(idx))) % k
        start += len(idx)
    return fold


# ---------------------------------------------------------------- all scores for one noisy set
def score_all(raw, labels, classes, seed, lam=LAM, want_5fold=True):
    """raw: training features (raw), labels: noisy training labels (str). -> dict of scores, dict of
    suggested classes (index), the fitted analysis and timings."""
    t = {}
    t0 = time.perf_counter()
    feat = featurizer(raw)
    X = feat(raw)
    Y = ref.onehot(labels, classes)
    y = Y.argmax(1)
    N, D = X.shape
    K = len(classes)
    W, rep = newton_fit(X, Y, lam)
    Pr = ref.probs(W, X)
    H = hessian(X, Pr, lam)
    F = ref.Factor(H)
    G = ref.per_example_grads(X, Pr, Y)
    V = F.whiten(G)
    s = (V * V).sum(0)
    loss = ref.cross_entropy(W, X, Y)
    t["fit+H"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    Zl, M = loo_logits(X, W, Pr, Y, F.solve, N)
    logPl = ref.log_softmax(Zl)
    Pl = np.exp(logPl)
    alo = -logPl[np.arange(N), y]
    other = best_other(Pl, y)
    margin = Zl[np.arange(N), other] - Zl[np.arange(N), y]
    t["alo"] = time.perf_counter() - t1

    # relabel_cv: others' LOO loss change when row i's label goes y -> other.
    # d theta = -H^-1 ((e_y - e_o) kron x_i) / N;  change = sum_{t != i} gl_t . d theta,
    # gl_t = (p_loo_t - y_t) kron x_t.  U = H^-1 sum_t gl_t (K x D).
    t1 = time.perf_counter()
    Gl = ((Pl - Y).T @ X).ravel()
    U = F.solve(Gl)[:, 0].reshape(K, D)
    UX = X @ U.T  # N x K
    E = np.zeros((N, K))
    E[np.arange(N), y] = 1
    E[np.arange(N), other] -= 1                      # e_y - e_o
    all_terms = (UX * E).sum(1)                      # gl_sum^T H^-1 (E kron x)
    self_term = np.einsum("nk,nkl,nl->n", Pl - Y, M, E)  # gl_i^T H^-1 (E kron x_i)
    change_others = -(all_terms - self_term) / N
    relabel_cv = -change_others                      # reduction of the others' LOO loss
    t["relabel"] = time.perf_counter() - t1

    # Cleaning rounds: refit without (or down-weighting) suspected rows, then leave-self-out again.
    t1 = time.perf_counter()
    ar = np.arange(N)

    def clean_round(c):
        """c: row weights summing to 1 (0 = removed). -> leave-self-out log-probabilities."""
        on = c > 0
        Wc, rep_c = newton_fit_w(X, Y, lam, c, W)
        Pc = ref.probs(Wc, X)
        Fc = ref.Factor(hessian_w(X[on], Pc[on], lam, c[on]))
        Zc = X @ Wc.T
        Zc[on] = loo_logits(X[on], Wc, Pc[on], Y[on], Fc.solve, N, c[on])[0]
        return ref.log_softmax(Zc), Wc, rep_c

    keep = Pl.argmax(1) == y                          # LOO prediction agrees with the label
    logP_prune = clean_round(keep / keep.sum())[0]
    thr = np.array([Pl[y == k, k].mean() for k in range(K)])   # CL per-class thresholds
    conf = np.where(Pl >= thr, Pl, -1.0)
    cj = (conf.max(1) < 0) | (conf.argmax(1) == y)    # not confidently another class
    logP_cjprune = clean_round(cj / cj.sum())[0]
    t["prune_variants"] = time.perf_counter() - t1
    w = Pl[ar, y]
    t1 = time.perf_counter()
    logP_rw, W_rw, rep_rw = clean_round(w / w.sum())
    t["alo_rw_stage2"] = time.perf_counter() - t1
    alo_prune, alo_cjprune, alo_rw = (-lp[ar, y] for lp in (logP_prune, logP_cjprune, logP_rw))

    # relatif: s_i / ||H^-1 g_i||
    sol = F.solve(G)
    relatif = s / np.linalg.norm(sol, axis=0)

    # 5-fold: confident learning (1 - p_oof[y]) and the held-out relabel influence.
    t1 = time.perf_counter()
    fold = stratified_folds(y, 5, seed)
    P_oof = np.zeros((N, K))
    relabel_5f = np.zeros(N)
    for f in range(5):
        tr, va = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        ff = featurizer(take(raw, tr))
        Xtr, Xva = ff(take(raw, tr)), ff(take(raw, va))
        Wf = quick_fit(Xtr, Y[tr], lam)
        P_oof[va] = ref.probs(Wf, Xva)
        if want_5fold:
            Df = Xtr.shape[1]
            Hf = hessian(Xtr, ref.probs(Wf, Xtr), lam)
            Gv = ((P_oof[va] - Y[va]).T @ Xva).ravel()    # held-out loss gradient (noisy labels)
            Uf = linalg.cho_solve(linalg.cho_factor(Hf), Gv).reshape(K, Df)
            # held-out loss change = Gv . d theta, d theta = -Hf^-1 ((e_y - e_o) kron x_i) / n_f
            relabel_5f[tr] += ((Xtr @ Uf.T) * E[tr]).sum(1) / len(tr) / 4  # each row trains in 4 folds
    cl = 1 - P_oof[np.arange(N), y]
    t["5fold"] = time.perf_counter() - t1

    scores = dict(loss=loss, self_infl=s, relatif=relatif, alo1=loss + s / N, alo=alo,
                  loo_margin=margin, relabel_cv=relabel_cv, relabel_tot=margin + relabel_cv,
                  relabel_5f=relabel_5f, cl=cl, alo_prune=alo_prune, alo_cjprune=alo_cjprune, alo_rw=alo_rw,
                  random=np.random.default_rng(1000 + seed).permutation(N).astype(float))
    pred = Pr.argmax(1)
    targets = dict(loss=pred, self_infl=pred, relatif=pred, alo1=pred, random=pred,
                   alo=Pl.argmax(1), loo_margin=other, relabel_cv=other, relabel_tot=other,
                   relabel_5f=other, cl=P_oof.argmax(1),
                   alo_prune=logP_prune.argmax(1),
                   alo_cjprune=logP_cjprune.argmax(1), alo_rw=logP_rw.argmax(1))
    return dict(scores=scores, targets=targets, X=X, Y=Y, y=y, W=W, feat=feat, fit=rep, t=t,
                Pl=Pl, Pr=Pr, s=s, loss=loss, M=M, logP_rw=logP_rw, w_rw=w, W_rw=W_rw, rep_rw=rep_rw)


# ---------------------------------------------------------------- evaluation
def auroc(score, is_pos):
    r = rankdata(score)
    n1 = is_pos.sum()
    n0 = len(score) - n1
    return (r[is_pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def order(score):
    return np.argsort(-score, kind="stable")


def evaluate(name, seed, methods, relabel=True, rate=0.10):
    raw, labels = load(name)
    tr, te = split(len(labels), seed)
    raw_tr, raw_te = take(raw, tr), take(raw, te)
    true_tr = labels[tr]
    noisy, flipped, _ = flip_labels(true_tr, rate, seed)
    classes = np.unique(noisy)
    is_flip = np.zeros(len(tr), bool)
    is_flip[flipped] = True
    r = score_all(raw_tr, noisy, classes, seed)
    N = len(tr)
    Xte = r["feat"](raw_te)
    yte = np.searchsorted(classes, labels[te])
    ytrue = np.searchsorted(classes, true_tr)
    acc = lambda W: float((ref.probs(W, Xte).argmax(1) == yte).mean())
    base = dict(noisy=acc(r["W"]), clean=acc(quick_fit(r["X"], np.eye(len(classes))[ytrue], LAM, r["W"])))
    out = {}
    for m in methods:
        sc = r["scores"][m]
        o = order(sc)
        row = {f"r{q}": is_flip[o[:int(round(q / 100 * N))]].sum() / is_flip.sum() for q in (5, 10, 20)}
        row["auroc"] = auroc(sc, is_flip)
        if relabel and m in RELABEL:
            top = o[:int(round(0.1 * N))]
            y2 = r["y"].copy()
            y2[top] = r["targets"][m][top]
            row["fixed"] = int((y2[top] == ytrue[top]).sum() - (r["y"][top] == ytrue[top]).sum())
            row["acc"] = acc(quick_fit(r["X"], np.eye(len(classes))[y2], LAM, r["W"]))
        out[m] = row
    return out, base, r["t"], dict(N=N, D=r["X"].shape[1], K=len(classes), flips=int(is_flip.sum()),
                                   fit=r["fit"], stage2_fit=r["rep_rw"])


# ---------------------------------------------------------------- reports
def fmt(vals, digits=3):
    vals = np.asarray(vals, float)
    if len(vals) == 1:
        return f"{vals[0]:.{digits}f}"
    return f"{vals.mean():.{digits}f} ± {vals.std(ddof=1):.{digits}f}"


def run_all(args):
    methods = METHODS
    res, bases, infos, runinfo = {}, {}, {}, {}
    lines = []
    t_start = time.perf_counter()
    for name in args.sets:
        for seed in args.seeds:
            t0 = time.perf_counter()
            out, base, t, info = evaluate(name, seed, methods, relabel=not args.no_relabel, rate=args.rate)
            res[(name, seed)], bases[(name, seed)], infos[name] = out, base, info
            runinfo[(name, seed)] = dict(timings_s=t, **info)
            log = (f"{name} seed {seed}: {time.perf_counter() - t0:.1f}s "
                   + " ".join(f"{k}={v:.2f}s" for k, v in t.items())
                   + " | r10 " + " ".join(f"{m}={out[m]['r10']:.3f}" for m in methods))
            print(log, file=sys.stderr, flush=True)
    wall = time.perf_counter() - t_start
    runs = [dict(set=n, seed=s, metrics=res[(n, s)], accuracy=bases[(n, s)], **runinfo[(n, s)])
            for (n, s) in sorted(res)]
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(runs, f, indent=1, default=float)

    L = lines.append
    L("# Label-suspicion research: results\n")
    L(f"Generated by `python3 bench/research/label_suspicion.py` (seeds {args.seeds[0]}-{args.seeds[-1]}, "
      f"wall {wall:.0f} s on this 2-core machine). Multinomial logistic regression, l2 = {LAM:g}, "
      f"seeded 80/20 split, {args.rate:.0%} of the training labels flipped uniformly to another class "
      "(shared/reference/noise.py scheme, seed = split seed). Scores are computed on the noisy training "
      "set only; the test set is used only for the accuracy columns. Mean ± sample std over seeds.\n")
    L("Recall@q% = share of the flipped rows found in the top q% of the ranking (flips are 10%, so "
      "recall@5% is at most 0.5 and recall@10% equals precision@10% at the default 10% rate). `fixed` = flipped rows restored "
      "to their true label minus clean rows broken, when the top 10% are relabelled to the method's "
      "suggested class; `acc` = test accuracy after that relabelling and a refit.\n")
    L("Reviews: unigram+bigram tf-idf in numpy (training vocabulary, document frequency >= 5, 500 most "
      "frequent terms, rows L2-normalised, not z-scored), bias appended.\n")
    for name in args.sets:
        info = infos[name]
        seeds = [s for s in args.seeds if (name, s) in res]
        b = [bases[(name, s)] for s in seeds]
        L(f"## {name} (N_train = {info['N']}, D = {info['D']}, K = {info['K']}, {info['flips']} flips)\n")
        L(f"Test accuracy trained on noisy labels {fmt([x['noisy'] for x in b])}, on the true labels "
          f"{fmt([x['clean'] for x in b])}.\n")
        cols = ["r5", "r10", "r20", "auroc"] + ([] if args.no_relabel else ["fixed", "acc"])
        L("| method | " + " | ".join(cols) + " |")
        L("| --- " * (len(cols) + 1) + "|")
        for m in methods:
            cells = [fmt([res[(name, s)][m][c] for s in seeds], 1 if c == "fixed" else 3)
                     if c in res[(name, seeds[0])][m] else "" for c in cols]
            L(f"| {m} | " + " | ".join(cells) + " |")
        L("")
    # stability: rank of each method by recall@10 / AUROC per (set, seed)
    L("## Stability across data sets and seeds\n")
    keys = sorted(res)
    for metric in ("r10", "auroc"):
        L(f"### {metric}: mean over all data sets and seeds, wins (best or tied best) and mean rank\n")
        L("| method | mean | wins | mean rank | per data set (mean) |")
        L("| --- | --- | --- | --- | --- |")
        ranks = {m: [] for m in methods}
        wins = Counter()
        for k in keys:
            v = np.array([res[k][m][metric] for m in methods])
            rk = rankdata(-v, method="average")
            for m, x in zip(methods, rk):
                ranks[m].append(x)
            for m in methods:
                if res[k][m][metric] >= v.max() - 1e-12:
                    wins[m] += 1
        for m in methods:
            per = ", ".join(f"{n} {np.mean([res[(n, s)][m][metric] for s in args.seeds]):.3f}"
                            for n in args.sets)
            L(f"| {m} | {np.mean([res[k][m][metric] for k in keys]):.3f} | {wins[m]}/{len(keys)} | "
              f"{np.mean(ranks[m]):.2f} | {per} |")
        L("")
    # pairwise: chosen vs each other
    C = CHOSEN
    L(f"### Paired comparison of `{C}` with each other method (all data sets x seeds)\n")
    L(f"| other | recall@10 {C} better / tie / worse | mean recall@10 diff | AUROC {C} better / worse | mean AUROC diff |")
    L("| --- | --- | --- | --- | --- |")
    for m in methods:
        if m == C:
            continue
        d = np.array([res[k][C]["r10"] - res[k][m]["r10"] for k in keys])
        a = np.array([res[k][C]["auroc"] - res[k][m]["auroc"] for k in keys])
        L(f"| {m} | {(d > 1e-12).sum()} / {(abs(d) <= 1e-12).sum()} / {(d < -1e-12).sum()} | {d.mean():+.4f} | "
          f"{(a > 0).sum()} / {(a < 0).sum()} | {a.mean():+.4f} |")
    L("")
    L(f"### `{C}` against plain leave-one-out loss, training loss and confident learning, per data set\n")
    L("recall@10 better / tie / worse; AUROC better / worse (over seeds)\n")
    L("| data set | vs alo r10 | vs alo AUROC | vs loss r10 | vs loss AUROC | vs cl r10 | vs cl AUROC |")
    L("| --- | --- | --- | --- | --- | --- | --- |")
    for n in args.sets:
        cells = []
        for m in ("alo", "loss", "cl"):
            d = np.array([res[(n, s)][C]["r10"] - res[(n, s)][m]["r10"] for s in args.seeds])
            a = np.array([res[(n, s)][C]["auroc"] - res[(n, s)][m]["auroc"] for s in args.seeds])
            cells += [f"{(d > 1e-12).sum()} / {(abs(d) <= 1e-12).sum()} / {(d < -1e-12).sum()}",
                      f"{(a > 0).sum()} / {(a < 0).sum()}"]
        L(f"| {n} | " + " | ".join(cells) + " |")
    L("")
    text = "\n".join(lines)
    with open(args.out, "w") as f:
        f.write(text + "\n")
    print(text)


def reference_numbers():
    """Numbers a TypeScript test can check, on ALL rows (no split): breast_cancer as published,
    breast_cancer with flip_labels(labels, 0.10, 0), and digits as published (K = 10)."""
    out = {}
    for tag, name, flip in (("breast_cancer", "breast_cancer", False),
                            ("breast_cancer_flipped_seed0", "breast_cancer", True),
                            ("digits", "digits", False)):
        raw, labels = load(name)
        classes = np.unique(labels)
        lab = flip_labels(labels, 0.10, 0)[0] if flip else labels
        r = score_all(raw, lab, classes, 0, want_5fold=False)
        sc, N = r["scores"], len(lab)
        o = order(sc["alo_rw"])
        rows = lambda idx: [dict(
            row=int(i), label=str(lab[i]), loss=float(r["loss"][i]), selfInfluence=float(r["s"][i]),
            pLoo=[float(v) for v in r["Pl"][i]], alo=float(sc["alo"][i]),
            weight=float(r["w_rw"][i]), suspicion=float(sc["alo_rw"][i]),
            reweightedLooLogOdds=float(r["logP_rw"][i, r["y"][i]]
                                       - np.delete(r["logP_rw"][i], r["y"][i]).max()),
            pReweightedLoo=[float(v) for v in np.exp(r["logP_rw"][i])],
            suggested=str(classes[best_other(np.exp(r["logP_rw"][i:i + 1]), r["y"][i:i + 1])[0]]))
            for i in idx]
        d = dict(N=N, classes=classes.tolist(), fit=r["fit"], first5=rows(range(5)), top5=rows(o[:5]),
                 top10Rows=[int(i) for i in o[:10]])
        if flip:
            fl = flip_labels(labels, 0.10, 0)[1]
            isf = np.zeros(N, bool)
            isf[fl] = True
            ms = ("alo_rw", "alo", "loss", "self_infl")
            d["flipped"] = len(fl)
            d["recall10"] = {m: float(isf[order(sc[m])[:int(round(0.1 * N))]].sum() / len(fl)) for m in ms}
            d["auroc"] = {m: float(auroc(sc[m], isf)) for m in ms}
        out[tag] = d
    print(json.dumps(out, indent=1))


def exact_loo_ce(X, Y, W, c, rows):
    """Brute-force leave-one-out CE of each row in `rows`: minimise sum_{j != i} c_j CE_j + lam/2||W||^2
    by exact Newton steps from W (the full fit) to ||grad|| < 1e-10 (no approximation left)."""
    K, D = W.shape
    out = np.empty(len(rows))
    for n, i in enumerate(rows):
        ci = c.copy()
        ci[i] = 0.0
        w = W.ravel().copy()
        for _ in range(20):
            J, g = ref.objective(w, X, Y, LAM, ci)
            if np.linalg.norm(g) < 1e-10:
                break
            w = w - linalg.solve(hessian_w(X, ref.probs(w.reshape(K, D), X), LAM, ci), g, assume_a="pos")
        out[n] = ref.cross_entropy(w.reshape(K, D), X[i:i + 1], Y[i:i + 1])[0]
    return out


def exact_loo_check():
    """How close the one-Newton-step leave-one-out (alo, alo_rw) is to brute-force leave-one-out:
    breast_cancer (all training rows) and digits (100 random training rows), seed 0."""
    for name, n_rows in (("breast_cancer", None), ("digits", 100)):
        raw, labels = load(name)
        tr, _ = split(len(labels), 0)
        noisy, flipped, _ = flip_labels(labels[tr], 0.10, 0)
        classes = np.unique(noisy)
        r = score_all(take(raw, tr), noisy, classes, 0, want_5fold=False)
        X, Y = r["X"], r["Y"]
        N = len(X)
        rows = np.arange(N) if n_rows is None else np.sort(np.random.default_rng(0).choice(N, n_rows, replace=False))
        isf = np.zeros(N, bool)
        isf[flipped] = True
        c_rw = r["w_rw"] / r["w_rw"].sum()
        print(f"{name} seed 0: N={N}, exact leave-one-out refits of {len(rows)} rows")
        for nm, W, c, approx in (("alo", r["W"], np.full(N, 1.0 / N), r["scores"]["alo"]),
                                 ("alo_rw", r["W_rw"], c_rw, r["scores"]["alo_rw"])):
            ex = exact_loo_ce(X, Y, W, c, rows)
            ap = approx[rows]
            print(f"  {nm}: Pearson(one Newton step, exact) = {np.corrcoef(ap, ex)[0, 1]:.6f}, Spearman = "
                  f"{np.corrcoef(rankdata(ap), rankdata(ex))[0, 1]:.6f}, max |diff| = {np.abs(ap - ex).max():.3g}"
                  f", median |diff| = {np.median(np.abs(ap - ex)):.3g}")
            if n_rows is None:
                n10 = int(round(0.1 * N))
                for tag, sc in (("exact", ex), ("approx", ap)):
                    print(f"    {tag:6s} recall@10 {isf[order(sc)[:n10]].sum() / isf.sum():.3f}  AUROC {auroc(sc, isf):.4f}")
        fo = r["scores"]["alo1"][rows]
        print(f"  first-order CE + s/N vs one Newton step alo: Pearson {np.corrcoef(fo, r['scores']['alo'][rows])[0, 1]:.6f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", nargs="+", default=list(SETS))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    ap.add_argument("--no-relabel", action="store_true")
    ap.add_argument("--rate", type=float, default=0.10, help="share of training labels flipped")
    ap.add_argument("--reference", action="store_true")
    ap.add_argument("--exact-loo", action="store_true")
    args = ap.parse_args()
    if args.reference:
        return reference_numbers()
    if args.exact_loo:
        return exact_loo_check()
    run_all(args)


if __name__ == "__main__":
    main()
