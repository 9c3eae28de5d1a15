"""Explanations of a fitted CT classifier under its own constraints.

:class:`ExplainMixin` gives ``CounterfactualTrainingClassifier`` its
``explain``: a :class:`~sklearn_ct.explain.CounterfactualExplainer` built
from the parts the fitted classifier holds (constraints, training generator,
feature scales), without fitting anything again. ``CounterfactualPipeline``
builds its explainer the same way, on the whole pipeline.

``explain``'s keywords, their defaults and their docstring entries are
those of ``explain._keywords``, shared with the pipeline's ``explain``: the
explainer's, with its defaults, except ``generator`` (``None``: the fitted
training generator) and ``n_threads`` (``None``: the classifier's).
"""

from __future__ import annotations

import copy

from sklearn.utils.validation import check_is_fitted

from ..constraints._model_space import model_space
from ..explain._explainer import CounterfactualExplainer
from ..explain._keywords import EXPLAINER_KEYWORDS, check_keywords, explain_keywords
from ..generators._base import Generator
from ..generators._presets import check_penalty_weights, resolve_generator
from ..utils._deprecation import renamed
from ..utils._validation import check_explain_options


class ExplainMixin:
    """``explain`` for a fitted classifier that holds ``constraints_`` and ``generator_``."""

    @explain_keywords  # documents **keywords one by one: hence noqa D417
    def explain(self, X, target=None, **keywords):  # noqa: D417
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
        {keywords}

        Returns
        -------
        CounterfactualResult
        """
        keywords = check_keywords(ExplainMixin.explain, keywords)
        sparsify = keywords.pop("sparsify")
        n_per_factual = keywords.pop("n_per_factual")
        check_explain_options(sparsify, n_per_factual)
        explainer = self._explainer(self, X, keywords)
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
