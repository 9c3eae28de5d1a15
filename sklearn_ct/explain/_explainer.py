"""CounterfactualExplainer: batched, constrained, actionable counterfactuals.

The explainer is the user-facing side of
:func:`~sklearn_ct.explain.counterfactual_search`: ``fit`` learns what the
search needs from training data (the constraints, resolved on the model's
columns and combined with a CT classifier's own, and REVISE's VAE);
``explain`` checks the factuals like scikit-learn's ``validate_data``, picks
targets, runs the batched search in chunks (``_options``: the search, the
fallback, and on request cheaper, sparser or several counterfactuals per
factual), and returns a :class:`~sklearn_ct.explain.CounterfactualResult` in
the user's own columns, units and categories, each counterfactual
re-predicted as returned (``_assemble``).
"""

from __future__ import annotations

import copy
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..constraints._feature_constraints import set_constraints
from ..constraints._model_space import model_space
from ..constraints._outside import warn_beyond_observed, warn_outside
from ..generators._presets import check_penalty_weights, resolve_generator
from ..utils._compat import _fit_context
from ..utils._threads import torch_threads
from ..utils._torch import module_device, module_dtype
from ..utils._validation import check_explain_options
from ._adapters import as_logits_module, label_index
from ._assemble import assemble_result, empty_result
from ._costs import feature_membership, mad_scale, resolve_feature_costs
from ._neighbourhood import searched_budget
from ._options import search_options
from ._params import PARAMETER_CONSTRAINTS, check_params
from ._result import CounterfactualResult


