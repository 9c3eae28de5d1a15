"""Checks of parameters shared by the estimators: errors name the argument and what was expected."""

from __future__ import annotations

import numbers

import numpy as np


def check(condition, name, expected, value) -> None:
    """Raise ``ValueError("<name> must be <expected>; got <value>.")`` unless ``condition``."""
    if not condition:
        raise ValueError(f"{name} must be {expected}; got {value!r}.")


def is_real(value, low=None, high=None, *, low_open=False, high_open=False) -> bool:
    """A finite real number (not a bool) within the given bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not np.isfinite(value):
        return False
    if low is not None and (value <= low if low_open else value < low):
        return False
    return high is None or (value < high if high_open else value <= high)


def check_real(value, name, low=None, *, low_open=False, allow_none=False) -> None:
    """A finite float, at least (or above) ``low``, or None where allowed."""
    if value is None and allow_none:
        return
    bound = "" if low is None else f" {'>' if low_open else '>='} {low}"
    check(is_real(value, low, low_open=low_open), name,
          f"a finite float{bound}{' or None' if allow_none else ''}", value)


def is_int(value, minimum=1) -> bool:
    """An integer (not a bool) of at least ``minimum``."""
    return (isinstance(value, numbers.Integral) and not isinstance(value, bool)
            and value >= minimum)


def check_bool(value, name) -> None:
    """True or False (numpy's too)."""
    check(isinstance(value, (bool, np.bool_)), name, "True or False", value)


def check_explain_options(sparsify, n_per_factual) -> None:
    """Validate the options of ``explain`` (shared by every ``explain``)."""
    check_bool(sparsify, "sparsify")
    check(is_int(n_per_factual), "n_per_factual", "a positive integer", n_per_factual)
