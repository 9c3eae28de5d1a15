"""Performance figures, measured side by side in one run (``sklearn-ct bench``).

Timings on shared machines are noisy: compare the ratios printed here, taken
in the same process a moment apart, rather than absolute seconds across runs.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from sklearn.datasets import make_moons
from sklearn.neural_network import MLPClassifier

from ._classifier import CounterfactualTrainingClassifier
from .constraints import make_constraints
from .datasets import load_dataset
from .explainer import CounterfactualExplainer
from .generators import ECCCoGenerator
from .modules import from_sklearn_mlp
from .search import counterfactual_search


def _seconds(fn, repeat=1):
    """Best wall time of ``repeat`` calls (the least disturbed one)."""
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bench_explain(n_factuals=1000, repeat=3):
    """Seconds to explain ``n_factuals`` moons factuals with a fitted sklearn MLP."""
    X, y = make_moons(2 * n_factuals, noise=0.1, random_state=0)
    model = MLPClassifier((32, 32), max_iter=500, random_state=0).fit(X[:n_factuals],
                                                                      y[:n_factuals])
    rows, factuals = [], X[n_factuals:]
    for generator in ("generic", "ecco", "revise"):
        explainer = CounterfactualExplainer(model, generator=generator,
                                            random_state=0).fit(X[:n_factuals])
        result = explainer.explain(factuals)
        seconds = _seconds(lambda e=explainer: e.explain(factuals), repeat)
        rows.append((f"explain {n_factuals} moons ({generator})", seconds,
                     f"validity {result.valid.mean():.3f}"))
    return rows


def bench_batched_vs_loop(n_factuals=200, max_iter=50):
    """The batched search against one search per sample (the reference's way)."""
    X, y = make_moons(2000, noise=0.1, random_state=0)
    model = MLPClassifier((32, 32), max_iter=500, random_state=0).fit(X, y)
    module = from_sklearn_mlp(model)
    x = torch.as_tensor(X[:n_factuals])
    target = 1 - module(x).argmax(1)
    constraints = make_constraints(["both", "both"], X.min(0), X.max(0),
                                   dtype=torch.float64)
    kwargs = {"decision_threshold": 0.95, "max_iter": max_iter}
    generator = ECCCoGenerator(lambda_cost=0.0, lambda_energy=1.0)

    def batched():
        counterfactual_search(module, x, target, generator, constraints, **kwargs)

    def loop():
        for i in range(n_factuals):
            counterfactual_search(module, x[i:i + 1], target[i:i + 1], generator,
                                  constraints, **kwargs)

    t_batched, t_loop = _seconds(batched, 3), _seconds(loop, 1)
    return [(f"search {n_factuals} factuals, batched", t_batched, ""),
            (f"search {n_factuals} factuals, one at a time", t_loop,
             f"batched is {t_loop / t_batched:.0f}x faster")]


def bench_training(max_epochs=20):
    """CT against vanilla fits on the paper's LS setting (3,000 samples, batch 30)."""
    data = load_dataset("linearly_separable")
    X, y = data.data[data.train_index], data.target[data.train_index]
    rows, seconds = [], {}
    for objective in ("vanilla", "full"):
        clf = CounterfactualTrainingClassifier(
            objective=objective, max_epochs=max_epochs, batch_size=30,
            n_counterfactuals=1000, decision_threshold=0.5, lambda_reg=0.01,
            random_state=0)
        seconds[objective] = _seconds(lambda c=clf: c.fit(X, y))
        per_epoch = clf.history_["cf_seconds"].mean()
        note = "" if objective == "vanilla" else (
            f"{seconds['full'] / seconds['vanilla']:.1f}x vanilla; search "
            f"{per_epoch * 1000:.0f} ms/epoch for 1000 counterfactuals")
        rows.append((f"fit LS, {max_epochs} epochs, {objective}", seconds[objective],
                     note))
    return rows


def run_benchmarks(quick=False) -> str:
    """Run every benchmark and return a plain-text report.

    Parameters
    ----------
    quick : bool, default=False
        Smaller sizes (seconds instead of a minute).

    Returns
    -------
    str
    """
    rows = (bench_explain(300 if quick else 1000, repeat=1 if quick else 3)
            + bench_batched_vs_loop(50 if quick else 200)
            + bench_training(3 if quick else 20))
    width = max(len(name) for name, _, _ in rows)
    lines = [f"sklearn-ct benchmarks (torch {torch.__version__}, "
             f"{torch.get_num_threads()} threads)", ""]
    lines += [f"{name:<{width}}  {sec:8.3f} s  {note}" for name, sec, note in rows]
    return "\n".join(lines)
