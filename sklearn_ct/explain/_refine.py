"""Making found counterfactuals cheaper: refinement toward the factual.

The search (:func:`~sklearn_ct.explain.counterfactual_search`) takes fixed
gradient steps, as the paper's reference does; where gradients are large, one
step overshoots the decision boundary, and every free feature is nudged a
little. These batched post-processing steps turn its output into recourse a
person can act on, without ever leaving the feasible set (every point goes
through :func:`~sklearn_ct.constraints.project`):

* :func:`bisect_toward_factual`: the closest point to the factual, on the
  segment from the factual to the counterfactual, that still reaches the
  target (bisection on all rows at once); :func:`shrink_features` shrinks
  each feature's change in turn, the least useful per cost first;
  :func:`cheapest_lever` moves only the one column with the steepest target
  margin per cost, :func:`cheapest_switch` switches only one categorical
  feature; :func:`refine` keeps the cheapest of these per row.

Sparser counterfactuals are made in ``_sparsify``, several different ones
per factual in ``_options``. Costs are ``CostTensors`` (per feature, in the
user's units; ``_costs``); without them, every model unit costs 1.

None of this runs during training or in the paper's protocol.
"""

from __future__ import annotations

import torch

from ..constraints._projection import _project, factual_outside, project
from ..constraints._tensors import Constraints
from ._costs import (
    CostTensors,
    feature_changes,
    total_cost,
    uniform_costs,
)

#: Logit margin by which a counterfactual must beat every other class: keeps
#: its class when it is re-evaluated in another float precision.
MARGIN = 1e-3


def reaches(model, x, target, threshold=None) -> torch.Tensor:
    """Rows whose predicted class is ``target`` (with ``p(target) >= threshold``).

    Parameters
    ----------
    model : callable
        Inputs -> logits.
    x : Tensor of shape (n, n_features)
        Points to check.
    target : LongTensor of shape (n,)
        Target class index of each point.
    threshold : float or None, default=None
        ``p(target)`` to reach as well; ``None``: the target class only.

    Returns
    -------
    BoolTensor of shape (n,)
    """
    with torch.no_grad():
        logits = model(x)
        own = logits.gather(1, target.view(-1, 1)).squeeze(1)
        others = logits.scatter(1, target.view(-1, 1), -torch.inf).amax(dim=1)
        ok = own - others >= MARGIN
        if threshold is None:
            return ok
        if logits.shape[1] == 2 and threshold <= 0.5:
            # Two classes: a margin >= MARGIN > 0 already gives p(target) =
            # 1 / (1 + exp(-margin)) > 0.5 as softmax computes it, except at
            # an infinite target logit (softmax: nan), so no softmax is needed.
            ok &= own < torch.inf
        else:
            p = logits.softmax(dim=1).gather(1, target.view(-1, 1)).squeeze(1)
            ok &= p >= threshold
    return ok


def _bisect_along(model, x, delta, target, constraints, threshold, n_steps):
    """The (projected) point ``x + f * delta`` of smallest ``f`` in (0, 1] found
    to reach the target by ``n_steps`` batched bisection steps (``f = 1`` where
    no smaller fraction does)."""
    low = torch.zeros(len(x), 1, dtype=x.dtype, device=x.device)
    high = torch.ones_like(low)
    outside = factual_outside(x, constraints)  # asked once, not per step
    for _ in range(n_steps):
        middle = (low + high) / 2
        point = _project(x + middle * delta, x, constraints, outside)
        good = reaches(model, point, target, threshold).unsqueeze(1)
        high = torch.where(good, middle, high)
        low = torch.where(good, low, middle)
    return _project(x + high * delta, x, constraints, outside)


def bisect_toward_factual(
    model, x, x_cf, target, constraints: Constraints, threshold=None, n_steps: int = 24
) -> torch.Tensor:
    """The cheapest point on the (projected) segment from ``x`` to ``x_cf`` that reaches.

    Rows where ``x_cf`` does not reach the target are returned unchanged.

    Parameters
    ----------
    model : callable
        Inputs -> logits (in eval mode).
    x, x_cf : Tensor of shape (n, n_features)
        Factuals and counterfactuals.
    target : LongTensor of shape (n,)
        Target class index of each row.
    constraints : Constraints
        The resolved constraints; every point of the segment is projected onto them.
    threshold : float or None, default=None
        Target probability to keep; None keeps the target class only.
    n_steps : int, default=24
        Bisection steps (the segment is resolved to ``2 ** -n_steps``).

    Returns
    -------
    Tensor of shape (n, n_features)
    """
    ok = reaches(model, x_cf, target, threshold)
    if not bool(ok.any()):
        return x_cf
    delta = x_cf - x
    best = _bisect_along(model, x, delta, target, constraints, threshold, n_steps)
    keep = ok & reaches(model, best, target, threshold)
    return torch.where(keep.unsqueeze(1), best, x_cf)


