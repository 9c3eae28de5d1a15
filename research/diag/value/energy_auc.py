"""Is the energy a model learns informative of where real data lie?

For each set (1,500 training rows, as ``bench --value --quick``) and three
seeds, a baseline and a CT model (the defaults) score the test rows and, as
off-manifold points, the same rows with every column shuffled on its own (the
product of the marginals: every value is real, their combination is not).
Printed: the AUC with which the marginal energy ``-logsumexp f(x)`` tells
real rows (lower energy) from shuffled ones; 0.5 is no information.

    SKLEARN_CT_DATA=... python research/diag/value/energy_auc.py adult gmsc moons
"""

import sys
import warnings

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from sklearn_ct.benchmarks.value import _fit, load_value_data

torch.set_num_threads(1)


def energy(clf, X):
    with torch.no_grad():
        logits = clf.net_.module_(torch.as_tensor(X, dtype=torch.float32))
    return -torch.logsumexp(logits, dim=1).numpy()


for name in sys.argv[1:]:
    data = load_value_data(name, 1500)
    X_test = data[2]
    rng = np.random.default_rng(0)
    shuffled = np.column_stack([rng.permutation(column) for column in X_test.T])
    labels = np.r_[np.ones(len(X_test)), np.zeros(len(shuffled))]
    for model in ("BL", "CT"):
        aucs = []
        for seed in range(3):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clf, _ = _fit(data, {}, model, seed)
            scores = -np.r_[energy(clf, X_test), energy(clf, shuffled)]
            aucs.append(roc_auc_score(labels, scores))
        print(
            f"{name} {model}: AUC real vs shuffled {np.mean(aucs):.3f} "
            f"(seeds {', '.join(f'{a:.3f}' for a in aucs)})"
        )
