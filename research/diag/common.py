"""Shared helpers of the protected-cost diagnosis (not part of the package).

Run the scripts from the worktree root, e.g. ``python research/diag/ls_seeds.py``.
One torch thread, no parallel jobs.
"""

from __future__ import annotations

import time
from contextlib import contextmanager, nullcontext
from types import MappingProxyType

import numpy as np
import pandas as pd
import torch

from sklearn_ct.datasets import _synthetic
from sklearn_ct.explain import CounterfactualExplainer
from sklearn_ct.generators import ECCCoGenerator
from sklearn_ct.reproduction import (
    make_model,
    prepare_data,
    reduction,
    sample_individuals,
)
from sklearn_ct.reproduction._protocol import _task_seed

torch.set_num_threads(1)
LAMBDAS = (0.1, 0.5, 1.0, 5.0, 10.0)


def fit_pair(data, *, random_state=0, seed=0, bl=None, ct=None, **overrides):
    """Fit the protected BL and CT models with the protocol's seeds.

    ``seed`` is reproduce's seed index (0 keeps a one-seed run's fit seeds);
    ``overrides`` are set on both models (e.g. ``max_epochs``); ``bl`` and
    ``ct`` are dicts of parameters set on one model only.
    """
    models, seconds = {}, {}
    for name, extra in (("BL", bl), ("CT", ct)):
        clf = make_model(
            data,
            "protected",
            name,
            random_state=_task_seed(random_state, seed, data.name, "protected", name),
        )
        clf.set_params(**overrides, **(extra or {}))
        tick = time.perf_counter()
        models[name] = clf.fit(data.X_train, data.y_train)
        seconds[name] = time.perf_counter() - tick
    return models, seconds


def _module(clf):
    return clf.net_.module_.eval()


def _p_target(clf, X, target_index):
    with torch.no_grad():
        logits = _module(clf)(torch.as_tensor(X, dtype=torch.float32))
    return logits.softmax(1).gather(1, torch.as_tensor(target_index).view(-1, 1))[:, 0]


def minimal_cost(clf, x, x_cf, target_index, tau=0.5, continuous=None, n_steps=30):
    """Smallest L1 cost on the segment x -> x' that still reaches p(t) >= tau.

    Batched bisection on s in [0, 1] with the point ``x + s (x' - x)``;
    columns outside ``continuous`` (one-hot) keep the counterfactual's values.
    Assumes ``x'`` reaches tau (valid counterfactuals).
    """
    x = np.asarray(x, dtype=float)
    x_cf = np.asarray(x_cf, dtype=float)
    cont = np.ones(x.shape[1], bool) if continuous is None else continuous
    base = np.where(cont, x, x_cf)
    lo, hi = np.zeros(len(x)), np.ones(len(x))
    for _ in range(n_steps):
        mid = (lo + hi) / 2
        point = base + mid[:, None] * np.where(cont, x_cf - x, 0.0)
        ok = _p_target(clf, point, target_index).numpy() >= tau
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
    point = base + hi[:, None] * np.where(cont, x_cf - x, 0.0)
    return np.abs(point - x).sum(1)


def logit_gradient(clf, x, target_index, factual_index):
    """Gradient of ``M(x)[t] - M(x)[f]`` with respect to x, per row."""
    xt = torch.as_tensor(np.asarray(x), dtype=torch.float32).requires_grad_(True)
    logits = _module(clf)(xt)
    rows = torch.arange(len(xt))
    margin = (
        logits[rows, torch.as_tensor(target_index)]
        - logits[rows, torch.as_tensor(factual_index)]
    )
    (grad,) = torch.autograd.grad(margin.sum(), xt)
    return grad.numpy(), logits.detach().numpy()


