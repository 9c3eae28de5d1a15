"""(a)-(c) on one data set: the protected pair at the paper's settings.

    python research/diag/pair.py NAME OUT.csv [VARIANT ...]

NAME may end in ``:drawn`` (``overlapping:drawn``): LS/OL at the centres drawn
from the data seed, as the package generated them before it took the
reference's (``common.drawn_centres``; ``pair_overlapping_drawn.csv``).
VARIANT as in ls_seeds.py (``ours`` by default). Prints the Cost reduction of
the protocol (fixed steps), the bisection minimal cost, overshoot, gradient
sizes, per energy weight, and the share of the class-mean difference (and of
the BL/CT logit gradient) on the protected feature.
"""

import sys
import time

import numpy as np
import pandas as pd
from common import cost_benchmark, fit_pair, load, summary

from sklearn_ct.reproduction import PAPER_SETTINGS
from sklearn_ct.reproduction._protocol import _seed

name, _, drawn = sys.argv[1].partition(":")
out, variants = sys.argv[2], sys.argv[3:] or ["ours"]
PARAMS = {
    "ours": {},
    "zero_ridge": {"lambda_reg": 0.0, "lambda_adv": 0.0},
    "zero_adv": {"lambda_adv": 0.0},
    "zero_reg": {"lambda_reg": 0.0},
    # the reference's training search: one-hot columns as continuous
    "train_no_groups": {"categorical_groups": None},
}
data = load(name, drawn=drawn == "drawn")
p = data.protected
d = data.X_train[data.y_train == 1].mean(0) - data.X_train[data.y_train == 0].mean(0)
print(
    "class-mean difference on protected",
    p,
    d[p].round(3),
    "share of L1",
    round(float(np.abs(d[p]).sum() / np.abs(d).sum()), 3),
    "rank",
    int((np.abs(d) > np.abs(d[p]).max()).sum()) + 1,
    "of",
    len(d),
)
rows = []
for v in variants:
    tick = time.perf_counter()
    models, secs = fit_pair(data, ct=PARAMS[v])
    n_individuals = PAPER_SETTINGS[data.name]["n_individuals"]
    cf = cost_benchmark(
        models,
        data,
        n_rounds=100,
        n_individuals=n_individuals,
        random_state=_seed(0, data.name, "protected", "evaluate"),
    )
    row = {
        "data": name,
        "variant": v,
        **summary(cf),
        "train_conv_CT": models["CT"].history_["cf_converged"].mean(),
        "acc_BL": models["BL"].score(data.X_test, data.y_test),
        "acc_CT": models["CT"].score(data.X_test, data.y_test),
        "fit_s_CT": secs["CT"],
        "seconds": time.perf_counter() - tick,
    }
    for lam, part in cf.groupby("lambda_energy"):
        row[f"red_lam{lam:g}"] = summary(part)["cost_red"]
        row[f"minred_lam{lam:g}"] = summary(part)["min_red"]
    rows.append(row)
    pd.DataFrame(rows).to_csv(out, index=False)
    print(
        {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()},
        flush=True,
    )
