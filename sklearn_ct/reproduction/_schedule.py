"""How long each fit and evaluation of the protocol takes, to start the longest first.

Two workers that take tasks in a fixed order finish together only if the
long tasks come first: an MNIST fit started last keeps one worker busy for
more than a minute while the other idles. :func:`expected_seconds` gives the
pool (:func:`~sklearn_ct.reproduction.run_tasks`) each task's CPU seconds on
one core: the means over the five seeds of the committed snapshot
(``research/results/settings.json``, two idle cores, 2026-12-03); digits,
not in that run, from seed 0 of an earlier one. Only their order matters:
the results do not depend on it.
"""

from __future__ import annotations

from types import MappingProxyType

#: Per data set: CPU seconds of a baseline fit, a CT fit, the single pair's
#: evaluation and the protected pair's.
_SECONDS = MappingProxyType(
    {
        "linearly_separable": (7.5, 13.8, 2.7, 6.7),
        "overlapping": (7.5, 16.9, 7.7, 8.9),
        "circles": (7.2, 14.3, 4.2, 7.0),
        "moons": (8.0, 14.5, 2.9, 5.4),
        "adult": (5.7, 19.4, 7.4, 12.6),
        "california_housing": (2.3, 8.0, 3.1, 5.9),
        "credit_default": (1.5, 13.8, 7.6, 23.0),
        "gmsc": (1.8, 9.5, 3.3, 5.9),
        "mnist": (2.4, 70.9, 19.5, 33.3),
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
