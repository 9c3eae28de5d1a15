"""The model's input space: from the user's columns through a fitted pipeline and back.

Counterfactuals are searched in the input space of the classifier at the end
of a pipeline (the *model space*); users think in their own columns, units and
categories (the *input space*). :func:`model_space` reads the fitted
preprocessing once (``_layout``) and gives a :class:`ModelSpace` that

* checks the user's data as strictly as scikit-learn's ``validate_data``:
  width, and column names and their order (reordered by name, never matched
  by position when names differ);
* resolves constraints written on input columns (``{"age": "none"}``,
  ``{"hours-per-week": (1, 99)}`` in hours, integer features) into
  :class:`~sklearn_ct.constraints.FeatureConstraints` on model columns
  (``_translation``);
* brings counterfactuals back into the input space: original units, integer
  columns integral and in their dtype, categories as their levels.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from . import _inverse, _layout
from ._inputs import _dense_float, as_model_input, check_numeric_frame, split_pipeline
from ._nearest import nearest_same
from ._translation import resolve_constraints


@dataclass
class ModelSpace:
    """The estimator's input space and the way there from the user's data.

    Build it with :func:`model_space`. Attributes: ``head`` (fitted
    preprocessing or None), ``final`` (the classifier), ``input_names`` (the
    user's column names, or None), ``n_inputs``, ``feature_names`` (model
    column names, or None), ``layout`` (how input columns become model
    columns; None when a step is not understood) and ``unsupported`` (then,
    why: the message of :class:`~sklearn_ct.constraints.UnsupportedStepError`).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.compose import make_column_transformer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> X = pd.DataFrame({"age": [20.0, 30.0, 40.0, 50.0],
    ...                   "sex": ["f", "m", "f", "m"]})
    >>> pre = make_column_transformer((StandardScaler(), ["age"]),
    ...                               (OneHotEncoder(), ["sex"]))
    >>> pipe = make_pipeline(pre, LogisticRegression()).fit(X, [0, 0, 1, 1])
    >>> space = model_space(pipe)
    >>> Z = space.transform(X.iloc[:1])  # age scaled, sex one-hot
    >>> Z.round(3)
    array([[-1.342,  1.   ,  0.   ]])

    A counterfactual in the model's columns, back in the user's:

    >>> counterfactual, _ = space.restore(np.array([[0.0, 0.0, 1.0]]), X.iloc[:1], Z)
    >>> counterfactual
        age sex
    0  35.0   m
    """

    head: object
    final: object
    input_names: list | None
    n_inputs: int | None
    feature_names: list | None
    layout: _layout.Layout | None
    unsupported: str | None = None

    def require_layout(self, n_model: int) -> None:
        """Raise unless every model column can be followed back to the input.

        Explaining (and resolving constraints) through preprocessing needs
        it: counterfactuals are never returned in the model's columns.

        Parameters
        ----------
        n_model : int
            Number of model input columns.
        """
        if self.head is None:
            return
        if self.layout is None:
            raise ValueError(
                self.unsupported
                or (
                    "The preprocessing of this pipeline could not be read: the width "
                    "of its input is unknown. Fit it on a DataFrame or an array first."
                )
            )
        if self.layout.n_out != n_model:
            raise ValueError(
                f"The preprocessing was read as making {self.layout.n_out} columns, "
                f"but the classifier receives {n_model}; some step does not act "
                "column by column (a FunctionTransformer's func must act "
                f"elementwise). Supported steps: {_layout.SUPPORTED}."
            )

    # ------------------------------------------------------------- the way in
    def check_input(self, X, argname="X"):
        """``X`` with its columns in the fitted order, and the user's order.

        A DataFrame with the fitted column names in another order is reordered
        by name (and results come back in the user's order); missing or extra
        columns are a ``ValueError``; a wrong width is one too.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_inputs)
            Data in the user's columns.
        argname : str, default="X"
            Its name in error messages.

        Returns
        -------
        X : DataFrame or ndarray
        order : list or None
            The user's column order when it differed, else None.
        """
        n = np.shape(X)[1] if np.ndim(X) == 2 else None
        if n is None:
            raise ValueError(
                f"{argname} must be 2-D (n_samples, n_features); got "
                f"shape {np.shape(X)}."
            )
        if isinstance(X, pd.DataFrame) and self.input_names is not None:
            given = [str(c) for c in X.columns]
            if given != self.input_names:
                missing = [c for c in self.input_names if c not in given]
                extra = [c for c in given if c not in self.input_names]
                if missing or extra or len(set(given)) != len(given):
                    raise ValueError(
                        f"{argname} does not have the columns seen in fit: missing "
                        f"{missing}, unexpected {extra}. Pass the same columns "
                        "(in any order)."
                    )
                renamed = dict(zip(X.columns, given, strict=True))
                frame = X.rename(columns=renamed)[self.input_names]
                return frame, given
            return X, None
        if self.n_inputs is not None and n != self.n_inputs:
            raise ValueError(
                f"{argname} has {n} features, but {self._what()} expects "
                f"{self.n_inputs}."
            )
        if self.input_names is not None and not isinstance(X, pd.DataFrame):
            warnings.warn(
                f"{argname} has no column names, but {self._what()} was "
                "fitted with names; columns are taken by position.",
                UserWarning,
                stacklevel=3,
            )
            if self.head is not None:  # its steps may select columns by name
                frame = pd.DataFrame(np.asarray(X), columns=self.input_names)
                return frame.infer_objects(), None
        return X, None

    def _what(self):
        return type(self.head if self.head is not None else self.final).__name__

    def transform(self, X, argname="X") -> np.ndarray:
        """User data -> float64 model input (checked: columns, width, finite).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_inputs)
            Data in the user's columns.
        argname : str, default="X"
            Its name in error messages.

        Returns
        -------
        ndarray of shape (n_samples, n_model_features)
        """
        X, _ = self.check_input(X, argname)
        if self.head is None:
            check_numeric_frame(X, argname)
            return _dense_float(X, argname)
        return _dense_float(self.head.transform(X), argname)

    def final_input(self, Z):
        """Model input as the final estimator's ``predict`` expects it.

        Parameters
        ----------
        Z : ndarray of shape (n_samples, n_model_features)
            Data in the model's input space.

        Returns
        -------
        ndarray or DataFrame
        """
        return as_model_input(self.final, Z)

    @property
    def n_features(self) -> int | None:
        """Number of model columns, when known."""
        if self.layout is not None:
            return self.layout.n_out
        return None if self.feature_names is None else len(self.feature_names)

    # --------------------------------------------------- features and columns
    def feature_columns(self, n_model: int) -> tuple[list, list]:
        """The user's features as groups of model columns, and their names.

        One input column is one feature (its one-hot columns together, and
        the indicator that flags its missing values); model columns of
        unknown origin are features of their own.

        Parameters
        ----------
        n_model : int
            Number of model input columns.

        Returns
        -------
        columns : list of ndarray
            The model columns of each feature.
        names : list of str
            The features' names.
        """
        lay = self.layout
        if lay is None or lay.n_out != n_model:
            names = self.feature_names or [f"x{k}" for k in range(n_model)]
            return [np.array([k]) for k in range(n_model)], list(names)
        columns, names = [], []
        labels = self.input_names or [f"x{j}" for j in range(lay.n_in)]
        flagged = lay.flagged_input  # an indicator belongs to the column it flags
        for j in range(lay.n_in):
            cols = np.flatnonzero((lay.source == j) | (flagged == j))
            if len(cols):
                columns.append(cols)
                names.append(labels[j])
        for k in np.flatnonzero((lay.source < 0) & (flagged < 0)):
            columns.append(np.array([k]))
            names.append(self.feature_names[k] if self.feature_names else f"z{k}")
        return columns, names

    def resolve(self, X_input, X_model, **specs):
        """Constraints written on the user's columns, resolved on model columns.

        Parameters
        ----------
        X_input : array-like or DataFrame of shape (n_samples, n_inputs)
            Data in the user's columns (checked by :meth:`check_input`).
        X_model : ndarray of shape (n_samples, n_model_features)
            The same rows in the model's input space.
        **specs
            ``mutability``, ``domain``, ``categorical_groups``,
            ``integer_features`` and ``domain_n_std``, as the estimators take
            them (see ``_translation.resolve_constraints``).

        Returns
        -------
        FeatureConstraints
        """
        return resolve_constraints(self, X_input, X_model, **specs)

    # ------------------------------------------------------------ the way back
    @property
    def invertible(self) -> bool:
        """Counterfactuals can be brought back into the input space."""
        return self.head is None or (self.layout is not None and self.layout.known)

    def restore(self, Z_cf, X, Z, integer=None, flat=None):
        """Counterfactuals in the input space (the columns and order of ``X``).

        Parameters
        ----------
        Z_cf, Z : ndarray of shape (n, n_model_features)
            Counterfactuals and factuals in model space.
        X : DataFrame or ndarray
            Factuals as checked by :meth:`check_input` (fitted column order).
        integer : ndarray of bool or None
            Integer model columns (rounded after inversion).
        flat : ndarray of bool or None
            Model columns that a range of input values reaches as one value
            (bins, ties): the value returned is the one of that range
            nearest the factual's (:func:`._nearest.nearest_same`).

        Returns
        -------
        counterfactuals : DataFrame or ndarray
            Same type, columns and index as ``X``; with preprocessing that
            cannot be inverted, the model-space array (a DataFrame of model
            columns when ``X`` is one).
        in_input_space : bool
        """
        if self.head is None:
            return _like(Z_cf, X), True
        if not self.invertible:
            if isinstance(X, pd.DataFrame):
                names = self.feature_names or [f"x{k}" for k in range(Z.shape[1])]
                return pd.DataFrame(Z_cf, columns=names, index=X.index), False
            return Z_cf, False
        lay = self.layout
        original = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
        generic = None
        restored = {}
        for j, col in enumerate(original.columns):
            cols = np.flatnonzero(lay.source == j)
            values = original.iloc[:, j].to_numpy()
            changed = (
                np.any(Z_cf[:, cols] != Z[:, cols], axis=1)
                if len(cols)
                else np.zeros(len(Z), dtype=bool)
            )
            if changed.any():
                back = self._invert_column(j, cols, Z_cf, integer)
                if back is None:
                    if generic is None:
                        generic = _inverse.inverse(self.head, Z_cf)
                    if generic is None or any(v is None for v in generic[:, j]):
                        raise ValueError(
                            f"The preprocessing cannot invert column {col!r}: a "
                            "step on its way has no inverse_transform."
                        )
                    back = pd.to_numeric(pd.Series(generic[:, j])).to_numpy()
                    whole = integer is not None and integer[cols].any()
                    if flat is not None and flat[cols].any() and len(cols) == 1:
                        goal = Z_cf[:, cols[0]]
                        back = nearest_same(
                            self, original, j, cols[0], goal, back, whole
                        )
                    elif whole:  # a grid's
                        back = np.round(back)
                values = _inverse.merge(values, back, changed)
            restored[col] = values
        out = pd.DataFrame(restored, index=original.index)
        for col in out.columns:  # categorical columns keep their dtype
            if isinstance(original[col].dtype, pd.CategoricalDtype):
                out[col] = pd.Categorical(out[col], dtype=original[col].dtype)
        return (out if isinstance(X, pd.DataFrame) else out.to_numpy()), True

    def _invert_column(self, j, cols, Z_cf, integer):
        lay = self.layout
        kind = lay.kind[cols[0]]
        units = (Z_cf[:, cols] - lay.offset[cols]) / lay.scale[cols]
        if kind == "value":
            if not np.isfinite(lay.scale[cols[0]]):
                return None
            values = units[:, 0]
            if integer is not None and integer[cols[0]]:
                values = np.round(values)
            return values
        cats = lay.categories[j]
        if kind == "ordinal":
            return cats[np.clip(np.round(units[:, 0]).astype(int), 0, len(cats) - 1)]
        levels = lay.level[cols]
        dropped = [d for c, d in lay.groups if set(c) <= set(cols)]
        best = units.argmax(axis=1)
        pick = levels[best]
        if dropped and dropped[0] >= 0:
            pick = np.where(units.max(axis=1) < 0.5, dropped[0], pick)
        return cats[pick]


def _like(Z, X):
    if isinstance(X, pd.DataFrame):
        return pd.DataFrame(Z, columns=X.columns, index=X.index)
    return Z


def _names(estimator):
    names = getattr(estimator, "feature_names_in_", None)
    return None if names is None else [str(c) for c in names]


def model_space(estimator, X=None) -> ModelSpace:
    """Describe how the user's data reaches the input of ``estimator``'s classifier.

    Parameters
    ----------
    estimator : fitted classifier or Pipeline
        The model to explain, alone or at the end of its fitted preprocessing.
    X : array-like or DataFrame, default=None
        Data in the estimator's input space; its column names and width are
        used when the estimator did not record them.

    Returns
    -------
    ModelSpace

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> X, y = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]]), [0, 0, 1, 1]
    >>> space = model_space(LogisticRegression().fit(X, y))
    >>> space.head is None, space.n_features, space.invertible
    (True, 2, True)

    A step that mixes columns cannot be followed back to the input columns:

    >>> space = model_space(make_pipeline(PCA(1), LogisticRegression()).fit(X, y))
    >>> space.invertible, space.unsupported[:50]
    (False, "The preprocessing step 'pca' (PCA) is not one this")
    """
    head, final = split_pipeline(estimator)
    x_names = (
        [str(c) for c in X.columns]
        if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns)
        else None
    )
    x_width = np.shape(X)[1] if X is not None and np.ndim(X) == 2 else None
    if head is None:
        names = _names(final) or x_names
        n_in = getattr(final, "n_features_in_", None) or x_width
        return ModelSpace(
            None,
            final,
            names,
            n_in,
            names,
            None if n_in is None else _layout.identity(n_in),
        )
    try:
        check_is_fitted(head)
    except NotFittedError:
        raise NotFittedError(
            f"The preprocessing of this pipeline ({type(head).__name__}) is not fitted;"
            " fit the pipeline first."
        ) from None
    input_names = _names(head) or _names(estimator) or x_names
    n_in = getattr(head, "n_features_in_", None) or x_width
    try:
        feature_names = [str(c) for c in head.get_feature_names_out()]
    except (AttributeError, ValueError, TypeError):
        feature_names = None
    lay, unsupported = None, None
    if n_in is not None:
        try:
            lay = _layout.read(head, n_in)
        except _layout.UnsupportedStepError as error:
            unsupported = str(error)
    return ModelSpace(head, final, input_names, n_in, feature_names, lay, unsupported)


def pipeline_constraints(preprocessor, X, mutability=None) -> dict:
    """Constraints on original columns, translated for a classifier after ``preprocessor``.

    :func:`sklearn_ct.pipeline.make_pipeline` does this at every fit and is
    what to use; this function remains for a plain scikit-learn ``Pipeline``
    whose preprocessing is fitted beforehand.

    Parameters
    ----------
    preprocessor : fitted transformer
        The Pipeline steps before the classifier (a ColumnTransformer, say).
    X : DataFrame or array-like
        Data in the preprocessor's input space.
    mutability : None, list or dict, default=None
        By original column name (or by model column name or position).

    Returns
    -------
    dict
        ``{"mutability": [...], "categorical_groups": [...]}``, ready for
        ``CounterfactualTrainingClassifier(**constraints)`` or ``set_params``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.compose import make_column_transformer
    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> X = pd.DataFrame({"age": [20.0, 30.0, 40.0], "sex": ["f", "m", "f"]})
    >>> pre = make_column_transformer((StandardScaler(), ["age"]),
    ...                               (OneHotEncoder(), ["sex"])).fit(X)
    >>> pipeline_constraints(pre, X, mutability={"sex": "none"})
    {'mutability': ['both', 'none', 'none'], 'categorical_groups': [[1, 2]]}
    """
    space = model_space(Pipeline([("pre", preprocessor), ("clf", "passthrough")]), X)
    X_checked, _ = space.check_input(X)
    X_model = space.transform(
        X_checked.iloc[:1] if hasattr(X_checked, "iloc") else np.asarray(X_checked)[:1]
    )
    resolved = space.resolve(
        X_checked, X_model, mutability=mutability, integer_features=None
    )
    return {
        "mutability": resolved.mutability.tolist(),
        "categorical_groups": [list(map(int, g)) for g in resolved.groups],
    }
