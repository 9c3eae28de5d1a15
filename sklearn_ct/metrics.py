"""Metrics of counterfactual explanations and of robustness, and their scorers.

Distances are measured in the model's input space (after any preprocessing);
by default only valid counterfactuals enter the averages (as in the paper's evaluation).
Metrics are pure functions; scorers are picklable callables
``scorer(estimator, X, y)`` where greater is better (distances negated), for
``GridSearchCV`` and ``cross_validate``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import torch

from .explainer import CounterfactualExplainer, CounterfactualResult
from .preprocessing import model_space
from .robustness import robust_accuracy, sensitivity

__all__ = [
    "cost",
    "cost_scorer",
    "diversity",
    "explanation_summary",
    "feature_diversity",
    "implausibility",
    "implausibility_by_target",
    "make_explainability_scorer",
    "manifold_distance",
    "manifold_scorer",
    "mmd",
    "mmd_scorer",
    "plausibility_scorer",
    "redundancy",
    "robust_accuracy",
    "sensitivity",
    "validity",
    "validity_scorer",
]

_CHUNK = 4096  # rows per block of a distance matrix
_NAN = float("nan")


def _rng(random_state) -> np.random.Generator:
    """A numpy Generator from an int, RandomState, Generator or None (no global RNG)."""
    if isinstance(random_state, np.random.RandomState):
        random_state = random_state.randint(2**31 - 1)
    return np.random.default_rng(random_state)


def _pairs(result, only_valid):
    x = np.asarray(result.model_factuals, dtype=float)
    x_cf = np.asarray(result.model_counterfactuals, dtype=float)
    keep = np.asarray(result.valid, dtype=bool) if only_valid else slice(None)
    return x[keep], x_cf[keep]


def validity(result: CounterfactualResult) -> float:
    """Share of counterfactuals for which the model predicts the target.

    Parameters
    ----------
    result : CounterfactualResult

    Returns
    -------
    float
        In [0, 1]; nan for an empty result.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> validity(SimpleNamespace(valid=np.array([True, False, True, True])))
    0.75
    """
    valid = np.asarray(result.valid, dtype=float)
    return float(valid.mean()) if valid.size else _NAN


def cost(result: CounterfactualResult, norm: int = 1, only_valid: bool = True) -> float:
    """Mean Lp distance between factuals and counterfactuals.

    Parameters
    ----------
    result : CounterfactualResult
    norm : {1, 2}, default=1
    only_valid : bool, default=True
        Average over valid counterfactuals only.

    Returns
    -------
    float
        nan when no counterfactual enters the average.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(model_factuals=np.zeros((2, 2)), valid=[True, True],
    ...                     model_counterfactuals=[[1.0, 1.0], [3.0, 0.0]])
    >>> cost(r), round(cost(r, norm=2), 4)
    (2.5, 2.2071)
    """
    if norm not in (1, 2):
        raise ValueError(f"norm must be 1 or 2; got {norm!r}.")
    x, x_cf = _pairs(result, only_valid)
    return float(np.linalg.norm(x_cf - x, ord=norm, axis=1).mean()) if len(x) else _NAN


def redundancy(
    result: CounterfactualResult, atol: float = 1e-5, only_valid: bool = True
) -> float:
    """Mean share of features left unchanged: ``|x'_d - x_d| < atol``.

    Parameters
    ----------
    result : CounterfactualResult
    atol : float, default=1e-5
    only_valid : bool, default=True
        Average over valid counterfactuals only.

    Returns
    -------
    float
        In [0, 1]; nan when no counterfactual enters the average.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(model_factuals=np.zeros((2, 2)), valid=[True, True],
    ...                     model_counterfactuals=[[1.0, 0.0], [0.0, 0.0]])
    >>> redundancy(r)
    0.75
    """
    x, x_cf = _pairs(result, only_valid)
    return float((np.abs(x_cf - x) < atol).mean()) if len(x) else _NAN


def _pairs_per_factual(result):
    """Positions (i, j), i < j, of valid counterfactuals of the same factual."""
    valid = np.flatnonzero(np.asarray(result.valid, dtype=bool))
    frame = pd.DataFrame(
        {"row": valid, "factual": np.asarray(result.factual_index)[valid]}
    )
    pairs = frame.merge(frame, on="factual")
    pairs = pairs[pairs["row_x"] < pairs["row_y"]]
    return pairs["row_x"].to_numpy(), pairs["row_y"].to_numpy(), pairs["factual"]


def diversity(result: CounterfactualResult) -> float:
    """Mean L1 distance between two valid counterfactuals of the same factual.

    The diversity of ``explain(..., n_per_factual=k)`` (DiCE's "diversity"),
    in the model's input space: per factual the mean over pairs, then the
    mean over factuals with at least two valid counterfactuals.

    Parameters
    ----------
    result : CounterfactualResult

    Returns
    -------
    float
        nan when no factual has two valid counterfactuals.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(model_counterfactuals=np.array([[0., 0], [1, 2], [5, 5]]),
    ...                     valid=[True, True, True], factual_index=[0, 0, 1])
    >>> diversity(r)
    3.0
    """
    i, j, factual = _pairs_per_factual(result)
    if not len(i):
        return _NAN
    cf = np.asarray(result.model_counterfactuals, dtype=float)
    distance = np.abs(cf[i] - cf[j]).sum(axis=1)
    return float(pd.Series(distance).groupby(factual.to_numpy()).mean().mean())


def feature_diversity(result: CounterfactualResult, atol: float = 1e-5) -> float:
    """Share of features changed by one of two counterfactuals of a factual, not both.

    DiCE's "count diversity", over valid counterfactuals of the same factual
    (model columns; ``atol`` decides what counts as a change).

    Parameters
    ----------
    result : CounterfactualResult
    atol : float, default=1e-5

    Returns
    -------
    float
        In [0, 1]; nan when no factual has two valid counterfactuals.
    """
    i, j, factual = _pairs_per_factual(result)
    if not len(i):
        return _NAN
    changed = (
        np.abs(
            np.asarray(result.model_counterfactuals, dtype=float)
            - np.asarray(result.model_factuals, dtype=float)
        )
        > atol
    )
    share = (changed[i] != changed[j]).mean(axis=1)
    return float(pd.Series(share).groupby(factual.to_numpy()).mean().mean())


def implausibility(
    counterfactuals, X_target, *, n_samples: int | None = 1000, random_state=None
) -> float:
    """IP: mean L1 distance from each counterfactual to target-class samples.

    Parameters
    ----------
    counterfactuals : array-like of shape (m, n_features)
    X_target : array-like of shape (n, n_features)
        Target-class samples, in the same (model input) space.
    n_samples : int or None, default=1000
        Rows of ``X_target`` drawn with replacement; ``None`` uses every row.
    random_state : int, RandomState instance or None, default=None

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
    X_target : array-like of shape (n, n_features)
    length_scale : float, default=5.0
        The reference code's default (its paper text says 0.5).
    n_samples : int or None, default=100
        Each set is subsampled without replacement to at most this many rows.
    n_permutations : int, default=0
        If positive, also return a permutation-test p-value.
    clamp : bool, default=True
        Clamp a negative estimate to 0.
    random_state : int, RandomState instance or None, default=None

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
    X : array-like of shape (n_samples, n_model_features)
        Reference data, already in the model's input space.
    y : array-like of shape (n_samples,)
    metric : {"implausibility", "mmd", "manifold"}, default="implausibility"
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
    X : array-like of shape (n_samples, n_model_features)
        Reference data in the model's input space (target-class rows serve
        IP and IP*); with ``estimator``, in the estimator's input space (a
        pipeline's raw columns, strings included).
    y : array-like of shape (n_samples,)
    length_scale : float, default=5.0
        Of the MMD kernel.
    n_ip_samples, n_mmd_samples : int or None, default=1000, 100
        Subsample sizes of :func:`implausibility` and :func:`mmd`.
    random_state : int, RandomState instance or None, default=None
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


