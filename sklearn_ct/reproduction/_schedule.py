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
        "linearly_separable": (4.1, 9.6, 2.4, 4.0),
        "overlapping": (3.9, 9.8, 4.2, 6.7),
        "circles": (3.9, 8.4, 3.5, 4.2),
        "moons": (4.2, 9.5, 2.6, 4.0),
        "adult": (2.6, 12.0, 4.9, 8.5),
        "california_housing": (0.9, 3.8, 1.8, 3.0),
        "credit_default": (0.7, 8.1, 4.5, 13.3),
        "gmsc": (0.8, 5.1, 2.4, 4.1),
        "mnist": (1.7, 25.5, 14.7, 27.5),
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
