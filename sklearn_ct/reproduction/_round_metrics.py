"""The numbers of one bootstrap round of the counterfactual benchmark.

:func:`round_metrics` gives :func:`sklearn_ct.metrics.explanation_summary`'s
validity, cost, IP and IP* for the counterfactuals of one round, number for
number (a test compares them bit for bit), only faster: the target-class rows
are split off once per pair (:func:`target_rows`), and IP measures each
distinct reference row once. IP draws 1,000 target-class rows with
replacement, which for a small class (an MNIST digit has about 100 test
images) repeats every row about ten times; :func:`implausibility` measures
the distances to the distinct rows and repeats the columns of the distance
matrix in the draw's order before summing, so the sum is the one
:func:`sklearn_ct.metrics.implausibility` takes (each entry of an L1
distance matrix is computed on its own, whatever the other rows). With few
features, where copying columns costs about as much as measuring them, it
measures the drawn rows as the library does.
"""

from __future__ import annotations

import numpy as np
import torch

from ..metrics import cost, mmd, validity
from ..metrics._plausibility import _CHUNK, _NAN, _rng


def target_rows(X, y) -> dict:
    """The rows of ``X`` of each label of ``y``, as floats.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Reference data, in the models' input space.
    y : array-like of shape (n_samples,)
        Its labels.

    Returns
    -------
    dict
        ``{label: ndarray of shape (n_label, n_features)}``.
    """
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    return {label: X[y == label] for label in np.unique(y)}


def implausibility(counterfactuals, X_target, *, n_samples=1000, random_state=None):
    """:func:`sklearn_ct.metrics.implausibility`, each distinct drawn row measured once.

    Parameters
    ----------
    counterfactuals : ndarray of shape (m, n_features)
        Counterfactuals, in the model's input space.
    X_target : ndarray of shape (n, n_features)
        Target-class rows, in the same space.
    n_samples : int or None, default=1000
        Rows of ``X_target`` drawn with replacement; ``None`` uses every row.
    random_state : int or None, default=None
        Seeds the draw.

    Returns
    -------
    float
        The mean L1 distance; nan when either set is empty.
    """
    a = np.atleast_2d(np.asarray(counterfactuals, dtype=float))
    b = np.atleast_2d(np.asarray(X_target, dtype=float))
    if not a.size or not b.size:
        return _NAN
    repeat = None
    if n_samples is not None:
        draw = _rng(random_state).integers(len(b), size=n_samples)
        distinct, inverse = np.unique(draw, return_inverse=True)
        # Measure the distinct rows and copy columns where that is cheaper.
        if len(distinct) * b.shape[1] + 2 * n_samples < n_samples * b.shape[1]:
            b, repeat = b[distinct], torch.as_tensor(inverse.ravel())
        else:
            b = b[draw]
    columns = torch.as_tensor(b)
    total = 0
    for i in range(0, len(a), _CHUNK):
        distances = torch.cdist(torch.as_tensor(a[i : i + _CHUNK]), columns, p=1)
        if repeat is not None:
            distances = distances.index_select(1, repeat)
        total += distances.sum().item()
    return total / (len(a) * (len(b) if repeat is None else len(repeat)))


def _by_target(values) -> float:
    """Average of per-target values weighted by counts; nan ones left out."""
    kept = [(v, w) for v, w in values if np.isfinite(v)]
    if not kept:
        return _NAN
    return float(np.average([v for v, _ in kept], weights=[w for _, w in kept]))


def round_metrics(
    part, references, seed, *, length_scale=5.0, n_ip_samples=1000, n_mmd_samples=100
) -> dict:
    """Counts, validity, cost, IP and IP* of one round's counterfactuals.

    Parameters
    ----------
    part : object
        ``model_factuals``, ``model_counterfactuals``, ``valid`` and
        ``target`` of the round's counterfactuals (model space).
    references : dict
        :func:`target_rows` of the reference data.
    seed : int
        Seeds the reference draws of IP and IP* (the same for every model).
    length_scale : float, default=5.0
        Of the MMD kernel.
    n_ip_samples, n_mmd_samples : int or None, default=1000, 100
        Subsample sizes of IP and IP*.

    Returns
    -------
    dict
        ``n``, ``n_valid``, then :func:`sklearn_ct.metrics.explanation_summary`'s
        ``validity``, ``cost``, ``IP`` and ``IP*``.
    """
    valid = np.asarray(part.valid, dtype=bool)
    counterfactuals = np.asarray(part.model_counterfactuals, dtype=float)[valid]
    target = np.asarray(part.target)[valid]
    width = counterfactuals.shape[1]
    ip, ip_star = [], []
    for label in np.unique(target):
        a = counterfactuals[target == label]
        b = references.get(label, np.empty((0, width)))
        weight = np.sum(target == label)
        ip.append(
            (implausibility(a, b, n_samples=n_ip_samples, random_state=seed), weight)
        )
        value = mmd(
            a, b, length_scale=length_scale, n_samples=n_mmd_samples, random_state=seed
        )
        ip_star.append((value, weight))
    return {
        "n": len(valid),
        "n_valid": int(np.sum(valid)),
        "validity": validity(part),
        "cost": cost(part),
        "IP": _by_target(ip),
        "IP*": _by_target(ip_star),
    }
