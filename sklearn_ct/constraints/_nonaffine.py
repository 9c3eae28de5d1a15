"""Columns through non-affine steps: the model values the user's data can reach.

A column through a scaler reaches every model value in its box, and an
integer one a grid of equally spaced values, which
:func:`~sklearn_ct.constraints.snap_integers` rounds to. Through a
``PowerTransformer``, a ``QuantileTransformer`` or an elementwise
``FunctionTransformer`` that is not so:

* an integer column reaches only unequally spaced values, and points
  between them are not merely fractional counts;
* a ``QuantileTransformer`` fitted on data with ties (counts, zeros, the
  means a ``SimpleImputer`` fills in) sends a whole range of model values
  back to the tied value, and that value forward to the middle of the
  range: no input reaches the rest of the range.

A search that stops at such a point returns a counterfactual that, brought
back to the user's columns and sent through the pipeline again, is another
point, with another prediction. :func:`value_grids` lists, per such column,
the model values its inputs reach (every integer in its domain, or a dense
set of values with every tie), found by sending them through the fitted
preprocessing; the search snaps to the nearest
(:func:`~sklearn_ct.constraints.snap_grids`). A continuous column whose
model values all come back (a ``PowerTransformer``'s) gets no grid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import _inverse

#: Most values listed for one column: every integer of a narrower range; a
#: wider one, or a continuous column, gets this many evenly spaced values
#: (rounded for integers) besides its observed ties.
MAX_GRID = 10_000

#: Model values, evenly spaced over the box, sent back and forth to find
#: whether a continuous column comes back where it went.
N_ROUND_TRIP = 1001

#: Where a box with an open side closes for a column through a non-affine
#: step: that many times the column's observed range beyond the data (a
#: search over the model values of far larger inputs, which such steps
#: stretch or squash, would be too coarse to find anything near the data).
SPAN = 1.0


def value_grids(space, X_input, X_model, columns, integer, low, high):
    """Per model column in ``columns`` that needs one: the values its inputs reach.

    Parameters
    ----------
    space : ModelSpace
        The fitted preprocessing (``space.head``) and its layout.
    X_input : DataFrame or ndarray
        Data in the user's columns (observed values, and a row to vary).
    X_model : ndarray of shape (n_samples, n_model_features)
        The same data in model space.
    columns : array-like of int
        Model columns, each the only one of a numeric input column, that
        reach the model through an elementwise, non-affine step.
    integer : ndarray of bool, shape (n_model_features,)
        Which of them hold integers.
    low, high : ndarray of shape (n_model_features,)
        The domain box in model units: the values kept lie inside.

    Returns
    -------
    list of (int, ndarray, bool)
        ``(model column, sorted model values, integer)``.
    """
    grids = []
    for k in columns:
        j = int(space.layout.source[k])
        observed = _column(X_input, j)
        observed = observed[np.isfinite(observed)]
        if not len(observed) or (
            not integer[k]
            and _comes_back(space, X_input, X_model, j, k, low[k], high[k])
        ):
            continue
        first, last = _range(space, X_model, j, k, low[k], high[k], observed)
        values = _candidates(observed, first, last, bool(integer[k]))
        z = _through(space, X_input, j, values)[:, k]
        tol = 1e-6 * np.maximum(1.0, np.abs(z))
        z = np.unique(z[np.isfinite(z) & (z >= low[k] - tol) & (z <= high[k] + tol)])
        if len(z):
            grids.append((int(k), z, bool(integer[k])))
    return grids


def _candidates(observed, first, last, integer):
    """Input values to list: every integer, or a dense spread and the ties."""
    if integer:
        first, last = int(np.floor(first)), int(np.ceil(last))
        if last - first + 1 <= MAX_GRID:
            return np.arange(first, last + 1, dtype=float)
    spread = np.linspace(first, last, MAX_GRID)
    values, counts = np.unique(observed, return_counts=True)
    ties = values[counts > 1]
    if len(ties) > MAX_GRID:  # the most frequent
        ties = values[np.argsort(counts)[-MAX_GRID:]]
    candidates = np.concatenate([np.round(spread) if integer else spread, ties])
    return np.unique(candidates)


def _back(space, X_model, j, k, z):
    """Input column ``j`` of model rows whose column ``k`` is ``z`` (NaN: none)."""
    Z = np.repeat(np.asarray(X_model[:1], dtype=float), len(z), axis=0)
    Z[:, k] = z
    back = _inverse.inverse(space.head, Z)
    if back is None:
        return np.full(len(z), np.nan)
    return pd.to_numeric(pd.Series(back[:, j]), errors="coerce").to_numpy(float)


def _comes_back(space, X_input, X_model, j, k, low, high):
    """Whether model values over the box come back where they went, round trip."""
    if not (np.isfinite(low) and np.isfinite(high)) or high <= low:
        return True  # nothing to list
    z = np.linspace(low, high, N_ROUND_TRIP)
    back = _back(space, X_model, j, k, z)
    if not np.all(np.isfinite(back)):
        return True  # (refused later, where the column is brought back)
    again = _through(space, X_input, j, back)[:, k]
    return bool(np.all(np.abs(again - z) <= 1e-6 * max(1.0, high - low)))


def _range(space, X_model, j, k, low, high, observed):
    """The input range to list: observed, widened to where the box's ends come back."""
    first, last = observed.min(), observed.max()
    if np.isfinite(low) and np.isfinite(high):
        back = _back(space, X_model, j, k, np.array([low, high], dtype=float))
        if np.all(np.isfinite(back)):
            first, last = min(first, back.min()), max(last, back.max())
    return first, last


