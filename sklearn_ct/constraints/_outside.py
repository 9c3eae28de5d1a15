"""Data outside the domain box, and explanations beyond the data.

* :func:`warn_outside`: data given to ``fit`` or to ``explain`` that lies
  outside a box the user gave (a counterfactual keeps such a value or moves
  it into the box, and that move is a change).
* :func:`beyond_observed` and :func:`warn_beyond_observed`: explanations
  that move a feature beyond the values seen in training. The inferred box
  (mean +- 3 std, widened to the data's min and max; the paper's) reaches
  past what was observed, so the cheapest explanation may ask for a value no
  training row had, such as a negative count or ratio;
  :class:`~sklearn_ct.constraints.FeatureConstraints` keeps each feature's
  observed range, and ``explain`` warns.
"""

from __future__ import annotations

import warnings

import numpy as np

from ._feature_constraints import FeatureConstraints  # noqa: F401 (doctest)


def warn_outside(constraints, X_model, space, what, check=True):
    """Check data against the constraints; warn if it lies outside a given box.

    An inferred box holds the training data by construction and clips only
    outliers of other data, as documented; a box the user gave that excludes
    the data is worth a warning, since moving a feature into it is a change.
    """
    if check:
        constraints.check_data(X_model)
    if not constraints.box_given:
        return
    outside = constraints.outside(X_model)
    if not outside.any():
        return
    # Named by the user's features, on which the box was given.
    columns, names = space.feature_columns(outside.shape[1])
    listed = [
        f"{name} ({outside[:, cols].any(axis=1).mean():.2%} of rows)"
        for cols, name in zip(columns, names, strict=True)
        if outside[:, cols].any()
    ]
    warnings.warn(
        f"Some of {what} lie outside the domain box: {', '.join(listed[:5])}"
        f"{' ...' if len(listed) > 5 else ''}. A counterfactual keeps such a "
        "value (or category level) or moves the feature into the box, and that "
        "move counts as a change. Widen the domain if it should include them.",
        UserWarning,
        stacklevel=4,
    )


def beyond_observed(constraints, X_factual, X_cf) -> np.ndarray:
    """Which features each counterfactual moved beyond the values seen in training.

    A feature counts when the counterfactual changed it and it lies below
    ``constraints.observed_low`` or above ``constraints.observed_high`` (with
    a tolerance of 1e-5 of the feature's observed range, for round-off).

    Parameters
    ----------
    constraints : FeatureConstraints
        Resolved constraints; without observed bounds nothing counts.
    X_factual, X_cf : array-like of shape (n, n_features)
        Factuals and counterfactuals in model units.

    Returns
    -------
    ndarray of int, shape (n, n_features)
        -1 where a feature went below the lowest value seen, +1 above the
        highest, 0 otherwise.

    Examples
    --------
    >>> fc = FeatureConstraints(["both", "both"], [-5, -5], [5, 5],
    ...                         observed_low=[0, 0], observed_high=[1, 1])
    >>> beyond_observed(fc, [[0.5, 0.5], [1.5, 0.2]], [[-0.5, 0.5], [1.5, 1.2]])
    array([[-1,  0],
           [ 0,  1]])
    """
    X_factual = np.asarray(X_factual, dtype=float)
    X_cf = np.asarray(X_cf, dtype=float)
    side = np.zeros(X_cf.shape, dtype=int)
    low = getattr(constraints, "observed_low", None)
    high = getattr(constraints, "observed_high", None)
    if low is None or high is None or X_cf.size == 0:
        return side
    tol = 1e-5 * np.nan_to_num(high - low, nan=0.0, posinf=0.0) + 1e-6
    moved = np.abs(X_cf - X_factual) > tol
    side[moved & (X_cf < low - tol)] = -1
    side[moved & (X_cf > high + tol)] = 1
    return side


def warn_beyond_observed(constraints, result, space) -> None:
    """Warn when explanations move features beyond the values seen in training.

    The inferred box (mean +- 3 std, widened to the data's min and max)
    reaches past what was observed, so the cheapest explanation may ask for
    a value no row had, such as a negative count or ratio: a user should
    know, and can forbid it with ``domain="observed"`` or bounds. Silent
    where the user gave the bound (``observed_low`` and ``observed_high``
    are open there: they chose it) and when nothing went beyond.
    ``result`` is the :class:`~sklearn_ct.explain.CounterfactualResult`
    (its model-space factuals and counterfactuals are checked), ``space``
    names the model's columns.
    """
    side = beyond_observed(
        constraints, result.model_factuals, result.model_counterfactuals
    )
    rows = np.flatnonzero((side != 0).any(axis=1))
    if not len(rows):
        return
    # Named by the user's features (a pipeline's input columns), not the
    # model's columns: the bounds that forbid it are given on those.
    columns, names = space.feature_columns(side.shape[1])
    parts, first = [], None
    for cols, name in zip(columns, names, strict=True):
        below = int((side[:, cols] < 0).any(axis=1).sum())
        above = int((side[:, cols] > 0).any(axis=1).sum())
        if not below and not above:
            continue
        first = first or name
        where = [f"below the lowest in {below}"] if below else []
        where += [f"above the highest in {above}"] if above else []
        parts.append(f"{name} ({', '.join(where)})")
    warnings.warn(
        f"{len(rows)} of {len(side)} counterfactuals move a feature beyond the "
        f"values seen in training: {'; '.join(parts[:5])}"
        f"{' ...' if len(parts) > 5 else ''}. The domain allowed it, but such"
        " a value may be impossible (a negative count, a ratio above 1). Pass "
        "domain='observed', or bounds for those features (a dict by feature "
        f"name, such as {{{first!r}: (low, high)}}), to forbid it.",
        UserWarning,
        stacklevel=4,
    )
