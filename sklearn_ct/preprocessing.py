"""The model's input space: from the user's data through a fitted pipeline and back.

When the explained estimator is a ``Pipeline``, counterfactuals are searched in
the input space of its last step. :func:`model_space` reads the fitted
preprocessing steps once and records

* which model columns each original column becomes (so that ``{"sex": "none"}``
  freezes every one-hot column of ``sex``);
* the one-hot groups produced by ``OneHotEncoder`` steps (the search keeps
  exactly one level active in each);
* how to invert the preprocessing, when every step can, so that
  counterfactuals come back in the original units and categories.

Understood steps: ``Pipeline``, ``ColumnTransformer`` (with ``"drop"`` and
``"passthrough"``), ``OneHotEncoder`` and every one-to-one transformer
(scalers, ``FunctionTransformer(feature_names_out="one-to-one")``). Anything
else still works in the model's input space; only naming original columns and
the way back are lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import OneToOneFeatureMixin
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder
from sklearn.utils.validation import check_array

from ._compat import column_transformer_input_indices, onehot_block_sizes
from .backends import as_model_input, split_pipeline
from .constraints import resolve_mutability


@dataclass
class _Layout:
    """How one fitted step maps its input columns to its output columns."""

    n_in: int
    n_out: int
    columns: list | None  # per input column: list of output positions; None: unknown
    groups: list = field(default_factory=list)  # one-hot groups, output positions
    inverse: object = None  # callable(Z) -> (n, n_in) array, or None


def _identity(n):
    return _Layout(n, n, [[j] for j in range(n)], [], lambda Z: Z)


def _is_one_to_one(step):
    if isinstance(step, FunctionTransformer):
        return step.feature_names_out == "one-to-one"
    return isinstance(step, OneToOneFeatureMixin)


def _invertible(step):
    if isinstance(step, FunctionTransformer):
        return step.func is None or step.inverse_func is not None
    return hasattr(step, "inverse_transform")


def _layout_onehot(encoder, n_in):
    sizes = onehot_block_sizes(encoder)
    if sizes is None:
        return _Layout(n_in, -1, None)
    stops = np.cumsum(sizes)
    columns = [list(range(stop - size, stop)) for size, stop in zip(sizes, stops,
                                                                    strict=True)]
    full = [encoder.drop_idx_ is None or encoder.drop_idx_[j] is None
            for j in range(n_in)]
    groups = [c for c, is_full in zip(columns, full, strict=True)
              if is_full and len(c) > 1]
    return _Layout(n_in, int(stops[-1]) if n_in else 0, columns, groups,
                   encoder.inverse_transform)


def _layout_column_transformer(ct, n_in):
    columns = [[] for _ in range(n_in)]
    groups, parts = [], []
    inputs = column_transformer_input_indices(ct)
    for name, step, _ in ct.transformers_:
        idx = inputs.get(name, np.array([], dtype=int))
        out = ct.output_indices_.get(name, slice(0, 0))
        if (isinstance(step, str) and step == "drop") or len(idx) == 0:
            continue
        inner = _identity(len(idx)) if step == "passthrough" else _layout(step,
                                                                         len(idx))
        if inner.columns is None:
            return _Layout(n_in, -1, None)
        for local, j in enumerate(idx):
            columns[j] = [out.start + k for k in inner.columns[local]]
        groups += [[out.start + k for k in g] for g in inner.groups]
        parts.append((idx, out, inner.inverse))

    def inverse(Z):
        X = np.full((Z.shape[0], n_in), np.nan, dtype=object)
        for idx, out, inv in parts:
            X[:, idx] = np.asarray(inv(Z[:, out]), dtype=object)
        return X

    invertible = all(inv is not None for *_, inv in parts)
    return _Layout(n_in, sum(o.stop - o.start for _, o, _ in parts), columns,
                   groups, inverse if invertible else None)


def _compose(first, second):
    if first.columns is None or second.columns is None:
        return _Layout(first.n_in, second.n_out, None)
    columns = [sorted({k for j in cols for k in second.columns[j]})
               for cols in first.columns]
    carried = [[second.columns[j][0] for j in g] for g in first.groups
               if all(len(second.columns[j]) == 1 for j in g)]
    inverse = None
    if first.inverse is not None and second.inverse is not None:
        def inverse(Z):
            return first.inverse(second.inverse(Z))
    return _Layout(first.n_in, second.n_out, columns, carried + second.groups,
                   inverse)


def _layout(step, n_in) -> _Layout:
    """Layout of a fitted step with ``n_in`` input columns."""
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return _identity(n_in)
    if isinstance(step, Pipeline):
        layout = _identity(n_in)
        for _, inner in step.steps:
            layout = _compose(layout, _layout(inner, layout.n_out))
        return layout
    if isinstance(step, ColumnTransformer):
        return _layout_column_transformer(step, n_in)
    if isinstance(step, OneHotEncoder):
        return _layout_onehot(step, n_in)
    if _is_one_to_one(step):
        layout = _identity(n_in)
        layout.inverse = step.inverse_transform if _invertible(step) else None
        return layout
    return _Layout(n_in, -1, None)


def _dense_float(Z, argname="X"):
    if sp.issparse(Z):
        Z = Z.toarray()
    Z = check_array(np.asarray(Z), dtype=np.float64, ensure_all_finite=True,
                    input_name=argname)
    # pandas 3 hands out read-only views (copy-on-write); torch needs writeable.
    return np.require(Z, requirements="W")


def _default_names(n):
    return [f"x{j}" for j in range(n)]


@dataclass
class ModelSpace:
    """The estimator's input space and the way there from the user's data.

    Build it with :func:`model_space`. Attributes: ``head`` (fitted
    preprocessing or None), ``final`` (the classifier), ``feature_names``
    (model-input names, or None), ``input_names`` (the user's column names,
    or None), ``columns`` (per user column, the model columns it becomes, or
    None when unknown), ``categorical_groups`` and ``inverse``.
    """

    head: object
    final: object
    feature_names: list | None
    input_names: list | None
    columns: list | None
    categorical_groups: list
    inverse: object

    def transform(self, X) -> np.ndarray:
        """User data -> float64 model input (validated: 2-D, finite)."""
        if self.head is None:
            return _dense_float(X)
        return _dense_float(self.head.transform(X))

    def final_input(self, Z):
        """Model input as the final estimator's ``predict`` expects it."""
        return as_model_input(self.final, Z)

    def expand(self, spec):
        """Rewrite a per-feature dict keyed by user column names to model columns.

        Keys that already name model features (or are positions) stay.
        """
        if not isinstance(spec, Mapping) or self.head is None:
            return spec
        model_names = set(self.feature_names or ())
        out = {}
        for key, value in spec.items():
            if key in model_names or not isinstance(key, str):
                out[key] = value
            elif self.input_names and key in self.input_names and self.columns:
                for k in self.columns[self.input_names.index(key)]:
                    out[k] = value
            else:
                out[key] = value  # unknown: resolve_* names it in its error
        return out

    def restore(self, Z_cf, X, Z):
        """Counterfactuals in the user's space: ``(factuals, counterfactuals, names)``.

        Without preprocessing, the counterfactuals take the type, columns and
        index of ``X``. With invertible preprocessing they come back in the
        original units; user columns whose model columns did not change keep
        the factual's exact value. Otherwise both come back in model space.
        """
        if self.head is None:
            return X, _like(Z_cf, X), _names_of(X)
        if self.inverse is None or self.columns is None:
            names = self.feature_names or _default_names(Z.shape[1])
            if isinstance(X, pd.DataFrame):
                return (pd.DataFrame(Z, columns=names, index=X.index),
                        pd.DataFrame(Z_cf, columns=names, index=X.index), names)
            return Z, Z_cf, names
        back = np.asarray(self.inverse(Z_cf), dtype=object)
        original = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
        restored = {}
        for j, col in enumerate(original.columns):
            model_cols = self.columns[j]
            changed = (np.any(Z_cf[:, model_cols] != Z[:, model_cols], axis=1)
                       if model_cols else np.zeros(len(Z), dtype=bool))
            values = original.iloc[:, j].to_numpy()
            if changed.any():
                merged = np.where(changed, back[:, j], values.astype(object))
                values = pd.Series(merged).infer_objects().to_numpy()
            restored[col] = values
        out = pd.DataFrame(restored, index=original.index)
        if isinstance(X, pd.DataFrame):
            return X, out, list(X.columns)
        return X, out.to_numpy(), _names_of(X)