def _column(X, j):
    """Input column ``j`` as floats (NaN where not a number)."""
    column = X.iloc[:, j] if isinstance(X, pd.DataFrame) else np.asarray(X)[:, j]
    return pd.to_numeric(pd.Series(column), errors="coerce").to_numpy(dtype=float)


def _through(space, X_input, j, values):
    """Model rows of the first row of ``X_input`` with column ``j`` set to each value."""
    if isinstance(X_input, pd.DataFrame):
        rows = X_input.iloc[np.zeros(len(values), dtype=int)].copy()
    else:
        rows = np.repeat(np.asarray(X_input)[:1], len(values), axis=0)
    return rows_through(space, rows, j, values)


def rows_through(space, rows, j, values):
    """Model rows of ``rows`` (changed in place) with column ``j`` set to ``values``.

    An integer column keeps its dtype where every value is whole, else it
    becomes float, so that no value is truncated on the way in.
    """
    if isinstance(rows, pd.DataFrame):
        column = rows.columns[j]
        if rows[column].dtype.kind in "iu" and np.all(values == np.round(values)):
            values = values.astype(rows[column].dtype)
        else:
            rows[column] = pd.to_numeric(rows[column], errors="coerce").astype(float)
        rows[column] = values
    else:
        rows = rows.astype(float) if rows.dtype.kind in "iu" else rows
        rows[:, j] = values
    return space.transform(rows)


