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

from .explain._keywords import check_keywords, explain_keywords
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
    ``QuantileTransformer``, ``KBinsDiscretizer`` with ``encode="ordinal"``,
    an elementwise ``FunctionTransformer`` with its ``inverse_func``); ``fit``
    raises a ``ValueError`` naming any other step
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

    @explain_keywords  # documents **keywords one by one: hence noqa D417
    def explain(self, X, target=None, **keywords):  # noqa: D417
        """Counterfactuals in the original columns, units and categories.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Factuals, with the pipeline's input columns (any order).
        target : None, label or array-like of labels, default=None
            See :meth:`sklearn_ct.CounterfactualExplainer.explain`.
        {keywords}

        Returns
        -------
        CounterfactualResult
            Empty when ``X`` has no rows.
        """
        keywords = check_keywords(CounterfactualPipeline.explain, keywords)
        final = self.steps[-1][1]
        if not isinstance(final, CounterfactualTrainingClassifier):
            raise TypeError(
                "explain() needs a CounterfactualTrainingClassifier as the last step;"
                f" got {type(final).__name__}. Use "
                "sklearn_ct.CounterfactualExplainer(pipeline).fit(X_train) instead."
            )
        check_is_fitted(self)
        sparsify = keywords.pop("sparsify")
        n_per_factual = keywords.pop("n_per_factual")
        check_explain_options(sparsify, n_per_factual)
        explainer = final._explainer(self, X, keywords)
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
