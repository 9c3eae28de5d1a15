"""Making found counterfactuals actionable: cheaper, sparser, and different.

The search (:mod:`sklearn_ct.search`) takes fixed gradient steps, as the
paper's reference does; where gradients are large, one step overshoots the
decision boundary, and every free feature is nudged a little. These batched
post-processing steps turn its output into recourse a person can act on,
without ever leaving the feasible set (every point goes through
:func:`~sklearn_ct.projection.project`):

* :func:`bisect_toward_factual`: the closest point to the factual, on the
  segment from the factual to the counterfactual, that still reaches the
  target (bisection on all rows at once); :func:`shrink_features` shrinks
  each feature's change in turn, the least useful per cost first;
  :func:`cheapest_lever` moves only the one column with the steepest target
  margin per cost, :func:`cheapest_switch` switches only one categorical
  feature; :func:`refine` keeps the cheapest of these per row;
* :func:`sparsify`: revert every feature whose change is not needed, the
  dearest change first, pass after pass until no revert succeeds (one
  forward pass per feature rank, all rows at once), so that no single
  changed feature can be put back with the target still reached;
* :func:`main_lever`: each counterfactual's dearest change, which alternative
  counterfactuals for the same factual are asked to do without;
  :func:`dominated_options` finds options that change a strict superset of
  the features another option for the same factual changes.

Costs are :class:`~sklearn_ct.costs.CostTensors` (per feature, in the user's
units; :mod:`sklearn_ct.costs`); without them, every model unit costs 1.

None of this runs during training or in the paper's protocol.
"""

from __future__ import annotations

import numpy as np
import torch

from .costs import CostTensors, feature_cost, total_cost, uniform_costs
from .projection import Constraints, project

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
    target : LongTensor of shape (n,)
    threshold : float or None, default=None

    Returns
    -------
    BoolTensor of shape (n,)
    """
    with torch.no_grad():
        logits = model(x)
        own = logits.gather(1, target.view(-1, 1)).squeeze(1)
        others = logits.scatter(1, target.view(-1, 1), -torch.inf).amax(dim=1)
        ok = own - others >= MARGIN
        if threshold is not None:
            p = logits.softmax(dim=1).gather(1, target.view(-1, 1)).squeeze(1)
            ok &= p >= threshold
    return ok


def _bisect_along(model, x, delta, target, constraints, threshold, n_steps):
    """The (projected) point ``x + f * delta`` of smallest ``f`` in (0, 1] found
    to reach the target by ``n_steps`` batched bisection steps (``f = 1`` where
    no smaller fraction does)."""
    low = torch.zeros(len(x), 1, dtype=x.dtype, device=x.device)
    high = torch.ones_like(low)
    for _ in range(n_steps):
        middle = (low + high) / 2
        good = reaches(
            model, project(x + middle * delta, x, constraints), target, threshold
        ).unsqueeze(1)
        high = torch.where(good, middle, high)
        low = torch.where(good, low, middle)
    return project(x + high * delta, x, constraints)


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
    constraints : Constraints
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


def _keep(x, current, columns, fraction, constraints):
    """``current`` with ``fraction`` of its change kept in ``columns`` (projected)."""
    return project(
        torch.where(columns, x + fraction * (current - x), current), x, constraints
    )


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
    x, x_cf : Tensor of shape (n, n_features)
    target : LongTensor of shape (n,)
    member : BoolTensor of shape (n_user_features, n_features)
        From :func:`feature_membership` (a one-hot group is one feature).
    constraints : Constraints
    threshold : float or None, default=None
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
            model, _keep(x, current, columns, low, constraints), target, threshold
        ).unsqueeze(1)
        high = torch.where(reverted, low, torch.ones_like(low))
        for _ in range(0 if bool(reverted[moved].all()) else n_steps):
            middle = (low + high) / 2
            good = reverted | reaches(
                model,
                _keep(x, current, columns, middle, constraints),
                target,
                threshold,
            ).unsqueeze(1)
            high = torch.where(good, middle, high)
            low = torch.where(good, low, middle)
        candidate = _keep(x, current, columns, high, constraints)
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
    x, x_cf : Tensor of shape (n, n_features)
    target : LongTensor of shape (n,)
    constraints : Constraints
    threshold : float or None, default=None
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
    usable = allowed & (gradient != 0) & ((edge - x).abs() > 0)
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
    all rows at once, through :func:`~sklearn_ct.projection.project` (so an
    immutable group stays); each row keeps the cheapest switch that reaches
    the target. Gradient steps rarely find such a switch by themselves, and
    it may be what a person would rather do.

    Parameters
    ----------
    model : callable
    x : Tensor of shape (n, n_features)
    target : LongTensor of shape (n,)
    member : BoolTensor of shape (n_user_features, n_features)
    constraints : Constraints
    threshold : float or None, default=None
    costs : CostTensors or None, default=None

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
    least (:func:`~sklearn_ct.costs.total_cost`; without ``costs``, L1 in
    the model's units), or with ``fewest``, whichever changes the fewest
    features, the cheapest of those. Rows that do not reach the target stay
    as they are.

    Parameters
    ----------
    model : callable
    x, x_cf : Tensor of shape (n, n_features)
    target : LongTensor of shape (n,)
    member : BoolTensor of shape (n_user_features, n_features)
    constraints : Constraints
    threshold : float or None, default=None
    costs : CostTensors or None, default=None
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


def feature_membership(
    feature_columns, n_features, device=None, groups=()
) -> torch.Tensor:
    """BoolTensor (n_user_features, n_features): which model columns form each feature.

    The features that share a column with a one-hot group in ``groups`` are
    merged with it into one feature, so a categorical feature is reverted,
    frozen and counted as a whole (reverting one indicator of a switched
    level would leave two levels active, or none).
    """
    member = np.zeros((len(feature_columns), n_features), dtype=bool)
    for f, cols in enumerate(feature_columns):
        member[f, np.asarray(cols, dtype=np.int64)] = True
    for group in groups:
        rows = np.flatnonzero(member[:, group].any(axis=1))
        merged = member[rows].any(axis=0)
        merged[group] = True
        if len(rows):
            member[rows[0]] = merged
            member = np.delete(member, rows[1:], axis=0)
        else:
            member = np.vstack([member, merged])
    return torch.as_tensor(member, device=device)


def feature_changes(x, x_cf, member) -> torch.Tensor:
    """Largest absolute change among each feature's columns: (n, n_user_features)."""
    change = (x_cf - x).abs()
    return (change.unsqueeze(1) * member.to(change.dtype)).amax(dim=2)


