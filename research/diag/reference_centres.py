"""LS and OL at the reference's centres: the protected pair of every seed of
``sklearn-ct reproduce --seeds K``, with the bisection minimal cost.

    python research/diag/reference_centres.py OUT.csv NAME K [VARIANT ...]

NAME ``linearly_separable`` or ``overlapping``; K seed indices (0..K-1) with
reproduce's data, fit and evaluation seeds, so the ``ours`` rows are the
Cost cells of ``reproduce --seeds K``; VARIANT as in ls_seeds.py (``ours``
by default). The centres are the package's: MLJBase's draw under Julia's
``Random.seed!(42)`` (``sklearn_ct/reproduction/_julia_random.py``).
"""

import sys
import time

import numpy as np
import pandas as pd
from common import cost_benchmark, fit_pair, load, summary

from sklearn_ct.reproduction import PAPER_SETTINGS
from sklearn_ct.reproduction._protocol import _data_seed, _task_seed

out, name, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
variants = sys.argv[4:] or ["ours"]
PARAMS = {
    "ours": {},
    "zero_ridge": {"lambda_reg": 0.0, "lambda_adv": 0.0},
    "zero_adv": {"lambda_adv": 0.0},
    "zero_reg": {"lambda_reg": 0.0},
}
rows = []
for seed in range(k):
    data = load(name, random_state=_data_seed(0, seed, name))
    d = data.X_train[data.y_train == 1].mean(0) - data.X_train[data.y_train == 0].mean(
        0
    )
    for v in variants:
        tick = time.perf_counter()
        models, _ = fit_pair(data, seed=seed, ct=PARAMS[v])
        cf = cost_benchmark(
            models,
            data,
            n_rounds=100,
            n_individuals=PAPER_SETTINGS[data.name]["n_individuals"],
            random_state=_task_seed(0, seed, data.name, "protected", "evaluate"),
        )
        row = {
            "data": name,
            "seed": seed,
            "variant": v,
            "d1": d[0],
            "d2": d[1],
            "share_x1": abs(d[0]) / np.abs(d).sum(),
            **summary(cf),
            "train_conv_CT": models["CT"].history_["cf_converged"].mean(),
            "acc_BL": models["BL"].score(data.X_test, data.y_test),
            "acc_CT": models["CT"].score(data.X_test, data.y_test),
            "seconds": time.perf_counter() - tick,
        }
        rows.append(row)
        pd.DataFrame(rows).to_csv(out, index=False)
        print(
            {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()},
            flush=True,
        )
