"""Making found counterfactuals sparser: only the changes that are needed.

:func:`sparsify` reverts every feature whose change is not needed, the
dearest change first, pass after pass until no revert succeeds (one forward
pass per feature rank, all rows at once), so that no single changed feature
can be put back with the target still reached;
:func:`sparse_counterfactuals` first searches again on the features that
carried the change. A feature is a user's column: its model columns are
given by ``member`` (``feature_membership`` of ``_costs``; a one-hot group
is one feature).
"""

from __future__ import annotations

import torch

from ._costs import CostTensors, feature_changes, feature_cost, uniform_costs
from ._refine import reaches


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
        Inputs -> logits (in eval mode).
    x, x_cf : Tensor of shape (n, n_features)
        Factuals and counterfactuals.
    target : LongTensor of shape (n,)
        Target class index of each row.
    member : BoolTensor of shape (n_user_features, n_features)
        From :func:`feature_membership` (a one-hot group is one feature).
    threshold : float or None, default=None
        ``p(target)`` to keep; ``None``: the target class only.
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
        Inputs -> logits (in eval mode).
    x, x_cf : Tensor of shape (n, n_features)
        Factuals and counterfactuals.
    target : LongTensor of shape (n,)
        Target class index of each row.
    constraints : Constraints
        The resolved constraints of the search.
    member : BoolTensor of shape (n_user_features, n_features)
        Which model columns form each of the user's features.
    threshold : float or None, default=None
        ``p(target)`` to keep; ``None``: the target class only.
    costs : CostTensors or None, default=None
        Feature costs (None: every model unit costs 1).

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
