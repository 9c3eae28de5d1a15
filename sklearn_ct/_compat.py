"""The one home of scikit-learn internals we rely on (kept small and guarded)."""

from __future__ import annotations

import numpy as np


def column_transformer_input_indices(ct) -> dict[str, np.ndarray]:
    """Input column positions of each fitted transformer of a ColumnTransformer.

    Uses the private ``_transformer_to_input_indices`` (scikit-learn >= 1.2)
    and falls back to resolving ``transformers_`` columns by hand.
    """
    private = getattr(ct, "_transformer_to_input_indices", None)
    if private is not None:
        return {name: np.asarray(idx, dtype=int) for name, idx in private.items()}
    names = list(getattr(ct, "feature_names_in_", []))
    n_in = ct.n_features_in_
    out = {}
    for name, _, columns in ct.transformers_:
        idx = np.arange(n_in)[columns] if not isinstance(columns, list) or not (
            columns and isinstance(columns[0], str)) else [names.index(c)
                                                          for c in columns]
        out[name] = np.asarray(idx, dtype=int)
    return out


def onehot_block_sizes(encoder) -> list[int] | None:
    """Output columns per input feature of a fitted OneHotEncoder, or None.

    None when infrequent-category grouping makes the layout hard to read off.
    """
    infrequent = getattr(encoder, "infrequent_categories_", None)
    if infrequent is not None and any(c is not None for c in infrequent):
        return None
    drop = encoder.drop_idx_
    return [len(cats) - (0 if drop is None or drop[j] is None else 1)
            for j, cats in enumerate(encoder.categories_)]
