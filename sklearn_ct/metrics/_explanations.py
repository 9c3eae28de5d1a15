"""Metrics of a set of counterfactuals against their factuals.

Pure functions of a :class:`~sklearn_ct.explain.CounterfactualResult`,
measured in the model's input space: validity, cost (distance to the
factual), redundancy (unchanged features), and, with several counterfactuals
per factual, their diversity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..explain._result import CounterfactualResult

_NAN = float("nan")


def _pairs(result, only_valid):
    x = np.asarray(result.model_factuals, dtype=float)
    x_cf = np.asarray(result.model_counterfactuals, dtype=float)
    keep = np.asarray(result.valid, dtype=bool) if only_valid else slice(None)
    return x[keep], x_cf[keep]


def validity(result: CounterfactualResult) -> float:
    """Share of counterfactuals for which the model predicts the target.

    Parameters
    ----------
    result : CounterfactualResult
        The explanations to score.

    Returns
    -------
    float
        In [0, 1]; nan for an empty result.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> validity(SimpleNamespace(valid=np.array([True, False, True, True])))
    0.75
    """
    valid = np.asarray(result.valid, dtype=float)
    return float(valid.mean()) if valid.size else _NAN


def cost(result: CounterfactualResult, norm: int = 1, only_valid: bool = True) -> float:
    """Mean Lp distance between factuals and counterfactuals.

    Parameters
    ----------
    result : CounterfactualResult
        The explanations to score.
    norm : {1, 2}, default=1
        Order of the norm (L1 or L2).
    only_valid : bool, default=True
        Average over valid counterfactuals only.

    Returns
    -------
    float
        nan when no counterfactual enters the average.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(model_factuals=np.zeros((2, 2)), valid=[True, True],
    ...                     model_counterfactuals=[[1.0, 1.0], [3.0, 0.0]])
    >>> cost(r), round(cost(r, norm=2), 4)
    (2.5, 2.2071)
    """
    if norm not in (1, 2):
        raise ValueError(f"norm must be 1 or 2; got {norm!r}.")
    x, x_cf = _pairs(result, only_valid)
    return float(np.linalg.norm(x_cf - x, ord=norm, axis=1).mean()) if len(x) else _NAN


def redundancy(
    result: CounterfactualResult, atol: float = 1e-5, only_valid: bool = True
) -> float:
    """Mean share of features left unchanged: ``|x'_d - x_d| < atol``.

    Parameters
    ----------
    result : CounterfactualResult
        The explanations to score.
    atol : float, default=1e-5
        Changes smaller than this count as none.
    only_valid : bool, default=True
        Average over valid counterfactuals only.

    Returns
    -------
    float
        In [0, 1]; nan when no counterfactual enters the average.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(model_factuals=np.zeros((2, 2)), valid=[True, True],
    ...                     model_counterfactuals=[[1.0, 0.0], [0.0, 0.0]])
    >>> redundancy(r)
    0.75
    """
    x, x_cf = _pairs(result, only_valid)
    return float((np.abs(x_cf - x) < atol).mean()) if len(x) else _NAN


def _pairs_per_factual(result):
    """Positions (i, j), i < j, of valid counterfactuals of the same factual."""
    valid = np.flatnonzero(np.asarray(result.valid, dtype=bool))
    frame = pd.DataFrame(
        {"row": valid, "factual": np.asarray(result.factual_index)[valid]}
    )
    pairs = frame.merge(frame, on="factual")
    pairs = pairs[pairs["row_x"] < pairs["row_y"]]
    return pairs["row_x"].to_numpy(), pairs["row_y"].to_numpy(), pairs["factual"]


def diversity(result: CounterfactualResult) -> float:
    """Mean L1 distance between two valid counterfactuals of the same factual.

    The diversity of ``explain(..., n_per_factual=k)`` (DiCE's "diversity"),
    in the model's input space: per factual the mean over pairs, then the
    mean over factuals with at least two valid counterfactuals.

    Parameters
    ----------
    result : CounterfactualResult
        Several counterfactuals per factual (``n_per_factual > 1``).

    Returns
    -------
    float
        nan when no factual has two valid counterfactuals.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(model_counterfactuals=np.array([[0., 0], [1, 2], [5, 5]]),
    ...                     valid=[True, True, True], factual_index=[0, 0, 1])
    >>> diversity(r)
    3.0
    """
    i, j, factual = _pairs_per_factual(result)
    if not len(i):
        return _NAN
    cf = np.asarray(result.model_counterfactuals, dtype=float)
    distance = np.abs(cf[i] - cf[j]).sum(axis=1)
    return float(pd.Series(distance).groupby(factual.to_numpy()).mean().mean())


def feature_diversity(result: CounterfactualResult, atol: float = 1e-5) -> float:
    """Share of features changed by one of two counterfactuals of a factual, not both.

    DiCE's "count diversity", over valid counterfactuals of the same factual
    (model columns; ``atol`` decides what counts as a change).

    Parameters
    ----------
    result : CounterfactualResult
        Several counterfactuals per factual (``n_per_factual > 1``).
    atol : float, default=1e-5
        Changes smaller than this count as none.

    Returns
    -------
    float
        In [0, 1]; nan when no factual has two valid counterfactuals.

    Examples
    --------
    Two counterfactuals of the first factual, each changing one feature of
    three, a different one (the second factual has one, so no pair):

    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(model_factuals=np.zeros((3, 3)), valid=[True] * 3,
    ...                     model_counterfactuals=np.eye(3), factual_index=[0, 0, 1])
    >>> round(feature_diversity(r), 4)
    0.6667
    """
    i, j, factual = _pairs_per_factual(result)
    if not len(i):
        return _NAN
    changed = (
        np.abs(
            np.asarray(result.model_counterfactuals, dtype=float)
            - np.asarray(result.model_factuals, dtype=float)
        )
        > atol
    )
    share = (changed[i] != changed[j]).mean(axis=1)
    return float(pd.Series(share).groupby(factual.to_numpy()).mean().mean())
