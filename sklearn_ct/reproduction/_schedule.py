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
        "linearly_separable": (6.6, 11.2, 2.5, 7.6),
        "overlapping": (5.4, 13.8, 6.0, 14.6),
        "circles": (5.9, 12.0, 3.6, 11.3),
        "moons": (6.3, 11.0, 2.7, 6.6),
        "adult": (4.3, 22.0, 7.2, 24.6),
        "california_housing": (1.6, 6.1, 2.7, 6.1),
        "credit_default": (1.2, 15.3, 6.9, 33.6),
        "gmsc": (1.2, 7.0, 3.2, 8.0),
        "mnist": (2.1, 93.6, 20.8, 35.2),
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
