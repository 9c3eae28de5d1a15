"""Our explainer against DiCE's gradient method on one moons network.

Both explain exactly the same function: a
:class:`~sklearn_ct.CounterfactualTrainingClassifier` trained with
``objective="vanilla"``. DiCE's PyTorch backend searches in min-max
normalised space (``func="ohe-min-max"``) on a model that returns the
probability of class 1, so it gets :class:`MinMaxProbability`: the same
network behind the inverse of DiCE's normalisation. Its predictions are
checked against ours before anything is timed. Costs are L1 distances in the
data's own units, over the valid counterfactuals of each method.

The moons data are rounded to 3 decimals (for both methods). DiCE infers each
feature's precision from the data, and its default post-hoc sparsity step
walks a feature back towards the factual in steps of that precision, up to
10,000 steps of a DataFrame round trip each: on full-precision floats (steps
of 1e-16 that never arrive) that alone took about 35 s per counterfactual.

dice-ml is a benchmark-only extra (``pip install "sklearn-ct[bench]"``),
imported here lazily; without it the DiCE row says how to install it.
"""

from __future__ import annotations

import contextlib
import io
import time

import numpy as np
import pandas as pd
import torch
from sklearn.datasets import make_moons
from torch import nn

from ..explain import CounterfactualExplainer
from ..training import CounterfactualTrainingClassifier
from .timing import best_seconds

INSTALL = 'dice-ml is not installed: pip install "sklearn-ct[bench]"'
FEATURES = ("x1", "x2")
DECIMALS = 3


class MinMaxProbability(nn.Module):
    """``p(class 1)`` of a logit network, on inputs min-max scaled to [0, 1].

    Like a sigmoid head: shape (n, 1) for a batch, (1,) for a single row.

    Parameters
    ----------
    module : nn.Module
        Maps raw inputs (n, n_features) to two logits.
    low, high : array-like of shape (n_features,)
        The data's minimum and maximum (DiCE's normalisation).
    """

    def __init__(self, module, low, high):
        super().__init__()
        self.module = module
        self.register_buffer(
            "low", torch.as_tensor(np.asarray(low), dtype=torch.float32)
        )
        self.register_buffer(
            "scale",
            torch.as_tensor(np.asarray(high) - np.asarray(low), dtype=torch.float32),
        )

    def forward(self, z):
        """Probability of class 1 at ``low + z * (high - low)``."""
        return self.module(self.low + z * self.scale).softmax(dim=-1)[..., 1:]


def _moons(n_train, n_test, random_state):
    X, y = make_moons(n_train + n_test, noise=0.1, random_state=random_state)
    X = X.round(DECIMALS)
    return X[:n_train], y[:n_train], X[n_train:]


def _summary(valid, cost):
    """Validity over all factuals; mean L1 cost over the valid counterfactuals."""
    valid = np.asarray(valid, dtype=bool)
    mean_cost = float(np.mean(cost[valid])) if valid.any() else float("nan")
    return f"validity {valid.mean():.3f}, mean L1 cost {mean_cost:.3f}"