def sparsify(
    model, x, x_cf, target, member, threshold=None, costs: CostTensors | None = None
) -> torch.Tensor:
    """Revert every change not needed to reach the target, the dearest first.

    Greedy over feature ranks: at rank r, every row tries to put its r-th
    dearest changed feature (by ``costs``) back to the factual's value, and
    keeps that when the point still reaches the target. Passes repeat on the
    rows that reverted something until a pass reverts nothing, so no single
    changed feature of the result can be put back with the target still
    reached. Reverting a whole feature to the factual's own value never
    breaks a constraint.

    Parameters
    ----------
    model : callable
    x, x_cf : Tensor of shape (n, n_features)
    target : LongTensor of shape (n,)
    member : BoolTensor of shape (n_user_features, n_features)
        From :func:`feature_membership` (a one-hot group is one feature).
    threshold : float or None, default=None
    costs : CostTensors or None, default=None
        Feature costs (None: every model unit costs 1, so the largest change
        is tried first).

    Returns
    -------
    Tensor of shape (n, n_features)
    """
    if costs is None:
        costs = uniform_costs(member, x.dtype, x.device)
    current = x_cf.clone()
    active = reaches(model, current, target, threshold)
    n_features = member.shape[0]
    for _ in range(n_features + 1):  # each pass but the last reverts a feature
        if not bool(active.any()):
            break
        changed = feature_changes(x, current, member) > 0
        cost = feature_cost(x, current, member, costs)
        order = torch.where(changed, cost, -torch.inf).argsort(dim=1, descending=True)
        reverted = torch.zeros_like(active)
        for rank in range(n_features):
            feature = order[:, rank]
            columns = member[feature]
            moved = ((current - x).abs() * columns).amax(dim=1) > 0
            rows = torch.nonzero(active & moved).squeeze(1)
            if not len(rows):
                continue
            candidate = torch.where(columns[rows], x[rows], current[rows])
            accept = reaches(model, candidate, target[rows], threshold)
            current[rows[accept]] = candidate[accept]
            reverted[rows[accept]] = True
        active = active & reverted
    return current


def sparse_counterfactuals(
    search,
    model,
    x,
    x_cf,
    target,
    constraints,
    member,
    threshold=None,
    costs: CostTensors | None = None,
):
    """Search again on the features that carried the change, then revert the rest.

    Features whose change is under a quarter of the row's largest are frozen
    and the search runs again from the factual, so the remaining features
    can make up for them, this time a little past the threshold (a quarter
    of the way to certainty) to leave slack; a row takes the new point if it
    reaches the target. Then :func:`sparsify` reverts every change not
    needed, the dearest first; refining afterwards takes the slack back.

    Parameters
    ----------
    search : callable
        ``search(constraints, threshold) -> SearchResult`` from the factuals.
    model : callable
    x, x_cf : Tensor of shape (n, n_features)
    target : LongTensor of shape (n,)
    constraints : Constraints
    member : BoolTensor of shape (n_user_features, n_features)
    threshold : float or None, default=None
    costs : CostTensors or None, default=None

    Returns
    -------
    counterfactuals : Tensor of shape (n, n_features)
    again : SearchResult
        The second search.
    better : BoolTensor of shape (n,)
        Rows that took its point.
    """
    changes = feature_changes(x, x_cf, member)
    minor = (changes > 0) & (changes < 0.25 * changes.amax(dim=1, keepdim=True))
    frozen = (minor.unsqueeze(2) & member).any(dim=1)
    if constraints.frozen is not None:
        frozen = frozen | constraints.frozen
    again = search(
        constraints.with_frozen(frozen),
        None if threshold is None else threshold + (1 - threshold) / 4,
    )
    better = reaches(model, again.counterfactuals, target, threshold)
    x_cf = torch.where(better.unsqueeze(1), again.counterfactuals, x_cf)
    return sparsify(model, x, x_cf, target, member, threshold, costs), again, better


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
