"""Scorers of explanations: ``scorer(estimator, X, y)``, greater is better.

:func:`make_explainability_scorer` explains a seeded subsample of ``X`` with
a :class:`~sklearn_ct.explain.CounterfactualExplainer` fitted on ``(X, y)``
and scores the explanations with one metric (distances negated), for
``GridSearchCV`` and ``cross_validate``; the ready-made scorers are its
common settings.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..explain._explainer import CounterfactualExplainer
from ._explanations import _NAN, cost, validity
from ._plausibility import _rng, implausibility_by_target

_SCORER_METRICS = ("validity", "cost", "implausibility", "mmd", "manifold")


class _ExplainabilityScorer:
    """Picklable scorer built by :func:`make_explainability_scorer`."""

    def __init__(
        self,
        metric,
        n_factuals,
        random_state,
        explainer_params,
        target=None,
        factual_class=None,
    ):
        self.metric = metric
        self.n_factuals = n_factuals
        self.random_state = random_state
        self.explainer_params = explainer_params
        self.target = target
        self.factual_class = factual_class

    def __repr__(self) -> str:
        params = "".join(f", {k}={v!r}" for k, v in self.explainer_params.items())
        restricted = "".join(
            f", {k}={getattr(self, k)!r}"
            for k in ("target", "factual_class")
            if getattr(self, k) is not None
        )
        return (
            f"make_explainability_scorer({self.metric!r}{restricted}, "
            f"n_factuals={self.n_factuals}, random_state={self.random_state!r}"
            f"{params})"
        )

    def _factual_rows(self, estimator, X):
        """Positions of the factuals: a seeded subsample, restricted on request."""
        rng = _rng(self.random_state)
        if self.target is None and self.factual_class is None:
            return np.sort(rng.permutation(len(X))[: self.n_factuals])
        classes = getattr(estimator, "classes_", None)
        for name in ("target", "factual_class"):
            label = getattr(self, name)
            if (
                label is not None
                and classes is not None
                and not np.isin(label, np.asarray(classes))
            ):
                raise ValueError(
                    f"{name}={label!r} is not a class of the estimator;"
                    f" its classes are {list(classes)}."
                )
        predicted = np.asarray(estimator.predict(X))
        if self.factual_class is not None:
            eligible = np.flatnonzero(predicted == self.factual_class)
        else:  # rows already predicted as the target need no explanation
            eligible = np.flatnonzero(predicted != self.target)
        return np.sort(eligible[rng.permutation(len(eligible))[: self.n_factuals]])

    def __call__(self, estimator, X, y) -> float:
        rows = self._factual_rows(estimator, X)
        if not len(rows):
            which = (
                f"predicted as factual_class={self.factual_class!r}"
                if self.factual_class is not None
                else f"predicted other than target={self.target!r}"
            )
            warnings.warn(
                f"No row of X is {which}; the {self.metric} score is nan.",
                UserWarning,
                stacklevel=2,
            )
            return _NAN
        factuals = X.iloc[rows] if hasattr(X, "iloc") else np.asarray(X)[rows]
        params = {"random_state": self.random_state, **self.explainer_params}
        explainer = CounterfactualExplainer(estimator, **params).fit(X, y)
        result = explainer.explain(factuals, target=self.target)
        if self.metric == "validity":
            return validity(result)
        if not np.any(result.valid):
            warnings.warn(
                f"No valid counterfactual among {len(result)} factuals; "
                f"the {self.metric} score is nan.",
                UserWarning,
                stacklevel=2,
            )
            return _NAN
        if self.metric == "cost":
            return -cost(result)
        space = explainer.model_space_
        X_model = space.transform(space.check_input(X)[0])
        kwargs = (
            {} if self.metric == "manifold" else {"random_state": self.random_state}
        )
        return -implausibility_by_target(
            result, X_model, y, metric=self.metric, **kwargs
        )


def make_explainability_scorer(
    metric: str,
    *,
    target=None,
    factual_class=None,
    n_factuals: int = 100,
    random_state=0,
    **explainer_params,
):
    """A scorer ``scorer(estimator, X, y)`` of the estimator's counterfactuals.

    Each call explains a seeded subsample of at most ``n_factuals`` rows of
    ``X`` with a :class:`CounterfactualExplainer` fitted on ``(X, y)``; a
    :class:`CounterfactualTrainingClassifier` keeps its own constraints unless
    ``explainer_params`` set them. Distances are negated (greater is better).

    ``X`` is what the estimator takes: for a pipeline (such as a
    :class:`~sklearn_ct.pipeline.CounterfactualPipeline` with a
    ``ColumnTransformer``), its raw input columns, strings included. Costs and
    plausibility are measured in the model's input space (after the
    pipeline's preprocessing), where the search runs.

    Parameters
    ----------
    metric : {"validity", "cost", "implausibility", "mmd", "manifold"}
        ``"implausibility"`` (IP), ``"mmd"`` (IP*) and ``"manifold"``
        (:func:`manifold_distance`) compare with the rows of ``X`` whose true
        label is each counterfactual's target.
    target : label or None, default=None
        Explain towards this class only; the factuals are then drawn from
        the rows the estimator does not already predict as ``target``.
        ``None``: a random class other than the predicted one (the other
        class for binary tasks).
    factual_class : label or None, default=None
        Explain only rows the estimator predicts as this class (a bank
        scoring only "bad -> good" explanations: ``factual_class="bad",
        target="good"``). ``None``: any row.
    n_factuals : int, default=100
        Factuals explained per call, at most.
    random_state : int, RandomState instance or None, default=0
        Seeds the subsample, the targets and the metric's sampling.
    **explainer_params
        Parameters of :class:`CounterfactualExplainer`.

    Returns
    -------
    callable
        Picklable; nan (and a warning) for a distance without any valid
        counterfactual, or when no row of ``X`` is eligible as a factual.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = make_blobs(60, centers=2, random_state=0)
    >>> scorer = make_explainability_scorer("cost", n_factuals=10, max_iter=20)
    >>> scorer(LogisticRegression().fit(X, y), X, y) <= 0
    True

    Only explanations of rows predicted 0, towards 1:

    >>> to_one = make_explainability_scorer("manifold", factual_class=0, target=1,
    ...                                     n_factuals=10, max_iter=20)
    >>> to_one(LogisticRegression().fit(X, y), X, y) <= 0
    True
    """
    if metric not in _SCORER_METRICS:
        raise ValueError(
            f"metric must be one of {list(_SCORER_METRICS)}; got {metric!r}."
        )
    for name, label in (("target", target), ("factual_class", factual_class)):
        if label is not None and np.ndim(label) != 0:
            raise ValueError(
                f"{name} must be a single class label or None; got {label!r}."
            )
    if target is not None and factual_class is not None and target == factual_class:
        raise ValueError(
            f"target and factual_class are both {target!r}; a "
            "counterfactual must change the class."
        )
    return _ExplainabilityScorer(
        metric,
        n_factuals,
        random_state,
        dict(explainer_params),
        target=target,
        factual_class=factual_class,
    )


validity_scorer = make_explainability_scorer("validity")
cost_scorer = make_explainability_scorer("cost")
# The paper's evaluation generator: ECCCo, tau 0.95, T 50, no cost,
# no refinement toward the factual (it would trade plausibility for cost) and
# gradient steps only (no discrete fallback search).
plausibility_scorer = make_explainability_scorer(
    "implausibility",
    decision_threshold=0.95,
    max_iter=50,
    lambda_cost=0.0,
    lambda_energy=1.0,
    refine=False,
    fallback=False,
)
mmd_scorer = make_explainability_scorer(
    "mmd",
    decision_threshold=0.95,
    max_iter=50,
    lambda_cost=0.0,
    lambda_energy=1.0,
    refine=False,
    fallback=False,
)
# The explanations a user gets (the explainer's defaults), as the value
# benchmark measures them: minus the mean L1 distance to the 5 nearest
# target-class rows of X.
manifold_scorer = make_explainability_scorer("manifold")
