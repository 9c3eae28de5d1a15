"""Parsing the user's constraint specifications, one feature space at a time.

The ``resolve_*`` functions turn what a user writes (``None``, a string, a
list per feature, a dict by feature name or position) into one value per
feature: mutability (``"both"``, ``"increase"``, ``"decrease"``, ``"none"``),
domain bounds (``"infer"``, ``"observed"``, pairs with open sides) and one-hot
groups. ``_translation`` uses them to resolve constraints
written on a pipeline's input columns; :class:`~sklearn_ct.constraints.FeatureConstraints` holds
the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

MUTABILITY_VALUES = ("both", "increase", "decrease", "none")


# --------------------------------------------------------------------------
# Parsing the user's specification (numpy, done once in ``fit``)
# --------------------------------------------------------------------------
def _feature_position(key, feature_names, n_features, argname):
    """Position of a feature given by name or by integer index."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        if not -n_features <= key < n_features:
            raise ValueError(
                f"{argname} refers to feature index {key}, but X has "
                f"{n_features} features."
            )
        return int(key) % n_features
    if feature_names is None:
        raise ValueError(
            f"{argname} refers to feature {key!r} by name, but X has no feature "
            "names (pass a pandas DataFrame, or give the constraint per position)."
        )
    names = list(feature_names)
    if key not in names:
        raise ValueError(
            f"{argname} refers to unknown feature {key!r}; expected one of {names}."
        )
    return names.index(key)


def resolve_mutability(mutability, n_features, feature_names=None) -> np.ndarray:
    """Turn a mutability specification into one value per feature.

    Parameters
    ----------
    mutability : None, str, sequence of str or dict
        ``None`` makes every feature free (``"both"``); a single string applies
        to every feature; a sequence gives one value per feature; a dict maps
        feature names (or integer positions) to values, unnamed features being
        ``"both"``.
    n_features : int
        Number of features of the data.
    feature_names : sequence of str, default=None
        Feature names, needed when ``mutability`` refers to features by name.

    Returns
    -------
    ndarray of str, shape (n_features,)
        One of ``"both"``, ``"increase"``, ``"decrease"``, ``"none"`` per feature.

    Examples
    --------
    >>> resolve_mutability({"age": "none"}, 2, ["age", "debt"]).tolist()
    ['none', 'both']
    """
    if mutability is None:
        values = ["both"] * n_features
    elif isinstance(mutability, str):
        values = [mutability] * n_features
    elif isinstance(mutability, Mapping):
        values = ["both"] * n_features
        for key, value in mutability.items():
            values[_feature_position(key, feature_names, n_features, "mutability")] = (
                value
            )
    elif isinstance(mutability, (Sequence, np.ndarray)):
        values = list(mutability)
        if len(values) != n_features:
            raise ValueError(
                f"mutability has {len(values)} entries, but X has {n_features} "
                "features; give one value per feature or a dict by feature name."
            )
    else:
        raise ValueError(
            "mutability must be None, a string, a list with one value per feature "
            f"or a dict by feature name; got {type(mutability).__name__}."
        )
    for value in values:
        if value not in MUTABILITY_VALUES:
            raise ValueError(
                f"mutability value {value!r} is not understood; expected one of "
                f"{list(MUTABILITY_VALUES)}."
            )
    return np.asarray(values, dtype=object)