def cost_benchmark(
    models,
    data,
    *,
    n_rounds=100,
    n_individuals=250,
    tau=0.5,
    lambdas=LAMBDAS,
    max_iter=50,
    step_size=0.1,
    random_state=None,
    overshoot=True,
):
    """The protocol's cost benchmark, keeping every counterfactual.

    Same draws as :func:`sklearn_ct.reproduction.evaluate_counterfactuals`
    (same rng use for the individuals). Returns a long DataFrame, one row
    per (lambda, model, individual): round, valid, cost, min_cost (bisection),
    grad_l1/grad_x* at the factual and the factual's target logit.
    """
    rng = np.random.default_rng(random_state)
    X = np.asarray(data.X_test, dtype=float)
    names = list(models)
    predictions = [models[k].predict(X) for k in names]
    classes = models[names[0]].classes_
    n = n_rounds * n_individuals
    cont = np.ones(X.shape[1], bool)
    for group in data.categorical_groups or []:
        cont[list(group)] = False
    frames = []
    for lam in lambdas:
        index, factual, target = sample_individuals(predictions, classes, n, rng)
        rng.integers(2**31 - 1, size=n_rounds)  # the protocol's per-round seeds
        generator = ECCCoGenerator(lambda_cost=0.0, lambda_energy=float(lam))
        t_idx = np.searchsorted(classes, target)
        f_idx = np.searchsorted(classes, factual)
        for name in names:
            clf = models[name]
            options = dict(
                generator=generator,
                decision_threshold=tau,
                max_iter=max_iter,
                lr=step_size,
                refine=False,
                fallback=False,
            )
            if data.categorical_groups and not clf.categorical_groups:
                # trained as the reference did (no one-hot groups in the
                # training search): the evaluation still declares them
                res = (
                    CounterfactualExplainer(
                        clf,
                        mutability=clf.mutability,
                        domain=clf.domain,
                        categorical_groups=data.categorical_groups,
                        integer_features=None,
                        **options,
                    )
                    .fit(data.X_train)
                    .explain(X[index], target=target)
                )
            else:
                res = clf.explain(X[index], target=target, **options)
            x, xc = res.model_factuals, res.model_counterfactuals
            cost = np.abs(xc - x).sum(1)
            frame = pd.DataFrame(
                {
                    "lambda_energy": lam,
                    "model": name,
                    "round": np.arange(n) // n_individuals,
                    "valid": res.valid,
                    "n_iter": res.n_iter,
                    "cost": cost,
                }
            )
            if overshoot:
                grad, logits = logit_gradient(clf, x, t_idx, f_idx)
                frame["grad_l1"] = np.abs(grad).sum(1)
                frame["sens_prot"] = np.abs(grad[:, data.protected]).sum(1) / np.abs(
                    grad
                ).sum(1)
                frame["margin0"] = (
                    logits[np.arange(n), f_idx] - logits[np.arange(n), t_idx]
                )
                for j in range(X.shape[1] if X.shape[1] <= 2 else 0):
                    frame[f"grad_x{j + 1}"] = grad[:, j]
                mc = np.full(n, np.nan)
                v = res.valid
                mc[v] = minimal_cost(clf, x[v], xc[v], t_idx[v], tau, cont)
                frame["min_cost"] = mc
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def reduce(cf, metric="cost"):
    """The paper's reduction of ``metric`` over valid counterfactuals.

    Returns (percent, plus_minus, significant, CT mean, BL mean).
    """
    valid = cf[cf["valid"]]
    means = (
        valid.groupby(["round", "lambda_energy", "model"])[metric]
        .mean()
        .groupby(["round", "model"])
        .mean()
        .unstack("model")
    )
    means = means.reindex(columns=["BL", "CT"])
    percent, pm, sig = reduction(means["CT"].to_numpy(), means["BL"].to_numpy())
    return percent, pm, sig, means["CT"].mean(), means["BL"].mean()


def summary(cf):
    """One row of figures for a benchmark frame."""
    out = {}
    p, _, s, ct, bl = reduce(cf, "cost")
    out.update(cost_red=p, cost_sig=s, cost_CT=ct, cost_BL=bl)
    if "min_cost" in cf:
        p, _, s, ct, bl = reduce(cf, "min_cost")
        out.update(min_red=p, min_sig=s, min_CT=ct, min_BL=bl)
        for m in ("BL", "CT"):
            v = cf[(cf.model == m) & cf.valid]
            out[f"overshoot_{m}"] = float((v.cost - v.min_cost).mean())
            out[f"iter_{m}"] = float(v.n_iter.mean())
            out[f"one_step_{m}"] = float((v.n_iter == 1).mean())
            out[f"grad_{m}"] = float(cf[cf.model == m].grad_l1.median())
            out[f"sens_prot_{m}"] = float(cf[cf.model == m].sens_prot.median())
    for m in ("BL", "CT"):
        rows = cf[cf.model == m]
        out[f"valid_{m}"] = float(rows.valid.mean())
        if "grad_x1" in rows:  # relative sensitivity to the protected x1
            g1, g2 = rows.grad_x1.abs(), rows.grad_x2.abs()
            out[f"sens_x1_{m}"] = float((g1 / (g1 + g2)).median())
    return out


@contextmanager
def drawn_centres():
    """LS and OL as the package generated them before it took the reference's
    centres: the two centres drawn uniformly in [-10, 10]^2 from the data seed
    (before the rows), so that each seed is another geometry. The CSV files of
    the LS geometry study (``ls_seeds*.csv``, ``ls_settings_default.csv``)
    were made this way."""
    original = _synthetic._SYNTHETIC_GENERATORS

    def blobs(std):
        def generate(n, rng):
            centres = rng.uniform(-10.0, 10.0, size=(2, 2))
            return _synthetic._blobs(n, rng, std, centres=centres)

        return generate, f"two Gaussian blobs at drawn centres, std {std}"

    _synthetic._SYNTHETIC_GENERATORS = MappingProxyType(
        {**original, "linearly_separable": blobs(0.5), "overlapping": blobs(2.0)}
    )
    try:
        yield
    finally:
        _synthetic._SYNTHETIC_GENERATORS = original


def load(name, random_state=None, drawn=False):
    """:func:`prepare_data`; ``drawn``: LS/OL with drawn centres (see above)."""
    with drawn_centres() if drawn else nullcontext():
        return prepare_data(name, random_state=random_state)
