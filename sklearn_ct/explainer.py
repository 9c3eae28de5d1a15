"""CounterfactualExplainer and CounterfactualResult.

The explainer is the user-facing side of :func:`sklearn_ct.search.counterfactual_search`:
``fit`` learns what the search needs from training data (the domain box, the
resolved constraints, REVISE's VAE), ``explain`` validates the factuals, picks
targets, runs one batched search and returns a :class:`CounterfactualResult`
whose counterfactuals come back in the type and columns the user gave.
"""

from __future__ import annotations

import copy
import numbers
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .backends import as_logits_module, label_index, module_device, module_dtype
from .constraints import (
    make_constraints,
    resolve_domain,
    resolve_groups,
    resolve_mutability,
)
from .generators import resolve_generator
from .preprocessing import model_space
from .search import counterfactual_search


@dataclass
class CounterfactualResult:
    """Counterfactuals for ``n`` factuals, with their diagnostics.

    Attributes
    ----------
    factuals : ndarray or DataFrame of shape (n, n_features)
        The factuals as given.
    counterfactuals : ndarray or DataFrame of shape (n, n_features)
        Counterfactuals, in the same type, columns and index as ``factuals``
        (in the original units when the explained pipeline could invert its
        preprocessing, else in the model's input space).
    target : ndarray of shape (n,)
        Target class labels.
    valid : ndarray of bool, shape (n,)
        The model predicts the target for the returned counterfactual.
    converged : ndarray of bool, shape (n,)
        The search reached ``p(target) >= decision_threshold``.
    n_iter : ndarray of int, shape (n,)
        Search steps used.
    predicted : ndarray of shape (n,)
        Predicted class labels of the factuals.
    p_target : ndarray of shape (n,)
        Target probability of the returned counterfactuals.
    model_factuals, model_counterfactuals : ndarray of shape (n, n_model_features)
        Factuals and counterfactuals in the model's input space (after any
        preprocessing); metrics measure distances there.
    adversarial : ndarray of shape (n, n_model_features)
        Nascent adversarial examples (last path point within ``epsilon``).
    feature_names : list of str
        Names of the columns of ``counterfactuals``.
    """

    factuals: object
    counterfactuals: object
    target: np.ndarray
    valid: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray
    predicted: np.ndarray
    p_target: np.ndarray
    model_factuals: np.ndarray
    model_counterfactuals: np.ndarray
    adversarial: np.ndarray
    feature_names: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.target)

    def to_frame(self, show_only_changes: bool = True) -> pd.DataFrame:
        """A readable recourse table: one row per (factual, feature).

        Parameters
        ----------
        show_only_changes : bool, default=True
            Keep only the features a counterfactual changes.

        Returns
        -------
        DataFrame
            Indexed by ``(sample, feature)`` with columns ``factual``,
            ``counterfactual``, ``change`` (numeric difference, NaN for
            non-numeric features), ``target`` and ``valid``.
        """
        before = pd.DataFrame(np.asarray(self.factuals, dtype=object),
                              columns=self.feature_names)
        after = pd.DataFrame(np.asarray(self.counterfactuals, dtype=object),
                             columns=self.feature_names)
        sample = (self.factuals.index if isinstance(self.factuals, pd.DataFrame)
                  else pd.RangeIndex(len(self)))
        before.index = after.index = sample
        long = pd.DataFrame({
            "factual": before.stack(future_stack=True),
            "counterfactual": after.stack(future_stack=True),
        })
        long.index.names = ["sample", "feature"]
        numeric_before = pd.to_numeric(long["factual"], errors="coerce")
        numeric_after = pd.to_numeric(long["counterfactual"], errors="coerce")
        long["change"] = numeric_after - numeric_before
        changed = np.where(
            long["change"].notna(),
            long["change"].abs() > 1e-9,
            long["factual"] != long["counterfactual"],
        )
        per_sample = pd.DataFrame({"target": self.target, "valid": self.valid},
                                  index=sample)
        long = long.join(per_sample, on="sample")
        return long[changed] if show_only_changes else long


def _own_constraints(classifier) -> dict:
    """The fitted constraints of a CounterfactualTrainingClassifier, if any."""
    if not (hasattr(classifier, "mutability_") and hasattr(classifier, "domain_")):
        return {}
    return {"mutability": list(classifier.mutability_),
            "domain": classifier.domain_,
            "categorical_groups": [list(g) for g in
                                   getattr(classifier, "categorical_groups_", [])]}