def infer_domain(X, n_std: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """Infer per-feature bounds from data: mean +- ``n_std`` std, widened to min/max.

    ``low = min(mean - n_std * std, min X)`` and ``high = max(mean + n_std * std,
    max X)`` with the sample standard deviation (the paper's inferred domain).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Training data.
    n_std : float, default=3.0
        Width of the box in standard deviations (the paper's text says 3, its
        code uses 2).

    Returns
    -------
    low, high : ndarray of shape (n_features,)

    Examples
    --------
    >>> low, high = infer_domain([[0.0], [1.0], [2.0]], n_std=2.0)
    >>> float(low[0]), float(high[0])
    (-1.0, 3.0)
    """
    X = _as_float(X)
    mean = X.mean(axis=0, dtype=np.float64)
    # One column at a time: a temporary the size of a column, not of the data.
    std = np.array(
        [
            X[:, j].std(ddof=1, dtype=np.float64) if X.shape[0] > 1 else 0.0
            for j in range(X.shape[1])
        ]
    )
    low = np.minimum(mean - n_std * std, X.min(axis=0))
    high = np.maximum(mean + n_std * std, X.max(axis=0))
    return low, high


def _as_float(X) -> np.ndarray:
    """``X`` as a float array, without a float64 copy of float32 data."""
    X = np.asarray(X)
    return X if X.dtype.kind == "f" else X.astype(np.float64)


def _as_bounds(pair, argname):
    """A (low, high) pair of floats; ``None`` leaves that side unbounded."""
    try:
        low, high = pair
        low = -np.inf if low is None else float(low)
        high = np.inf if high is None else float(high)
    except (TypeError, ValueError):
        raise ValueError(
            f"{argname} entries must be (low, high) pairs of numbers or None; "
            f"got {pair!r}."
        ) from None
    return low, high


def resolve_domain(
    domain, X, feature_names=None, n_std: float = 3.0
) -> tuple[np.ndarray, np.ndarray]:
    """Turn a domain specification into per-feature bounds.

    Parameters
    ----------
    domain : "infer", "observed", None, (low, high), sequence of pairs or dict
        ``"infer"`` uses :func:`infer_domain` on ``X`` (mean +- ``n_std`` std,
        widened to the data's min and max); ``"observed"`` is the data's min
        and max (no value beyond what was seen: no negative debt when none
        was observed); ``None`` leaves every feature unbounded; a single
        ``(low, high)`` pair applies to every feature (for example the pixel
        range of images); a sequence gives one pair per feature (``None``
        entries are unbounded); a dict maps feature names (or positions) to
        pairs and infers the bounds of the others. In a pair, ``None`` leaves
        that side open: ``(0, None)`` means non-negative.
    X : array-like of shape (n_samples, n_features)
        Training data (used by inference only).
    feature_names : sequence of str, default=None
        Feature names, needed when ``domain`` refers to features by name.
    n_std : float, default=3.0
        Width of the inferred box in standard deviations.

    Returns
    -------
    low, high : ndarray of shape (n_features,)

    Examples
    --------
    >>> X = np.array([[0.0, 10.0], [1.0, 20.0], [2.0, 30.0]])
    >>> resolve_domain("observed", X)
    (array([ 0., 10.]), array([ 2., 30.]))

    Debt is non-negative; age's bounds are inferred (mean +- 3 std):

    >>> low, high = resolve_domain({"debt": (0, None)}, X, ["age", "debt"])
    >>> low.tolist(), high.tolist()
    ([-2.0, 0.0], [4.0, inf])
    """
    X = _as_float(X)
    n_features = X.shape[1]
    if isinstance(domain, str):
        if domain not in ("infer", "observed"):
            raise ValueError(
                f"domain={domain!r} is not understood; expected 'infer', 'observed',"
                " None, a (low, high) pair, a list of pairs or a dict by feature name."
            )
        if domain == "observed":
            low, high = X.min(axis=0).astype(float), X.max(axis=0).astype(float)
        else:
            low, high = infer_domain(X, n_std)
    elif domain is None:
        low, high = np.full(n_features, -np.inf), np.full(n_features, np.inf)
    elif isinstance(domain, Mapping):
        low, high = infer_domain(X, n_std)
        for key, pair in domain.items():
            j = _feature_position(key, feature_names, n_features, "domain")
            low[j], high[j] = _as_bounds(pair, "domain")
    elif (
        isinstance(domain, (Sequence, np.ndarray))
        and len(domain) == 2
        and all(v is None or np.isscalar(v) for v in domain)
    ):
        low_value, high_value = _as_bounds(domain, "domain")
        low, high = np.full(n_features, low_value), np.full(n_features, high_value)
    elif isinstance(domain, (Sequence, np.ndarray)):
        if len(domain) != n_features:
            raise ValueError(
                f"domain has {len(domain)} entries, but X has {n_features} features;"
                " give one (low, high) pair per feature or a dict by feature name."
            )
        pairs = [
            (-np.inf, np.inf) if p is None else _as_bounds(p, "domain") for p in domain
        ]
        low, high = (np.array(v, dtype=float) for v in zip(*pairs, strict=True))
    else:
        raise ValueError(
            "domain must be 'infer', None, a (low, high) pair, a list of pairs or a "
            f"dict by feature name; got {type(domain).__name__}."
        )
    if np.isnan(low).any() or np.isnan(high).any():
        raise ValueError("domain bounds must not be NaN.")
    bad = np.flatnonzero(low > high)
    if bad.size:
        j = int(bad[0])
        name = feature_names[j] if feature_names is not None else j
        raise ValueError(
            f"domain for feature {name!r} has low={low[j]} > high={high[j]}; "
            "expected low <= high."
        )
    return low, high


def resolve_groups(groups, n_features, feature_names=None) -> list[np.ndarray]:
    """Validate one-hot groups: each a list of at least two feature positions or names.

    Parameters
    ----------
    groups : None or sequence of sequences
        Columns that one-hot encode the same categorical feature.
    n_features : int
        Number of features.
    feature_names : sequence of str, default=None
        Feature names for groups given by name.

    Returns
    -------
    list of ndarray of int

    Examples
    --------
    >>> resolve_groups([["red", "blue"]], 3, ["size", "red", "blue"])
    [array([1, 2])]
    """
    resolved, seen = [], set()
    for group in groups or ():
        idx = [
            _feature_position(k, feature_names, n_features, "categorical_groups")
            for k in group
        ]
        if len(idx) < 2:
            raise ValueError(
                f"categorical_groups entry {list(group)} has fewer than two columns;"
                " a one-hot group needs at least two."
            )
        if seen.intersection(idx):
            raise ValueError("categorical_groups must not share columns.")
        seen.update(idx)
        resolved.append(np.asarray(idx, dtype=np.int64))
    return resolved
