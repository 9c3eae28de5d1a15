"""Constraints written on the user's columns, resolved on the model's columns.

A user states constraints once, on the data as they have it: ``{"sex":
"none"}`` (a column that reaches the model as several one-hot columns),
``{"hours-per-week": (1, 99)}`` (in hours, though the model sees standardised
numbers), integer features (in their units). :func:`resolve_constraints`
translates them through a :class:`~sklearn_ct.constraints.ModelSpace`,
whose layout knows each model column's source column and affine map, into
:class:`~sklearn_ct.constraints.FeatureConstraints` on the model's columns:

* mutability follows a column into every model column it becomes; an affine
  map with a negative scale swaps "increase" and "decrease"; only "both" and
  "none" apply to one-hot and non-affine columns;
* domain bounds are mapped through the affine map; "infer" and "observed"
  are computed in model space (they commute with affine maps);
* one-hot groups come from the encoders, integer features from the data
  ("auto": every numeric column whose values are all integers), and
  ordinal codes are integers inside their range;
* a missing-value indicator is tied to the column it flags (it follows that
  column, never acted on by itself).

Keys may also name model columns, or positions of the input columns.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from . import _layout
from ._feature_constraints import FeatureConstraints
from ._specs import MUTABILITY_VALUES, _as_bounds, resolve_domain, resolve_mutability

_FLIP = {"increase": "decrease", "decrease": "increase"}


def _input_position(space, key, argname):
    """Input column of a key (name or position), or None if it is not one."""
    n_in = space.layout.n_in if space.layout is not None else space.n_inputs
    if isinstance(key, numbers.Integral) and not isinstance(key, bool):
        if not -n_in <= key < n_in:
            raise ValueError(
                f"{argname} refers to feature index {key}, but X has {n_in} features."
            )
        return int(key) % n_in
    if space.input_names is not None and key in space.input_names:
        return space.input_names.index(key)
    return None


def _model_position(space, key, argname):
    names = space.feature_names
    if names is not None and key in names:
        return names.index(key)
    known = [
        *(space.input_names or []),
        *(n for n in (names or []) if n not in (space.input_names or [])),
    ]
    if not known:
        raise ValueError(
            f"{argname} refers to feature {key!r} by name, but X has no feature "
            "names. Give constraints per position, or fit on a pandas DataFrame; "
            "inside a Pipeline, build it with sklearn_ct.pipeline.make_pipeline "
            "so that constraints can name the pipeline's input columns."
        )
    raise ValueError(
        f"{argname} refers to unknown feature {key!r}; expected one of {known}."
    )


def _per_model(space, spec, n_model, argname):
    """A per-feature spec (dict or list) as {model column: (value, input col)}."""
    lay = space.layout
    n_in = lay.n_in if lay is not None else n_model
    items = []
    if isinstance(spec, Mapping):
        items = list(spec.items())
    elif len(spec) == n_in:
        items = list(enumerate(spec))
    elif len(spec) == n_model:  # one value per model column
        return {k: (v, None) for k, v in enumerate(spec)}
    else:
        raise ValueError(
            f"{argname} has {len(spec)} entries, but X has {n_in} features; give "
            "one value per feature or a dict by feature name."
        )
    out = {}
    for key, value in items:
        j = _input_position(space, key, argname) if lay is not None else None
        if j is not None:
            cols = np.flatnonzero(lay.source == j)
            if not len(cols):
                raise ValueError(
                    f"{argname} refers to column {key!r}, which the "
                    "preprocessing drops."
                )
            out.update({int(k): (value, j) for k in cols})
        elif lay is None and isinstance(key, numbers.Integral):
            k = int(key) % n_model if -n_model <= key < n_model else None
            if k is None:
                raise ValueError(
                    f"{argname} refers to feature index {key}, but X"
                    f" has {n_model} features."
                )
            out[k] = (value, None)
        else:
            out[_model_position(space, key, argname)] = (value, None)
    return out


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
    mut = _mutability(space, mutability, n_model)
    mut[lay.kind == "indicator"] = "none"  # whether a value was missing: data
    low, high = _domain(space, domain, X_model, domain_n_std)
    observed = _observed(X_model, domain, (low, high), space, domain_n_std)
    groups = _groups(space, categorical_groups, n_model)
    integer = _integers(space, integer_features, X_input, n_model, groups)
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
        inferred = _domain(space, "infer", X_model, n_std)
        low = np.where(box[0] != inferred[0], -np.inf, low)
        high = np.where(box[1] != inferred[1], np.inf, high)
    return low, high


def _mutability(space, spec, n_model):
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
            if kind == "onehot" or (kind == "value" and not np.isfinite(scale)):
                raise ValueError(
                    f"mutability {value!r} for {_label(space, j)!r}: only 'both' or "
                    "'none' apply to a column that reaches the model one-hot "
                    "encoded or through a non-affine transformer."
                )
            if scale < 0:
                value = _FLIP[value]
        values[k] = value
    return values


def _label(space, j):
    return space.input_names[j] if space.input_names else j


def _domain(space, spec, X_model, n_std):
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
            kind, scale, offset = lay.kind[k], lay.scale[k], lay.offset[k]
            if kind != "value" or not np.isfinite(scale):
                raise ValueError(
                    f"domain for {_label(space, j)!r}: bounds in the column's units "
                    "need a numeric column that reaches the model through affine "
                    "steps (passthrough or a scaler); give bounds in model units by"
                    " model column name instead."
                )
            with np.errstate(invalid="ignore"):
                lo, hi = sorted((scale * lo + offset, scale * hi + offset))
            lo, hi = np.nan_to_num(lo, nan=-np.inf), np.nan_to_num(hi, nan=np.inf)
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


def _integers(space, spec, X_input, n_model, groups):
    lay = space.layout
    integer = np.zeros(n_model, dtype=bool)
    in_group = np.zeros(n_model, dtype=bool)
    for cols, _ in groups:
        in_group[cols] = True
    if lay is not None:
        integer |= lay.kind == "ordinal"
    if spec is None or spec is False:
        return integer
    affine = (
        np.zeros(n_model, dtype=bool)
        if lay is None
        else (lay.kind == "value") & np.isfinite(lay.scale) & (lay.scale != 0)
    )
    if isinstance(spec, str):
        if spec != "auto":
            raise ValueError(
                f"integer_features={spec!r} is not understood; "
                "expected 'auto', None or a list of features."
            )
        if lay is None:  # the columns' way to the model is unknown
            return integer
        for j, values in _numeric_columns(X_input):
            cols = np.flatnonzero(lay.source == j)
            if (
                len(cols) == 1
                and affine[cols[0]]
                and not in_group[cols[0]]
                and _all_integral(values)
            ):
                integer[cols[0]] = True
        return integer
    if not isinstance(spec, (Sequence, np.ndarray)):
        raise ValueError(
            "integer_features must be 'auto', None or a list of "
            f"features; got {type(spec).__name__}."
        )
    values = dict(_numeric_columns(X_input))
    for key in spec:
        for k, (_, j) in _per_model(
            space, {key: None}, n_model, "integer_features"
        ).items():
            if not affine[k]:
                raise ValueError(
                    f"integer_features: {key!r} must reach the model as a number "
                    "through affine steps (passthrough or a scaler)."
                )
            column = values.get(j if j is not None else k)
            if column is None or not _all_integral(column):
                raise ValueError(
                    f"integer_features: {key!r} holds values that "
                    "are not integers (or not numbers)."
                )
            integer[k] = True
    return integer & ~in_group


def _numeric_columns(X):
    if isinstance(X, pd.DataFrame):
        for j, col in enumerate(X.columns):
            if pd.api.types.is_numeric_dtype(X[col]) and not pd.api.types.is_bool_dtype(
                X[col]
            ):
                yield j, X[col].to_numpy(dtype=float, na_value=np.nan)
        return
    X = np.asarray(X)
    if X.dtype.kind in "biuf":
        for j in range(X.shape[1]):
            yield j, X[:, j].astype(float)


def _all_integral(values) -> bool:
    """Every observed value is an integer (missing values, NaN, are left out)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return bool(
        len(values)
        and np.all(np.isfinite(values))
        and np.all(values == np.round(values))
    )
