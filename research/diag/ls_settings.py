"""(b) LS settings: CT's lambda_reg / lambda_adv and the test-time tau.

    python research/diag/ls_settings.py OUT.csv SEED

One baseline, CT per setting; the protocol's cost benchmark at tau_eval 0.5
(the paper's) and 0.95, with the bisection minimal cost.
"""

import sys

import pandas as pd
from common import cost_benchmark, fit_pair, load, summary

from sklearn_ct.reproduction._protocol import _seed

out, s = sys.argv[1], sys.argv[2]
data = load(
    "linearly_separable", random_state=None if s == "default" else int(s), drawn=True
)  # the geometry of the study's seed, not the reference's
grid = [(0.01, 0.25), (0.0, 0.0), (0.1, 0.25), (0.5, 0.25)]
rows, bl = [], None
for reg, adv in grid:
    models, _ = fit_pair(data, ct={"lambda_reg": reg, "lambda_adv": adv})
    if bl is None:
        bl = models["BL"]
    models["BL"] = bl  # the same baseline for every setting
    for tau in (0.5, 0.95):
        cf = cost_benchmark(
            models,
            data,
            n_rounds=100,
            n_individuals=250,
            tau=tau,
            random_state=_seed(0, data.name, "protected", "evaluate"),
        )
        row = {
            "seed": s,
            "lambda_reg": reg,
            "lambda_adv": adv,
            "tau_eval": tau,
            **summary(cf),
            "train_conv_CT": models["CT"].history_["cf_converged"].mean(),
            "accuracy_CT": models["CT"].score(data.X_test, data.y_test),
        }
        rows.append(row)
        pd.DataFrame(rows).to_csv(out, index=False)
        print(
            {k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()},
            flush=True,
        )
