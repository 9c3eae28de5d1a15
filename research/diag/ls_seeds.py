"""(a) LS over drawn geometries: Cost reduction against the share of the class
separation along the protected x1; optional variant of the CT/BL settings.

Each seed draws its own two centres (``common.drawn_centres``), unlike the
package's LS, which keeps the reference's centres for every seed.

    python research/diag/ls_seeds.py OUT.csv VARIANT SEED [SEED ...]

VARIANT: ``ours`` (make_model as in reproduce), ``zero_ridge`` (the
reference's synthetic protected runs: lambda_reg = lambda_adv = 0 for CT),
``zero_adv`` (only lambda_adv = 0) or ``zero_reg`` (only lambda_reg = 0).
"""

import sys
import time

import numpy as np
import pandas as pd
from common import cost_benchmark, fit_pair, load, summary

from sklearn_ct.reproduction._protocol import _seed

out, variant, seeds = sys.argv[1], sys.argv[2], sys.argv[3:]
name = "overlapping" if "OL" in out else "linearly_separable"
params = {
    "ours": {},
    "zero_ridge": {"lambda_reg": 0.0, "lambda_adv": 0.0},
    "zero_adv": {"lambda_adv": 0.0},
    "zero_reg": {"lambda_reg": 0.0},
}[variant]
rows = []
for s in seeds:
    seed = None if s == "default" else int(s)
    data = load(name, random_state=seed, drawn=True)  # a geometry per seed
    c0 = data.X_train[data.y_train == 0].mean(0)
    c1 = data.X_train[data.y_train == 1].mean(0)
    d = c1 - c0
    tick = time.perf_counter()
    models, _ = fit_pair(data, ct=params)
    cf = cost_benchmark(
        models,
        data,
        n_rounds=100,
        n_individuals=250,
        random_state=_seed(0, data.name, "protected", "evaluate"),
    )
    row = {
        "seed": s,
        "d1": d[0],
        "d2": d[1],
        "share_x1": abs(d[0]) / np.abs(d).sum(),
        **summary(cf),
        "train_conv_CT": models["CT"].history_["cf_converged"].mean(),
        "seconds": time.perf_counter() - tick,
    }
    for lam, part in cf.groupby("lambda_energy"):
        row[f"red_lam{lam:g}"] = summary(part)["cost_red"]
    rows.append(row)
    pd.DataFrame(rows).to_csv(out, index=False)
    print(
        {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()},
        flush=True,
    )
