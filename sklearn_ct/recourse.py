"""Making found counterfactuals actionable: cheaper, sparser, and different.

The search (:mod:`sklearn_ct.search`) takes fixed gradient steps, as the
paper's reference does; where gradients are large, one step overshoots the
decision boundary, and every free feature is nudged a little. These batched
post-processing steps turn its output into recourse a person can act on,
without ever leaving the feasible set (every point goes through
:func:`~sklearn_ct.projection.project`):

* :func:`bisect_toward_factual`: the closest point to the factual, on the
  segment from the factual to the counterfactual, that still reaches the
  target (bisection on all rows at once);
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


def main_lever(x, x_cf, member) -> torch.Tensor:
    """Columns of each row's largest changed feature: BoolTensor (n, n_features).

    Rows without any change get no column.
    """
    changes = feature_changes(x, x_cf, member)
    best = changes.argmax(dim=1)
    moved = changes.gather(1, best.view(-1, 1)) > 0
    return member[best] & moved
