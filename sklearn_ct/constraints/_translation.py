"""Constraints written on the user's columns, resolved on the model's columns.

A user states constraints once, on the data as they have it: ``{"sex":
"none"}`` (a column that reaches the model as several one-hot columns),
``{"hours-per-week": (1, 99)}`` (in hours, though the model sees standardised
numbers), integer features (in their units). :func:`resolve_constraints`
translates them through a :class:`~sklearn_ct.constraints.ModelSpace`,
whose layout knows each model column's source column and affine map, into
:class:`~sklearn_ct.constraints.FeatureConstraints` on the model's columns:

* mutability follows a column into every model column it becomes; an affine
  map with a negative scale, or a non-affine one that falls throughout the
  data, swaps "increase" and "decrease"; only "both" and "none" apply to
  one-hot columns and to non-affine maps that turn;
* domain bounds are mapped through the affine map, or through the fitted
  steps where they rise or fall throughout the data; "infer" and
  "observed" are computed in model space (they commute with such maps);
* one-hot groups come from the encoders, integer features from the data
  ("auto": every numeric column whose values are all integers; ``_integers``),
  and ordinal codes are integers inside their range; a column through a
  non-affine step gets the model values its inputs reach, where not all
  do (``_nonaffine``);
* a missing-value indicator is tied to the column it flags (it follows that
  column, never acted on by itself).

Keys may also name model columns, or positions of the input columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from . import _layout
from ._feature_constraints import FeatureConstraints
from ._integers import integer_columns
from ._keys import _label, _per_model
from ._nonaffine import (
    direction,
    elementwise_columns,
    reachable_box,
    through,
    value_grids,
)
from ._specs import MUTABILITY_VALUES, _as_bounds, resolve_domain, resolve_mutability

_FLIP = {"increase": "decrease", "decrease": "increase"}


def resolve_constraints(
    space,
    X_input,
    X_model,
    *,
    mutability=None,
    domain="infer",
    categorical_groups=None,
    integer_features="auto",
    domain_n_std=3.0,
) -> FeatureConstraints:
    """Constraints written on the user's columns, resolved on model columns.

    Parameters
    ----------
    space : ModelSpace
        From :func:`~sklearn_ct.constraints.model_space`.
    X_input : DataFrame or ndarray
        Training data in the input space (for integer detection).
    X_model : ndarray of shape (n_samples, n_model_features)
        The same data in model space (for inferred domains).
    mutability, domain, categorical_groups, integer_features, domain_n_std
        As documented on :class:`~sklearn_ct.CounterfactualTrainingClassifier`;
        names and positions refer to input columns (model column names
        are accepted too), domain bounds are in the input columns' units.

    Returns
    -------
    FeatureConstraints
    """
    n_model = X_model.shape[1]
    space.require_layout(n_model)  # through preprocessing: every step understood
    lay = space.layout
    if lay is None or lay.n_out != n_model:  # the model's own columns
        lay = _layout.identity(n_model)
        space = replace(space, head=None, layout=lay, n_inputs=n_model)
    elementwise = elementwise_columns(lay)
    low, high = _domain(space, domain, X_input, X_model, domain_n_std)
    low, high = reachable_box(space, X_input, X_model, elementwise, low, high)
    mut = _mutability(space, mutability, n_model, X_input, (low, high))
    mut[lay.kind == "indicator"] = "none"  # whether a value was missing: data
    observed = _observed(X_model, domain, (low, high), space, domain_n_std)
    groups = _groups(space, categorical_groups, n_model)
    integer, through = integer_columns(
        space, integer_features, X_input, n_model, groups
    )
    scale = (
        np.ones(n_model)
        if lay is None
        else np.where(lay.kind == "unknown", 1.0, np.nan_to_num(lay.scale, nan=1.0))
    )
    offset = (
        np.zeros(n_model)
        if lay is None
        else np.where(lay.kind == "unknown", 0.0, np.nan_to_num(lay.offset, nan=0.0))
    )
    for cols, _ in groups:  # user-given groups over plain columns
        if lay is None or np.any(lay.kind[cols] == "unknown"):
            scale[cols], offset[cols] = 1.0, 0.0
        elif not np.all(np.isfinite(lay.scale[cols])):
            raise ValueError(
                f"categorical_groups: the columns {cols.tolist()} reach the model "
                "through a non-affine transformer; one-hot columns must pass "
                "through unchanged or through a scaler."
            )
    if lay is not None:  # ordinal codes stay valid codes
        for k in np.flatnonzero(lay.kind == "ordinal"):
            n_levels = len(lay.categories.get(int(lay.source[k]), ()))
            if n_levels:
                ends = np.sort([offset[k], scale[k] * (n_levels - 1) + offset[k]])
                low[k], high[k] = max(low[k], ends[0]), min(high[k], ends[1])
    return FeatureConstraints(
        mut,
        low,
        high,
        groups=[g for g, _ in groups],
        group_implicit=[imp for _, imp in groups],
        integer=integer,
        scale=scale,
        offset=offset,
        box_given=not (domain is None or isinstance(domain, str)),
        observed_low=observed[0],
        observed_high=observed[1],
        flags=_flags(lay, X_input, X_model),
        grids=value_grids(space, X_input, X_model, elementwise, through, low, high),
    )


def _flags(lay, X_input, X_model):
    """Missing-value indicators, the model columns each flags, and "not missing".

    That value is read off the data, at a row where the flagged column was
    observed: exact through any steps after the indicator. An indicator
    without a column to follow (every value missing), or whose missing
    values are not NaN, stays immutable.
    """
    flags, flagged = [], lay.flagged_input
    for k in np.flatnonzero((lay.kind == "indicator") & (flagged >= 0)):
        cols = np.flatnonzero(lay.source == flagged[k])
        column = (
            X_input.iloc[:, flagged[k]]
            if isinstance(X_input, pd.DataFrame)
            else np.asarray(X_input)[:, flagged[k]]
        )
        observed = np.flatnonzero(~pd.isna(np.asarray(column)[: len(X_model)]))
        values = np.unique(np.asarray(X_model)[observed, k])
        if len(cols) and len(values) == 1:  # (not so for missing_values=-1, say)
            flags.append((int(k), cols, float(values[0])))
    return flags


def _bounds_in_model_units(space, X_input, j, k, lo, hi):
    """A domain pair given in input column ``j``'s units, in model column ``k``'s.

    Through affine steps, the affine map; through a transformer that rises
    or falls throughout the data (:func:`~._nonaffine.direction`), the
    fitted preprocessing itself at each finite bound.
    """
    lay = space.layout
    kind, scale, offset = lay.kind[k], lay.scale[k], lay.offset[k]
    sign = 0 if kind != "value" else 1 if np.isfinite(scale) else None
    if sign is None:
        sign = _direction(space, X_input, k, None)
        if sign:  # an infinite end stays infinite, on the side the map sends it
            ends = np.array([lo, hi], dtype=float) * (1 if sign > 0 else -1)
            finite = np.isfinite(ends)
            if finite.any():
                ends[finite] = through(space, X_input, j, k, np.array([lo, hi])[finite])
            return tuple(np.sort(ends))
    if not sign:
        raise ValueError(
            f"domain for {_label(space, j)!r}: bounds in the column's units "
            "need a numeric column that reaches the model through affine steps "
            "or a transformer that rises or falls throughout the data; give "
            "bounds in model units by model column name instead."
        )
    with np.errstate(invalid="ignore"):
        lo, hi = sorted((scale * lo + offset, scale * hi + offset))
    return np.nan_to_num(lo, nan=-np.inf), np.nan_to_num(hi, nan=np.inf)


def _observed(X_model, spec, box, space, n_std):
    """The smallest and largest value per column (NaN ignored), open where given.

    A side of the box the user gave (a bound of theirs, not the inferred
    one) is theirs to choose: that side is -inf or inf, so no explanation
    counts as beyond it. ``(None, None)`` without rows.
    """
    X_model = np.asarray(X_model)  # no float64 copy of float32 data
    if len(X_model) == 0:
        return None, None
    low = np.fmin.reduce(X_model, axis=0).astype(float)
    high = np.fmax.reduce(X_model, axis=0).astype(float)
    if spec is not None and not isinstance(spec, str):
        inferred = _domain(space, "infer", None, X_model, n_std)
        low = np.where(box[0] != inferred[0], -np.inf, low)
        high = np.where(box[1] != inferred[1], np.inf, high)
    return low, high


def _mutability(space, spec, n_model, X_input=None, box=None):
    if spec is None or isinstance(spec, str):
        return resolve_mutability(spec, n_model)
    if not isinstance(spec, (Mapping, Sequence, np.ndarray)):
        raise ValueError(
            "mutability must be None, a string, a list with one value"
            " per feature or a dict by feature name; got "
            f"{type(spec).__name__}."
        )
    values = np.full(n_model, "both", dtype=object)
    for k, (value, j) in _per_model(space, spec, n_model, "mutability").items():
        if value not in MUTABILITY_VALUES:
            raise ValueError(
                f"mutability value {value!r} is not understood; "
                f"expected one of {list(MUTABILITY_VALUES)}."
            )
        if j is not None and value in _FLIP:
            kind, scale = space.layout.kind[k], space.layout.scale[k]
            if kind == "value" and not np.isfinite(scale):
                scale = _direction(space, X_input, k, box)
            if kind == "onehot" or scale == 0:
                raise ValueError(
                    f"mutability {value!r} for {_label(space, j)!r}: only 'both' or "
                    "'none' apply to a column that reaches the model one-hot "
                    "encoded or through a transformer that neither rises nor "
                    "falls throughout the data (checked on them)."
                )
            if scale < 0:
                value = _FLIP[value]
        values[k] = value
    return values


def _direction(space, X_input, k, box):
    """+1, -1 or 0: how a non-affine column follows its input (0: unknown)."""
    if X_input is None or not space.layout.alone[k]:
        return 0
    low, high = (-np.inf, np.inf) if box is None else (box[0][k], box[1][k])
    return direction(space, X_input, k, low, high)


def _domain(space, spec, X_input, X_model, n_std):
    simple = spec is None or isinstance(spec, str)
    if simple or space.layout is None or space.head is None:
        return resolve_domain(spec, X_model, space.feature_names, n_std)
    low, high = resolve_domain("infer", X_model, space.feature_names, n_std)
    lay = space.layout
    if (
        isinstance(spec, (Sequence, np.ndarray))
        and not isinstance(spec, Mapping)
        and len(spec) == 2
        and all(v is None or np.isscalar(v) for v in spec)
    ):
        # One pair for every numeric input column (in its units).
        spec = {
            j: spec
            for j in range(lay.n_in)
            if np.any((lay.source == j) & (lay.kind == "value"))
        }
    if not isinstance(spec, (Mapping, Sequence, np.ndarray)):
        return resolve_domain(spec, X_model, space.feature_names, n_std)
    for k, (pair, j) in _per_model(space, spec, X_model.shape[1], "domain").items():
        if pair is None:
            low[k], high[k] = -np.inf, np.inf
            continue
        lo, hi = _as_bounds(pair, "domain")
        if lo > hi:  # in the user's units, before any (negative) scale
            name = (
                _label(space, j)
                if j is not None
                else space.feature_names[k]
                if space.feature_names
                else k
            )
            raise ValueError(
                f"domain for feature {name!r} has low={lo} > "
                f"high={hi}; expected low <= high."
            )
        if j is not None:
            lo, hi = _bounds_in_model_units(space, X_input, j, k, lo, hi)
        if np.isnan(lo) or np.isnan(hi):
            raise ValueError("domain bounds must not be NaN.")
        low[k], high[k] = lo, hi
    bad = np.flatnonzero(low > high)
    if bad.size:
        k = int(bad[0])
        raise ValueError(
            f"domain for feature {k} has low={low[k]} > "
            f"high={high[k]}; expected low <= high."
        )
    return low, high


def _groups(space, spec, n_model):
    """Encoder groups plus the user's, as a list of (columns, implicit)."""
    found = []
    if space.layout is not None and space.head is not None:
        found = [
            (np.asarray(c), dropped >= 0)
            for c, dropped in space.layout.groups
            if len(c) > 1 or dropped >= 0
        ]
    taken = {int(k) for cols, _ in found for k in cols}
    for group in spec or ():
        if isinstance(group, (str, bytes)) or not isinstance(
            group, (Sequence, np.ndarray)
        ):
            raise ValueError(
                "categorical_groups must be a list of lists of "
                f"columns; got the entry {group!r}."
            )
        cols = []
        for key in group:
            mapped = _per_model(space, {key: None}, n_model, "categorical_groups")
            cols += sorted(mapped)
        if len(cols) < 2:
            raise ValueError(
                f"categorical_groups entry {list(group)} has fewer "
                "than two columns; a one-hot group needs at least two."
            )
        if taken.intersection(cols):
            if any(set(cols) == {int(k) for k in c} for c, _ in found):
                continue  # the encoder's own group, named again
            raise ValueError("categorical_groups must not share columns.")
        taken.update(cols)
        found.append((np.asarray(cols, dtype=np.int64), False))
    return found
