"""IP and IP* per training seed, at the protocol's step and finer ones.

    python research/diag/ip_steps.py OUT.csv NAME SEED [SEED ...]

For each of reproduce's seed indices: the data and the unconstrained (single)
BL/CT pair exactly as ``sklearn-ct reproduce --seeds K`` makes them (same data
seed, same fit seeds), then the paper's evaluation (ECCCo, tau 0.95, all five
energy weights) three times: at the protocol's fixed step (0.1, at most 50
steps), at 0.03 (at most 167) and at 0.01 (at most 500): the same path length.
If the seed-to-seed sign changes of IP on LS come from where one long step of a
steep model lands, the finer steps should remove them. 20 bootstrap rounds
instead of 100. Writes one row per (seed, step).
"""

import sys
import time

import pandas as pd
from common import load  # noqa: F401  (sets one torch thread)

from sklearn_ct.reproduction import (
    PAPER_SETTINGS,
    evaluate_counterfactuals,
    make_model,
    prepare_data,
    protocol,
    reduction_table,
)
from sklearn_ct.reproduction._protocol import _data_seed, _task_seed

# label -> the protocol at that step (max_iter keeps the path length)
STEPS = {
    "protocol": protocol(),
    "0.03": protocol(step_size=0.03),
    "0.01": protocol(step_size=0.01),
}
out, NAME, seeds = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3:]]
rows = []
for seed in seeds:
    data = prepare_data(NAME, random_state=_data_seed(0, seed, NAME))
    models = {
        m: make_model(
            data, "single", m, random_state=_task_seed(0, seed, NAME, "single", m)
        ).fit(data.X_train, data.y_train)
        for m in ("BL", "CT")
    }
    for label, settings in STEPS.items():
        tick = time.perf_counter()
        per_round = evaluate_counterfactuals(
            models,
            data.X_test,
            data.y_test,
            decision_threshold=settings["tau_single"],
            lambdas=settings["lambdas"],
            n_rounds=20,
            n_individuals=PAPER_SETTINGS[NAME]["n_individuals"],
            max_iter=settings["max_iter"],
            step_size=settings["step_size"],
            random_state=_task_seed(0, seed, NAME, "single", "evaluate"),
        )
        table = reduction_table(per_round, metrics=("IP", "IP*", "cost"))
        row = {
            "data": NAME,
            "seed": seed,
            "step": label,
            "step_size": settings["step_size"],
        }
        for metric in ("IP", "IP*", "cost"):
            row.update(
                {
                    f"{metric}_red": table.loc[metric, "percent"],
                    f"{metric}_sig": bool(table.loc[metric, "significant"]),
                    f"{metric}_CT": table.loc[metric, "ct_mean"],
                    f"{metric}_BL": table.loc[metric, "bl_mean"],
                }
            )
        for m in ("BL", "CT"):
            row[f"valid_{m}"] = per_round[per_round.model == m].validity.mean()
        row["seconds"] = time.perf_counter() - tick
        rows.append(row)
        pd.DataFrame(rows).to_csv(out, index=False)
        print(
            {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()},
            flush=True,
        )
