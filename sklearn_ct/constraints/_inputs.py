"""The data on its way into the model: checks, dense floats, a pipeline's parts.

:func:`check_numeric_frame` refuses string columns where numbers are needed;
:func:`split_pipeline` splits a pipeline into its preprocessing and the
classifier to explain; :func:`as_model_input` gives that classifier its
input in the form its ``predict`` expects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_array

from ..utils._torch import module_dtype


def _dense_float(Z, argname="X"):
    if sp.issparse(Z):
        Z = Z.toarray()
    Z = check_array(
        np.asarray(Z), dtype=np.float64, ensure_all_finite=True, input_name=argname
    )
    # pandas 3 hands out read-only views (copy-on-write); torch needs writeable.
    return np.require(Z, requirements="W")


def _string_columns(X) -> list:
    if not isinstance(X, pd.DataFrame):
        return []
    return [
        str(c)
        for c in X.columns
        if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))
    ]


def check_numeric_frame(X, argname="X") -> None:
    """Raise a clear error for string columns where numbers are needed."""
    strings = _string_columns(X)
    if strings:
        raise ValueError(
            f"{argname} has non-numeric columns {strings}; the network needs numbers."
            " Encode them first, for example with a OneHotEncoder in a "
            "ColumnTransformer inside sklearn_ct.pipeline.make_pipeline."
        )


def as_model_input(estimator, Z: np.ndarray):
    """Numeric model input as a fitted estimator's ``predict`` expects it.

    skorch nets get their module's float dtype; estimators fitted on named
    columns get a DataFrame with those names (no feature-name warning).
    """
    from skorch import NeuralNet

    if isinstance(estimator, NeuralNet):
        dtype = module_dtype(estimator.module_)
        return Z.astype(torch.empty((), dtype=dtype).numpy().dtype)
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        return pd.DataFrame(Z, columns=names)
    return Z


def split_pipeline(estimator):
    """Split a Pipeline into its preprocessing part and its final classifier.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A classifier, or a pipeline ending in one.

    Returns
    -------
    preprocessor : Pipeline or None
        The steps before the last (``None`` if there are none, or for a
        plain estimator).
    final : estimator
        The classifier to explain.
    """
    if isinstance(estimator, Pipeline):
        final = estimator.steps[-1][1]
        head = estimator[:-1] if len(estimator.steps) > 1 else None
        return head, final
    return None, estimator
