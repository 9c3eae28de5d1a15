"""What a fitted scikit-learn preprocessing step does to each column.

:func:`layout` reads a fitted step (and, recursively, ``Pipeline`` and
``ColumnTransformer``) and describes every output column by

* ``source``: the input column it comes from (-1: unknown);
* ``kind``: ``"value"`` (a function of that column's value), ``"onehot"`` (the
  indicator of one category level), ``"ordinal"`` (an integer category code)
  or ``"unknown"``;
* ``scale``/``offset``: ``output = scale * base + offset`` where the base is
  the input value (value), the 0/1 indicator (onehot) or the code (ordinal);
  NaN where the map is not affine (a ``PowerTransformer``, say).

One-hot groups travel only through steps that map each column affinely
(passthrough, scalers), carrying the affine map: a ``StandardScaler`` after a
``OneHotEncoder`` turns the indicators ``{0, 1}`` into ``{b, a + b}``, and the
search snaps to those, never to raw 0/1. Everything here is plain data, so a
fitted explainer pickles.

Understood steps: ``Pipeline``, ``ColumnTransformer`` (``"drop"``,
``"passthrough"``, remainder), ``OneHotEncoder``, ``OrdinalEncoder``,
``StandardScaler``, ``MinMaxScaler``, ``MaxAbsScaler``, ``RobustScaler``,
``FunctionTransformer`` and any one-to-one transformer (non-affine). Anything
else makes the layout unknown: the model's input space still works, but
constraints cannot name the original columns and results stay in model space.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.base import OneToOneFeatureMixin
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
)

from ._compat import column_transformer_input_indices, onehot_block_sizes


@dataclass
class Layout:
    """Per output column of a fitted step: source, kind and affine map.

    ``categories`` maps an input column to the category levels of its
    ``"onehot"``/``"ordinal"`` outputs; ``groups`` lists the one-hot groups as
    ``(output columns, dropped level index or -1)``; ``level`` is each onehot
    column's level index.
    """

    n_in: int
    source: np.ndarray
    kind: np.ndarray
    scale: np.ndarray
    offset: np.ndarray
    level: np.ndarray
    categories: dict = field(default_factory=dict)
    groups: list = field(default_factory=list)

    @property
    def n_out(self) -> int:
        """Number of output columns."""
        return len(self.source)

    @property
    def known(self) -> bool:
        """Every output column's source is known."""
        return bool(np.all(self.kind != "unknown"))


def identity(n: int) -> Layout:
    """The layout of a step that passes ``n`` columns through unchanged."""
    return Layout(n, np.arange(n), np.full(n, "value", dtype=object), np.ones(n),
                  np.zeros(n), np.full(n, -1))


def _per_column(n, scale, offset, kind="value"):
    layout = identity(n)
    layout.scale, layout.offset = np.asarray(scale, float), np.asarray(offset, float)
    layout.kind[:] = kind
    return layout


def _unknown(n_in, n_out) -> Layout:
    return Layout(n_in, np.full(n_out, -1), np.full(n_out, "unknown", dtype=object),
                  np.full(n_out, np.nan), np.full(n_out, np.nan), np.full(n_out, -1))


def _scaler(step, n):
    """``output = scale * x + offset`` of the fitted affine scalers."""
    ones, zeros = np.ones(n), np.zeros(n)
    if isinstance(step, StandardScaler):
        scale = ones if step.scale_ is None else 1.0 / step.scale_
        mean = zeros if (not step.with_mean or step.mean_ is None) else step.mean_
        return scale, -mean * scale
    if isinstance(step, MinMaxScaler):
        return step.scale_, step.min_
    if isinstance(step, MaxAbsScaler):
        return 1.0 / step.scale_, zeros
    if isinstance(step, RobustScaler):
        scale = ones if step.scale_ is None else 1.0 / step.scale_
        center = zeros if step.center_ is None else step.center_
        return scale, -center * scale
    return None


def _onehot(encoder, n_in):
    sizes = onehot_block_sizes(encoder)
    if sizes is None:  # infrequent levels grouped: hard to read off
        return None
    n_out = int(np.sum(sizes))
    out = _unknown(n_in, n_out)
    out.kind[:] = "onehot"
    out.scale[:], out.offset[:] = 1.0, 0.0
    drop = encoder.drop_idx_
    start = 0
    for j, (size, cats) in enumerate(zip(sizes, encoder.categories_, strict=True)):
        cols = np.arange(start, start + size)
        dropped = -1 if drop is None or drop[j] is None else int(drop[j])
        levels = [k for k in range(len(cats)) if k != dropped]
        out.source[cols], out.level[cols] = j, levels
        out.categories[j] = np.asarray(cats, dtype=object)
        if size:
            out.groups.append((cols, dropped))
        start += size
    return out


def _ordinal(encoder, n_in):
    out = _per_column(n_in, np.ones(n_in), np.zeros(n_in), kind="ordinal")
    for j, cats in enumerate(encoder.categories_):
        out.categories[j] = np.asarray(cats, dtype=object)
    return out


