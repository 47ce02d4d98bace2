#!/usr/bin/python3
"""Cost reference for the detector (bench/detect-cost.ts): scikit-learn HistGradientBoostingClassifier
(defaults), 5-fold out-of-fold probabilities, then find_label_issues (baselines.py's implementation of
cleanlab's default) on a CSV file whose last column is the label. Prints JSON with the seconds."""
import json
import sys
import time

import numpy as np

sys.path.insert(0, __import__("os").path.dirname(__file__))
from baselines import find_label_issues  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_predict  # noqa: E402

t0 = time.time()
raw = np.genfromtxt(sys.argv[1], delimiter=",", skip_header=1, dtype=str)
X = raw[:, :-1].astype(float)
classes, y = np.unique(raw[:, -1], return_inverse=True)
t1 = time.time()
P = cross_val_predict(HistGradientBoostingClassifier(), X, y, cv=StratifiedKFold(5, shuffle=True, random_state=0), method="predict_proba")
t2 = time.time()
mask, est = find_label_issues(y, P, len(classes))
t3 = time.time()
print(json.dumps({"rows": len(y), "parse_s": t1 - t0, "hgb5fold_s": t2 - t1, "find_label_issues_s": t3 - t2, "total_s": t3 - t0, "flagged": int(mask.sum())}))