class CounterfactualExplainer(BaseEstimator):
    """Batched gradient-based counterfactual explanations with constraints.

    Parameters
    ----------
    estimator : fitted classifier
        A fitted :class:`~sklearn_ct.CounterfactualTrainingClassifier`, skorch
        net, scikit-learn ``MLPClassifier`` or ``LogisticRegression``, or a
        ``Pipeline`` ending in one of them (its earlier steps are applied
        first; constraints then refer to the last step's input features,
        by name or position, or to the pipeline's input columns by name).
    generator : str or Generator, default="ecco"
        ``"generic"``, ``"ecco"``, ``"revise"``, ``"gravitational"`` or an
        instance from :mod:`sklearn_ct.generators`.
    mutability : None, str, list or dict, default=None
        Per feature ``"both"``, ``"increase"``, ``"decrease"`` or ``"none"``,
        by position or as a dict by feature name (for a pipeline, also by the
        pipeline's input column names). ``None``: a
        :class:`~sklearn_ct.CounterfactualTrainingClassifier`'s own (alone or
        last in a pipeline), else all free; ``"both"`` frees every feature.
    domain : "infer", "observed", None, (low, high), list of pairs or dict, \
            default="infer"
        Box the counterfactuals must stay in (see
        :func:`~sklearn_ct.constraints.resolve_domain`). ``"infer"``: a
        CounterfactualTrainingClassifier's own box, learned from its training
        data; for other models, mean +- ``domain_n_std`` std of the data given
        to ``fit``, widened to its min and max.
    decision_threshold : float or None, default=0.5
        A search stops once ``p(target)`` reaches it; ``None`` runs all steps.
    max_iter : int, default=100
        Maximum search steps.
    lr : float, default=0.1
        Gradient-descent step size of the search (plain gradient descent, as
        in the reference). Where logits are shallow, for example a network
        fitted on unscaled inputs, steps are small: standardise the inputs
        (a Pipeline works) or raise ``max_iter`` or ``lr``.
    lambda_cost, lambda_energy : float or None, default=None
        Override the generator's penalty weights when given.
    epsilon : float, default=0.3
        L-inf radius for the nascent adversarial examples of the result.
    domain_n_std : float, default=3.0
        Width of the inferred domain box in standard deviations.
    categorical_groups : list of lists or None, default=None
        Columns (of the model's input) that one-hot encode one categorical
        feature; the search keeps exactly one level active. ``None``: a
        CounterfactualTrainingClassifier's own, else those of the
        ``OneHotEncoder`` steps of an explained pipeline.
    random_state : int, RandomState instance or None, default=None
        Seeds the random targets (``target=None`` with more than two
        classes) and generators that learn from data.

    Attributes
    ----------
    n_features_in_ : int
        Number of features of the data seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names of that data, when it had string column names.
    mutability_ : ndarray of str
        Resolved mutability per model input feature.
    domain_ : tuple of ndarray
        ``(low, high)`` per model input feature.
    generator_ : Generator
        The fitted generator.
    model_space_ : ModelSpace
        How the user's data maps to the model's input space.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = make_blobs(200, centers=2, random_state=0)
    >>> model = LogisticRegression().fit(X, y)
    >>> explainer = CounterfactualExplainer(model, generator="generic").fit(X)
    >>> result = explainer.explain(X[:5])
    >>> bool(result.valid.all())
    True
    """

    def __init__(
        self,
        estimator,
        generator="ecco",
        mutability=None,
        domain="infer",
        decision_threshold=0.5,
        max_iter=100,
        lr=0.1,
        lambda_cost=None,
        lambda_energy=None,
        epsilon=0.3,
        domain_n_std=3.0,
        categorical_groups=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.generator = generator
        self.mutability = mutability
        self.domain = domain
        self.decision_threshold = decision_threshold
        self.max_iter = max_iter
        self.lr = lr
        self.lambda_cost = lambda_cost
        self.lambda_energy = lambda_energy
        self.epsilon = epsilon
        self.domain_n_std = domain_n_std
        self.categorical_groups = categorical_groups
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def _validate_params(self):
        t = self.decision_threshold
        if t is not None and not (isinstance(t, numbers.Real) and 0 < t < 1):
            raise ValueError(
                f"decision_threshold must be None or a float in (0, 1); got {t!r}."
            )
        if not (isinstance(self.max_iter, numbers.Integral) and self.max_iter >= 1):
            raise ValueError(
                f"max_iter must be a positive integer; got {self.max_iter!r}."
            )
        if not (isinstance(self.lr, numbers.Real) and self.lr > 0):
            raise ValueError(f"lr must be a positive float; got {self.lr!r}.")
        if not (isinstance(self.epsilon, numbers.Real) and self.epsilon >= 0):
            raise ValueError(f"epsilon must be a float >= 0; got {self.epsilon!r}.")

    def fit(self, X, y=None):
        """Learn the domain, the resolved constraints and the generator's state.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data (the estimator's or pipeline's input).
        y : array-like of shape (n_samples,), default=None
            Labels; only needed by generators that learn per class.

        Returns
        -------
        self
        """
        self._validate_params()
        space = model_space(self.estimator, X)
        X_model = space.transform(X)
        self._set_input_metadata(X, space)
        own = _own_constraints(space.final)  # a CT classifier's, learned in its fit
        if own and isinstance(self.domain, str) and self.domain == "infer":
            low, high = own["domain"]
        else:
            low, high = resolve_domain(self.domain, X_model, space.feature_names,
                                       self.domain_n_std)
        mutability = (own.get("mutability") if self.mutability is None
                      else space.expand(self.mutability))
        groups = self.categorical_groups
        if groups is None:
            groups = own.get("categorical_groups") or space.categorical_groups
        self._set_constraints(
            resolve_mutability(mutability, X_model.shape[1], space.feature_names),
            low, high,
            resolve_groups(groups, X_model.shape[1], space.feature_names),
        )
        y_index = None
        if y is not None:
            y_index = label_index(y, as_logits_module(space.final)[1], "y")
        self.generator_ = resolve_generator(
            self.generator, lambda_cost=self.lambda_cost,
            lambda_energy=self.lambda_energy,
        ).fit(X_model, y_index, random_state=self.random_state)
        return self

    def _set_input_metadata(self, X, space):
        self.model_space_ = space
        self.n_features_in_ = np.shape(X)[1]
        if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)

    def _set_constraints(self, mutability, low, high, groups=()):
        self.mutability_ = mutability
        self.domain_ = (low, high)
        self.categorical_groups_ = list(groups)

    @classmethod
    def _from_fitted_parts(cls, estimator, space, mutability, low, high, groups,
                           generator, **params):
        """An explainer fitted from parts a fitted model already holds."""
        explainer = cls(estimator, generator=generator, **params)
        explainer._validate_params()
        explainer.model_space_ = space
        explainer.n_features_in_ = len(low)
        explainer._set_constraints(mutability, low, high, groups)
        overrides = {k: v for k, v in (("lambda_cost", explainer.lambda_cost),
                                       ("lambda_energy", explainer.lambda_energy))
                     if v is not None and k in generator.get_params(deep=False)}
        explainer.generator_ = copy.copy(generator).set_params(**overrides)
        return explainer

    # -------------------------------------------------------------- explain
    def _targets(self, target, predicted, classes, rng):
        n, k = len(predicted), len(classes)
        if target is None:
            return (predicted + rng.randint(1, k, size=n)) % k
        labels = np.asarray(target, dtype=object)
        if labels.ndim == 0:
            labels = np.full(n, labels.item(), dtype=object)
        if labels.shape != (n,):
            raise ValueError(
                f"target has shape {labels.shape}, but X has {n} samples; give "
                "one label, or one label per sample."
            )
        return label_index(labels, classes, "target")

    def explain(self, X, target=None) -> CounterfactualResult:
        """Search one counterfactual per row of ``X``, all rows at once.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Factuals, in the same space as the data given to ``fit``.
        target : None, label or array-like of labels, default=None
            ``None``: for each factual a random class other than the predicted
            one (the other class for binary tasks); a label: that class for
            all; an array: one label per factual.

        Returns
        -------
        CounterfactualResult
        """
        check_is_fitted(self, "generator_")
        space = self.model_space_
        X_model = space.transform(X)
        if X_model.shape[1] != len(self.domain_[0]):
            raise ValueError(
                f"X has {X_model.shape[1]} features (in the model's input space), "
                f"but the explainer was fitted with {len(self.domain_[0])}."
            )
        module, classes = as_logits_module(space.final)
        dtype, device = module_dtype(module), module_device(module)
        x = torch.tensor(X_model, dtype=dtype, device=device)
        with torch.no_grad():
            predicted = module(x).argmax(dim=1).cpu().numpy()
        rng = check_random_state(self.random_state)
        target_index = self._targets(target, predicted, np.asarray(classes), rng)
        constraints = make_constraints(
            self.mutability_, *self.domain_, self.categorical_groups_,
            dtype=dtype, device=device,
        )
        found = counterfactual_search(
            module, x, torch.as_tensor(target_index, device=device),
            self.generator_, constraints,
            decision_threshold=self.decision_threshold, max_iter=self.max_iter,
            step_size=self.lr, epsilon=self.epsilon,
        )
        cf_model = self._finalise(X_model, found.counterfactuals)
        predicted_cf = np.asarray(space.final.predict(space.final_input(cf_model)))
        factuals, counterfactuals, names = space.restore(cf_model, X, X_model)
        return CounterfactualResult(
            factuals=factuals,
            counterfactuals=counterfactuals,
            target=classes[target_index],
            valid=predicted_cf == classes[target_index],
            converged=found.converged.cpu().numpy(),
            n_iter=found.n_iter.cpu().numpy(),
            predicted=classes[predicted],
            p_target=found.p_target.detach().cpu().numpy().astype(np.float64),
            model_factuals=X_model,
            model_counterfactuals=cf_model,
            adversarial=found.adversarial.cpu().numpy().astype(X_model.dtype),
            feature_names=names,
        )

    def _finalise(self, X_model, cf):
        """Back to float64: exact factual values where unchanged, clipped to the box.

        The search runs in the module's dtype; where it left a feature
        untouched, the user's own value comes back bit for bit.
        """
        cf = cf.detach().cpu()
        unchanged = cf == torch.tensor(X_model).to(cf.dtype)
        out = np.where(unchanged.numpy(), X_model, cf.numpy().astype(np.float64))
        low, high = self.domain_
        moved = ~unchanged.numpy()
        return np.where(moved, np.clip(out, low, high), out)

