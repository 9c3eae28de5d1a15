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
  each feature's change in turn; :func:`refine` keeps the cheaper of the two
  ways per row;
* :func:`sparsify`: revert every feature whose change is not needed, smallest
  change first (one forward pass per feature rank, all rows at once);
* :func:`main_lever`: each counterfactual's largest change, which alternative
  counterfactuals for the same factual are asked to do without.

None of this runs during training or in the paper's protocol.
"""

from __future__ import annotations

import numpy as np
import torch

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


def bisect_toward_factual(model, x, x_cf, target, constraints: Constraints,
                          threshold=None, n_steps: int = 24) -> torch.Tensor:
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
    low = torch.zeros(len(x), 1, dtype=x.dtype, device=x.device)
    high = torch.ones_like(low)
    for _ in range(n_steps):
        middle = (low + high) / 2
        good = reaches(model, project(x + middle * delta, x, constraints), target,
                       threshold).unsqueeze(1)
        high = torch.where(good, middle, high)
        low = torch.where(good, low, middle)
    best = project(x + high * delta, x, constraints)
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
    return project(torch.where(columns, x + fraction * (current - x), current), x,
                   constraints)


def shrink_features(model, x, x_cf, target, member, constraints: Constraints,
                    threshold=None, n_steps: int = 10) -> torch.Tensor:
    """Shrink each feature's change toward the factual as far as the target allows.

    Least useful feature first (the smallest gradient of the target's margin
    at the counterfactual): a feature is put back to the factual's value when
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
    # least per unit (at the counterfactual) is the first to give way.
    order = feature_changes(torch.zeros_like(x), _margin_gradient(
        model, current, target), member).argsort(dim=1)
    for rank in range(member.shape[0]):
        feature = order[:, rank]
        moved = ok & (changes.gather(1, feature.view(-1, 1)).squeeze(1) > 0)
        if not bool(moved.any()):
            continue
        columns = member[feature]
        # The factual's own value first (exactly), else the smallest fraction
        # of the change that still reaches, by bisection.
        low = torch.zeros(len(x), 1, dtype=x.dtype, device=x.device)
        reverted = reaches(model, _keep(x, current, columns, low, constraints),
                           target, threshold).unsqueeze(1)
        high = torch.where(reverted, low, torch.ones_like(low))
        for _ in range(0 if bool(reverted[moved].all()) else n_steps):
            middle = (low + high) / 2
            good = reverted | reaches(model, _keep(x, current, columns, middle,
                                                   constraints),
                                      target, threshold).unsqueeze(1)
            high = torch.where(good, middle, high)
            low = torch.where(good, low, middle)
        candidate = _keep(x, current, columns, high, constraints)
        accept = moved & reaches(model, candidate, target, threshold)
        current = torch.where(accept.unsqueeze(1), candidate, current)
    return current


def refine(model, x, x_cf, target, member, constraints: Constraints,
           threshold=None) -> torch.Tensor:
    """The cheaper (L1) of two refinements of each counterfactual.

    Back along the segment to the factual (:func:`bisect_toward_factual`),
    or first :func:`shrink_features` and then back along the segment: on a
    smooth boundary the second is close to the cheapest point in L1, on a
    curved one the first can be cheaper; each row keeps whichever is.
    """
    along = bisect_toward_factual(model, x, x_cf, target, constraints, threshold)
    shrunk = bisect_toward_factual(
        model, x, shrink_features(model, x, x_cf, target, member, constraints,
                                  threshold), target, constraints, threshold)
    cheaper = (shrunk - x).abs().sum(dim=1) < (along - x).abs().sum(dim=1)
    return torch.where(cheaper.unsqueeze(1), shrunk, along)


def feature_membership(feature_columns, n_features, device=None,
                       groups=()) -> torch.Tensor:
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


def sparsify(model, x, x_cf, target, member, threshold=None) -> torch.Tensor:
    """Revert every change not needed to reach the target, smallest change first.

    Greedy over feature ranks: at rank r, every row tries to put its r-th
    smallest changed feature back to the factual's value, and keeps that when
    the point still reaches the target. Reverting a whole feature to the
    factual's own value never breaks a constraint.

    Parameters
    ----------
    model : callable
    x, x_cf : Tensor of shape (n, n_features)
    target : LongTensor of shape (n,)
    member : BoolTensor of shape (n_user_features, n_features)
        From :func:`feature_membership` (a one-hot group is one feature).
    threshold : float or None, default=None

    Returns
    -------
    Tensor of shape (n, n_features)
    """
    current = x_cf.clone()
    ok = reaches(model, current, target, threshold)
    changes = feature_changes(x, current, member)
    order = changes.argsort(dim=1)
    for rank in range(member.shape[0]):
        feature = order[:, rank]
        try_it = ok & (changes.gather(1, feature.view(-1, 1)).squeeze(1) > 0)
        if not bool(try_it.any()):
            continue
        candidate = torch.where(member[feature], x, current)
        accept = try_it & reaches(model, candidate, target, threshold)
        current = torch.where(accept.unsqueeze(1), candidate, current)
    return current


def sparse_counterfactuals(search, model, x, x_cf, target, constraints, member,
                           threshold=None):
    """Search again on the features that carried the change, then revert the rest.

    Features whose change is under a quarter of the row's largest are frozen
    and the search runs again from the factual, so the remaining features
    can make up for them, this time a little past the threshold (a quarter
    of the way to certainty) to leave slack; a row takes the new point if it
    reaches the target. Then :func:`sparsify` reverts every change not
    needed, smallest first; refining afterwards takes the slack back.

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
    again = search(constraints.with_frozen(frozen),
                   None if threshold is None else threshold + (1 - threshold) / 4)
    better = reaches(model, again.counterfactuals, target, threshold)
    x_cf = torch.where(better.unsqueeze(1), again.counterfactuals, x_cf)
    return sparsify(model, x, x_cf, target, member, threshold), again, better


def main_lever(x, x_cf, member) -> torch.Tensor:
    """Columns of each row's largest changed feature: BoolTensor (n, n_features).

    Rows without any change get no column.
    """
    changes = feature_changes(x, x_cf, member)
    best = changes.argmax(dim=1)
    moved = changes.gather(1, best.view(-1, 1)) > 0
    return member[best] & moved
