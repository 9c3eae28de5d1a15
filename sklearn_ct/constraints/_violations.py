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
