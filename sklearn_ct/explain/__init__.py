"""Counterfactual explanations: the explainer, its result and the batched search.

:class:`CounterfactualExplainer` explains any differentiable classifier the
package supports (a CT classifier, a skorch net, scikit-learn's
``MLPClassifier`` and ``LogisticRegression``, or a ``Pipeline`` ending in one
of them) and returns a :class:`CounterfactualResult` in the user's columns.
Underneath, in private modules:

* ``_search``: :func:`counterfactual_search`, the one batched gradient search
  (training uses it too), and its :class:`SearchResult`;
* ``_neighbourhood``: the discrete fallback search for rows the gradient
  search leaves without recourse (mixed data);
* ``_refine``, ``_sparsify``, ``_options``: cheaper, sparser and several
  counterfactuals per factual (recourse);
* ``_costs``: what a change costs a person, per feature (:func:`mad_scale`);
* ``_adapters``: which fitted models can be explained, as torch logits;
* ``_assemble``: from the search's tensors back to the user's columns.

A counterfactual beats every other class by :data:`MARGIN` in logits, so it
keeps its class when re-evaluated in another float precision.
"""

from ._costs import mad_scale
from ._explainer import CounterfactualExplainer
from ._refine import MARGIN
from ._result import CounterfactualResult
from ._search import SearchResult, counterfactual_search

__all__ = [
    "MARGIN",
    "CounterfactualExplainer",
    "CounterfactualResult",
    "SearchResult",
    "counterfactual_search",
    "mad_scale",
]
