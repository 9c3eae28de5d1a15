"""The paper's counterfactual benchmark for a pair of models: baseline (BL) and CT.

:func:`sample_individuals` draws the individuals every model explains;
:func:`evaluate_counterfactuals` returns validity, cost, IP and IP* per energy
weight, bootstrap round and model (one batched search per model and weight),
a tidy DataFrame whose statistics live in ``_reductions``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from ..explain._keywords import check_keywords
from ..generators import ECCCoGenerator
from ..metrics import cost
from ._round_metrics import round_metrics, target_rows


def sample_individuals(predictions, classes, n: int, rng):
    """Draw individuals that every model predicts as their factual class.

    Per individual: a factual class uniform over the classes every model
    predicts for at least one common row, a target uniform over the other
    classes, then a random row (with replacement) every model predicts as the
    factual class. The same draws serve all models (our choice; the reference
    drew per model).

    Parameters
    ----------
    predictions : sequence of array-like of shape (n_rows,)
        Predicted labels of each model on the same rows.
    classes : array-like of shape (n_classes,)
        The models' classes.
    n : int
        Number of individuals.
    rng : numpy.random.Generator
        Source of every draw.

    Returns
    -------
    rows : ndarray of int, shape (n,)
    factual, target : ndarray of shape (n,)
        Class labels; ``target != factual``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> rows, factual, target = sample_individuals(
    ...     [np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])], [0, 1], 5, rng)
    >>> sorted(set(rows[factual == 1].tolist())), bool((factual != target).all())
    ([1], True)
    """
    classes = np.asarray(classes)
    first = np.asarray(predictions[0])
    agree = np.all([np.asarray(p) == first for p in predictions], axis=0)
    pools = [np.flatnonzero(agree & (first == c)) for c in classes]
    eligible = np.flatnonzero([len(pool) > 0 for pool in pools])
    if not len(eligible):
        raise ValueError("No row is predicted as the same class by every model.")
    factual = rng.choice(eligible, size=n)
    target = (factual + rng.integers(1, len(classes), size=n)) % len(classes)
    rows = np.empty(n, dtype=np.int64)
    for k in eligible:  # a loop over classes, never over individuals
        chosen = factual == k
        rows[chosen] = rng.choice(pools[k], size=int(chosen.sum()))
    return rows, classes[factual], classes[target]


def _rows(result, part: slice) -> SimpleNamespace:
    """The factuals, counterfactuals, validity and targets of ``result[part]``."""
    return SimpleNamespace(
        model_factuals=result.model_factuals[part],
        model_counterfactuals=result.model_counterfactuals[part],
        valid=result.valid[part],
        target=result.target[part],
    )


def _refined_and_not(model, X, options):
    """``model.explain(X, refine=True, **options)``, then with ``refine=False``.

    Both from one search: the search is deterministic, so the second is
    what a call of its own would return.
    """
    keywords = {**options, "refine": True}
    target = keywords.pop("target")
    keywords = check_keywords(type(model).explain, keywords)
    del keywords["sparsify"], keywords["n_per_factual"]
    explainer = model._explainer(model, X, keywords)
    return explainer._explain(X, target, False, 1, unrefined=True)


def evaluate_counterfactuals(
    models,
    X,
    y,
    *,
    decision_threshold=0.95,
    lambdas=(0.1, 0.5, 1.0, 5.0, 10.0),
    n_rounds=100,
    n_individuals=100,
    max_iter=50,
    step_size=0.1,
    length_scale=5.0,
    n_ip_samples=1000,
    n_mmd_samples=100,
    refined_cost=False,
    random_state=None,
) -> pd.DataFrame:
    """Validity, cost, IP and IP* per energy weight, bootstrap round and model.

    For each energy weight, ``n_rounds * n_individuals`` individuals are drawn
    by :func:`sample_individuals` (the same for every model) and each model
    explains all of them in one batched search: ECCCo with ``lambda_cost=0``,
    at most ``max_iter`` gradient steps of ``step_size``. Per round, over the
    valid counterfactuals only: cost (mean L1 to the factual), IP (mean L1 to
    ``n_ip_samples`` target-class rows of ``X`` drawn with replacement) and
    IP* (unbiased MMD to target-class rows, each side subsampled to at most
    ``n_mmd_samples``, clamped at 0), both per target weighted by counts;
    validity over all. The reference draws are shared by the models.

    With ``refined_cost=True`` each model explains the same individuals a
    second time with ``refine=True`` (the package's default explainer: the
    cheapest valid point it finds back toward the factual; the search itself
    is deterministic, so these refine the very counterfactuals above), and
    ``cost_refined`` is their mean L1 cost over the valid ones. It is the
    cost without the last fixed step's overshoot, which the paper's cost
    includes (``research/notes/protected_cost.md``); it is not in the paper.

    Parameters
    ----------
    models : dict of str -> CounterfactualTrainingClassifier
        Names (``"BL"``, ``"CT"``) to fitted classifiers with the same
        classes.
    X : ndarray of shape (n_samples, n_features)
        Test data, in the models' input space.
    y : ndarray of shape (n_samples,)
        Its labels.
    decision_threshold : float, default=0.95
        ``p(target)`` at which a search stops.
    lambdas : sequence of float, default=(0.1, 0.5, 1.0, 5.0, 10.0)
        ECCCo's energy weights.
    n_rounds : int, default=100
        Bootstrap rounds.
    n_individuals : int, default=100
        Individuals per round and energy weight.
    max_iter : int, default=50
        Search steps at most.
    step_size : float, default=0.1
        The search's fixed step.
    length_scale : float, default=5.0
        Of the MMD kernel.
    n_ip_samples, n_mmd_samples : int, default=1000, 100
        Subsample sizes of IP and IP*.
    refined_cost : bool, default=False
        Also measure ``cost_refined`` (above).
    random_state : int, Generator or None, default=None
        Seeds the individuals and the subsamples.

    Returns
    -------
    DataFrame
        One row per (lambda_energy, round, model): ``n``, ``n_valid``,
        ``validity``, ``cost``, ``IP``, ``IP*`` (nan without valid
        counterfactuals), and ``cost_refined`` on request.

    Examples
    --------
    >>> from sklearn_ct import CounterfactualTrainingClassifier
    >>> from sklearn_ct.reproduction import prepare_data
    >>> data = prepare_data("moons")
    >>> X, y = data.X_train[:300], data.y_train[:300]  # quick stand-ins
    >>> models = {name: CounterfactualTrainingClassifier(
    ...     objective=objective, max_epochs=5, random_state=0).fit(X, y)
    ...     for name, objective in [("BL", "vanilla"), ("CT", "full")]}
    >>> per_round = evaluate_counterfactuals(
    ...     models, data.X_test, data.y_test, lambdas=[0.5, 1.0], n_rounds=3,
    ...     n_individuals=10, random_state=0)
    >>> per_round.shape
    (12, 9)
    >>> per_round.columns.tolist()
    ['lambda_energy', 'round', 'model', 'n', 'n_valid', 'validity', 'cost', 'IP', 'IP*']
    >>> bool(per_round["validity"].between(0, 1).all())
    True
    """
    rng = np.random.default_rng(random_state)
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    references = target_rows(X, y)
    names = list(models)
    predictions = [models[name].predict(X) for name in names]
    n = n_rounds * n_individuals
    rows = []
    for lam in lambdas:
        index, _, target = sample_individuals(
            predictions, models[names[0]].classes_, n, rng
        )
        seeds = rng.integers(2**31 - 1, size=n_rounds)
        generator = ECCCoGenerator(lambda_cost=0.0, lambda_energy=float(lam))
        for name in names:
            options = dict(
                target=target,
                generator=generator,
                decision_threshold=decision_threshold,
                max_iter=max_iter,
                step_size=step_size,
                fallback=False,
                refine=False,
            )
            # all rounds in one batched search; the paper's search: gradient
            # steps only (no discrete fallback), no refinement
            if refined_cost:  # and the same points refined
                refined, result = _refined_and_not(models[name], X[index], options)
            else:
                result, refined = models[name].explain(X[index], **options), None
            for r in range(n_rounds):
                part = slice(r * n_individuals, (r + 1) * n_individuals)
                row = {
                    "lambda_energy": float(lam),
                    "round": r,
                    "model": name,
                    **round_metrics(
                        _rows(result, part),
                        references,
                        int(seeds[r]),
                        length_scale=length_scale,
                        n_ip_samples=n_ip_samples,
                        n_mmd_samples=n_mmd_samples,
                    ),
                }
                if refined is not None:
                    row["cost_refined"] = cost(_rows(refined, part))
                rows.append(row)
    return pd.DataFrame(rows)