def _margin_gradient(model, x, target):
    """Gradient of the target's logit margin over the best other class, per row."""
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        logits = model(x)
        own = logits.gather(1, target.view(-1, 1)).squeeze(1)
        others = logits.scatter(1, target.view(-1, 1), -torch.inf).amax(dim=1)
        (grad,) = torch.autograd.grad((own - others).sum(), x)
    return grad


def _keep(x, current, columns, fraction, constraints, outside):
    """``current`` with ``fraction`` of its change kept in ``columns`` (projected).

    ``outside``: whether some factual lies outside the box (see ``_project``).
    """
    point = torch.where(columns, x + fraction * (current - x), current)
    return _project(point, x, constraints, outside)


def shrink_features(
    model,
    x,
    x_cf,
    target,
    member,
    constraints: Constraints,
    threshold=None,
    n_steps: int = 10,
    costs: CostTensors | None = None,
) -> torch.Tensor:
    """Shrink each feature's change toward the factual as far as the target allows.

    Least useful feature first (the smallest gradient of the target's margin
    at the counterfactual per unit of cost): a feature is put back to the factual's value when
    the point still reaches the target without it, else its change is cut by
    bisection to the smallest fraction that does. The result moves few
    features, each as little as needed: close to the cheapest point in L1,
    which changes the features with the steepest logits and leaves the rest
    (on a linear boundary, exactly one feature; the fixed gradient steps of
    the search move every feature in proportion to its gradient).

    Parameters
    ----------
    model : callable
        Inputs -> logits (in eval mode).
    x, x_cf : Tensor of shape (n, n_features)
        Factuals and counterfactuals.
    target : LongTensor of shape (n,)
        Target class index of each row.
    member : BoolTensor of shape (n_user_features, n_features)
        From :func:`feature_membership` (a one-hot group is one feature).
    constraints : Constraints
        The resolved constraints; every point is projected onto them.
    threshold : float or None, default=None
        ``p(target)`` to keep; ``None``: the target class only.
    n_steps : int, default=10
        Bisection steps per feature.
    costs : CostTensors or None, default=None
        Feature costs (None: every model unit costs 1).

    Returns
    -------
    Tensor of shape (n, n_features)
    """
    current = x_cf.clone()
    ok = reaches(model, current, target, threshold)
    if not bool(ok.any()):
        return x_cf
    changes = feature_changes(x, current, member)
    # Least useful first: the feature whose columns move the target's margin
    # least per unit of cost (at the counterfactual) is the first to give way.
    gradient = _margin_gradient(model, current, target)
    if costs is not None:
        gradient = gradient.abs() / costs.rank.clamp_min(torch.finfo(x.dtype).tiny)
    order = feature_changes(torch.zeros_like(x), gradient, member).argsort(dim=1)
    outside = factual_outside(x, constraints)
    for rank in range(member.shape[0]):
        feature = order[:, rank]
        moved = ok & (changes.gather(1, feature.view(-1, 1)).squeeze(1) > 0)
        if not bool(moved.any()):
            continue
        columns = member[feature]
        # The factual's own value first (exactly), else the smallest fraction
        # of the change that still reaches, by bisection.
        low = torch.zeros(len(x), 1, dtype=x.dtype, device=x.device)
        reverted = reaches(
            model,
            _keep(x, current, columns, low, constraints, outside),
            target,
            threshold,
        ).unsqueeze(1)
        high = torch.where(reverted, low, torch.ones_like(low))
        for _ in range(0 if bool(reverted[moved].all()) else n_steps):
            middle = (low + high) / 2
            good = reverted | reaches(
                model,
                _keep(x, current, columns, middle, constraints, outside),
                target,
                threshold,
            ).unsqueeze(1)
            high = torch.where(good, middle, high)
            low = torch.where(good, low, middle)
        candidate = _keep(x, current, columns, high, constraints, outside)
        accept = moved & reaches(model, candidate, target, threshold)
        current = torch.where(accept.unsqueeze(1), candidate, current)
    return current


