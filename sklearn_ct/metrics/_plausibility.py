"""Plausibility: how far counterfactuals lie from real samples of their target.

Implausibility (IP, mean L1 distance to target-class samples), the unbiased
squared MMD (IP*) and the distance to the nearest target-class neighbours,
per target class (:func:`implausibility_by_target`), and the paper's four
numbers at once (:func:`explanation_summary`).
"""

from __future__ import annotations

import numpy as np
import torch

from ..constraints._model_space import model_space
from ..explain._result import CounterfactualResult
from ._explanations import _NAN, cost, validity

_CHUNK = 4096  # rows per block of a distance matrix


def _rng(random_state) -> np.random.Generator:
    """A numpy Generator from an int, RandomState, Generator or None (no global RNG)."""
    if isinstance(random_state, np.random.RandomState):
        random_state = random_state.randint(2**31 - 1)
    return np.random.default_rng(random_state)


def implausibility(
    counterfactuals, X_target, *, n_samples: int | None = 1000, random_state=None
) -> float:
    """IP: mean L1 distance from each counterfactual to target-class samples.

    Parameters
    ----------
    counterfactuals : array-like of shape (m, n_features)
        Counterfactuals, in the model's input space.
    X_target : array-like of shape (n, n_features)
        Target-class samples, in the same (model input) space.
    n_samples : int or None, default=1000
        Rows of ``X_target`` drawn with replacement; ``None`` uses every row.
    random_state : int, RandomState instance or None, default=None
        Seeds the draw of the rows of ``X_target``.

    Returns
    -------
    float
        nan when either set is empty.

    Examples
    --------
    >>> implausibility([[0.0, 0.0]], [[1.0, 1.0], [3.0, 0.0]], n_samples=None)
    2.5
    """
    a = np.atleast_2d(np.asarray(counterfactuals, dtype=float))
    b = np.atleast_2d(np.asarray(X_target, dtype=float))
    if not a.size or not b.size:
        return _NAN
    if n_samples is not None:
        b = b[_rng(random_state).integers(len(b), size=n_samples)]
    b = torch.as_tensor(b)
    total = sum(
        torch.cdist(torch.as_tensor(a[i : i + _CHUNK]), b, p=1).sum().item()
        for i in range(0, len(a), _CHUNK)
    )
    return total / (len(a) * len(b))


def _subsample(X, n, rng):
    X = np.atleast_2d(np.asarray(X, dtype=float))
    return X if n is None or len(X) <= n else X[rng.choice(len(X), n, replace=False)]


def _mmd_stats(K: np.ndarray, S: np.ndarray) -> np.ndarray:
    """Unbiased squared MMD per row of the boolean assignment matrix ``S``."""
    m = S.sum(axis=1)
    n = S.shape[1] - m
    K0 = K - np.diag(np.diag(K))
    Sx, Sy = S.astype(float), (~S).astype(float)
    xx = np.einsum("pi,pi->p", Sx @ K0, Sx)
    yy = np.einsum("pi,pi->p", Sy @ K0, Sy)
    xy = np.einsum("pi,pi->p", Sx @ K, Sy)
    return xx / (m * (m - 1)) + yy / (n * (n - 1)) - 2 * xy / (m * n)


