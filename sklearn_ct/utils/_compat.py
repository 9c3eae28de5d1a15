"""The one home of scikit-learn internals we rely on (kept small and guarded)."""

from __future__ import annotations

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Hidden,
    Interval,
    Options,
    StrOptions,
)

__all__ = [
    "HasMethods",
    "Hidden",
    "Interval",
    "Options",
    "StrOptions",
    "_fit_context",
    "check_sample_weight",
    "column_transformer_input_indices",
]


def column_transformer_input_indices(ct) -> dict[str, np.ndarray]:
    """Input column positions of each fitted transformer of a ColumnTransformer.

    Reads the private ``_transformer_to_input_indices`` (scikit-learn >= 1.2;
    we require >= 1.6), the only record of columns chosen by a selector.
    """
    indices = getattr(ct, "_transformer_to_input_indices", None)
    if indices is None:
        raise RuntimeError(
            "This scikit-learn version does not record the input columns of a "
            "fitted ColumnTransformer; sklearn-ct needs scikit-learn >= 1.6."
        )
    return {name: np.asarray(idx, dtype=int) for name, idx in indices.items()}


def check_sample_weight(sample_weight, X) -> np.ndarray:
    """``sample_weight`` as float64 of one weight per row, finite and >= 0.

    scikit-learn's private ``_check_sample_weight`` (the check its own
    estimators make): None becomes ones. Newer scikit-learn refuses
    all-zero weights here (1.9 does, 1.7 does not); the classifier's own
    check of ``sample_weight * class_weight`` refuses them in any case.
    """
    from sklearn.utils.validation import _check_sample_weight

    return _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