def _like(Z, X):
    if isinstance(X, pd.DataFrame):
        return pd.DataFrame(Z, columns=X.columns, index=X.index)
    return Z


def _names_of(X):
    if isinstance(X, pd.DataFrame):
        return [str(c) for c in X.columns]
    return _default_names(np.shape(X)[1])


def model_space(estimator, X) -> ModelSpace:
    """Describe how ``X`` reaches the input of ``estimator``'s final classifier.

    Parameters
    ----------
    estimator : fitted classifier or Pipeline
    X : array-like or DataFrame
        Data in the estimator's input space (used for column names and counts).

    Returns
    -------
    ModelSpace
    """
    head, final = split_pipeline(estimator)
    return _space(head, final, X)


def _space(head, final, X) -> ModelSpace:
    input_names = ([str(c) for c in X.columns] if isinstance(X, pd.DataFrame)
                   else None)
    n_in = np.shape(X)[1] if np.ndim(X) == 2 else None
    if head is None:
        names = input_names
        if names is None and hasattr(final, "feature_names_in_"):
            names = [str(c) for c in final.feature_names_in_]
        return ModelSpace(None, final, names, input_names, None, [], None)
    try:
        names = [str(c) for c in head.get_feature_names_out()]
    except (AttributeError, ValueError, TypeError):
        names = None
    layout = _layout(head, n_in) if n_in is not None else _Layout(0, -1, None)
    return ModelSpace(head, final, names, input_names, layout.columns,
                      layout.groups, layout.inverse)


