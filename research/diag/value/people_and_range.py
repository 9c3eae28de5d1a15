"""Who is explained, and whether explanations leave the observed range.

For one real set (1,500 training rows, as ``bench --value --quick``) and
three seeds, each model (baseline, CT; the defaults) explains 100 of the
test rows it predicts as class 0 itself, as the value benchmark did before
2026-12-04. Printed per model: accuracy; the manifold distance of the people
themselves and of their explanations; L1 cost; features changed; the largest
single move; and the share of explanations that move some feature outside
the training rows' [min, max].

    SKLEARN_CT_DATA=... python research/diag/value/people_and_range.py gmsc
"""

import sys
import warnings

import numpy as np
import torch

from sklearn_ct.benchmarks.value import _fit, _manifold, _people, load_value_data

torch.set_num_threads(1)
name = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1500
X_train, y_train, X_test, y_test, groups = data = load_value_data(name, rows)
X_target = X_train[y_train == 1]
low, high = X_train.min(0), X_train.max(0)
for seed in range(3):
    for model in ("BL", "CT"):
        clf, _ = _fit(data, {}, model, seed)
        people = _people([clf], X_test, 100, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = clf.explain(X_test[people], target=1, random_state=seed)
        valid = np.asarray(result.valid, bool)
        x = np.asarray(result.factuals, float)[valid]
        cf = np.asarray(result.counterfactuals, float)[valid]
        moved = np.abs(cf - x)
        outside = (((cf < low - 1e-6) | (cf > high + 1e-6)) & (moved > 1e-6)).any(1)
        print(
            f"{name} seed {seed} {model}: accuracy {clf.score(X_test, y_test):.3f}, "
            f"people's manifold distance {_manifold(x, X_target):.3f}, "
            f"explanations' {_manifold(cf, X_target):.3f}, "
            f"cost {moved.sum(1).mean():.3f}, "
            f"features changed {(moved > 1e-6).sum(1).mean():.2f}, "
            f"largest move {moved.max(1).mean():.3f}, "
            f"outside the observed range {outside.mean():.2f}"
        )
