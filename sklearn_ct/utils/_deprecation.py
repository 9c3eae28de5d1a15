"""Renamed parameters and keywords, deprecated as scikit-learn deprecates them.

The former name stays in the signature with the default ``"deprecated"``
(declared in ``_parameter_constraints`` with
``Hidden(StrOptions({"deprecated"}))`` beside its real constraint); where the
value is used, :func:`renamed` takes it with a ``FutureWarning`` and refuses
it beside a non-default value of the new name.
"""

from __future__ import annotations

import inspect
import warnings

#: Version that renamed the parameters, and the one that will remove the old names.
RENAMED_IN, REMOVED_IN = "0.1", "0.3"


def is_deprecated(value) -> bool:
    """Whether ``value`` is the ``"deprecated"`` default of a former name.

    Parameters
    ----------
    value : object
        The value given for the former name.

    Returns
    -------
    bool
    """
    return isinstance(value, str) and value == "deprecated"


def renamed(old, old_value, new, new_value, new_default, stacklevel=3):
    """The value to use for parameter ``new``, whose former name was ``old``.

    Parameters
    ----------
    old, new : str
        The former and the current name.
    old_value : object
        The value given for ``old`` (``"deprecated"``: not given).
    new_value, new_default : object
        The value given for ``new`` and its default.
    stacklevel : int, default=3
        Of the ``FutureWarning``: 3 points at the caller of the function
        that calls this one.

    Returns
    -------
    object
        ``new_value``, or ``old_value`` (with a ``FutureWarning``) when the
        former name was given.

    Raises
    ------
    ValueError
        When both names were given (``new`` with a non-default value).

    Examples
    --------
    >>> import warnings
    >>> renamed("lr", "deprecated", "step_size", 0.2, 0.1)
    0.2
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     value = renamed("lr", 0.2, "step_size", 0.1, 0.1)
    >>> value, str(caught[0].message)
    (0.2, '`lr` was renamed to `step_size` in 0.1 and will be removed in 0.3.')
    """
    if is_deprecated(old_value):
        return new_value
    if not is_deprecated(new_value) and new_value != new_default:
        raise ValueError(
            f"Both `{old}` and `{new}` were set; `{old}` was renamed to `{new}` "
            f"in {RENAMED_IN}: set only `{new}` (got {old}={old_value!r} and "
            f"{new}={new_value!r})."
        )
    warnings.warn(
        f"`{old}` was renamed to `{new}` in {RENAMED_IN} and will be removed in "
        f"{REMOVED_IN}.",
        FutureWarning,
        stacklevel=stacklevel,
    )
    return old_value


def renamed_parameter(estimator, old, new, stacklevel=4):
    """The value to use for the estimator's parameter ``new``, formerly ``old``.

    Parameters
    ----------
    estimator : BaseEstimator
        Holds both parameters; ``new``'s default is read from its signature.
    old, new : str
        The former and the current name.
    stacklevel : int, default=4
        Of the ``FutureWarning`` (see :func:`renamed`).

    Returns
    -------
    object
        As :func:`renamed`.
    """
    default = inspect.signature(type(estimator).__init__).parameters[new].default
    return renamed(
        old,
        getattr(estimator, old),
        new,
        getattr(estimator, new),
        default,
        stacklevel=stacklevel,
    )
