"""Keys of per-feature specifications: input or model columns, by name or position.

A user writes ``{"age": "none"}`` or a list with one value per column;
:func:`_per_model` finds every model column each key stands for (all the
one-hot columns of a category), and the input column behind it.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np


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


def _label(space, j):
    return space.input_names[j] if space.input_names else j
