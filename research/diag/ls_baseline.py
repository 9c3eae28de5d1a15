"""Reproduce the LS protected Cost cell with the protocol's seeds, plus overshoot."""

import sys
import time

from common import cost_benchmark, fit_pair, load, summary

from sklearn_ct.reproduction._protocol import _seed

name = sys.argv[1] if len(sys.argv) > 1 else "linearly_separable"
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 100
data = load(name)
tick = time.perf_counter()
models, secs = fit_pair(data)
print("fit seconds", secs)
cf = cost_benchmark(
    models,
    data,
    n_rounds=rounds,
    n_individuals=250 if data.X_train.shape[1] == 2 else 100,
    random_state=_seed(0, data.name, "protected", "evaluate"),
)
print({k: round(v, 3) if isinstance(v, float) else v for k, v in summary(cf).items()})
print("total seconds", round(time.perf_counter() - tick, 1))
