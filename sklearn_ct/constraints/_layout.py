"""What a fitted scikit-learn preprocessing step does to each column.

:func:`layout` reads a fitted step (and, recursively, ``Pipeline`` and
``ColumnTransformer``) and describes every output column by

* ``source``: the input column it comes from (-1: unknown);
* ``kind``: ``"value"`` (a function of that column's value), ``"onehot"`` (the
  indicator of one category level), ``"ordinal"`` (an integer category code),
  ``"indicator"`` (a ``MissingIndicator`` column: whether a value was missing;
  derived from the data, never searched, source -1, and ``flagged``: the
  input column it flags) or ``"unknown"``;
* ``scale``/``offset``: ``output = scale * base + offset`` where the base is
  the input value (value), the 0/1 indicator (onehot) or the code (ordinal);
  NaN where the map is not affine (a ``PowerTransformer``, say).

One-hot groups travel only through steps that map each column affinely
(passthrough, scalers), carrying the affine map: a ``StandardScaler`` after a
``OneHotEncoder`` turns the indicators ``{0, 1}`` into ``{b, a + b}``, and the
search snaps to those, never to raw 0/1. Everything here is plain data, so a
fitted explainer pickles.

Understood steps are listed in :data:`SUPPORTED`. :func:`read` raises
:class:`UnsupportedStepError`, naming the step by its path in the nested
structure (``columntransformer__num__pca``, as in ``set_params``), for any
other step, for one that mixes columns (``PCA``, ``PolynomialFeatures``) and
for combinations that cannot be followed back (an encoder after a scaler, a
one-hot column through a non-affine step). :func:`layout` returns None
instead, for callers that only need the model's input space.

``SimpleImputer`` is the identity on observed values: a counterfactual
leaves a missing value missing unless the search changes that feature (then
it is the new value), so the imputed value plays the factual's value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    KBinsDiscretizer,
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    PowerTransformer,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
)

from ..utils._compat import column_transformer_input_indices

#: The preprocessing steps whose columns can be followed to the model and back.
SUPPORTED = (
    "Pipeline, ColumnTransformer ('drop', 'passthrough', remainder), "
    "SimpleImputer (also with add_indicator=True), MissingIndicator, "
    "OneHotEncoder (without infrequent-category grouping), OrdinalEncoder, "
    "StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler, PowerTransformer, "
    "QuantileTransformer, KBinsDiscretizer (encode='ordinal') and "
    "FunctionTransformer (func=None, or an elementwise func with its inverse_func)"
)

#: Elementwise, invertible (a bin to a value in it), not affine: values keep
#: their column.
_ELEMENTWISE = (PowerTransformer, QuantileTransformer, KBinsDiscretizer)


class UnsupportedStepError(ValueError):
    """A preprocessing step whose columns cannot be followed back to the input.

    Parameters
    ----------
    path : str
        The step's place in the nested structure (``"columntransformer__num__pca"``).
    step : object
        The fitted step.
    reason : str
        What it does that cannot be followed.

    Examples
    --------
    >>> from sklearn.decomposition import PCA
    >>> str(UnsupportedStepError("pca", PCA(), "mixes columns")).split(",")[0]
    "The preprocessing step 'pca' (PCA) mixes columns"
    """

    def __init__(self, path, step, reason):
        self.path, self.step, self.reason = path, step, reason
        where = f"{path!r} ({type(step).__name__})" if path else type(step).__name__
        super().__init__(
            f"The preprocessing step {where} {reason}, so counterfactuals could not "
            "be brought back to the pipeline's input columns. Supported steps: "
            f"{SUPPORTED}. Move other steps out of the pipeline (transform the data "
            "beforehand), or explain the classifier on the transformed data."
        )


def onehot_block_sizes(encoder) -> list[int] | None:
    """Output columns per input feature of a fitted OneHotEncoder, or None.

    None when infrequent-category grouping makes the layout hard to read off.
    """
    infrequent = getattr(encoder, "infrequent_categories_", None)
    if infrequent is not None and any(c is not None for c in infrequent):
        return None
    drop = encoder.drop_idx_
    return [
        len(cats) - (0 if drop is None or drop[j] is None else 1)
        for j, cats in enumerate(encoder.categories_)
    ]


@dataclass
class Layout:
    """Per output column of a fitted step: source, kind and affine map.

    ``categories`` maps an input column to the category levels of its
    ``"onehot"``/``"ordinal"`` outputs; ``groups`` lists the one-hot groups as
    ``(output columns, dropped level index or -1)``; ``level`` is each onehot
    column's level index; ``flagged`` is, for each ``"indicator"`` column, the
    input column whose missing values it flags (-1 elsewhere; None: no
    indicator column).
    """

    n_in: int
    source: np.ndarray
    kind: np.ndarray
    scale: np.ndarray
    offset: np.ndarray
    level: np.ndarray
    categories: dict = field(default_factory=dict)
    groups: list = field(default_factory=list)
    flagged: np.ndarray | None = None

    @property
    def flagged_input(self) -> np.ndarray:
        """Per output column, the input column it flags as missing (-1: none)."""
        if getattr(self, "flagged", None) is None:  # (also a layout pickled before)
            return np.full(self.n_out, -1)
        return self.flagged

    @property
    def alone(self) -> np.ndarray:
        """Per output column: the only one its (known) input column reaches."""
        known = self.source >= 0
        counts = np.bincount(self.source[known].astype(int), minlength=self.n_in)
        return known & (counts[np.maximum(self.source, 0).astype(int)] == 1)

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
    return Layout(
        n,
        np.arange(n),
        np.full(n, "value", dtype=object),
        np.ones(n),
        np.zeros(n),
        np.full(n, -1),
    )


def _per_column(n, scale, offset, kind="value"):
    layout = identity(n)
    layout.scale, layout.offset = np.asarray(scale, float), np.asarray(offset, float)
    layout.kind[:] = kind
    return layout


def _unknown(n_in, n_out) -> Layout:
    return Layout(
        n_in,
        np.full(n_out, -1),
        np.full(n_out, "unknown", dtype=object),
        np.full(n_out, np.nan),
        np.full(n_out, np.nan),
        np.full(n_out, -1),
    )


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


def _indicators(n_in, features):
    """``MissingIndicator`` columns (one per input column in ``features``).

    Derived from the data, never searched: each flags whether its input
    column was missing, so it follows that column (``flagged``).
    """
    out = _unknown(n_in, len(features))
    out.kind[:] = "indicator"
    out.scale[:], out.offset[:] = 1.0, 0.0
    out.flagged = np.asarray(features, dtype=int)
    return out


def _imputer(imputer, n_in):
    """``SimpleImputer``: the identity on observed values, plus its indicators.

    Columns without any observed value in ``fit`` are dropped (unless
    ``keep_empty_features``), as scikit-learn does.
    """
    kept = np.arange(n_in)
    if not imputer.keep_empty_features:
        kept = np.flatnonzero(~pd.isna(np.asarray(imputer.statistics_, dtype=object)))
    values = identity(n_in)
    for name in ("source", "kind", "scale", "offset", "level"):
        setattr(values, name, getattr(values, name)[kept])
    if imputer.indicator_ is None:
        return values
    flags = _indicators(n_in, imputer.indicator_.features_)
    return _stack(n_in, [values, flags])


def _stack(n_in, parts):
    """Layouts of the same input side by side (their outputs concatenated)."""
    return Layout(
        n_in,
        *(
            np.concatenate([getattr(p, name) for p in parts])
            for name in ("source", "kind", "scale", "offset", "level")
        ),
        flagged=np.concatenate([p.flagged_input for p in parts]),
    )


def _column_transformer(ct, n_in, path):
    inputs = column_transformer_input_indices(ct)
    parts, n_out = [], 0
    for name, step, _ in ct.transformers_:
        out = ct.output_indices_.get(name, slice(0, 0))
        idx = inputs.get(name, np.array([], dtype=int))
        n_out = max(n_out, out.stop)
        if (isinstance(step, str) and step == "drop") or out.stop == out.start:
            continue
        inner = (
            identity(len(idx))
            if isinstance(step, str) and step == "passthrough"
            else read(step, len(idx), _join(path, name))
        )
        if inner.n_out != out.stop - out.start:
            raise UnsupportedStepError(
                _join(path, name),
                step,
                f"outputs {out.stop - out.start} columns where {inner.n_out} were "
                "expected (a FunctionTransformer's func must act elementwise)",
            )
        parts.append((np.asarray(idx, dtype=int), out, inner))
    result = _unknown(n_in, n_out)
    for idx, out, inner in parts:
        cols = np.arange(out.start, out.stop)
        known = inner.source >= 0
        result.source[cols] = np.where(known, idx[np.maximum(inner.source, 0)], -1)
        for name in ("kind", "scale", "offset", "level"):
            getattr(result, name)[cols] = getattr(inner, name)
        flagged = inner.flagged_input
        if np.any(flagged >= 0):
            result.flagged = result.flagged_input.copy()
            result.flagged[cols] = np.where(
                flagged >= 0, idx[np.maximum(flagged, 0)], -1
            )
        result.categories.update({int(idx[j]): c for j, c in inner.categories.items()})
        result.groups += [(cols[g], dropped) for g, dropped in inner.groups]
    return result


def compose(first: Layout, second: Layout) -> Layout:
    """The layout of ``second`` applied after ``first``."""
    out = _unknown(first.n_in, second.n_out)
    flagged = np.full(second.n_out, -1)
    for o in range(second.n_out):
        m = second.source[o]
        if second.kind[o] == "indicator":  # whether a value was missing (0/1)
            out.kind[o], out.scale[o], out.offset[o] = (
                "indicator",
                second.scale[o],
                second.offset[o],
            )
            f = second.flagged_input[o]
            if f >= 0 and first.kind[f] == "value":
                flagged[o] = first.source[f]
            continue
        if m < 0 or first.kind[m] == "unknown":
            continue
        if second.kind[o] == "value":  # a function of the value: carry what it was
            out.source[o], out.kind[o], out.level[o] = (
                first.source[m],
                first.kind[m],
                first.level[m],
            )
            out.scale[o] = second.scale[o] * first.scale[m]
            out.offset[o] = second.scale[o] * first.offset[m] + second.offset[o]
            flagged[o] = first.flagged_input[m]
        elif (
            second.kind[o] in ("onehot", "ordinal")
            and first.kind[m] == "value"
            and first.scale[m] == 1
            and first.offset[m] == 0
        ):
            # An encoder of an input column that reached it unchanged.
            out.source[o], out.kind[o], out.level[o] = (
                first.source[m],
                second.kind[o],
                second.level[o],
            )
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
        mapped = [
            np.flatnonzero((second.source == m) & (second.kind == "value"))
            for m in cols
        ]
        if all(len(c) == 1 for c in mapped):
            new = np.array([c[0] for c in mapped])
            if np.all(np.isfinite(out.scale[new])) and np.all(out.scale[new] != 0):
                out.groups.append((new, dropped))
    if np.any(flagged >= 0):
        out.flagged = flagged
    return out


def _join(path, name):
    return f"{path}__{name}" if path else str(name)


def layout(step, n_in: int) -> Layout | None:
    """Layout of a fitted step with ``n_in`` input columns (None: not understood)."""
    try:
        return read(step, n_in)
    except UnsupportedStepError:
        return None


def read(step, n_in: int, path: str = "") -> Layout:
    """Layout of a fitted step with ``n_in`` input columns.

    Parameters
    ----------
    step : fitted transformer, "passthrough" or None
        The preprocessing step to read (a ``Pipeline`` or ``ColumnTransformer`` is read
        step by step).
    n_in : int
        Number of the step's input columns.
    path : str, default=""
        The step's name in the structure around it (for error messages).

    Returns
    -------
    Layout

    Raises
    ------
    UnsupportedStepError
        For a step (at any depth) that is not in :data:`SUPPORTED`, or a
        combination of steps that cannot be followed back.
    """
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return identity(n_in)
    if isinstance(step, Pipeline):
        result, before = identity(n_in), None
        for name, inner in step.steps:
            where = _join(path, name)
            width = getattr(inner, "n_features_in_", None)
            if before is not None and width is not None and width != result.n_out:
                raise UnsupportedStepError(
                    before[0],
                    before[1],
                    f"outputs {width} columns where "
                    f"{result.n_out} were expected (a FunctionTransformer's func "
                    "must act elementwise)",
                )
            before = (where, inner)
            composed = compose(result, read(inner, result.n_out, where))
            lost = (composed.kind == "unknown") | (
                np.isin(composed.kind, ["onehot", "ordinal"])
                & ~np.isfinite(composed.scale)
            )
            if lost.any():
                raise UnsupportedStepError(
                    where,
                    inner,
                    "receives columns it cannot keep track of: an encoder must "
                    "see its input column unchanged (or only imputed), and "
                    "encoded columns may pass only through scalers",
                )
            result = composed
        return result
    if isinstance(step, ColumnTransformer):
        return _column_transformer(step, n_in, path)
    if isinstance(step, OneHotEncoder):
        out = _onehot(step, n_in)
        if out is None:
            raise UnsupportedStepError(
                path,
                step,
                "groups infrequent categories (min_frequency or "
                "max_categories), which no single level stands for",
            )
        return out
    if isinstance(step, OrdinalEncoder):
        return _ordinal(step, n_in)
    if isinstance(step, SimpleImputer):
        return _imputer(step, n_in)
    if isinstance(step, MissingIndicator):
        return _indicators(n_in, step.features_)
    affine = _scaler(step, n_in)
    if affine is not None:
        return _per_column(n_in, *affine)
    if isinstance(step, FunctionTransformer):
        if step.func is None:
            return identity(n_in)
        if step.inverse_func is None:
            raise UnsupportedStepError(
                path,
                step,
                "has no inverse_func; give the inverse of its (elementwise) func",
            )
    elif isinstance(step, KBinsDiscretizer) and step.encode != "ordinal":
        raise UnsupportedStepError(
            path,
            step,
            f"one-hot encodes the bins (encode={step.encode!r}), which no "
            "column's value stands for; use encode='ordinal'",
        )
    elif not isinstance(step, _ELEMENTWISE):
        raise UnsupportedStepError(
            path,
            step,
            "is not one this package can invert column by column (it "
            "may mix columns, like PCA or PolynomialFeatures)",
        )
    return _per_column(n_in, np.full(n_in, np.nan), np.full(n_in, np.nan))