def cheapest_lever(
    model,
    x,
    x_cf,
    target,
    constraints: Constraints,
    threshold=None,
    costs: CostTensors | None = None,
    n_steps: int = 24,
):
    """The factual with only its most cost-effective numeric column moved, as needed.

    On a linear boundary the cheapest point under a weighted L1 cost moves
    one column: the one whose target margin grows most per unit of cost.
    Per row, that column (by the margin's gradient at the counterfactual,
    among the numeric columns free to move that way, categories left alone)
    is moved from the factual toward its bound, and bisection finds the
    smallest move that reaches the target.

    Parameters
    ----------
    model : callable
        Inputs -> logits (in eval mode).
    x, x_cf : Tensor of shape (n, n_features)
        Factuals and counterfactuals.
    target : LongTensor of shape (n,)
        Target class index of each row.
    constraints : Constraints
        The resolved constraints; every point is projected onto them.
    threshold : float or None, default=None
        ``p(target)`` to reach; ``None``: the target class only.
    costs : CostTensors or None, default=None
        Feature costs (None: every model unit costs 1).
    n_steps : int, default=24
        Bisection steps.

    Returns
    -------
    point : Tensor of shape (n, n_features)
    found : BoolTensor of shape (n,)
        Rows where moving that one column reaches the target.
    """
    gradient = _margin_gradient(model, x_cf, target)
    up = gradient > 0
    edge = torch.where(up, constraints.high, constraints.low)
    # An open side: as far as the neighbourhood search looks (10 units, or
    # ten times the factual's magnitude).
    reach = torch.maximum(torch.full_like(x, 10.0), 10 * x.abs())
    edge = torch.where(torch.isfinite(edge), edge, x + torch.where(up, reach, -reach))
    allowed = torch.where(up, constraints.allow_increase, constraints.allow_decrease)
    if constraints.frozen is not None:
        allowed = allowed & ~constraints.frozen
    rank = torch.ones_like(x[0]) if costs is None else costs.rank
    if costs is not None:
        allowed = allowed & ~costs.switch.any(dim=0)
    score = gradient.abs() / rank.clamp_min(torch.finfo(x.dtype).tiny)
    # (An edge behind the factual, which lies outside the box, is no way up.)
    usable = allowed & (gradient != 0) & ((edge - x) * gradient > 0)
    score = torch.where(usable, score, torch.full_like(score, -1.0))
    best = score.argmax(dim=1, keepdim=True)
    has = score.gather(1, best).squeeze(1) > 0
    delta = torch.zeros_like(x).scatter(1, best, (edge - x).gather(1, best))
    found = has & reaches(model, project(x + delta, x, constraints), target, threshold)
    if not bool(found.any()):
        return x_cf, found
    point = _bisect_along(model, x, delta, target, constraints, threshold, n_steps)
    found = found & reaches(model, point, target, threshold)
    return torch.where(found.unsqueeze(1), point, x_cf), found