def pipeline_constraints(preprocessor, X, mutability=None) -> dict:
    """Constraints on original columns, translated for a classifier after ``preprocessor``.

    Inside a Pipeline the classifier sees only the transformed array, so it
    cannot know that ``{"sex": "none"}`` means every one-hot column of
    ``sex``. This function reads the fitted ``preprocessor`` and returns the
    classifier's ``mutability`` (one value per model column) and
    ``categorical_groups`` (the one-hot groups, kept valid by the search).

    Parameters
    ----------
    preprocessor : fitted transformer
        The Pipeline steps before the classifier (a ColumnTransformer, say).
    X : DataFrame or array-like
        Data in the preprocessor's input space (column names are read).
    mutability : None, list or dict, default=None
        By original column name (or by model column name or position).

    Returns
    -------
    dict
        ``{"mutability": [...], "categorical_groups": [...]}``, ready for
        ``CounterfactualTrainingClassifier(**constraints)`` or ``set_params``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.compose import make_column_transformer
    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> X = pd.DataFrame({"age": [20.0, 30.0, 40.0], "sex": ["f", "m", "f"]})
    >>> pre = make_column_transformer((StandardScaler(), ["age"]),
    ...                               (OneHotEncoder(), ["sex"])).fit(X)
    >>> pipeline_constraints(pre, X, mutability={"sex": "none"})
    {'mutability': ['both', 'none', 'none'], 'categorical_groups': [[1, 2]]}
    """
    space = _space(preprocessor, None, X)
    n_model = space.transform(X.iloc[:1] if hasattr(X, "iloc") else
                              np.asarray(X)[:1]).shape[1]
    resolved = resolve_mutability(space.expand(mutability), n_model,
                                  space.feature_names)
    return {"mutability": resolved.tolist(),
            "categorical_groups": [list(map(int, g)) for g in space.categorical_groups]}
