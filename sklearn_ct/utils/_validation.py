"""Checks of ``explain``'s options (the estimators' parameters use ``_parameter_constraints``)."""

from __future__ import annotations

import numbers

import numpy as np


def check(condition, name, expected, value) -> None:
    """Raise ``ValueError("<name> must be <expected>; got <value>.")`` unless ``condition``."""
    if not condition:
        raise ValueError(f"{name} must be {expected}; got {value!r}.")


def is_int(value, minimum=1) -> bool:
    """An integer (not a bool) of at least ``minimum``."""
    return (
        isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        and value >= minimum
    )


def check_bool(value, name) -> None:
    """True or False (numpy's too)."""
    check(isinstance(value, (bool, np.bool_)), name, "True or False", value)


def check_explain_options(sparsify, n_per_factual) -> None:
    """Validate the options of ``explain`` (shared by every ``explain``)."""
    check_bool(sparsify, "sparsify")
    check(is_int(n_per_factual), "n_per_factual", "a positive integer", n_per_factual)