def cheapest_switch(
    model,
    x,
    target,
    member,
    constraints: Constraints,
    threshold=None,
    costs: CostTensors | None = None,
):
    """The factual with one categorical feature switched: the cheapest that reaches.

    Every level of every one-hot group (a dropped level too) is tried alone,
    all rows at once, through :func:`~sklearn_ct.constraints.project` (so an
    immutable group stays); each row keeps the cheapest switch that reaches
    the target. Gradient steps rarely find such a switch by themselves, and
    it may be what a person would rather do.

    Parameters
    ----------
    model : callable
        Inputs -> logits (in eval mode).
    x : Tensor of shape (n, n_features)
        Factuals.
    target : LongTensor of shape (n,)
        Target class index of each row.
    member : BoolTensor of shape (n_user_features, n_features)
        Which model columns form each of the user's features.
    constraints : Constraints
        The resolved constraints; every point is projected onto them.
    threshold : float or None, default=None
        ``p(target)`` to reach; ``None``: the target class only.
    costs : CostTensors or None, default=None
        Feature costs (None: every model unit costs 1).

    Returns
    -------
    point : Tensor of shape (n, n_features)
    found : BoolTensor of shape (n,)
    """
    found = torch.zeros(len(x), dtype=torch.bool, device=x.device)
    if constraints.group_index is None:
        return x, found
    if costs is None:
        costs = uniform_costs(member, x.dtype, x.device)
    best, best_cost = (
        x,
        torch.full((len(x),), torch.inf, dtype=x.dtype, device=x.device),
    )
    for g in range(constraints.group_index.shape[0]):
        valid = constraints.group_valid[g]
        columns = constraints.group_index[g][valid]
        scale = constraints.group_scale[g][valid]
        offset = constraints.group_offset[g][valid]
        levels = list(range(len(columns)))
        if bool(constraints.group_implicit[g]):
            levels.append(None)  # the dropped level: every indicator 0
        for level in levels:
            indicator = torch.zeros_like(scale)
            if level is not None:
                indicator[level] = 1
            candidate = x.clone()
            candidate[:, columns] = indicator * scale + offset
            candidate = project(candidate, x, constraints)
            cost = total_cost(x, candidate, member, costs)
            better = (
                (candidate != x).any(dim=1)
                & (cost < best_cost)
                & reaches(model, candidate, target, threshold)
            )
            best = torch.where(better.unsqueeze(1), candidate, best)
            best_cost = torch.where(better, cost, best_cost)
            found |= better
    return best, found


def refine(
    model,
    x,
    x_cf,
    target,
    member,
    constraints: Constraints,
    threshold=None,
    costs: CostTensors | None = None,
    fewest: bool = False,
) -> torch.Tensor:
    """The cheapest of four refinements of each counterfactual.

    Back along the segment to the factual (:func:`bisect_toward_factual`);
    first :func:`shrink_features` and then back along the segment; only the
    most cost-effective numeric column moved (:func:`cheapest_lever`); or
    only one categorical feature switched (:func:`cheapest_switch`). On a
    smooth boundary the second and third are close to the cheapest point,
    on a curved one the first can be cheaper; each row keeps whichever costs
    least (``_costs.total_cost``; without ``costs``, L1 in
    the model's units), or with ``fewest``, whichever changes the fewest
    features, the cheapest of those. Rows that do not reach the target stay
    as they are.

    Parameters
    ----------
    model : callable
        Inputs -> logits (in eval mode).
    x, x_cf : Tensor of shape (n, n_features)
        Factuals and counterfactuals.
    target : LongTensor of shape (n,)
        Target class index of each row.
    member : BoolTensor of shape (n_user_features, n_features)
        Which model columns form each of the user's features.
    constraints : Constraints
        The resolved constraints; every point is projected onto them.
    threshold : float or None, default=None
        ``p(target)`` to keep; ``None``: the target class only.
    costs : CostTensors or None, default=None
        Feature costs (None: every model unit costs 1).
    fewest : bool, default=False
        Prefer the fewest changed features to the lowest cost (for sparse
        counterfactuals).

    Returns
    -------
    Tensor of shape (n, n_features)
    """
    if costs is None:
        costs = uniform_costs(member, x.dtype, x.device)

    def rank(point):  # (changed features, cost): lower is better
        count = (feature_changes(x, point, member) > 0).sum(dim=1)
        return (
            count if fewest else torch.zeros_like(count),
            total_cost(x, point, member, costs),
        )

    along = bisect_toward_factual(model, x, x_cf, target, constraints, threshold)
    shrunk = bisect_toward_factual(
        model,
        x,
        shrink_features(
            model, x, x_cf, target, member, constraints, threshold, costs=costs
        ),
        target,
        constraints,
        threshold,
    )
    best, (count, cost) = along, rank(along)
    lever, found = cheapest_lever(model, x, x_cf, target, constraints, threshold, costs)
    ok = reaches(model, x_cf, target, threshold)  # refine, not search
    switch, switched = cheapest_switch(
        model, x, target, member, constraints, threshold, costs
    )
    for candidate, usable in (
        (shrunk, None),
        (lever, found & ok),
        (switch, switched & ok),
    ):
        candidate_count, candidate_cost = rank(candidate)
        better = (candidate_count < count) | (
            (candidate_count == count) & (candidate_cost < cost)
        )
        if usable is not None:
            better = better & usable
        best = torch.where(better.unsqueeze(1), candidate, best)
        count = torch.where(better, candidate_count, count)
        cost = torch.where(better, candidate_cost, cost)
    return best
