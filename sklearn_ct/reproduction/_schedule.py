"""How long each fit and evaluation of the protocol takes, to start the longest first.

Two workers that take tasks in a fixed order finish together only if the
long tasks come first: an MNIST fit started last keeps one worker busy for
minutes while the other idles. :func:`expected_seconds` gives the pool
(:func:`~sklearn_ct.reproduction.run_tasks`) each task's expected seconds
on one core, as measured for the paper's protocol on two busy cores (the
fits: the five-seed snapshot of research/results; the evaluations and
MNIST: side-by-side runs for issue 22). Only their order matters: the
results do not depend on it.
"""

from __future__ import annotations

from types import MappingProxyType

#: Per data set: seconds of a baseline fit, a CT fit, the single pair's
#: evaluation and the protected pair's.
_SECONDS = MappingProxyType(
    {
        "linearly_separable": (10, 19, 12, 30),
        "overlapping": (10, 24, 12, 30),
        "circles": (11, 21, 12, 30),
        "moons": (11, 22, 12, 30),
        "adult": (7, 42, 40, 60),
        "california_housing": (3, 11, 20, 30),
        "credit_default": (2, 32, 20, 40),
        "gmsc": (2, 13, 20, 40),
        "mnist": (6, 250, 40, 120),
        "digits": (1, 7, 10, 30),
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