def mmd(
    counterfactuals,
    X_target,
    *,
    length_scale: float = 5.0,
    n_samples: int | None = 100,
    n_permutations: int = 0,
    clamp: bool = True,
    random_state=None,
) -> float | tuple[float, float]:
    """IP*: unbiased squared MMD between counterfactuals and target samples.

    Gaussian kernel ``exp(-||a - b||^2 / (2 length_scale^2))``.

    Parameters
    ----------
    counterfactuals : array-like of shape (m, n_features)
        Counterfactuals, in the model's input space.
    X_target : array-like of shape (n, n_features)
        Target-class samples, in the same (model input) space.
    length_scale : float, default=5.0
        The reference code's default (its paper text says 0.5).
    n_samples : int or None, default=100
        Each set is subsampled without replacement to at most this many rows.
    n_permutations : int, default=0
        If positive, also return a permutation-test p-value.
    clamp : bool, default=True
        Clamp a negative estimate to 0.
    random_state : int, RandomState instance or None, default=None
        Seeds the subsamples and the permutations.

    Returns
    -------
    mmd : float
        nan unless both sets have at least 2 rows.
    p_value : float
        Only if ``n_permutations > 0``: share of permuted statistics >= the
        observed (unclamped) one.

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(50, 2))
    >>> mmd(X[:25], X[25:]) < 0.05 < mmd(X[:25], X[25:] + 5)
    True
    """
    rng = _rng(random_state)
    a, b = (
        _subsample(counterfactuals, n_samples, rng),
        _subsample(X_target, n_samples, rng),
    )
    if len(a) < 2 or len(b) < 2 or not a.size:
        return (_NAN, _NAN) if n_permutations > 0 else _NAN
    Z = np.vstack([a, b])
    sq = np.sum(Z**2, axis=1)
    K = np.exp(
        -np.maximum(sq[:, None] + sq[None, :] - 2 * Z @ Z.T, 0.0)
        / (2 * length_scale**2)
    )
    observed = _mmd_stats(K, (np.arange(len(Z)) < len(a))[None, :])[0]
    value = float(max(observed, 0.0) if clamp else observed)
    if n_permutations <= 0:
        return value
    # A permutation only relabels rows: reuse K with random assignments.
    ranks = np.argsort(rng.random((n_permutations, len(Z))), axis=1)
    return value, float(np.mean(_mmd_stats(K, ranks < len(a)) >= observed))


def manifold_distance(counterfactuals, X_target, *, n_neighbors: int = 5) -> float:
    """Manifold distance: mean L1 distance to the k nearest target-class points.

    For each counterfactual, the mean L1 distance to its ``n_neighbors``
    nearest rows of ``X_target`` (nearest in L1), averaged over the
    counterfactuals: the plausibility measure of CARLA's yNN and of ReLax.
    Unlike :func:`implausibility`, which averages over the whole target class,
    it asks whether a counterfactual lies *among* real target-class points,
    wherever on the class's manifold that is.

    Units are those of the model's input space (after any preprocessing; in
    standardised units for a pipeline with a scaler), so values compare
    between models that share a preprocessing, not between data sets. Lower is
    more plausible; a good value is close to the same quantity for real
    target-class points, ``manifold_distance(X_target_held_out, X_target)``
    with held-out rows (rows of ``X_target`` itself would find themselves at
    distance 0).

    Parameters
    ----------
    counterfactuals : array-like of shape (m, n_features)
        Counterfactuals, in the model's input space.
    X_target : array-like of shape (n, n_features)
        Target-class reference points, in the same (model input) space.
    n_neighbors : int, default=5
        Neighbours per counterfactual (all of ``X_target`` if it has fewer).

    Returns
    -------
    float
        nan when either set is empty.

    Examples
    --------
    >>> manifold_distance([[0.0, 0.0]], [[1.0, 0.0], [0.0, 2.0], [9.0, 9.0]],
    ...                   n_neighbors=2)
    1.5
    """
    if not (isinstance(n_neighbors, (int, np.integer)) and n_neighbors >= 1):
        raise ValueError(f"n_neighbors must be an integer >= 1; got {n_neighbors!r}.")
    a = np.atleast_2d(np.asarray(counterfactuals, dtype=float))
    b = np.atleast_2d(np.asarray(X_target, dtype=float))
    if not a.size or not b.size:
        return _NAN
    k = min(int(n_neighbors), len(b))
    b = torch.as_tensor(b)
    total = sum(
        torch.cdist(torch.as_tensor(a[i : i + _CHUNK]), b, p=1)
        .topk(k, dim=1, largest=False)
        .values.mean(dim=1)
        .sum()
        .item()
        for i in range(0, len(a), _CHUNK)
    )
    return total / len(a)


_TARGET_METRICS = {
    "implausibility": implausibility,
    "mmd": mmd,
    "manifold": manifold_distance,
}


