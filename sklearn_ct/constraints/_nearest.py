"""The value nearest the person's that the model sees as the counterfactual's.

A ``KBinsDiscretizer`` sends a whole bin of values to one model value, and a
``QuantileTransformer`` fitted on ties a range to one tie; their
``inverse_transform`` returns one value of it (a bin's centre). Any value
of that range is the same counterfactual to the model, and the person
should be told the one nearest their own: an income moved to the lower edge
of the next bin, not to its middle. :func:`nearest_same` finds it by
batched bisection between the person's value and the inverted one, sending
candidates through the fitted preprocessing, then writes it with as many
decimals as the people's own values have, where that is still the same
model value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._nonaffine import rows_through

#: Bisection steps at most (they stop at half a unit of the data's last
#: decimal, or one integer).
N_BISECT = 52
#: Most decimals of a returned value (as many as the people's values have).
MAX_DECIMALS = 6


def nearest_same(space, X, j, k, goal, back, integer):
    """Per row, the value of column ``j`` nearest the factual's that ``k`` sees as ``goal``.

    Parameters
    ----------
    space : ModelSpace
        The fitted preprocessing.
    X : DataFrame
        The factual rows, in the user's columns.
    j, k : int
        An input column and the model column that alone carries it through
        a monotone step.
    goal : ndarray of float, shape (n,)
        The counterfactuals' values of model column ``k``.
    back : ndarray of float, shape (n,)
        Their values of column ``j`` (inverted from model space, not
        rounded); rows where it or the person's value is not finite keep it.
    integer : bool
        Whether the column takes integers: then an integer is returned (the
        rounded ``back`` where no integer reaches ``goal``).

    Returns
    -------
    ndarray of float, shape (n,)
        ``back`` moved toward the person's value as far as model column
        ``k`` stays ``goal`` (to a tolerance of 1e-9 of its scale).
    """
    back = np.asarray(back, dtype=float).copy()
    factual = pd.to_numeric(X.iloc[:, j], errors="coerce").to_numpy(dtype=float)
    rows = np.flatnonzero(np.isfinite(factual) & np.isfinite(back) & (factual != back))
    hi = back[rows]
    if integer:
        back = np.round(back)
    if not len(rows):
        return back
    X, lo = X.iloc[rows], factual[rows]
    goal = np.asarray(goal, dtype=float)[rows]
    tol = 1e-9 * np.maximum(1.0, np.abs(goal))

    def same(values):
        return np.abs(_model(space, X, j, k, values) - goal) <= tol

    if integer:  # an integer of the range to start from: the nearer side first
        near = np.where(lo < hi, np.floor(hi), np.ceil(hi))
        far = np.where(lo < hi, np.ceil(hi), np.floor(hi))
        inside_near, inside_far = same(near), same(far)
        hi = np.where(inside_near, near, np.where(inside_far, far, np.round(hi)))
        keep = inside_near | inside_far  # else no integer reaches it: rounded
        keep &= same(hi + np.sign(lo - hi))  # else the range is one integer
        lo = np.where(keep, lo, hi)
    else:  # a point of a strictly monotone map is its own range: done
        lo = np.where(same(hi + 1e-6 * (lo - hi)), lo, hi)
    # To within the data's precision (half a unit of their last decimal);
    # hi reaches the goal throughout, lo does not.
    d = _decimals(factual)
    resolution = 1 if integer else 0.5 * 10.0**-d
    for _ in range(N_BISECT):
        mid = lo + np.trunc((hi - lo) / 2) if integer else (lo + hi) / 2
        open_ = (np.abs(hi - lo) > resolution) & (mid != lo) & (mid != hi)
        if not open_.any():
            break
        mid = np.where(open_, mid, hi)
        inside = same(mid)
        hi = np.where(open_ & inside, mid, hi)
        lo = np.where(open_ & ~inside, mid, lo)
    if not integer:  # as many decimals as the people's values have: within
        # half a unit of the edge, at most one such value lies nearer still
        tidy = _away(hi, lo, d)
        hi = np.where(same(tidy), tidy, hi)
        nearer = np.round(hi + np.sign(lo - hi) * 10.0**-d, d)
        hi = np.where(
            (np.abs(nearer - lo) < np.abs(hi - lo)) & same(nearer), nearer, hi
        )
    back[rows] = hi
    return back


def _decimals(values):
    """The fewest decimals (at most ``MAX_DECIMALS``) that write every finite value."""
    values = values[np.isfinite(values)]
    for d in range(MAX_DECIMALS):
        if np.all(np.round(values, d) == values):
            return d
    return MAX_DECIMALS


def _away(value, lo, d):
    """``value`` rounded to ``d`` decimals away from ``lo`` (into the range)."""
    scale = 10.0**d
    up = np.ceil(value * scale) / scale
    down = np.floor(value * scale) / scale
    return np.where(value >= lo, up, down)


def _model(space, X, j, k, values):
    """Model column ``k`` of the rows of ``X`` with column ``j`` set to ``values``."""
    return np.asarray(rows_through(space, X.copy(), j, values), dtype=float)[:, k]
