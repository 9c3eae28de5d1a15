"""Choosing a model in ``GridSearchCV`` by accuracy, plausibility and cost.

:func:`most_plausible_within` builds a ``refit`` callable for
:class:`sklearn.model_selection.GridSearchCV` (and the other searches): from
``cv_results_`` it picks the most plausible candidate among those nearly as
accurate as the best and nearly as cheap as the cheapest of those. The
scores are the ones the search computed with named scorers, all "greater is
better", as scikit-learn's and :mod:`sklearn_ct.metrics`' scorers return them.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["most_plausible_within"]


class _MostPlausibleWithin:
    """Picklable ``refit`` callable built by :func:`most_plausible_within`."""

    def __init__(
        self, accuracy_tolerance, cost_tolerance, accuracy, plausibility, cost
    ):
        self.accuracy_tolerance = accuracy_tolerance
        self.cost_tolerance = cost_tolerance
        self.accuracy = accuracy
        self.plausibility = plausibility
        self.cost = cost

    def __repr__(self) -> str:
        return (
            f"most_plausible_within(accuracy_tolerance={self.accuracy_tolerance!r}"
            f", cost_tolerance={self.cost_tolerance!r}, accuracy="
            f"{self.accuracy!r}, plausibility={self.plausibility!r}, cost="
            f"{self.cost!r})"
        )

    def _scores(self, cv_results, name) -> np.ndarray:
        key = f"mean_test_{name}"
        if key not in cv_results:
            found = sorted(
                k.removeprefix("mean_test_")
                for k in cv_results
                if k.startswith("mean_test_")
            )
            listed = ", ".join(repr(k) for k in found) or "none"
            raise ValueError(
                f"cv_results_ has no {key!r}: no scorer is named {name!r}. Its "
                f"scores are {listed}. Give the search a dict of scorers, e.g. "
                "scoring={'accuracy': 'accuracy', 'plausibility': manifold_scorer, "
                "'cost': cost_scorer}, or name yours in most_plausible_within("
                "accuracy=..., plausibility=..., cost=...)."
            )
        return np.asarray(cv_results[key], dtype=float)

    def eligible(self, cv_results) -> np.ndarray:
        """Which candidates meet both tolerances.

        Parameters
        ----------
        cv_results : dict
            A search's ``cv_results_``.

        Returns
        -------
        ndarray of bool of shape (n_candidates,)
            Within ``accuracy_tolerance`` of the best mean accuracy, and, if
            ``cost`` is named, at most ``1 + cost_tolerance`` times the cost
            of the cheapest of those (candidates without a finite cost are
            left out, unless none has one).
        """
        accuracy = self._scores(cv_results, self.accuracy)
        self._scores(cv_results, self.plausibility)  # named, or a clear error now
        if not np.isfinite(accuracy).any():
            raise ValueError(
                f"No candidate has a finite mean {self.accuracy!r} "
                "score; nothing to choose from."
            )
        keep = accuracy >= np.nanmax(accuracy) - self.accuracy_tolerance
        if self.cost is None:
            return keep
        cost = -self._scores(cv_results, self.cost)  # scorers negate costs
        if np.any(cost[np.isfinite(cost)] < 0):
            raise ValueError(
                f"The {self.cost!r} scores must be negated costs (<= 0, greater is "
                "better, as sklearn_ct.metrics.cost_scorer returns them); some are "
                "positive."
            )
        priced = keep & np.isfinite(cost)
        if not priced.any():
            return keep
        return priced & (cost <= cost[priced].min() * (1 + self.cost_tolerance))

    def __call__(self, cv_results) -> int:
        """The index of the chosen candidate in ``cv_results``.

        Parameters
        ----------
        cv_results : dict
            A search's ``cv_results_``.

        Returns
        -------
        int
            The most plausible eligible candidate (ties: the more accurate,
            then the first); the most accurate eligible one if none has a
            finite plausibility score.
        """
        keep = self.eligible(cv_results)
        accuracy = self._scores(cv_results, self.accuracy)
        plausibility = self._scores(cv_results, self.plausibility)
        candidates = np.flatnonzero(keep)
        # lexsort: the last key sorts first; nan ranks below every number.
        order = np.lexsort(
            (
                -np.nan_to_num(accuracy[candidates], nan=-np.inf),
                -np.nan_to_num(plausibility[candidates], nan=-np.inf),
            )
        )
        return int(candidates[order[0]])


def most_plausible_within(
    accuracy_tolerance: float = 0.01,
    cost_tolerance: float = 0.05,
    *,
    accuracy: str = "accuracy",
    plausibility: str = "plausibility",
    cost: str | None = "cost",
):
    """A ``refit`` for ``GridSearchCV``: the most plausible of the good enough.

    scikit-learn's searches accept a callable ``refit`` that receives
    ``cv_results_`` and returns the index of the candidate to refit. This
    one keeps the candidates whose mean test ``accuracy`` is at most
    ``accuracy_tolerance`` below the best; of those, with ``cost`` named,
    the ones whose mean cost is at most ``cost_tolerance`` (relative) above
    the cheapest of them; and picks the one with the best mean
    ``plausibility`` score.

    The names are those of the search's ``scoring`` dict. Scores are "greater
    is better" as scorers return them: plausibility scorers return minus a
    distance (closer to 0 is better), and cost scorers minus the cost, so the
    cost of a candidate is ``-mean_test_<cost>``: with costs 2.0 (score
    -2.0) and 2.08 (score -2.08) and ``cost_tolerance=0.05``, both pass
    (2.08 <= 1.05 * 2.0).

    Parameters
    ----------
    accuracy_tolerance : float, default=0.01
        Absolute: 0.01 is one point of accuracy.
    cost_tolerance : float, default=0.05
        Relative to the cheapest accurate candidate: 0.05 allows 5% dearer
        recourse. Ignored when ``cost=None``.
    accuracy : str, default="accuracy"
        Name of the accuracy (or any other predictive, greater-is-better)
        score.
    plausibility : str, default="plausibility"
        Name of the plausibility score, e.g. from
        :data:`~sklearn_ct.metrics.manifold_scorer` or
        :data:`~sklearn_ct.metrics.plausibility_scorer`.
    cost : str or None, default="cost"
        Name of the negated cost score, e.g. from
        :data:`~sklearn_ct.metrics.cost_scorer`; ``None``: no cost criterion.

    Returns
    -------
    callable
        Picklable ``refit(cv_results) -> int``; ``refit.eligible(cv_results)``
        says which candidates met the tolerances. It raises ``ValueError``,
        listing the scores there are, if a named score is missing from
        ``cv_results_`` (a search calls it only after fitting every
        candidate: try ``refit(search.cv_results_)`` on a small search first).

    Examples
    --------
    >>> cv_results = {"mean_test_accuracy": [0.95, 0.945, 0.90, 0.948],
    ...               "mean_test_plausibility": [-1.2, -0.8, -0.5, -0.9],
    ...               "mean_test_cost": [-2.0, -3.0, -1.5, -2.05]}
    >>> refit = most_plausible_within(accuracy_tolerance=0.01, cost_tolerance=0.05)
    >>> refit.eligible(cv_results).tolist()
    [True, False, False, True]
    >>> refit(cv_results)
    3

    In a search, ``best_index_`` is the candidate it picks:

    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn_ct.metrics import make_explainability_scorer
    >>> X, y = make_blobs(80, centers=2, random_state=0)
    >>> scoring = {"accuracy": "accuracy",
    ...            "plausibility": make_explainability_scorer(
    ...                "manifold", n_factuals=10),
    ...            "cost": make_explainability_scorer("cost", n_factuals=10)}
    >>> search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2,
    ...                       scoring=scoring, refit=refit).fit(X, y)
    >>> search.best_index_ == refit(search.cv_results_)
    True
    """
    for name, value in (
        ("accuracy_tolerance", accuracy_tolerance),
        ("cost_tolerance", cost_tolerance),
    ):
        if (
            not isinstance(value, numbers.Real)
            or isinstance(value, bool)
            or not value >= 0
            or not np.isfinite(value)
        ):
            raise ValueError(f"{name} must be a finite float >= 0; got {value!r}.")
    for name, value in (("accuracy", accuracy), ("plausibility", plausibility)):
        if not isinstance(value, str):
            raise TypeError(
                f"{name} must be the name of a score (a str); got {value!r}."
            )
    if cost is not None and not isinstance(cost, str):
        raise TypeError(
            f"cost must be the name of a score (a str) or None; got {cost!r}."
        )
    return _MostPlausibleWithin(
        accuracy_tolerance, cost_tolerance, accuracy, plausibility, cost
    )
