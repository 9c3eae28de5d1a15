"""CounterfactualExplainer: batched, constrained, actionable counterfactuals.

The explainer is the user-facing side of :func:`sklearn_ct.search.counterfactual_search`:
``fit`` learns what the search needs from training data (the constraints,
resolved on the model's columns and combined with a CT classifier's own, and
REVISE's VAE); ``explain`` checks the factuals like scikit-learn's
``validate_data``, picks targets, runs the batched search in chunks, makes
the counterfactuals cheaper, sparser or several per factual on request
(:mod:`sklearn_ct.recourse`), and returns a
:class:`~sklearn_ct.result.CounterfactualResult` in the user's own columns,
units and categories, each counterfactual re-predicted as returned.
"""

from __future__ import annotations

import copy
import difflib
import warnings
from collections.abc import Mapping
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._compat import HasMethods, Interval, Options, _fit_context
from ._threads import check_n_threads, torch_threads
from ._validation import check_explain_options
from .backends import as_logits_module, label_index, module_device, module_dtype
from .costs import mad_scale, resolve_feature_costs, total_cost
from .generators import Generator, resolve_generator
from .neighbourhood import complete_search, searched_budget
from .preprocessing import model_space
from .recourse import (
    dominated_options,
    feature_membership,
    main_lever,
    reaches,
    sparse_counterfactuals,
)
from .recourse import refine as refine_counterfactuals
from .recourse import sparsify as sparsify_counterfactuals
from .result import CounterfactualResult
from .search import SearchResult, counterfactual_search