_SCORER_METRICS = ("validity", "cost", "implausibility", "mmd", "manifold")


class _ExplainabilityScorer:
    """Picklable scorer built by :func:`make_explainability_scorer`."""

    def __init__(
        self,
        metric,
        n_factuals,
        random_state,
        explainer_params,
        target=None,
        factual_class=None,
    ):
        self.metric = metric
        self.n_factuals = n_factuals
        self.random_state = random_state
        self.explainer_params = explainer_params
        self.target = target
        self.factual_class = factual_class

    def __repr__(self) -> str:
        params = "".join(f", {k}={v!r}" for k, v in self.explainer_params.items())
        restricted = "".join(
            f", {k}={getattr(self, k)!r}"
            for k in ("target", "factual_class")
            if getattr(self, k) is not None
        )
        return (
            f"make_explainability_scorer({self.metric!r}{restricted}, "
            f"n_factuals={self.n_factuals}, random_state={self.random_state!r}"
            f"{params})"
        )

    def _factual_rows(self, estimator, X):
        """Positions of the factuals: a seeded subsample, restricted on request."""
        rng = _rng(self.random_state)
        if self.target is None and self.factual_class is None:
            return np.sort(rng.permutation(len(X))[: self.n_factuals])
        classes = getattr(estimator, "classes_", None)
        for name in ("target", "factual_class"):
            label = getattr(self, name)
            if (
                label is not None
                and classes is not None
                and not np.isin(label, np.asarray(classes))
            ):
                raise ValueError(
                    f"{name}={label!r} is not a class of the estimator;"
                    f" its classes are {list(classes)}."
                )
        predicted = np.asarray(estimator.predict(X))
        if self.factual_class is not None:
            eligible = np.flatnonzero(predicted == self.factual_class)
        else:  # rows already predicted as the target need no explanation
            eligible = np.flatnonzero(predicted != self.target)
        return np.sort(eligible[rng.permutation(len(eligible))[: self.n_factuals]])

    def __call__(self, estimator, X, y) -> float:
        rows = self._factual_rows(estimator, X)
        if not len(rows):
            which = (
                f"predicted as factual_class={self.factual_class!r}"
                if self.factual_class is not None
                else f"predicted other than target={self.target!r}"
            )
            warnings.warn(
                f"No row of X is {which}; the {self.metric} score is nan.",
                UserWarning,
                stacklevel=2,
            )
            return _NAN
        factuals = X.iloc[rows] if hasattr(X, "iloc") else np.asarray(X)[rows]
        params = {"random_state": self.random_state, **self.explainer_params}
        explainer = CounterfactualExplainer(estimator, **params).fit(X, y)
        result = explainer.explain(factuals, target=self.target)
        if self.metric == "validity":
            return validity(result)
        if not np.any(result.valid):
            warnings.warn(
                f"No valid counterfactual among {len(result)} factuals; "
                f"the {self.metric} score is nan.",
                UserWarning,
                stacklevel=2,
            )
            return _NAN
        if self.metric == "cost":
            return -cost(result)
        space = explainer.model_space_
        X_model = space.transform(space.check_input(X)[0])
        kwargs = (
            {} if self.metric == "manifold" else {"random_state": self.random_state}
        )
        return -implausibility_by_target(
            result, X_model, y, metric=self.metric, **kwargs
        )


