"""Which model columns hold integers: found in the data, or named by the user.

``integer_features="auto"`` marks every numeric input column whose observed
values are all integers (missing values left out) and that reaches the
model as one number; a list names them. Ordinal codes are always integers.
A column through affine steps is snapped on its own grid
(:func:`~sklearn_ct.constraints.snap_integers`); one through a non-affine
step gets the model values of its integers
(:func:`~sklearn_ct.constraints._nonaffine.value_grids`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._keys import _per_model


def integer_columns(space, spec, X_input, n_model, groups):
    """Integer model columns: through affine steps, and through others (masks).

    The second are the model columns of integer input columns that reach
    the model alone through an elementwise, non-affine step; they get a
    grid of model values (:func:`~._nonaffine.value_grids`).
    """
    found = _integer_columns(space, spec, X_input, n_model, groups)
    lay = space.layout
    if lay is None:
        return found, np.zeros(n_model, dtype=bool)
    affine = np.isfinite(lay.scale) & (lay.scale != 0)
    return found & (affine | (lay.kind != "value")), found & ~affine


def _integer_columns(space, spec, X_input, n_model, groups):
    lay = space.layout
    integer = np.zeros(n_model, dtype=bool)
    in_group = np.zeros(n_model, dtype=bool)
    for cols, _ in groups:
        in_group[cols] = True
    if lay is not None:
        integer |= lay.kind == "ordinal"
    if spec is None or spec is False:
        return integer
    number = (  # a number of its own (through any elementwise steps)
        np.zeros(n_model, dtype=bool) if lay is None else lay.kind == "value"
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
                and number[cols[0]]
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
            if not number[k] or not lay.alone[k]:
                raise ValueError(
                    f"integer_features: {key!r} must reach the model as one "
                    "number (passthrough, a scaler or an elementwise transformer)."
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
