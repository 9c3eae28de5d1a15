"""The first figures of ``sklearn-ct bench``: explain time on moons, the batched
search against one search per sample, and CT against vanilla fits on LS."""

from __future__ import annotations

import torch
from sklearn.datasets import make_moons
from sklearn.neural_network import MLPClassifier

from ..constraints import make_constraints
from ..datasets import load_dataset
from ..explain import CounterfactualExplainer, counterfactual_search
from ..explain._adapters import from_sklearn_mlp
from ..generators import ECCCoGenerator
from ..training import CounterfactualTrainingClassifier
from .timing import best_seconds


def bench_explain(n_factuals=1000, repeat=3):
    """Seconds to explain ``n_factuals`` moons factuals with a fitted sklearn MLP.

    Parameters
    ----------
    n_factuals : int, default=1000
        Moons factuals explained per timed call.
    repeat : int, default=3
        Timed calls per generator (the best is reported).

    Returns
    -------
    list of (name, seconds, note)
    """
    X, y = make_moons(2 * n_factuals, noise=0.1, random_state=0)
    model = MLPClassifier((32, 32), max_iter=500, random_state=0).fit(
        X[:n_factuals], y[:n_factuals]
    )
    rows, factuals = [], X[n_factuals:]
    for generator in ("generic", "ecco", "revise"):
        explainer = CounterfactualExplainer(
            model, generator=generator, random_state=0
        ).fit(X[:n_factuals])
        result = explainer.explain(factuals)
        seconds = best_seconds(lambda e=explainer: e.explain(factuals), repeat)
        rows.append(
            (
                f"explain {n_factuals} moons ({generator})",
                seconds,
                f"validity {result.valid.mean():.3f}",
            )
        )
    return rows


def bench_batched_vs_loop(n_factuals=200, max_iter=50):
    """The batched search against one search per sample (the reference's way).

    Parameters
    ----------
    n_factuals : int, default=200
        Factuals searched, at once and one at a time.
    max_iter : int, default=50
        Search steps per factual.

    Returns
    -------
    list of (name, seconds, note)
    """
    X, y = make_moons(2000, noise=0.1, random_state=0)
    model = MLPClassifier((32, 32), max_iter=500, random_state=0).fit(X, y)
    module = from_sklearn_mlp(model)
    x = torch.as_tensor(X[:n_factuals])
    target = 1 - module(x).argmax(1)
    constraints = make_constraints(
        ["both", "both"], X.min(0), X.max(0), dtype=torch.float64
    )
    kwargs = {"decision_threshold": 0.95, "max_iter": max_iter}
    generator = ECCCoGenerator(lambda_cost=0.0, lambda_energy=1.0)

    def batched():
        counterfactual_search(module, x, target, generator, constraints, **kwargs)

    def loop():
        for i in range(n_factuals):
            counterfactual_search(
                module,
                x[i : i + 1],
                target[i : i + 1],
                generator,
                constraints,
                **kwargs,
            )

    t_batched, t_loop = best_seconds(batched, 3), best_seconds(loop, 1)
    return [
        (f"search {n_factuals} factuals, batched", t_batched, ""),
        (
            f"search {n_factuals} factuals, one at a time",
            t_loop,
            f"batched is {t_loop / t_batched:.0f}x faster",
        ),
    ]


def bench_training(max_epochs=20):
    """CT against vanilla fits on the paper's LS setting (3,000 samples, batch 30).

    Parameters
    ----------
    max_epochs : int, default=20
        Epochs of each fit (CT and vanilla).

    Returns
    -------
    list of (name, seconds, note)
    """
    data = load_dataset("linearly_separable", random_state=42)
    X, y = data.data[data.train_index], data.target[data.train_index]
    rows, seconds = [], {}
    for objective in ("vanilla", "full"):
        clf = CounterfactualTrainingClassifier(
            objective=objective,
            max_epochs=max_epochs,
            batch_size=30,
            n_counterfactuals=1000,
            decision_threshold=0.5,
            lambda_reg=0.01,
            random_state=0,
        )
        seconds[objective] = best_seconds(lambda c=clf: c.fit(X, y))
        per_epoch = clf.history_["cf_seconds"].mean()
        note = (
            ""
            if objective == "vanilla"
            else (
                f"{seconds['full'] / seconds['vanilla']:.1f}x vanilla; search "
                f"{per_epoch * 1000:.0f} ms/epoch for 1000 counterfactuals"
            )
        )
        rows.append(
            (f"fit LS, {max_epochs} epochs, {objective}", seconds[objective], note)
        )
    return rows
