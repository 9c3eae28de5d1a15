"""Explanations of a fitted CT classifier under its own constraints.

:class:`ExplainMixin` gives ``CounterfactualTrainingClassifier`` its
``explain``: a :class:`~sklearn_ct.explain.CounterfactualExplainer` built
from the parts the fitted classifier holds (constraints, training generator,
feature scales), without fitting anything again. ``CounterfactualPipeline``
builds its explainer the same way, on the whole pipeline.

``explain`` spells out the explainer's keywords (so that a mistyped one is
Python's own ``TypeError``), with the explainer's defaults, except
``generator`` (``None``: the fitted training generator) and ``n_threads``
(``None``: the classifier's). The constraints are the classifier's own, so
``mutability``, ``domain``, ``categorical_groups``, ``integer_features`` and
``domain_n_std`` are not among them.
"""

from __future__ import annotations

import copy
import inspect

from sklearn.utils.validation import check_is_fitted

from ..constraints._model_space import model_space
from ..explain._explainer import CounterfactualExplainer
from ..generators._base import Generator
from ..generators._presets import check_penalty_weights, resolve_generator
from ..utils._deprecation import renamed
from ..utils._validation import check_explain_options


class ExplainMixin:
    """``explain`` for a fitted classifier that holds ``constraints_`` and ``generator_``."""

    def explain(
        self,
        X,
        target=None,
        *,
        sparsify=False,
        n_per_factual=1,
        generator=None,
        decision_threshold=0.5,
        max_iter=100,
        step_size=0.1,
        lambda_cost=None,
        lambda_energy=None,
        adversarial_radius=0.3,
        feature_costs="mad",
        refine=True,
        fallback=True,
        batch_size=8192,
        n_threads=None,
        random_state=None,
        lr="deprecated",
        epsilon="deprecated",
    ):
        """Counterfactual explanations under the classifier's own constraints.

        Mutability, domain, one-hot groups and integer features are the
        classifier's own; to add constraints, use
        ``CounterfactualExplainer(clf, ...).fit(X_train)``. The search's
        settings are those of :class:`CounterfactualExplainer`, with its
        defaults unless said otherwise.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Factuals.
        target : None, label or array-like of labels, default=None
            See :meth:`CounterfactualExplainer.explain`.
        sparsify : bool, default=False
            Keep only the changes needed (see
            :meth:`CounterfactualExplainer.explain`).
        n_per_factual : int, default=1
            Counterfactuals per factual, each without the main lever of the
            ones before.
        generator : str, Generator or None, default=None
            ``None``: the fitted training generator. A name or an instance of
            the training generator's kind takes its fitted state (REVISE's
            VAE) with the given settings; another generator must not need
            fitting (else use ``CounterfactualExplainer``).
        decision_threshold : float or None, default=0.5
            ``p(target)`` at which a search stops and that refinement keeps;
            not the classifier's own ``decision_threshold`` (0.75, training's
            maturity): see :class:`CounterfactualExplainer` for why they
            differ. ``None`` runs all ``max_iter`` steps.
        max_iter : int, default=100
            Maximum search steps.
        step_size : float, default=0.1
            Gradient-descent step size of the search (the training search's
            is the classifier's ``step_size_cf``).
        lambda_cost, lambda_energy : float >= 0 or None, default=None
            Override the generator's penalty weights; a weight the generator
            does not have, or one given beside a generator instance, is a
            ``ValueError``.
        adversarial_radius : float, default=0.3
            L-inf radius for the nascent adversarial examples of the result.
        feature_costs : "mad", dict or list, default="mad"
            What a change costs, per feature, in the classifier's input
            columns (a pipeline's: its input columns, in their units);
            ``"mad"``: from the training rows' MAD.
        refine : bool, default=True
            Move each counterfactual to the cheapest point that still reaches
            ``decision_threshold``.
        fallback : bool, default=True
            Complete the gradient search with the discrete neighbourhood
            search where it found no recourse.
        batch_size : int, default=8192
            Factuals searched at once.
        n_threads : int or None, default=None
            Torch threads while explaining; ``None``: the classifier's
            ``n_threads``.
        random_state : int, RandomState instance or None, default=None
            Seeds the random targets.
        lr, epsilon : float, default="deprecated"
            Former names of ``step_size`` and ``adversarial_radius``.

            .. deprecated:: 0.1
                ``lr`` and ``epsilon`` were renamed to ``step_size`` and
                ``adversarial_radius`` in 0.1 and will be removed in 0.3.

        Returns
        -------
        CounterfactualResult
        """
        check_explain_options(sparsify, n_per_factual)
        explainer = self._explainer(
            self,
            X,
            {
                "generator": generator,
                "decision_threshold": decision_threshold,
                "max_iter": max_iter,
                "step_size": step_size,
                "lambda_cost": lambda_cost,
                "lambda_energy": lambda_energy,
                "adversarial_radius": adversarial_radius,
                "feature_costs": feature_costs,
                "refine": refine,
                "fallback": fallback,
                "batch_size": batch_size,
                "n_threads": n_threads,
                "random_state": random_state,
                "lr": lr,
                "epsilon": epsilon,
            },
        )
        return explainer.explain(
            X, target=target, sparsify=sparsify, n_per_factual=n_per_factual
        )

    def _explainer(self, estimator, X, params) -> CounterfactualExplainer:
        """A fitted explainer of ``estimator`` (this classifier or its pipeline).

        ``params`` are ``explain``'s keywords that configure the explainer
        (:data:`EXPLAINER_KEYWORDS`); those missing take their defaults.
        """
        check_is_fitted(self)
        params = {**EXPLAINER_KEYWORDS, **params}
        for old, new in (("lr", "step_size"), ("epsilon", "adversarial_radius")):
            given = params.pop(old)
            params[new] = renamed(
                old, given, new, params[new], EXPLAINER_KEYWORDS[new], stacklevel=4
            )
        requested = params.pop("generator")
        generator = self._explain_generator(requested)
        check_penalty_weights(
            requested,
            generator,
            lambda_cost=params["lambda_cost"],
            lambda_energy=params["lambda_energy"],
        )
        if params["n_threads"] is None:
            params["n_threads"] = self.n_threads
        space = model_space(estimator, X)
        return CounterfactualExplainer._from_fitted_parts(
            estimator, space, self.constraints_, generator, **params
        )

    def _explain_generator(self, generator):
        if generator is None:
            return self.generator_
        requested = resolve_generator(generator)
        if type(requested) is type(self.generator_):
            return copy.copy(self.generator_).set_params(
                **requested.get_params(deep=False)
            )
        if type(requested).fit is not Generator.fit:
            raise ValueError(
                f"generator={generator!r} must learn from training data, but this "
                f"classifier was trained with {type(self.generator_).__name__}; use "
                "CounterfactualExplainer(clf, generator=...).fit(X_train) instead."
            )
        return requested


#: ``explain``'s keywords that configure the explainer, with their defaults.
EXPLAINER_KEYWORDS = {
    name: parameter.default
    for name, parameter in inspect.signature(ExplainMixin.explain).parameters.items()
    if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    and name not in ("sparsify", "n_per_factual")
}
