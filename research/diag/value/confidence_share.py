"""How confident are baseline and CT models on real target-class rows?

The share of class-1 test rows given p(1) >= 0.75, per set (1,500 training
rows, as ``bench --value --quick``; the defaults; mean over three seeds).

    SKLEARN_CT_DATA=... python research/diag/value/confidence_share.py adult gmsc
"""

import sys
import warnings

import numpy as np
import torch

from sklearn_ct.benchmarks.value import _fit, load_value_data

torch.set_num_threads(1)

for name in sys.argv[1:]:
    data = load_value_data(name, 1500)
    X, y = data[2], data[3]
    out = []
    for model in ("BL", "CT"):
        shares = []
        for seed in range(3):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clf, _ = _fit(data, {}, model, seed)
            p = clf.predict_proba(X)[:, 1]
            shares.append(np.mean(p[y == 1] >= 0.75))
        out.append(f"{model} {np.mean(shares):.2f}")
    print(name, "share of real class-1 test rows with p(1) >= 0.75:", ", ".join(out))
