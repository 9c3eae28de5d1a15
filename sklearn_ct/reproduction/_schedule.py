"""How long each fit and evaluation of the protocol takes, to start the longest first.

Two workers that take tasks in a fixed order finish together only if the
long tasks come first: an MNIST fit started last keeps one worker busy for
more than a minute while the other idles. :func:`expected_seconds` gives the
pool (:func:`~sklearn_ct.reproduction.run_tasks`) each task's CPU seconds on
one core: the means over the five seeds of the committed snapshot
(``research/results/settings.json``, two idle cores, 2026-12-04); digits,
not in that run, from seed 0 of an earlier one. Only their order matters:
the results do not depend on it.
"""

from __future__ import annotations

from types import MappingProxyType

#: Per data set: CPU seconds of a baseline fit, a CT fit, the single pair's
#: evaluation and the protected pair's.
_SECONDS = MappingProxyType(
    {
        "linearly_separable": (6.1, 12.1, 2.6, 5.4),
        "overlapping": (6.3, 13.5, 5.8, 8.0),
        "circles": (6.2, 11.9, 3.9, 5.9),
        "moons": (6.7, 11.4, 2.9, 4.5),
        "adult": (4.0, 16.2, 6.4, 14.1),
        "california_housing": (1.7, 6.1, 3.0, 5.9),
        "credit_default": (1.0, 11.2, 6.2, 20.9),
        "gmsc": (1.6, 6.7, 3.5, 6.1),
        "mnist": (2.0, 31.4, 21.3, 31.5),
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
