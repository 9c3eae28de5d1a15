"""Several counterfactuals per factual (options), each for one chunk of factuals.

:func:`search_options` runs, for a chunk of factuals, what ``explain`` asks
for: the batched gradient search, the discrete fallback where it found no
recourse, then sparsification and refinement; with ``n_per_factual=k > 1``,
``k`` times, each time without the main lever (:func:`main_lever`, the
dearest change) of every option before. Options are pairwise non-dominated:
an option that changes a strict superset of the features another option for
the same factual changes (:func:`dominated_options`) is replaced by one
spare search without the main lever of every option kept, or else dropped.
"""

from __future__ import annotations

import torch

from ._costs import CostTensors, feature_changes, feature_cost
from ._neighbourhood import complete_search
from ._refine import reaches, refine
from ._search import SearchResult, counterfactual_search
from ._sparsify import sparse_counterfactuals, sparsify


def search_options(explainer, module, x, target, constraints, member, costs, sparse, k):
    """Counterfactuals for a chunk of factuals: up to k per factual, factual-major.

    With options (k > 1), when an option is dominated, one spare search
    runs without the main lever of every option kept (:func:`_distinct`).
    ``row`` holds each counterfactual's factual (its position in the chunk).

    Parameters
    ----------
    explainer : CounterfactualExplainer
        Fitted; its search settings, ``generator_``, ``fallback`` and
        ``refine`` are used.
    module : nn.Module
        The model's logits.
    x : Tensor of shape (n, n_features)
        Factuals, in model space.
    target : LongTensor of shape (n,)
        Target class index of each factual.
    constraints : Constraints
        The resolved constraints, as tensors.
    member : BoolTensor of shape (n_user_features, n_features)
        Which model columns form each of the user's features.
    costs : CostTensors
        What a change of each feature costs.
    sparse : bool
        Sparsify each option.
    k : int
        Options per factual.

    Returns
    -------
    dict
        ``counterfactuals``, ``searched`` (the search's points, before
        sparsifying and refining), ``converged``, ``n_iter``, ``adversarial``
        and ``row``, one entry per option kept.
    """
    threshold = explainer.decision_threshold
    copies, frozen = [], None
    for i in range(k + 1 if k > 1 else k):
        if i == k:  # the spare search, for options another one dominates
            dominated = _dominated(module, x, target, member, copies, threshold)
            if not bool(dominated.any()):
                break
            frozen = _kept_levers(
                module, x, target, member, costs, copies, dominated, threshold
            )
        c = constraints if frozen is None else constraints.with_frozen(frozen)
        found = _search(explainer, module, x, target, c, threshold)
        if explainer.fallback:  # complete the search where it found no recourse
            found = complete_search(module, x, target, c, found, threshold)
        cf = searched = found.counterfactuals
        if sparse:
            cf, found = _sparsify(
                explainer, module, x, cf, target, c, member, costs, found
            )
        if explainer.refine:
            cf = refine(
                module, x, cf, target, member, c, threshold, costs, fewest=sparse
            )
        if sparse:  # refining moves every feature: put back what is not needed
            cf = sparsify(module, x, cf, target, member, threshold, costs)
        copies.append(
            {
                "counterfactuals": cf,
                "searched": searched,
                "converged": found.converged,
                "n_iter": found.n_iter,
                "adversarial": found.adversarial,
            }
        )
        if k > 1:
            lever = main_lever(x, cf, member, costs)
            frozen = lever if frozen is None else frozen | lever
    return _distinct(module, x, target, member, copies, k, threshold)


def _search(explainer, module, x, target, constraints, threshold):
    """The explainer's gradient search from the factuals ``x``."""
    return counterfactual_search(
        module,
        x,
        target,
        explainer.generator_,
        constraints,
        decision_threshold=threshold,
        max_iter=explainer.max_iter,
        step_size=explainer._step_size,  # set by check_params
        adversarial_radius=explainer._adversarial_radius,
    )


def _dominated(module, x, target, member, copies, threshold):
    """(n, k): options changing a strict superset of another option's features."""
    k = len(copies)
    cf = torch.stack([c["counterfactuals"] for c in copies], dim=1).flatten(0, 1)
    valid = reaches(module, cf, target.repeat_interleave(k), threshold)
    return dominated_options(x.repeat_interleave(k, dim=0), cf, member, valid, k).view(
        len(x), k
    )


