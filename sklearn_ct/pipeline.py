"""A Pipeline whose counterfactual-training classifier speaks the user's columns.

Inside a plain scikit-learn ``Pipeline``, the classifier sees only the
preprocessed array: it cannot know that ``{"sex": "none"}`` means every
one-hot column of ``sex``, that ``(1, 99)`` hours per week are standardised
numbers, or which columns were integers. :class:`CounterfactualPipeline`
hands the classifier its fitted preprocessing and input data at every
``fit`` (so in every cross-validation fold and grid point, where a fold may
lack a rare category), through the classifier's ``fit`` parameter
``pipeline_input``, and the classifier resolves its constraints, written on
the pipeline's input columns, into its own input space there. It also
explains: :meth:`CounterfactualPipeline.explain` returns counterfactuals in
the original columns, units and categories.

Used alone, the classifier keeps resolving its constraints on its own input.
"""

from __future__ import annotations

from sklearn import get_config
from sklearn.pipeline import Pipeline
from sklearn.pipeline import make_pipeline as _sklearn_make_pipeline
from sklearn.utils.validation import check_is_fitted

from .training import CounterfactualTrainingClassifier
from .utils._validation import check_explain_options

__all__ = ["CounterfactualPipeline", "make_pipeline"]


class CounterfactualPipeline(Pipeline):
    """A ``Pipeline`` that resolves its CT classifier's constraints on its input columns.

    A drop-in for :class:`sklearn.pipeline.Pipeline` (same parameters, same
    behaviour) for pipelines ending in a
    :class:`~sklearn_ct.CounterfactualTrainingClassifier`: the classifier's
    ``mutability``, ``domain`` (in original units), ``integer_features`` and
    ``categorical_groups`` name the pipeline's input columns, and are resolved
    through the fitted preprocessing at every ``fit``; the one-hot groups of
    its ``OneHotEncoder`` steps are found automatically. A fitted pipeline
    pickles (``joblib.dump``) and explains identically after loading.

    Every preprocessing step, at any depth of nested ``Pipeline`` and
    ``ColumnTransformer``, must be one whose columns can be followed back
    (``SimpleImputer``, ``MissingIndicator``, ``OneHotEncoder``,
    ``OrdinalEncoder``, the scalers, ``PowerTransformer``,
    ``QuantileTransformer``, an elementwise ``FunctionTransformer`` with its
    ``inverse_func``); ``fit`` raises a ``ValueError`` naming any other step
    (``PCA``, ``PolynomialFeatures``, ...), so explanations are always in the
    input columns. A ``SimpleImputer`` is the
    identity on observed values: in a counterfactual, a missing value stays
    missing (its imputed value plays the factual's) unless the search changes
    that feature, and missing-value indicators are never searched; validity
    is that of the row returned.

    Parameters
    ----------
    steps : list of (str, estimator) tuples
        As for :class:`sklearn.pipeline.Pipeline`.
    transform_input : list of str, default=None
    memory : str or object with the joblib.Memory interface, default=None
    verbose : bool, default=False

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.compose import make_column_transformer
    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> from sklearn_ct import CounterfactualTrainingClassifier
    >>> X = pd.DataFrame({"age": [25, 32, 47, 51, 62, 23, 44, 36] * 10,
    ...                   "hours": [40, 50, 38, 60, 20, 45, 35, 42] * 10,
    ...                   "sex": ["f", "m", "f", "m", "f", "m", "m", "f"] * 10})
    >>> y = (X["hours"] > 40).astype(int)
    >>> pre = make_column_transformer((StandardScaler(), ["age", "hours"]),
    ...                               (OneHotEncoder(), ["sex"]))
    >>> clf = CounterfactualTrainingClassifier(
    ...     mutability={"age": "none", "sex": "none"}, domain={"hours": (1, 99)},
    ...     max_epochs=5, random_state=0)
    >>> pipe = make_pipeline(pre, clf).fit(X, y)
    >>> clf.mutability_.tolist()
    ['none', 'both', 'none', 'none']
    >>> result = pipe.explain(X.head(3), target=1)
    >>> list(result.counterfactuals.columns)
    ['age', 'hours', 'sex']
    """

    def fit(self, X, y=None, **params):
        """Fit the preprocessing, then the classifier with resolved constraints.

        The classifier's ``fit`` gets ``pipeline_input=(self, X)`` (routed to
        it as metadata when metadata routing is enabled).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Training data, in the pipeline's input columns.
        y : array-like of shape (n_samples,)
            Class labels.
        **params
            As for :meth:`sklearn.pipeline.Pipeline.fit`.

        Returns
        -------
        self
        """
        name, final = self.steps[-1]
        if not isinstance(final, CounterfactualTrainingClassifier):
            return super().fit(X, y, **params)
        key = "pipeline_input" if get_config()["enable_metadata_routing"] else None
        params[key or f"{name}__pipeline_input"] = (self, X)
        return super().fit(X, y, **params)

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
        """Counterfactuals in the original columns, units and categories.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Factuals, with the pipeline's input columns (any order).
        target : None, label or array-like of labels, default=None
            See :meth:`sklearn_ct.CounterfactualExplainer.explain`.
        sparsify : bool, default=False
            Keep only the changes needed to reach the target.
        n_per_factual : int, default=1
            Distinct counterfactuals per factual (see
            :meth:`sklearn_ct.CounterfactualExplainer.explain`).
        generator : str, Generator or None, default=None
            ``None``: the classifier's fitted training generator (see
            :meth:`sklearn_ct.CounterfactualTrainingClassifier.explain`).
        decision_threshold : float or None, default=0.5
            ``p(target)`` at which a search stops and that refinement keeps
            (not the classifier's training threshold, 0.75: see
            :class:`~sklearn_ct.CounterfactualExplainer`); ``None`` runs all
            steps.
        max_iter : int, default=100
            Maximum search steps.
        step_size : float, default=0.1
            Gradient-descent step size of the search.
        lambda_cost, lambda_energy : float >= 0 or None, default=None
            Override the generator's penalty weights; a weight the generator
            does not have, or one given beside a generator instance, is a
            ``ValueError``.
        adversarial_radius : float, default=0.3
            L-inf radius for the nascent adversarial examples of the result.
        feature_costs : "mad", dict or list, default="mad"
            What a change costs, by input column, in its units.
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
            Empty when ``X`` has no rows.
        """
        final = self.steps[-1][1]
        if not isinstance(final, CounterfactualTrainingClassifier):
            raise TypeError(
                "explain() needs a CounterfactualTrainingClassifier as the last step;"
                f" got {type(final).__name__}. Use "
                "sklearn_ct.CounterfactualExplainer(pipeline).fit(X_train) instead."
            )
        check_is_fitted(self)
        check_explain_options(sparsify, n_per_factual)
        explainer = final._explainer(
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


def make_pipeline(*steps, memory=None, transform_input=None, verbose=False):
    """Construct a :class:`CounterfactualPipeline` from the given estimators.

    Like :func:`sklearn.pipeline.make_pipeline`: step names are the
    lowercased class names, so a grid over
    ``counterfactualtrainingclassifier__lambda_div`` works as usual.

    Parameters
    ----------
    *steps : list of estimators
        The preprocessing steps, then the classifier.
    memory : str or object with the joblib.Memory interface, default=None
        Caches the fitted transformers, as in scikit-learn.
    transform_input : list of str, default=None
        Metadata transformed by the steps, as in scikit-learn.
    verbose : bool, default=False
        Print the time each step takes to fit.

    Returns
    -------
    CounterfactualPipeline

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_ct import CounterfactualTrainingClassifier
    >>> make_pipeline(StandardScaler(), CounterfactualTrainingClassifier()).steps[1][0]
    'counterfactualtrainingclassifier'
    """
    plain = _sklearn_make_pipeline(
        *steps, memory=memory, transform_input=transform_input, verbose=verbose
    )
    return CounterfactualPipeline(
        plain.steps, memory=memory, transform_input=transform_input, verbose=verbose
    )