def _column_transformer(ct, n_in):
    inputs = column_transformer_input_indices(ct)
    parts, n_out = [], 0
    for name, step, _ in ct.transformers_:
        out = ct.output_indices_.get(name, slice(0, 0))
        idx = inputs.get(name, np.array([], dtype=int))
        n_out = max(n_out, out.stop)
        if (isinstance(step, str) and step == "drop") or out.stop == out.start:
            continue
        inner = identity(len(idx)) if step == "passthrough" else layout(step, len(idx))
        if inner is None or inner.n_out != out.stop - out.start:
            return None
        parts.append((np.asarray(idx, dtype=int), out, inner))
    result = _unknown(n_in, n_out)
    for idx, out, inner in parts:
        cols = np.arange(out.start, out.stop)
        known = inner.source >= 0
        result.source[cols] = np.where(known, idx[np.maximum(inner.source, 0)], -1)
        for name in ("kind", "scale", "offset", "level"):
            getattr(result, name)[cols] = getattr(inner, name)
        result.categories.update({int(idx[j]): c for j, c in inner.categories.items()})
        result.groups += [(cols[g], dropped) for g, dropped in inner.groups]
    return result


def compose(first: Layout, second: Layout) -> Layout:
    """The layout of ``second`` applied after ``first``."""
    out = _unknown(first.n_in, second.n_out)
    for o in range(second.n_out):
        m = second.source[o]
        if m < 0 or first.kind[m] == "unknown":
            continue
        if second.kind[o] == "value":  # a function of the value: carry what it was
            out.source[o], out.kind[o], out.level[o] = (first.source[m], first.kind[m],
                                                        first.level[m])
            out.scale[o] = second.scale[o] * first.scale[m]
            out.offset[o] = second.scale[o] * first.offset[m] + second.offset[o]
        elif (second.kind[o] in ("onehot", "ordinal") and first.kind[m] == "value"
              and first.scale[m] == 1 and first.offset[m] == 0):
            # An encoder of an input column that reached it unchanged.
            out.source[o], out.kind[o], out.level[o] = (first.source[m], second.kind[o],
                                                        second.level[o])
            out.scale[o], out.offset[o] = second.scale[o], second.offset[o]
    for m, cats in second.categories.items():
        if first.kind[m] == "value" and first.source[m] >= 0:
            out.categories[int(first.source[m])] = cats
    for m, cats in first.categories.items():
        out.categories.setdefault(m, cats)
    for cols, dropped in second.groups:
        if np.all(out.kind[cols] == "onehot"):
            out.groups.append((cols, dropped))
    for cols, dropped in first.groups:  # through steps that map each column affinely
        mapped = [np.flatnonzero((second.source == m) & (second.kind == "value"))
                  for m in cols]
        if all(len(c) == 1 for c in mapped):
            new = np.array([c[0] for c in mapped])
            if np.all(np.isfinite(out.scale[new])) and np.all(out.scale[new] != 0):
                out.groups.append((new, dropped))
    return out


def layout(step, n_in: int) -> Layout | None:
    """Layout of a fitted step with ``n_in`` input columns (None: not understood)."""
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return identity(n_in)
    if isinstance(step, Pipeline):
        result = identity(n_in)
        for _, inner in step.steps:
            inner_layout = layout(inner, result.n_out)
            if inner_layout is None:
                return None
            result = compose(result, inner_layout)
        return result
    if isinstance(step, ColumnTransformer):
        return _column_transformer(step, n_in)
    if isinstance(step, OneHotEncoder):
        return _onehot(step, n_in)
    if isinstance(step, OrdinalEncoder):
        return _ordinal(step, n_in)
    affine = _scaler(step, n_in)
    if affine is not None:
        return _per_column(n_in, *affine)
    if isinstance(step, FunctionTransformer):
        if step.func is None:
            return identity(n_in)
        if step.feature_names_out != "one-to-one":
            return None
    elif not isinstance(step, OneToOneFeatureMixin):
        return None
    return _per_column(n_in, np.full(n_in, np.nan), np.full(n_in, np.nan))


def inverse(step, Z):
    """Invert a fitted step on model-space rows ``Z`` (object array), if it can.

    Returns None when some step has no inverse. Used only for columns whose
    map is not affine; affine columns and categories are inverted from the
    layout directly.
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
            if part is None:
                return None
            X[:, inputs[name]] = part
        return X
    if isinstance(step, FunctionTransformer) and step.func is None:
        return np.asarray(Z, dtype=object)
    if not hasattr(step, "inverse_transform"):
        return None
    if isinstance(step, FunctionTransformer) and step.inverse_func is None:
        return None
    try:
        return np.asarray(step.inverse_transform(np.asarray(Z, dtype=float)),
                          dtype=object)
    except (ValueError, TypeError):
        return None
