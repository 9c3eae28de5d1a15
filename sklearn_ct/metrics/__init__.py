"""Metrics of counterfactual explanations and of robustness, and their scorers.

Distances are measured in the model's input space (after any preprocessing);
by default only valid counterfactuals enter the averages (as in the paper's
evaluation). Metrics are pure functions; scorers are picklable callables
``scorer(estimator, X, y)`` where greater is better (distances negated), for
``GridSearchCV`` and ``cross_validate``.

* explanations (``_explanations``): :func:`validity`, :func:`cost`,
  :func:`redundancy`, :func:`diversity`, :func:`feature_diversity`;
* plausibility (``_plausibility``): :func:`implausibility` (IP), :func:`mmd`
  (IP*), :func:`manifold_distance`, :func:`implausibility_by_target` and the
  paper's four numbers, :func:`explanation_summary`;
* robustness (``_robustness``): :func:`robust_accuracy` (FGSM, PGD) and
  :func:`sensitivity` (integrated gradients);
* scorers (``_scorer``): :func:`make_explainability_scorer` and the
  ready-made ``validity_scorer``, ``cost_scorer``, ``plausibility_scorer``,
  ``mmd_scorer`` and ``manifold_scorer``.
"""

from ._explanations import cost, diversity, feature_diversity, redundancy, validity
from ._plausibility import (
    explanation_summary,
    implausibility,
    implausibility_by_target,
    manifold_distance,
    mmd,
)
from ._robustness import robust_accuracy, sensitivity
from ._scorer import (
    cost_scorer,
    make_explainability_scorer,
    manifold_scorer,
    mmd_scorer,
    plausibility_scorer,
    validity_scorer,
)

__all__ = [
    "cost",
    "cost_scorer",
    "diversity",
    "explanation_summary",
    "feature_diversity",
    "implausibility",
    "implausibility_by_target",
    "make_explainability_scorer",
    "manifold_distance",
    "manifold_scorer",
    "mmd",
    "mmd_scorer",
    "plausibility_scorer",
    "redundancy",
    "robust_accuracy",
    "sensitivity",
    "validity",
    "validity_scorer",
]