class CounterfactualExplainer(BaseEstimator):
    """Batched gradient-based counterfactual explanations with constraints.

    Parameters
    ----------
    estimator : fitted classifier
        A fitted :class:`~sklearn_ct.CounterfactualTrainingClassifier`, skorch
        net, scikit-learn ``MLPClassifier`` or ``LogisticRegression``, or a
        ``Pipeline`` ending in one of them (its earlier steps are applied
        first, and counterfactuals come back in the pipeline's input columns;
        ``fit`` refuses a step that cannot be inverted column by column, see
        :class:`~sklearn_ct.pipeline.CounterfactualPipeline`).
    generator : str or Generator, default="ecco"
        ``"generic"``, ``"ecco"``, ``"revise"``, ``"gravitational"`` or an
        instance from :mod:`sklearn_ct.generators`.
    mutability : None, str, list or dict, default=None
        Per feature ``"both"``, ``"increase"``, ``"decrease"`` or ``"none"``,
        by position or as a dict by feature name (for a pipeline: its input
        columns; model column names work too). These add to a
        :class:`~sklearn_ct.CounterfactualTrainingClassifier`'s own
        constraints (alone or last in a pipeline), never replace them: a
        feature moves only in directions both allow. ``None``: the
        classifier's own, else all free.
    domain : "infer", "observed", None, (low, high), list of pairs or dict, \
            default="infer"
        Box the counterfactuals must stay in (see
        :func:`~sklearn_ct.constraints.resolve_domain`); for a pipeline,
        bounds of input columns are in their own units. ``"infer"``: a CT
        classifier's own box; for other models, mean +- ``domain_n_std`` std
        of the data given to ``fit``, widened to its min and max. Another box
        given for a CT classifier is intersected with its own.
    decision_threshold : float or None, default=0.5
        A search stops once ``p(target)`` reaches it, and refinement keeps
        the cheapest point that still reaches it (the target class winning
        by :data:`~sklearn_ct.explain.MARGIN` in logits, too); ``None`` runs
        all steps. Lower than the classifier's ``decision_threshold`` (0.75)
        on purpose: an explanation is valid as soon as the target class wins
        (0.5 with two classes), and every step beyond costs the person, so
        it is then refined to the cheapest such point; a training
        counterfactual instead stands for the target class in the
        contrastive divergence, so training waits until it is well inside
        (mature). The paper's evaluation uses 0.95 (as
        :data:`~sklearn_ct.metrics.plausibility_scorer` does).
    max_iter : int, default=100
        Maximum search steps.
    step_size : float, default=0.1
        Gradient-descent step size of the search (plain gradient descent, as
        in the reference). Where logits are shallow, for example a network
        fitted on unscaled inputs, steps are small: standardise the inputs
        (a Pipeline works) or raise ``max_iter`` or ``step_size``. The
        classifier's training-time search has the same pair as
        ``max_iter_cf`` and ``step_size_cf``; ``sklearn-ct reproduce`` calls
        it ``--step-size``, :func:`~sklearn_ct.explain.counterfactual_search`
        ``step_size``.
    lambda_cost, lambda_energy : float >= 0 or None, default=None
        Override the penalty weights of the generator named by
        ``generator``. ``fit`` refuses a weight that generator does not
        have (``lambda_energy`` is ECCCo's only) and any weight beside a
        generator instance (set it on the instance).
    adversarial_radius : float, default=0.3
        L-inf radius for the nascent adversarial examples of the result.
    domain_n_std : float, default=3.0
        Width of the inferred domain box in standard deviations.
    categorical_groups : list of lists or None, default=None
        Columns that one-hot encode one categorical feature, beyond those a
        pipeline's ``OneHotEncoder`` makes (found automatically) and a CT
        classifier's own; the search keeps exactly one level active.
    integer_features : "auto", None or list, default="auto"
        Features whose counterfactual values must be integers (in the user's
        units, before any scaling). ``"auto"``: a CT classifier's own; for
        other models, every numeric column whose values in ``fit`` are all
        integers (and that reaches the model through passthrough or a scaler).
        ``OrdinalEncoder`` codes are always integers.
    feature_costs : "mad", dict or list, default="mad"
        What a change costs the person, per feature, in the user's units
        (``_costs``): refinement keeps the cheapest point by
        it, sparsification reverts the dearest change first, and the result
        reports each counterfactual's ``cost``. ``"mad"``: one unit of a
        numeric feature costs ``1 / MAD``, its median absolute deviation on
        the data given to ``fit`` (for ``clf.explain``, the classifier's
        training rows), floored at a tenth of its standard deviation
        (:func:`~sklearn_ct.explain.mad_scale`), so a typical step costs 1 in
        any units; changing a categorical feature's level costs 1. A dict by
        feature name (a pipeline's input columns, or positions) or a list
        with one value per feature sets the cost of one unit of a numeric
        feature in its own units, or of a level change of a categorical one
        (a one-hot group or ordinal code); a dict's other features keep
        their ``"mad"`` cost. A column reaching the model through a
        non-affine step (``PowerTransformer``, ``QuantileTransformer``,
        ``KBinsDiscretizer``) is costed per unit of that step's output.
    refine : bool, default=True
        Make each counterfactual that reached the threshold as cheap as it can
        be under ``feature_costs`` (``_refine.refine``): move
        it back along the segment to the factual to where it still reaches
        the threshold; or first shrink every feature's change toward the
        factual as far as the threshold allows, the least useful per cost
        first; or move only the numeric feature whose margin grows most per
        cost, as far as needed; or switch only one categorical feature;
        whichever is cheapest (batched bisections).
        The fixed gradient steps of the search overshoot where gradients are
        large and move every feature a little; this removes both. The
        paper's protocol switches it off.
    fallback : bool, default=True
        Complete the search on mixed data: rows the gradient search leaves
        without a valid counterfactual get a batched discrete neighbourhood
        search (``_neighbourhood``) that treats one-hot groups,
        integer and increase/decrease-only features as what they are: every
        change of one feature over a grid of its allowed values, of two on a
        coarser grid, then greedy changes of more, each candidate projected
        onto the constraints and checked with the model. A status of
        ``"no recourse found"`` says what was searched. ``False``: the
        gradient search alone (the paper's protocol).
    batch_size : int, default=8192
        Factuals searched at once; larger inputs are explained in chunks of
        this many rows, so memory stays bounded.
    n_threads : int or None, default=1
        Torch threads while explaining (restored afterwards); ``-1``: every
        core allowed (within the share a joblib worker gets); ``None``:
        torch's current setting.
    random_state : int, RandomState instance or None, default=None
        Seeds the random targets (``target=None`` with more than two
        classes) and generators that learn from data.
    lr, epsilon : float, default="deprecated"
        Former names of ``step_size`` and ``adversarial_radius``.

        .. deprecated:: 0.1
            ``lr`` and ``epsilon`` were renamed to ``step_size`` and
            ``adversarial_radius`` in 0.1 and will be removed in 0.3.

    Attributes
    ----------
    n_features_in_ : int
        Number of features of the data seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names of that data, when it had string column names.
    constraints_ : FeatureConstraints
        The resolved constraints on the model's input columns.
    mutability_ : ndarray of str
        Resolved mutability per model input feature.
    domain_ : tuple of ndarray
        ``(low, high)`` per model input feature.
    categorical_groups_ : list of ndarray
        One-hot groups (model columns).
    feature_costs_ : FeatureCosts
        ``feature_costs`` resolved on the model's input columns.
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
    >>> explainer.explain(X[:2], n_per_factual=2).to_frame().shape[0]
    4
    """

    _parameter_constraints: ClassVar[dict] = PARAMETER_CONSTRAINTS

    def __init__(
        self,
        estimator,
        generator="ecco",
        mutability=None,
        domain="infer",
        decision_threshold=0.5,
        max_iter=100,
        step_size=0.1,
        lambda_cost=None,
        lambda_energy=None,
        adversarial_radius=0.3,
        domain_n_std=3.0,
        categorical_groups=None,
        integer_features="auto",
        feature_costs="mad",
        refine=True,
        fallback=True,
        batch_size=8192,
        n_threads=1,
        random_state=None,
        lr="deprecated",
        epsilon="deprecated",
    ):
        self.estimator = estimator
        self.generator = generator
        self.mutability = mutability
        self.domain = domain
        self.decision_threshold = decision_threshold
        self.max_iter = max_iter
        self.step_size = step_size
        self.lambda_cost = lambda_cost
        self.lambda_energy = lambda_energy
        self.adversarial_radius = adversarial_radius
        self.domain_n_std = domain_n_std
        self.categorical_groups = categorical_groups
        self.integer_features = integer_features
        self.feature_costs = feature_costs
        self.refine = refine
        self.fallback = fallback
        self.batch_size = batch_size
        self.n_threads = n_threads
        self.random_state = random_state
        self.lr = lr
        self.epsilon = epsilon

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=False)  # validates the generator
    def fit(self, X, y=None):
        """Learn the constraints and the generator's state from training data.

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
        check_params(self)
        space = model_space(self.estimator, X)
        X_in, _ = space.check_input(X)
        _, classes = as_logits_module(space.final)  # unsupported or unfitted: now
        X_model = space.transform(X_in)
        own = getattr(space.final, "constraints_", None)  # a fitted CT classifier's
        if own is not None and own.n_features != X_model.shape[1]:
            raise ValueError(
                f"X reaches the model with {X_model.shape[1]} features, "
                f"but the classifier was fitted with {own.n_features}."
            )
        given = space.resolve(
            X_in,
            X_model,
            mutability=self.mutability,
            domain=None
            if own is not None and _is(self.domain, "infer")
            else self.domain,
            categorical_groups=self.categorical_groups,
            integer_features=(
                None
                if own is not None and _is(self.integer_features, "auto")
                else self.integer_features
            ),
            domain_n_std=self.domain_n_std,
        )
        constraints = given if own is None else own.combine(given)
        warn_outside(constraints, X_model, space, "the data given to fit")
        self.model_space_ = space
        self.n_features_in_ = np.shape(X)[1]
        if space.input_names is not None:
            self.feature_names_in_ = np.asarray(space.input_names, dtype=object)
        set_constraints(self, constraints)
        self.feature_costs_ = resolve_feature_costs(
            self.feature_costs, space, constraints, mad_scale(X_model)
        )
        y_index = None if y is None else label_index(y, classes, "y")
        generator = resolve_generator(self.generator)
        weights = check_penalty_weights(
            self.generator,
            generator,
            lambda_cost=self.lambda_cost,
            lambda_energy=self.lambda_energy,
        )
        self.generator_ = generator.set_params(**weights).fit(
            X_model, y_index, random_state=self.random_state
        )
        return self

    @classmethod
    def _from_fitted_parts(cls, estimator, space, constraints, generator, **params):
        """An explainer fitted from parts a fitted model already holds.

        ``params`` are the keywords a user gave to ``estimator.explain``; the
        caller checked the penalty weights against the generator asked for.
        """
        space.require_layout(constraints.n_features)
        explainer = cls(estimator, generator=generator, **params)
        explainer._validate_params()
        check_params(explainer)
        explainer.model_space_ = space
        explainer.n_features_in_ = space.n_inputs or constraints.n_features
        if space.input_names is not None:
            explainer.feature_names_in_ = np.asarray(space.input_names, dtype=object)
        set_constraints(explainer, constraints)
        # "mad": the classifier's training rows (feature_mad_, in model units).
        explainer.feature_costs_ = resolve_feature_costs(
            explainer.feature_costs,
            space,
            constraints,
            getattr(space.final, "feature_mad_", None),
        )
        weights = check_penalty_weights(
            None,
            generator,
            lambda_cost=explainer.lambda_cost,
            lambda_energy=explainer.lambda_energy,
        )
        explainer.generator_ = copy.copy(generator).set_params(**weights)
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

    def explain(
        self, X, target=None, *, sparsify=False, n_per_factual=1
    ) -> CounterfactualResult:
        """Search counterfactuals for every row of ``X``, ``batch_size`` rows at once.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Factuals, with the columns seen in ``fit`` (a DataFrame may list
            them in another order: they are matched by name, and the result
            keeps the order given).
        target : None, label or array-like of labels, default=None
            ``None``: for each factual a random class other than the predicted
            one (the other class for binary tasks); a label: that class for
            all; an array: one label per factual.
        sparsify : bool, default=False
            Few changes: search again on the features that carried the
            change, let refinement prefer the fewest changed features, and
            revert every change not needed to reach the target, the dearest
            (under ``feature_costs``) first, pass after pass: no single
            changed feature of a returned counterfactual can be put back to
            the factual's value with ``p(target) >= decision_threshold``
            still reached (by the logit margin the search keeps,
            :data:`~sklearn_ct.explain.MARGIN`). A one-hot encoded column,
            or any input column of a pipeline, counts as one feature.
        n_per_factual : int, default=1
            Counterfactuals (options) per factual. The first is the plain
            search's; each further one must do without the main lever (the
            dearest change) of every one before it, so they differ in what to
            act on, not only in how much. Options are pairwise non-dominated:
            an option that changes a strict superset of the features another
            option for the same factual changes is replaced by one more
            search without the main lever of every option kept, or else
            dropped, so a factual may get fewer rows than asked.
            ``factual_index`` in the result says which factual a row belongs
            to.

        Returns
        -------
        CounterfactualResult
            Empty when ``X`` has no rows. ``n_iter`` counts the gradient steps
            of the search whose point is returned (at most ``max_iter``).
        """
        return self._explain(X, target, sparsify, n_per_factual)[0]

    def _explain(self, X, target, sparsify, n_per_factual, unrefined=False):
        """:meth:`explain`'s result in a list, then with ``unrefined`` another.

        The second holds the same search's counterfactuals before refinement
        (those of ``refine=False``), without searching twice.
        """
        check_is_fitted(self, "generator_")
        check_explain_options(sparsify, n_per_factual)
        space = self.model_space_
        X_in, order = space.check_input(X)
        if len(X_in) == 0:  # nobody to explain: an empty result, not an error
            return [empty_result(self, X) for _ in range(1 + unrefined)]
        X_model = space.transform(X_in)
        constraints = self.constraints_
        if X_model.shape[1] != constraints.n_features:
            raise ValueError(
                f"X has {X_model.shape[1]} features in the model's input space, "
                f"but the explainer was fitted with {constraints.n_features}."
            )
        warn_outside(constraints, X_model, space, "the factuals", check=False)
        module, classes = as_logits_module(space.final)
        classes = np.asarray(classes)
        with torch_threads(self.n_threads):
            dtype, device = module_dtype(module), module_device(module)
            chunks = _chunks(len(X_model), self.batch_size)
            with torch.no_grad():
                predicted = np.concatenate(
                    [
                        module(torch.as_tensor(X_model[s], dtype=dtype, device=device))
                        .argmax(dim=1)
                        .cpu()
                        .numpy()
                        for s in chunks
                    ]
                )
            rng = check_random_state(self.random_state)
            target_index = self._targets(target, predicted, classes, rng)
            tensors = constraints.tensors(dtype=dtype, device=device)
            columns, _ = space.feature_columns(X_model.shape[1])
            member = feature_membership(
                columns, X_model.shape[1], device, groups=constraints.groups
            )
            costs = self.feature_costs_.tensors(member, dtype, device)
            parts = []
            for s in chunks:  # bounded memory: everything per chunk of rows
                x = torch.as_tensor(X_model[s], dtype=dtype, device=device)
                t = torch.as_tensor(target_index[s], device=device)
                found = search_options(
                    self, module, x, t, tensors, member, costs, sparsify, n_per_factual
                )
                rows = s.start + found.pop("row").cpu().numpy()
                searched = found.pop("searched")
                variants = [found, {**found, "counterfactuals": searched}]
                parts.append(
                    [
                        assemble_result(
                            self,
                            X,
                            X_in,
                            order,
                            X_model,
                            rows,
                            variant,
                            predicted,
                            target_index,
                            classes,
                            module,
                            member,
                        )
                        for variant in variants[: 1 + unrefined]
                    ]
                )
        results = [
            CounterfactualResult.concat(list(variant), release=True)
            for variant in zip(*parts, strict=True)
        ]
        for result in results:
            result.searched = searched_budget(self.max_iter, self.fallback)
        warn_beyond_observed(constraints, results[0], space)
        return results


def _is(value, name) -> bool:
    return isinstance(value, str) and value == name


def _chunks(n, size):
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]