def dice_counterfactuals(clf, X_train, y_train, factuals):
    """DiCE gradient counterfactuals (one per factual) for ``clf``, timed.

    Default DiCE settings: ``total_CFs=1``, ``desired_class="opposite"``,
    default loss weights, its post-hoc sparsity step included.

    Parameters
    ----------
    clf : fitted CounterfactualTrainingClassifier
        Binary, on raw two-column data.
    X_train, y_train : ndarray
        DiCE's data (its normalisation and MADs come from it).
    factuals : ndarray of shape (n, n_features)
        The rows to explain, one DiCE call each.

    Returns
    -------
    counterfactuals : ndarray of shape (n, n_features)
        NaN rows where DiCE returned none.
    seconds : float
        Wall time of DiCE's whole call.
    max_gap : float
        Largest gap between DiCE's model output and ``clf.predict_proba`` on
        the factuals.
    """
    import dice_ml

    names = list(FEATURES)
    frame = pd.DataFrame(X_train, columns=names).assign(y=y_train)
    wrapped = MinMaxProbability(clf.net_.module_, X_train.min(0), X_train.max(0))
    data = dice_ml.Data(dataframe=frame, continuous_features=names, outcome_name="y")
    model = dice_ml.Model(model=wrapped.eval(), backend="PYT", func="ohe-min-max")
    dice = dice_ml.Dice(data, model, method="gradient")
    queries = pd.DataFrame(factuals, columns=names)
    with torch.no_grad():
        p_dice = model.get_output(queries).ravel()
    max_gap = float(np.abs(p_dice - clf.predict_proba(factuals)[:, 1]).max())
    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        start = time.perf_counter()
        found = dice.generate_counterfactuals(
            queries, total_CFs=1, desired_class="opposite"
        )
        seconds = time.perf_counter() - start
    counterfactuals = np.full(factuals.shape, np.nan)
    for i, example in enumerate(found.cf_examples_list):
        shown = example.final_cfs_df_sparse
        if shown is None:
            shown = example.final_cfs_df
        if shown is not None and len(shown):
            counterfactuals[i] = shown[names].to_numpy(dtype=float)[0]
    return counterfactuals, seconds, max_gap


def bench_dice(n_dice=30, n_ours=1000, n_train=1000, random_state=0):
    """Time per counterfactual, validity and cost: ours against DiCE's gradient method.

    Parameters
    ----------
    n_dice : int, default=30
        Factuals for DiCE (seconds each); ours explains the same ones too.
    n_ours : int, default=1000
        Factuals for our explainer's timing.
    n_train : int, default=1000
        Moons training samples (noise 0.1, rounded to 3 decimals).
    random_state : int, default=0
        Seeds the moons data and the fit.

    Returns
    -------
    list of (name, seconds per counterfactual, note)
    """
    X_train, y_train, X_test = _moons(n_train, max(n_ours, n_dice), random_state)
    clf = CounterfactualTrainingClassifier(objective="vanilla", random_state=0)
    clf.fit(X_train, y_train)
    explainer = CounterfactualExplainer(
        clf, generator="generic", decision_threshold=0.5
    ).fit(X_train)
    many, few = X_test[:n_ours], X_test[:n_dice]
    ours_many = explainer.explain(many)
    seconds = best_seconds(lambda: explainer.explain(many), 3)
    ours_few = explainer.explain(few)
    seconds_few = best_seconds(lambda: explainer.explain(few), 3)

    def cost(result):
        return np.abs(result.model_counterfactuals - result.model_factuals).sum(1)

    name = "explain moons, per counterfactual"
    rows = [
        (
            f"{name}: ours generic, {n_ours} factuals",
            seconds / n_ours,
            _summary(ours_many.valid, cost(ours_many)),
        ),
        (
            f"{name}: ours generic, DiCE's {n_dice}",
            seconds_few / n_dice,
            _summary(ours_few.valid, cost(ours_few)),
        ),
    ]
    try:
        import dice_ml  # noqa: F401
    except ImportError:
        return [*rows, (f"{name}: DiCE gradient", float("nan"), f"skipped: {INSTALL}")]
    found, dice_seconds, gap = dice_counterfactuals(clf, X_train, y_train, few)
    if gap > 1e-4:
        raise RuntimeError(f"DiCE's model disagrees with ours (max |dp| {gap:.2g}).")
    has_cf = ~np.isnan(found).any(axis=1)
    valid = np.zeros(n_dice, dtype=bool)
    valid[has_cf] = clf.predict(found[has_cf]) != ours_few.predicted[has_cf]
    dice_cost = np.abs(np.nan_to_num(found) - few).sum(1)
    per_cf = dice_seconds / n_dice
    rows.append(
        (
            f"{name}: DiCE gradient, {n_dice} factuals",
            per_cf,
            f"{_summary(valid, dice_cost)}; {per_cf / (seconds / n_ours):,.0f}x "
            f"ours per counterfactual; same model (max |dp| {gap:.1g})",
        )
    )
    return rows