__all__ = ["CounterfactualExplainer", "CounterfactualResult"]


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
        A search stops once ``p(target)`` reaches it; ``None`` runs all steps.
    max_iter : int, default=100
        Maximum search steps.
    lr : float, default=0.1
        Gradient-descent step size of the search (plain gradient descent, as
        in the reference). Where logits are shallow, for example a network
        fitted on unscaled inputs, steps are small: standardise the inputs
        (a Pipeline works) or raise ``max_iter`` or ``lr``.
    lambda_cost, lambda_energy : float >= 0 or None, default=None
        Override the generator's penalty weights when given.
    epsilon : float, default=0.3
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
        (:mod:`sklearn_ct.costs`): refinement keeps the cheapest point by
        it, sparsification reverts the dearest change first, and the result
        reports each counterfactual's ``cost``. ``"mad"``: one unit of a
        numeric feature costs ``1 / MAD``, its median absolute deviation on
        the data given to ``fit`` (for ``clf.explain``, the classifier's
        training rows), floored at a tenth of its standard deviation
        (:func:`~sklearn_ct.costs.mad_scale`), so a typical step costs 1 in
        any units; changing a categorical feature's level costs 1. A dict by
        feature name (a pipeline's input columns, or positions) or a list
        with one value per feature sets the cost of one unit of a numeric
        feature in its own units, or of a level change of a categorical one
        (a one-hot group or ordinal code); a dict's other features keep
        their ``"mad"`` cost. A column reaching the model through a
        non-affine step (``PowerTransformer``, ``QuantileTransformer``) is
        costed per unit of that step's output.
    refine : bool, default=True
        Make each counterfactual that reached the threshold as cheap as it can
        be under ``feature_costs`` (:func:`sklearn_ct.recourse.refine`): move
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
        search (:mod:`sklearn_ct.neighbourhood`) that treats one-hot groups,
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

    _parameter_constraints: ClassVar[dict] = {
        "estimator": [HasMethods(["predict"])],
        "generator": [str, Generator],
        # The specs have their own resolvers, whose errors name the bad entry.
        "mutability": [str, Mapping, "array-like", None],
        "domain": [str, Mapping, "array-like", None],
        "decision_threshold": [Interval(Real, 0, 1, closed="neither"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lambda_cost": [Interval(Real, 0, None, closed="left"), None],
        "lambda_energy": [Interval(Real, 0, None, closed="left"), None],
        "epsilon": [Interval(Real, 0, None, closed="left")],
        "domain_n_std": [Interval(Real, 0, None, closed="neither")],
        "categorical_groups": ["array-like", None],
        "integer_features": [str, "array-like", None],
        "feature_costs": [str, Mapping, "array-like"],
        "refine": ["boolean"],
        "fallback": ["boolean"],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_threads": [
            Interval(Integral, 1, None, closed="left"),
            Options(Integral, {-1}),
            None,
        ],
        "random_state": ["random_state"],
    }

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
        integer_features="auto",
        feature_costs="mad",
        refine=True,
        fallback=True,
        batch_size=8192,
        n_threads=1,
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
        self.integer_features = integer_features
        self.feature_costs = feature_costs
        self.refine = refine
        self.fallback = fallback
        self.batch_size = batch_size
        self.n_threads = n_threads
        self.random_state = random_state

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
        check_n_threads(self.n_threads)  # refuses booleans too
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
        _warn_outside(constraints, X_model, space, "the data given to fit")
        self.model_space_ = space
        self.n_features_in_ = np.shape(X)[1]
        if space.input_names is not None:
            self.feature_names_in_ = np.asarray(space.input_names, dtype=object)
        set_constraints(self, constraints)
        self.feature_costs_ = resolve_feature_costs(
            self.feature_costs, space, constraints, mad_scale(X_model)
        )
        y_index = None if y is None else label_index(y, classes, "y")
        self.generator_ = resolve_generator(
            self.generator,
            lambda_cost=self.lambda_cost,
            lambda_energy=self.lambda_energy,
        ).fit(X_model, y_index, random_state=self.random_state)
        return self

    @classmethod
    def _from_fitted_parts(cls, estimator, space, constraints, generator, **params):
        """An explainer fitted from parts a fitted model already holds.

        ``params`` are the keywords a user gave to ``estimator.explain``.
        """
        _check_explain_keywords(params, f"{type(estimator).__name__}.explain")
        space.require_layout(constraints.n_features)
        explainer = cls(estimator, generator=generator, **params)
        explainer._validate_params()
        check_n_threads(explainer.n_threads)
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
        overrides = {
            k: v
            for k, v in (
                ("lambda_cost", explainer.lambda_cost),
                ("lambda_energy", explainer.lambda_energy),
            )
            if v is not None and k in generator.get_params(deep=False)
        }
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
            :data:`~sklearn_ct.recourse.MARGIN`). A one-hot encoded column,
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
        check_is_fitted(self, "generator_")
        check_explain_options(sparsify, n_per_factual)
        space = self.model_space_
        X_in, order = space.check_input(X)
        if len(X_in) == 0:  # nobody to explain: an empty result, not an error
            return self._empty_result(X)
        X_model = space.transform(X_in)
        constraints = self.constraints_
        if X_model.shape[1] != constraints.n_features:
            raise ValueError(
                f"X has {X_model.shape[1]} features in the model's input space, "
                f"but the explainer was fitted with {constraints.n_features}."
            )
        _warn_outside(constraints, X_model, space, "the factuals", check=False)
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
                found = self._explain_rows(
                    module, x, t, tensors, member, costs, sparsify, n_per_factual
                )
                rows = s.start + found.pop("row").cpu().numpy()
                parts.append(
                    self._result(
                        X,
                        X_in,
                        order,
                        X_model,
                        rows,
                        found,
                        predicted,
                        target_index,
                        classes,
                        module,
                        member,
                    )
                )
        result = CounterfactualResult.concat(parts, release=True)
        result.searched = searched_budget(self.max_iter, self.fallback)
        return result

    def _empty_result(self, X) -> CounterfactualResult:
        """The result for no factuals: every field empty, columns as given."""
        _, classes = as_logits_module(self.model_space_.final)
        if isinstance(X, pd.DataFrame):
            factuals, counterfactuals = X, X.copy()
        else:
            factuals = np.asarray(X)
            counterfactuals = (
                factuals.astype(float)
                if factuals.dtype.kind in "biuf"
                else factuals.copy()
            )
        empty = np.empty((0, self.constraints_.n_features))
        labels = np.asarray(classes)[:0]
        return CounterfactualResult(
            factuals=factuals,
            counterfactuals=counterfactuals,
            target=labels,
            valid=np.zeros(0, dtype=bool),
            converged=np.zeros(0, dtype=bool),
            n_iter=np.zeros(0, dtype=np.int64),
            predicted=labels.copy(),
            p_target=np.zeros(0),
            model_factuals=empty,
            model_counterfactuals=empty.copy(),
            adversarial=empty.copy(),
            feature_names=_names_of(factuals),
            factual_index=np.zeros(0, dtype=int),
            cost=np.zeros(0),
        )

    def _explain_rows(self, module, x, target, constraints, member, costs, sparse, k):
        """Counterfactuals for a chunk of factuals: up to k per factual, factual-major.

        With options (k > 1), when an option is dominated, one spare search
        runs without the main lever of every option kept (:meth:`_distinct`).
        ``row`` holds each counterfactual's factual (its position in the chunk).
        """
        threshold = self.decision_threshold
        copies, frozen = [], None
        for i in range(k + 1 if k > 1 else k):
            if i == k:  # the spare search, for options another one dominates
                dominated = self._dominated(module, x, target, member, copies)
                if not bool(dominated.any()):
                    break
                frozen = self._kept_levers(
                    module, x, target, member, costs, copies, dominated
                )
            c = constraints if frozen is None else constraints.with_frozen(frozen)
            found = counterfactual_search(
                module,
                x,
                target,
                self.generator_,
                c,
                decision_threshold=threshold,
                max_iter=self.max_iter,
                step_size=self.lr,
                epsilon=self.epsilon,
            )
            if self.fallback:  # complete the search where it found no recourse
                found = complete_search(module, x, target, c, found, threshold)
            cf = found.counterfactuals
            if sparse:
                cf, found = self._sparsify(
                    module, x, cf, target, c, member, costs, found
                )
            if self.refine:
                cf = refine_counterfactuals(
                    module, x, cf, target, member, c, threshold, costs, fewest=sparse
                )
            if sparse:  # refining moves every feature: put back what is not needed
                cf = sparsify_counterfactuals(
                    module, x, cf, target, member, threshold, costs
                )
            copies.append(
                {
                    "counterfactuals": cf,
                    "converged": found.converged,
                    "n_iter": found.n_iter,
                    "adversarial": found.adversarial,
                }
            )
            if k > 1:
                lever = main_lever(x, cf, member, costs)
                frozen = lever if frozen is None else frozen | lever
        return self._distinct(module, x, target, member, copies, k)

    def _dominated(self, module, x, target, member, copies):
        """(n, k): options changing a strict superset of another option's features."""
        k = len(copies)
        cf = torch.stack([c["counterfactuals"] for c in copies], dim=1).flatten(0, 1)
        valid = reaches(
            module, cf, target.repeat_interleave(k), self.decision_threshold
        )
        return dominated_options(
            x.repeat_interleave(k, dim=0), cf, member, valid, k
        ).view(len(x), k)

    def _kept_levers(self, module, x, target, member, costs, copies, dominated):
        """(n, n_features): main levers of the valid options no other dominates."""
        frozen = torch.zeros_like(x, dtype=torch.bool)
        for j, copy_ in enumerate(copies):
            kept = ~dominated[:, j] & reaches(
                module, copy_["counterfactuals"], target, self.decision_threshold
            )
            lever = main_lever(x, copy_["counterfactuals"], member, costs)
            frozen |= lever & kept.unsqueeze(1)
        return frozen

    def _distinct(self, module, x, target, member, copies, k):
        """Options per factual, factual-major, none dominated by another.

        An option that changes a strict superset of the features another
        valid option for the same factual changes is replaced by the spare
        search (``copies[k]``: it does without the main lever of every option
        kept, so it changes no superset of any), else dropped: such a factual
        gets fewer than ``k`` options.
        """
        n = len(x)
        out = {
            name: torch.stack([c[name] for c in copies[:k]], dim=1)
            for name in copies[0]
        }
        keep = torch.ones(n, k, dtype=torch.bool, device=x.device)
        if k > 1:
            bad = self._dominated(module, x, target, member, copies[:k])
            if len(copies) > k and bool(bad.any()):
                spare = copies[k]
                use = bad.any(dim=1) & reaches(
                    module, spare["counterfactuals"], target, self.decision_threshold
                )
                slot = bad.to(torch.uint8).argmax(dim=1)  # the first dominated
                for name, value in spare.items():
                    out[name][use, slot[use]] = value[use]
                bad = self._dominated(
                    module,
                    x,
                    target,
                    member,
                    [
                        {"counterfactuals": out["counterfactuals"][:, j]}
                        for j in range(k)
                    ],
                )
            keep = ~bad
        row = torch.arange(n, device=x.device).unsqueeze(1).expand(n, k)
        # Factual-major order: the options of factual 0, then of factual 1, ...
        return {**{name: value[keep] for name, value in out.items()}, "row": row[keep]}

    def _sparsify(self, module, x, cf, target, constraints, member, costs, found):
        """:func:`~sklearn_ct.recourse.sparse_counterfactuals` with this search."""

        def search(c, threshold):
            return counterfactual_search(
                module,
                x,
                target,
                self.generator_,
                c,
                decision_threshold=threshold,
                max_iter=self.max_iter,
                step_size=self.lr,
                epsilon=self.epsilon,
            )

        cf, again, better = sparse_counterfactuals(
            search,
            module,
            x,
            cf,
            target,
            constraints,
            member,
            self.decision_threshold,
            costs,
        )
        return cf, SearchResult(
            counterfactuals=cf,
            converged=torch.where(better, again.converged, found.converged),
            # The steps of the search whose point is kept: at most max_iter.
            n_iter=torch.where(better, again.n_iter, found.n_iter),
            adversarial=found.adversarial,
            p_target=found.p_target,
        )

    def _result(
        self,
        X,
        X_in,
        order,
        X_model,
        rows,
        found,
        predicted,
        target_index,
        classes,
        module,
        member,
    ):
        space = self.model_space_
        target_rows = target_index[rows]
        already = predicted[rows] == target_rows
        cf = found["counterfactuals"].detach()
        cf[already] = torch.as_tensor(
            X_model[rows[already]], dtype=cf.dtype, device=cf.device
        )  # nothing to change
        Z = X_model[rows]
        cf_model = self._finalise(Z, cf)
        X_rows = (
            X_in.iloc[rows]
            if isinstance(X_in, pd.DataFrame)
            else np.asarray(X_in)[rows]
        )
        returned, in_input = space.restore(
            cf_model, X_rows, Z, integer=self.constraints_.integer
        )
        if in_input and space.head is not None:
            cf_model = space.transform(returned)  # exactly the point returned
        with torch.no_grad():
            point = torch.as_tensor(
                cf_model, dtype=module_dtype(module), device=module_device(module)
            )
            t = torch.as_tensor(target_rows, device=point.device)
            p_target = (
                torch.cat(
                    [
                        module(part).softmax(dim=1)
                        for part in point.split(self.batch_size)
                    ]
                )
                .gather(1, t.view(-1, 1))
                .squeeze(1)
            )
            converged = found["converged"] & reaches(
                module, point, t, self.decision_threshold
            )
        predicted_cf = np.asarray(space.final.predict(space.final_input(cf_model)))
        factuals = X.iloc[rows] if isinstance(X, pd.DataFrame) else np.asarray(X)[rows]
        if in_input:
            if order is not None:
                returned = returned[order]
            counterfactuals, names = returned, _names_of(factuals)
            if isinstance(counterfactuals, pd.DataFrame) and not isinstance(
                factuals, pd.DataFrame
            ):  # an array given to a named pipeline
                counterfactuals, names = (
                    counterfactuals.to_numpy(),
                    list(space.input_names),
                )
            if (
                isinstance(factuals, np.ndarray)
                and factuals.dtype.kind in "biuf"
                and isinstance(counterfactuals, np.ndarray)
            ):
                counterfactuals = counterfactuals.astype(float)
        else:
            counterfactuals = returned
            names = (
                list(returned.columns)
                if isinstance(returned, pd.DataFrame)
                else space.feature_names or [f"x{k}" for k in range(Z.shape[1])]
            )
            factuals = (
                pd.DataFrame(Z, columns=names, index=factuals.index)
                if isinstance(factuals, pd.DataFrame)
                else Z
            )
        n_iter = found["n_iter"].cpu().numpy()
        n_iter[already] = 0
        valid = predicted_cf == classes[target_rows]
        costs = self.feature_costs_.tensors(member.cpu(), torch.float64)
        cost = total_cost(
            torch.as_tensor(Z), torch.as_tensor(cf_model), member.cpu(), costs
        ).numpy()
        return CounterfactualResult(
            factuals=factuals,
            counterfactuals=counterfactuals,
            target=classes[target_rows],
            valid=valid,
            converged=converged.cpu().numpy(),
            n_iter=n_iter,
            predicted=classes[predicted[rows]],
            p_target=p_target.cpu().numpy().astype(np.float64),
            model_factuals=Z,
            model_counterfactuals=cf_model,
            adversarial=found["adversarial"].cpu().numpy().astype(Z.dtype),
            feature_names=names,
            factual_index=rows,
            cost=np.where(valid, cost, np.nan),  # no recourse: nothing to cost
        )

    def _finalise(self, X_model, cf):
        """Back to float64: exact factual values where unchanged, clipped to the box.

        The search runs in the module's dtype; where it left a feature
        untouched, the user's own value comes back bit for bit.
        """
        cf = cf.detach().cpu()
        unchanged = (cf == torch.tensor(X_model).to(cf.dtype)).numpy()
        out = np.where(unchanged, X_model, cf.numpy().astype(np.float64))
        low, high = self.domain_
        return np.where(unchanged, out, np.clip(out, low, high))


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


def _check_explain_keywords(params, method) -> None:
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


def set_constraints(estimator, constraints) -> None:
    """Set the fitted constraint attributes of an explainer or a classifier."""
    estimator.constraints_ = constraints
    estimator.mutability_ = constraints.mutability
    estimator.domain_ = (constraints.low, constraints.high)
    estimator.categorical_groups_ = list(constraints.groups)


def _is(value, name) -> bool:
    return isinstance(value, str) and value == name


def _chunks(n, size):
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def _names_of(X):
    if isinstance(X, pd.DataFrame):
        return [str(c) for c in X.columns]
    return [f"x{j}" for j in range(np.shape(X)[1])]


def _warn_outside(constraints, X_model, space, what, check=True):
    """Check data against the constraints; warn if it lies outside a given box.

    An inferred box holds the training data by construction and clips only
    outliers of other data, as documented; a box the user gave that excludes
    the data is worth a warning, since moving a feature into it is a change.
    """
    if check:
        constraints.check_data(X_model)
    if not constraints.box_given:
        return
    share = constraints.share_outside(X_model)
    outside = np.flatnonzero(share > 0)
    if not len(outside):
        return
    names = space.feature_names or [f"x{k}" for k in range(len(share))]
    listed = ", ".join(f"{names[k]} ({share[k]:.2%} of rows)" for k in outside[:5])
    warnings.warn(
        f"Some of {what} lie outside the domain box: {listed}"
        f"{' ...' if len(outside) > 5 else ''}. A counterfactual moves such a "
        "feature into the box where it may change it, and that move counts as a "
        "change. Widen the domain if it should include them.",
        UserWarning,
        stacklevel=4,
    )