def make_explainability_scorer(
    metric: str,
    *,
    target=None,
    factual_class=None,
    n_factuals: int = 100,
    random_state=0,
    **explainer_params,
):
    """A scorer ``scorer(estimator, X, y)`` of the estimator's counterfactuals.

    Each call explains a seeded subsample of at most ``n_factuals`` rows of
    ``X`` with a :class:`CounterfactualExplainer` fitted on ``(X, y)``; a
    :class:`CounterfactualTrainingClassifier` keeps its own constraints unless
    ``explainer_params`` set them. Distances are negated (greater is better).

    ``X`` is what the estimator takes: for a pipeline (such as a
    :class:`~sklearn_ct.pipeline.CounterfactualPipeline` with a
    ``ColumnTransformer``), its raw input columns, strings included. Costs and
    plausibility are measured in the model's input space (after the
    pipeline's preprocessing), where the search runs.

    Parameters
    ----------
    metric : {"validity", "cost", "implausibility", "mmd", "manifold"}
        ``"implausibility"`` (IP), ``"mmd"`` (IP*) and ``"manifold"``
        (:func:`manifold_distance`) compare with the rows of ``X`` whose true
        label is each counterfactual's target.
    target : label or None, default=None
        Explain towards this class only; the factuals are then drawn from
        the rows the estimator does not already predict as ``target``.
        ``None``: a random class other than the predicted one (the other
        class for binary tasks).
    factual_class : label or None, default=None
        Explain only rows the estimator predicts as this class (a bank
        scoring only "bad -> good" explanations: ``factual_class="bad",
        target="good"``). ``None``: any row.
    n_factuals : int, default=100
    random_state : int, RandomState instance or None, default=0
        Seeds the subsample, the targets and the metric's sampling.
    **explainer_params
        Parameters of :class:`CounterfactualExplainer`.

    Returns
    -------
    callable
        Picklable; nan (and a warning) for a distance without any valid
        counterfactual, or when no row of ``X`` is eligible as a factual.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = make_blobs(60, centers=2, random_state=0)
    >>> scorer = make_explainability_scorer("cost", n_factuals=10, max_iter=20)
    >>> scorer(LogisticRegression().fit(X, y), X, y) <= 0
    True

    Only explanations of rows predicted 0, towards 1:

    >>> to_one = make_explainability_scorer("manifold", factual_class=0, target=1,
    ...                                     n_factuals=10, max_iter=20)
    >>> to_one(LogisticRegression().fit(X, y), X, y) <= 0
    True
    """
    if metric not in _SCORER_METRICS:
        raise ValueError(
            f"metric must be one of {list(_SCORER_METRICS)}; got {metric!r}."
        )
    for name, label in (("target", target), ("factual_class", factual_class)):
        if label is not None and np.ndim(label) != 0:
            raise ValueError(
                f"{name} must be a single class label or None; got {label!r}."
            )
    if target is not None and factual_class is not None and target == factual_class:
        raise ValueError(
            f"target and factual_class are both {target!r}; a "
            "counterfactual must change the class."
        )
    return _ExplainabilityScorer(
        metric,
        n_factuals,
        random_state,
        dict(explainer_params),
        target=target,
        factual_class=factual_class,
    )


validity_scorer = make_explainability_scorer("validity")
cost_scorer = make_explainability_scorer("cost")
# The paper's evaluation generator: ECCCo, tau 0.95, T 50, no cost,
# no refinement toward the factual (it would trade plausibility for cost) and
# gradient steps only (no discrete fallback search).
plausibility_scorer = make_explainability_scorer(
    "implausibility",
    decision_threshold=0.95,
    max_iter=50,
    lambda_cost=0.0,
    lambda_energy=1.0,
    refine=False,
    fallback=False,
)
mmd_scorer = make_explainability_scorer(
    "mmd",
    decision_threshold=0.95,
    max_iter=50,
    lambda_cost=0.0,
    lambda_energy=1.0,
    refine=False,
    fallback=False,
)
# The explanations a user gets (the explainer's defaults), as the value
# benchmark measures them: minus the mean L1 distance to the 5 nearest
# target-class rows of X.
manifold_scorer = make_explainability_scorer("manifold")