def implausibility_by_target(
    result: CounterfactualResult, X, y, *, metric: str = "implausibility", **kwargs
) -> float:
    """IP, IP* or manifold distance of the valid counterfactuals per target, averaged.

    Each group of valid counterfactuals with one target is compared with the
    rows of ``X`` labelled with that target; the group values are averaged,
    weighted by group size (groups with a nan value are left out).

    Parameters
    ----------
    result : CounterfactualResult
        The explanations to score.
    X : array-like of shape (n_samples, n_model_features)
        Reference data, already in the model's input space.
    y : array-like of shape (n_samples,)
        Labels of the rows of ``X``.
    metric : {"implausibility", "mmd", "manifold"}, default="implausibility"
        The distance to the target class's rows.
    **kwargs
        Passed to :func:`implausibility`, :func:`mmd` or
        :func:`manifold_distance`.

    Returns
    -------
    float
        nan if no group has a finite value.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(model_counterfactuals=[[0.0], [4.0], [9.0]],
    ...                     target=[0, 1, 1], valid=[True, True, False])
    >>> implausibility_by_target(r, [[1.0], [5.0], [7.0]], [0, 1, 1], n_samples=None)
    1.5
    """
    if metric not in _TARGET_METRICS:
        raise ValueError(
            f"metric must be one of {sorted(_TARGET_METRICS)}; got {metric!r}."
        )
    X, y = _model_rows(X, result), np.asarray(y)
    valid = np.asarray(result.valid, dtype=bool)
    cf = np.asarray(result.model_counterfactuals, dtype=float)[valid]
    target = np.asarray(result.target)[valid]
    values, weights = [], []
    for t in np.unique(target):
        value = _TARGET_METRICS[metric](cf[target == t], X[y == t], **kwargs)
        if np.isfinite(value):
            values.append(value)
            weights.append(np.sum(target == t))
    return float(np.average(values, weights=weights)) if values else _NAN


def _model_rows(X, result) -> np.ndarray:
    """Reference rows as floats in the model's input space, or a clear error."""
    width = (
        np.shape(result.model_counterfactuals)[1]
        if np.ndim(result.model_counterfactuals) == 2
        else None
    )
    try:
        rows = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        rows = None
    if rows is None or (
        width is not None and np.ndim(rows) == 2 and rows.shape[1] != width
    ):
        what = (
            "holds values that are not numbers"
            if rows is None
            else f"has {rows.shape[1]} columns"
        )
        raise ValueError(
            f"X {what}, but distances are measured in the model's input space "
            f"({width} columns, as result.model_counterfactuals). Pass the "
            "data as the model sees it (pipeline[:-1].transform(X)), or give "
            "explanation_summary(result, X, y, estimator=pipeline) to have it "
            "transformed."
        )
    return rows


def explanation_summary(
    result: CounterfactualResult,
    X,
    y,
    *,
    length_scale: float = 5.0,
    n_ip_samples: int | None = 1000,
    n_mmd_samples: int | None = 100,
    random_state=None,
    estimator=None,
) -> dict:
    """The paper's four numbers for a set of counterfactuals.

    Parameters
    ----------
    result : CounterfactualResult
        The explanations to score.
    X : array-like of shape (n_samples, n_model_features)
        Reference data in the model's input space (target-class rows serve
        IP and IP*); with ``estimator``, in the estimator's input space (a
        pipeline's raw columns, strings included).
    y : array-like of shape (n_samples,)
        Labels of the rows of ``X``.
    length_scale : float, default=5.0
        Of the MMD kernel.
    n_ip_samples, n_mmd_samples : int or None, default=1000, 100
        Subsample sizes of :func:`implausibility` and :func:`mmd`.
    random_state : int, RandomState instance or None, default=None
        Seeds the subsamples of IP and IP*.
    estimator : fitted estimator or Pipeline, default=None
        The model that was explained; when given, ``X`` is brought into the
        model's input space through its preprocessing first.

    Returns
    -------
    dict
        ``validity`` (all counterfactuals); ``cost``, ``IP`` and ``IP*`` over
        the valid ones (nan without any).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(model_factuals=np.zeros((2, 1)),
    ...                     model_counterfactuals=[[1.0], [3.0]], target=[1, 1],
    ...                     valid=np.array([True, True]))
    >>> summary = explanation_summary(r, [[1.0], [3.0], [0.0]], [1, 1, 0],
    ...                               n_ip_samples=None)
    >>> summary["validity"], summary["cost"], summary["IP"]
    (1.0, 2.0, 1.0)
    """
    if estimator is not None:
        X = model_space(estimator, X).transform(X)
    return {
        "validity": validity(result),
        "cost": cost(result),
        "IP": implausibility_by_target(
            result, X, y, n_samples=n_ip_samples, random_state=random_state
        ),
        "IP*": implausibility_by_target(
            result,
            X,
            y,
            metric="mmd",
            length_scale=length_scale,
            n_samples=n_mmd_samples,
            random_state=random_state,
        ),
    }
