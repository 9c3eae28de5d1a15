"""Explanations of a fitted CT classifier under its own constraints.

:class:`ExplainMixin` gives ``CounterfactualTrainingClassifier`` its
``explain``: a :class:`~sklearn_ct.explain.CounterfactualExplainer` built
from the parts the fitted classifier holds (constraints, training generator,
feature scales), without fitting anything again. ``CounterfactualPipeline``
builds its explainer the same way, on the whole pipeline.
"""

from __future__ import annotations

import copy
import difflib

from sklearn.utils.validation import check_is_fitted

from ..constraints._model_space import model_space
from ..explain._explainer import CounterfactualExplainer
from ..generators._base import Generator
from ..generators._presets import check_penalty_weights, resolve_generator
from ..utils._validation import check_explain_options


class ExplainMixin:
    """``explain`` for a fitted classifier that holds ``constraints_`` and ``generator_``."""

    def explain(
        self, X, target=None, *, sparsify=False, n_per_factual=1, **explainer_params
    ):
        """Counterfactual explanations under the classifier's own constraints.

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
        **explainer_params
            Parameters of :class:`CounterfactualExplainer` (``max_iter``,
            ``decision_threshold``, ``lambda_energy``, ``generator``,
            ``refine``, ...). Mutability, domain, one-hot groups and integer
            features are the classifier's own; the generator defaults to the
            (fitted) training generator, and a penalty weight it does not
            have, or one beside a generator instance, is a ``ValueError``; ``feature_costs`` are in the
            classifier's input columns (``"mad"``: its training rows' MAD).

        Returns
        -------
        CounterfactualResult
        """
        check_explain_options(sparsify, n_per_factual)
        explainer = self._explainer(self, X, explainer_params)
        return explainer.explain(
            X, target=target, sparsify=sparsify, n_per_factual=n_per_factual
        )

    def _explainer(self, estimator, X, explainer_params) -> CounterfactualExplainer:
        """A fitted explainer of ``estimator`` (this classifier or its pipeline)."""
        check_is_fitted(self)
        params = dict(explainer_params)
        for name in (
            "mutability",
            "domain",
            "categorical_groups",
            "integer_features",
            "estimator",
        ):
            if name in params:
                raise ValueError(
                    f"explain() uses the classifier's own {name}; to add constraints,"
                    " use CounterfactualExplainer(model, ...).fit(X_train) instead."
                )
        requested = params.pop("generator", None)
        generator = self._explain_generator(requested)
        check_penalty_weights(
            requested,
            generator,
            lambda_cost=params.get("lambda_cost"),
            lambda_energy=params.get("lambda_energy"),
        )
        params.setdefault("n_threads", self.n_threads)
        space = model_space(estimator, X)
        check_explain_keywords(params, f"{type(estimator).__name__}.explain")
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


#: Parameters an ``explain`` method takes besides those of the explainer.
_EXPLAIN_KEYWORDS = ("target", "sparsify", "n_per_factual")
#: The explainer's parameters that ``explain`` takes from the fitted model.
_OWN_PARAMETERS = (
    "estimator",
    "mutability",
    "domain",
    "categorical_groups",
    "integer_features",
)


def check_explain_keywords(params, method) -> None:
    """Raise a TypeError naming ``method`` for keywords it does not accept."""
    accepted = [
        *_EXPLAIN_KEYWORDS,
        *(
            name
            for name in CounterfactualExplainer._get_param_names()
            if name not in _OWN_PARAMETERS
        ),
    ]
    for key in params:
        if key not in accepted:
            close = difflib.get_close_matches(str(key), accepted, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise TypeError(
                f"{method}() got an unexpected keyword argument {key!r}."
                f"{hint} It accepts: {', '.join(accepted)}."
            )