def direction(space, X_input, k, low=-np.inf, high=np.inf):
    """+1 (or -1) where model column ``k`` rises (or falls) with its input column.

    Read off the data: the input column's observed range, widened to where
    the model box ``[low, high]`` comes back to, sent through the fitted
    preprocessing at ``N_ROUND_TRIP`` values and the observed ones (at most
    ``MAX_GRID``). 0 where the map neither rises nor falls throughout (or
    cannot be read), so that "increase" has no meaning in model units.

    Parameters
    ----------
    space : ModelSpace
        The fitted preprocessing and its layout.
    X_input : DataFrame or ndarray
        Data in the user's columns.
    k : int
        A model column that alone carries its input column.
    low, high : float, default=-inf, inf
        The model box of column ``k``, where known.

    Returns
    -------
    int
    """
    j = int(space.layout.source[k])
    observed = _column(X_input, j)
    observed = observed[np.isfinite(observed)]
    if not len(observed):
        return 0
    first, last = observed.min(), observed.max()
    if np.isfinite(low) and np.isfinite(high):
        Z = space.transform(
            X_input.iloc[:1] if hasattr(X_input, "iloc") else X_input[:1]
        )
        first, last = _range(space, Z, j, k, low, high, observed)
    observed = np.unique(observed)
    if len(observed) > MAX_GRID:  # (evenly spread quantiles of them)
        observed = np.quantile(observed, np.linspace(0, 1, MAX_GRID))
    values = np.unique(
        np.concatenate([np.linspace(first, last, N_ROUND_TRIP), observed])
    )
    z = through(space, X_input, j, k, values)
    if not np.all(np.isfinite(z)) or z[-1] == z[0]:
        return 0
    step = np.diff(z) * np.sign(z[-1] - z[0])  # round-off aside, never back
    return int(np.sign(z[-1] - z[0])) if np.all(step >= -1e-9 * np.ptp(z)) else 0


def through(space, X_input, j, k, values):
    """Model column ``k`` of the first row of ``X_input``, column ``j`` set to each value.

    Parameters
    ----------
    space : ModelSpace
        The fitted preprocessing.
    X_input : DataFrame or ndarray
        Data in the user's columns (its first row is varied).
    j, k : int
        An input column and a model column that carries it alone.
    values : array-like of float
        Values of column ``j``, in its units.

    Returns
    -------
    ndarray of shape (len(values),)
    """
    return _through(space, X_input, j, np.asarray(values, dtype=float))[:, k]


def elementwise_columns(lay):
    """Model columns that alone carry an input column through a non-affine step."""
    return np.flatnonzero((lay.kind == "value") & ~np.isfinite(lay.scale) & lay.alone)


def reachable_box(space, X_input, X_model, columns, low, high):
    """The box, shrunk on each column in ``columns`` to model values that come back.

    A ``PowerTransformer``'s map is bounded on one side for some
    ``lambdas_``, a ``QuantileTransformer``'s on both: a box in model units
    (mean +- 3 standard deviations, or none) can reach past the map's
    values, to model values no input is sent to (their inverse is NaN, or
    not the way back). An open side closes at the model value of an input
    beyond the data by ``SPAN`` times its range; then each side moves
    in to the last of ``N_ROUND_TRIP`` evenly spaced model values whose
    inverse is finite.

    Parameters
    ----------
    space : ModelSpace
        The fitted preprocessing and its layout.
    X_input : DataFrame or ndarray
        Data in the user's columns.
    X_model : ndarray of shape (n_samples, n_model_features)
        The same data in model space.
    columns : array-like of int
        Model columns, each alone carrying an input column through
        non-affine steps.
    low, high : ndarray of shape (n_model_features,)
        The box in model units.

    Returns
    -------
    low, high : ndarray of shape (n_model_features,)
    """
    low, high = low.copy(), high.copy()
    for k in columns:
        j = int(space.layout.source[k])
        if not (np.isfinite(low[k]) and np.isfinite(high[k])):
            observed = _column(X_input, j)
            observed = observed[np.isfinite(observed)]
            if not len(observed):
                continue
            reach = SPAN * max(np.ptp(observed), 1.0)
            far = through(
                space, X_input, j, k, [observed.min() - reach, observed.max() + reach]
            )
            far = far[np.isfinite(far)]
            if len(far):
                low[k] = max(low[k], far.min())
                high[k] = min(high[k], far.max())
        if not (np.isfinite(low[k]) and np.isfinite(high[k])) or high[k] <= low[k]:
            continue
        z = np.linspace(low[k], high[k], N_ROUND_TRIP)
        finite = np.isfinite(_back(space, X_model, j, k, z))
        if finite.any() and not finite.all():
            low[k], high[k] = z[finite].min(), z[finite].max()
    return low, high
