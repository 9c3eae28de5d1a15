"""Inverting fitted preprocessing on model-space rows, for non-affine columns.

Affine columns and categories come back from their
:class:`~sklearn_ct.constraints._layout.Layout` directly; a column through a
``PowerTransformer``, a ``QuantileTransformer``, a ``KBinsDiscretizer`` (a
bin comes back as its centre; :mod:`._nearest` then moves it to the bin's
value nearest the person's) or a ``FunctionTransformer`` needs the steps'
own ``inverse_transform``, which :func:`inverse` applies through nested
``Pipeline`` and ``ColumnTransformer``. :func:`merge` puts restored values
into the factual's column, in its dtype.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, KBinsDiscretizer

from ..utils._compat import column_transformer_input_indices
from ._layout import _imputer


def inverse(step, Z):
    """Invert a fitted step on model-space rows ``Z`` (object array), if it can.

    Returns None when some step has no inverse; input columns that no output
    stands for (dropped, or seen only through a ``MissingIndicator``) are
    None. Used only for columns whose map is not affine; affine columns and
    categories are inverted from the layout directly.
    """
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return np.asarray(Z, dtype=object)
    if isinstance(step, Pipeline):
        for _, inner in reversed(step.steps):
            Z = inverse(inner, Z)
            if Z is None:
                return None
        return Z
    if isinstance(step, ColumnTransformer):
        inputs = column_transformer_input_indices(step)
        X = np.full((Z.shape[0], step.n_features_in_), None, dtype=object)
        for name, inner, _ in step.transformers_:
            out = step.output_indices_.get(name, slice(0, 0))
            if (isinstance(inner, str) and inner == "drop") or out.stop == out.start:
                continue
            part = inverse(inner, Z[:, out])
            if part is None:  # another branch may still stand for its columns
                continue
            known = np.frompyfunc(lambda v: v is not None, 1, 1)(part).astype(bool)
            block = X[:, inputs[name]]
            X[:, inputs[name]] = np.where(known, part, block)
        return X
    if isinstance(step, SimpleImputer):  # the identity on observed values
        lay = _imputer(step, step.n_features_in_)
        X = np.full((Z.shape[0], step.n_features_in_), None, dtype=object)
        values = np.flatnonzero(lay.kind == "value")
        X[:, lay.source[values]] = np.asarray(Z, dtype=object)[:, values]
        return X
    if isinstance(step, MissingIndicator):
        return np.full((Z.shape[0], step.n_features_in_), None, dtype=object)
    if isinstance(step, FunctionTransformer) and step.func is None:
        return np.asarray(Z, dtype=object)
    if isinstance(step, KBinsDiscretizer):  # a valid bin (its centre)
        codes = np.round(np.asarray(Z, dtype=float))
        Z = np.clip(np.nan_to_num(codes, nan=0.0), 0, step.n_bins_ - 1)
    if not hasattr(step, "inverse_transform"):
        return None
    if isinstance(step, FunctionTransformer) and step.inverse_func is None:
        return None
    try:
        return np.asarray(
            step.inverse_transform(np.asarray(Z, dtype=float)), dtype=object
        )
    except (ValueError, TypeError):
        return None


def merge(values, back, changed):
    """The factual's values where unchanged, restored ones elsewhere, in its dtype."""
    merged = np.where(changed, back, values.astype(object))
    series = pd.Series(merged).infer_objects()
    dtype = values.dtype
    if dtype.kind in "iu":
        numbers = pd.to_numeric(series, errors="coerce")
        if numbers.notna().all() and np.all(numbers == np.round(numbers)):
            return numbers.to_numpy().astype(dtype)
    if dtype.kind == "f":
        return pd.to_numeric(series, errors="coerce").to_numpy(dtype=dtype)
    return series.to_numpy()
