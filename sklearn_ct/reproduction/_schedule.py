"""How long each fit and evaluation of the protocol takes, to start the longest first.

Two workers that take tasks in a fixed order finish together only if the
long tasks come first: an MNIST fit started last keeps one worker busy for
more than a minute while the other idles. :func:`expected_seconds` gives the
pool (:func:`~sklearn_ct.reproduction.run_tasks`) each task's CPU seconds on
one core, measured on seed 0 of the paper's protocol. Only their
order matters: the results do not depend on it.
"""

from __future__ import annotations

from types import MappingProxyType

#: Per data set: CPU seconds of a baseline fit, a CT fit, the single pair's
#: evaluation and the protected pair's.
_SECONDS = MappingProxyType(
    {
        "linearly_separable": (7.0, 13.7, 2.8, 8.3),
        "overlapping": (7.5, 13.4, 7.2, 15.9),
        "circles": (7.6, 13.6, 4.0, 10.8),
        "moons": (9.0, 12.6, 2.8, 9.8),
        "adult": (4.2, 25.4, 8.3, 27.7),
        "california_housing": (1.6, 7.4, 3.2, 8.1),
        "credit_default": (1.0, 15.8, 9.2, 42.8),
        "gmsc": (1.8, 10.9, 4.3, 10.2),
        "mnist": (3.0, 80.0, 21.5, 36.7),
        "digits": (1.1, 4.5, 3.4, 18.8),
    }
)
_COLUMNS = ("BL", "CT", "single", "protected")


def expected_seconds(name: str, task: str) -> float:
    """Expected seconds of a fit or an evaluation on one core.

    Parameters
    ----------
    name : str
        A data set of :data:`sklearn_ct.datasets.DATASETS`.
    task : {"BL", "CT", "single", "protected"}
        A fit (the model) or an evaluation (the pair).

    Returns
    -------
    float
        A data set not in the table counts as the longest of its kind.

    Examples
    --------
    >>> expected_seconds("mnist", "CT") > expected_seconds("moons", "CT")
    True
    """
    column = _COLUMNS.index(task)
    if name in _SECONDS:
        return float(_SECONDS[name][column])
    return float(max(row[column] for row in _SECONDS.values()))