def _kept_levers(module, x, target, member, costs, copies, dominated, threshold):
    """(n, n_features): main levers of the valid options no other dominates."""
    frozen = torch.zeros_like(x, dtype=torch.bool)
    for j, copy_ in enumerate(copies):
        kept = ~dominated[:, j] & reaches(
            module, copy_["counterfactuals"], target, threshold
        )
        lever = main_lever(x, copy_["counterfactuals"], member, costs)
        frozen |= lever & kept.unsqueeze(1)
    return frozen


def _distinct(module, x, target, member, copies, k, threshold):
    """Options per factual, factual-major, none dominated by another.

    An option that changes a strict superset of the features another
    valid option for the same factual changes is replaced by the spare
    search (``copies[k]``: it does without the main lever of every option
    kept, so it changes no superset of any), else dropped: such a factual
    gets fewer than ``k`` options.
    """
    n = len(x)
    out = {
        name: torch.stack([c[name] for c in copies[:k]], dim=1) for name in copies[0]
    }
    keep = torch.ones(n, k, dtype=torch.bool, device=x.device)
    if k > 1:
        bad = _dominated(module, x, target, member, copies[:k], threshold)
        if len(copies) > k and bool(bad.any()):
            spare = copies[k]
            use = bad.any(dim=1) & reaches(
                module, spare["counterfactuals"], target, threshold
            )
            slot = bad.to(torch.uint8).argmax(dim=1)  # the first dominated
            for name, value in spare.items():
                out[name][use, slot[use]] = value[use]
            bad = _dominated(
                module,
                x,
                target,
                member,
                [{"counterfactuals": out["counterfactuals"][:, j]} for j in range(k)],
                threshold,
            )
        keep = ~bad
    row = torch.arange(n, device=x.device).unsqueeze(1).expand(n, k)
    # Factual-major order: the options of factual 0, then of factual 1, ...
    return {**{name: value[keep] for name, value in out.items()}, "row": row[keep]}


def _sparsify(explainer, module, x, cf, target, constraints, member, costs, found):
    """:func:`sparse_counterfactuals` with the explainer's search."""

    def search(c, threshold):
        return _search(explainer, module, x, target, c, threshold)

    cf, again, better = sparse_counterfactuals(
        search,
        module,
        x,
        cf,
        target,
        constraints,
        member,
        explainer.decision_threshold,
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


def main_lever(x, x_cf, member, costs: CostTensors | None = None) -> torch.Tensor:
    """Columns of each row's dearest changed feature: BoolTensor (n, n_features).

    Without ``costs``, the largest change. Rows without any change get no
    column.
    """
    changes = feature_changes(x, x_cf, member)
    moved = changes > 0
    if costs is not None:
        changes = torch.where(moved, feature_cost(x, x_cf, member, costs) + 1, 0)
    best = changes.argmax(dim=1)
    return member[best] & moved.gather(1, best.view(-1, 1))


def dominated_options(x, x_cf, member, valid, k: int) -> torch.Tensor:
    """Options that change a strict superset of another valid option's features.

    Parameters
    ----------
    x, x_cf : Tensor of shape (n * k, n_features)
        Factuals and options, factual-major (``k`` options per factual).
    member : BoolTensor of shape (n_user_features, n_features)
        Which model columns form each of the user's features.
    valid : BoolTensor of shape (n * k,)
        Options that reach the target; the others are ignored.
    k : int
        Options per factual.

    Returns
    -------
    BoolTensor of shape (n * k,)
        Valid options such that another valid option of the same factual
        changes a strict subset of their features.

    Examples
    --------
    >>> from sklearn_ct.explain._costs import feature_membership
    >>> member = feature_membership([[0], [1], [2]], 3)
    >>> x = torch.zeros(3, 3)
    >>> options = torch.tensor([[1.0, 1, 0], [0, 1, 0], [0, 0, 1]])
    >>> dominated_options(x, options, member, torch.ones(3, dtype=bool), 3).tolist()
    [True, False, False]
    """
    changed = (feature_changes(x, x_cf, member) > 0).view(-1, k, member.shape[0])
    valid = valid.view(-1, k)
    a, b = changed.unsqueeze(2), changed.unsqueeze(1)  # option a, option b
    # b's features within a's, and a changes some feature b does not.
    strict = (~b | a).all(dim=3) & (a & ~b).any(dim=3)
    return ((strict & valid.unsqueeze(1)).any(dim=2) & valid).reshape(-1)
