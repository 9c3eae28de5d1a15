"""Counting broken constraints per counterfactual, for tests and audits.

:meth:`~sklearn_ct.constraints.FeatureConstraints.violations` adds integer
grids and one-hot groups to what this counts: mutability and the box, where
keeping the factual's own value never counts.
"""

from __future__ import annotations

import numpy as np


def violations(
    X_cf, X_factual, mutability, low=None, high=None, atol: float = 1e-6
) -> np.ndarray:
    """Count constraint violations per counterfactual (for tests and audits).

    Parameters
    ----------
    X_cf, X_factual : array-like of shape (n, n_features)
        Counterfactuals and their factuals.
    mutability : array-like of str, shape (n_features,)
        Resolved mutability.
    low, high : array-like of shape (n_features,), default=None
        Domain bounds; ``None`` skips the domain check.
    atol : float, default=1e-6
        Tolerance for float round-off.

    Returns
    -------
    ndarray of int, shape (n,)
        Number of features per row that break a constraint. A feature that
        keeps the factual's own value never breaks the domain (a factual may
        lie outside the box, and immutable features must stay as they are).

    Examples
    --------
    >>> violations([[1.0, 5.0], [0.0, 3.0]], np.zeros((2, 2)), ["none", "both"],
    ...            high=[9, 4])  # row 0 changes an immutable feature, and 5 > 4
    array([2, 0])
    """
    X_cf = np.asarray(X_cf, dtype=float)
    delta = X_cf - np.asarray(X_factual, dtype=float)
    mutability = np.asarray(mutability, dtype=object)
    bad = (delta > atol) & ~np.isin(mutability, ("both", "increase"))
    bad |= (delta < -atol) & ~np.isin(mutability, ("both", "decrease"))
    moved = np.abs(delta) > atol  # keeping one's own value never breaks the box
    if low is not None:
        bad |= moved & (X_cf < np.asarray(low, dtype=float) - atol)
    if high is not None:
        bad |= moved & (X_cf > np.asarray(high, dtype=float) + atol)
    return bad.sum(axis=1)


def constraint_violations(constraints, X_cf, X_factual, atol: float = 1e-6):
    """:meth:`~sklearn_ct.constraints.FeatureConstraints.violations` (see there)."""
    flags = getattr(constraints, "flags", ())
    mutability, low, high = constraints.mutability, constraints.low, constraints.high
    if flags:  # checked below, against the feature each one flags
        index = [k for k, _, _ in flags]
        mutability, low, high = mutability.copy(), low.copy(), high.copy()
        mutability[index], low[index], high[index] = "both", -np.inf, np.inf
    bad = violations(X_cf, X_factual, mutability, low, high, atol)
    bad = bad + _flag_violations(
        np.asarray(X_cf, float), np.asarray(X_factual, float), flags, atol
    )
    units = constraints.units(X_cf)
    cols = np.flatnonzero(constraints.integer)
    bad = bad + (np.abs(units[:, cols] - np.round(units[:, cols])) > 1e-4).sum(1)
    bad = bad + _grid_violations(
        np.asarray(X_cf, float), np.asarray(X_factual, float), constraints, atol
    )
    factual_units = constraints.units(X_factual)
    for group, implicit in zip(
        constraints.groups, constraints.group_implicit, strict=True
    ):
        block = units[:, group]
        binary = (
            np.isclose(block, 0, atol=1e-4) | np.isclose(block, 1, atol=1e-4)
        ).all(axis=1)
        total = np.round(block.sum(axis=1), 4)
        own = np.isclose(block, factual_units[:, group], atol=1e-6).all(axis=1)
        ok = binary & ((total == 1) | ((total == 0) & (implicit | own)))
        bad = bad + ~ok
    return bad


def _flag_violations(X_cf, X_factual, flags, atol):
    """Per row, the missing-value indicators that do not follow their feature.

    Any change of the feature counts, however small: the preprocessing sees
    a value given where one was missing (as the search and ``restore`` do).
    """
    bad = np.zeros(len(X_cf), dtype=int)
    for k, cols, off in flags:
        changed = (X_cf[:, cols] != X_factual[:, cols]).any(axis=1)
        expected = np.where(changed, off, X_factual[:, k])
        bad += np.abs(X_cf[:, k] - expected) > atol
    return bad


def _grid_violations(X_cf, X_factual, constraints, atol):
    """Per row, the grid columns off their grid (and off the factual's value)."""
    bad = np.zeros(len(X_cf), dtype=int)
    for k, values, _ in getattr(constraints, "grids", ()):
        column = X_cf[:, k]
        at = np.clip(np.searchsorted(values, column), 1, max(len(values) - 1, 1))
        near = np.minimum(
            np.abs(column - values[at - 1]), np.abs(column - values[at % len(values)])
        )
        tol = atol * np.maximum(1.0, np.abs(column))
        bad += (near > tol) & (np.abs(column - X_factual[:, k]) > atol)
    return bad
