"""Snapping a point onto the values features can take, straight-through.

:func:`snap_integers` rounds integer features on their grid (in their own
units), :func:`snap_grids` moves a column through a non-affine step to the
nearest model value its inputs reach, and :func:`project_onehot` picks one
level per one-hot group. Each returns the exact point forward and passes the
gradient as if it were the identity, so a search keeps moving until the next
grid point or level wins. :func:`~sklearn_ct.constraints.project` applies
them in turn.
"""

from __future__ import annotations

import torch

from ._tensors import Constraints


def _straight_through(hard: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Exact values of ``hard`` forward, the identity's gradient backward."""
    if not x.requires_grad:
        return hard
    return hard.detach() + (x - x.detach())


def snap_integers(x: torch.Tensor, constraints: Constraints) -> torch.Tensor:
    """Round integer features to the nearest allowed integer, in their own units.

    Parameters
    ----------
    x : Tensor of shape (n, n_features)
        Candidate counterfactuals.
    constraints : Constraints
        The resolved constraints, as tensors.

    Returns
    -------
    Tensor of shape (n, n_features)

    Examples
    --------
    The second feature is an integer in [0, 5]:

    >>> import torch
    >>> from sklearn_ct.constraints import FeatureConstraints
    >>> constraints = FeatureConstraints(
    ...     ["both", "both"], [0, 0], [5, 5], integer=[False, True]).tensors()
    >>> snap_integers(torch.tensor([[0.3, 2.6], [0.7, 9.0]]), constraints)
    tensor([[0.3000, 3.0000],
            [0.7000, 5.0000]])
    """
    if constraints.integer_index is None:
        return x
    idx = constraints.integer_index
    scale, offset = constraints.integer_scale, constraints.integer_offset
    units = (x.detach().index_select(1, idx) - offset) / scale
    units = torch.minimum(
        torch.maximum(units.round(), constraints.integer_low), constraints.integer_high
    )
    hard = x.detach().clone()
    hard.index_copy_(1, idx, units * scale + offset)
    return _straight_through(hard, x)


def snap_grids(
    x: torch.Tensor, constraints: Constraints, x_factual: torch.Tensor | None = None
) -> torch.Tensor:
    """Move each grid column to the nearest of its listed model values.

    A grid column reaches the model through a non-affine step (an integer
    through a ``PowerTransformer``, any column through a
    ``QuantileTransformer`` fitted on ties): only the listed model values
    come from data a user can have. Snapping is straight-through.

    Parameters
    ----------
    x : Tensor of shape (n, n_features)
        Candidate counterfactuals.
    constraints : Constraints
        The resolved constraints, as tensors.
    x_factual : Tensor of shape (n, n_features) or None, default=None
        The factuals they explain. Given, the factual's own value counts as
        listed (a value a ``SimpleImputer`` filled in is no other row's).

    Returns
    -------
    Tensor of shape (n, n_features)

    Examples
    --------
    The second feature takes only 0, 0.1, 0.5 and 1:

    >>> import torch
    >>> from sklearn_ct.constraints import FeatureConstraints
    >>> constraints = FeatureConstraints(
    ...     ["both", "both"], [0, 0], [5, 1], grids=[(1, [0, 0.1, 0.5, 1])]
    ... ).tensors()
    >>> snap_grids(torch.tensor([[0.3, 0.26], [0.7, 0.35]]), constraints)
    tensor([[0.3000, 0.1000],
            [0.7000, 0.5000]])
    """
    if constraints.grid_index is None:
        return x
    index, values = constraints.grid_index, constraints.grid_values
    current = x.detach().index_select(1, index).T.contiguous()  # (n_grids, n)
    right = torch.searchsorted(values, current).clamp_(max=values.shape[1] - 1)
    left = (right - 1).clamp_(min=0)
    below, above = values.gather(1, left), values.gather(1, right)
    nearest = torch.where(
        (current - below).abs() <= (above - current).abs(), below, above
    )
    if x_factual is not None:
        own = x_factual.index_select(1, index).T
        nearest = torch.where(
            (current - own).abs() < (current - nearest).abs(), own, nearest
        )
    hard = x.detach().clone()
    hard.index_copy_(1, index, nearest.T)
    return _straight_through(hard, x)


def project_onehot(
    x: torch.Tensor, constraints: Constraints, x_factual: torch.Tensor | None = None
) -> torch.Tensor:
    """Snap every one-hot group to its arg-max level (exactly one indicator is 1).

    Indicators are read in the encoder's units (``(x - offset) / scale``); a
    group with a dropped level competes with that level's implicit indicator
    ``1 - sum``.

    Parameters
    ----------
    x : Tensor of shape (n, n_features)
        Candidate counterfactuals.
    constraints : Constraints
        The resolved constraints, as tensors.
    x_factual : Tensor of shape (n, n_features) or None, default=None
        The factuals they explain. Given, a level the box closes stays open
        to a factual that holds it (keeping one's own category is never a
        violation).

    Returns
    -------
    Tensor of shape (n, n_features)

    Examples
    --------
    >>> import torch
    >>> from sklearn_ct.constraints import make_constraints
    >>> constraints = make_constraints(["both"] * 3, [0] * 3, [1] * 3, [[0, 1, 2]])
    >>> project_onehot(torch.tensor([[0.2, 0.7, 0.4], [0.9, 0.0, 0.1]]), constraints)
    tensor([[0., 1., 0.],
            [1., 0., 0.]])
    """
    if constraints.group_index is None:
        return x
    n_groups, size = constraints.group_index.shape
    gather, positions, columns = constraints._group_layout
    plan = constraints._onehot_plan  # levels inside the domain box only
    block = x.detach().index_select(1, gather).view(-1, n_groups, size)
    units = (block - constraints.group_offset) / constraints.group_scale
    flat = units.view(-1, n_groups * size)  # (index_fill_ beats a broadcast mask)
    implicit, held = None, None
    if x_factual is not None and plan.any_closed:
        held = _held_levels(x_factual, constraints)
    if plan.dropped is not None:  # the dropped level's score: 1 - sum
        if len(plan.padding):
            flat.index_fill_(1, plan.padding, 0.0)
        open_ = plan.dropped if held is None else plan.dropped | held[:, :, size]
        implicit = torch.where(open_, 1.0 - units.sum(dim=2), -torch.inf)
    if held is not None:  # closed, unless the factual holds it
        closed = plan.closed_mask & ~held[:, :, :size].reshape(len(x), -1)
        flat.masked_fill_(closed, -torch.inf)
    elif len(plan.closed):  # (padding among them)
        flat.index_fill_(1, plan.closed, -torch.inf)
    scores = units if implicit is None else torch.cat([units, implicit[..., None]], 2)
    # Level j of a group is ``scale * 1 + offset`` in column j, ``scale * 0 +
    # offset`` elsewhere; the dropped level (j = size) sets every column to 0.
    level = scores.argmax(dim=2, keepdim=True)
    hard = plan.off.repeat(len(x), 1, 1)  # a copy, even of one row
    hard.scatter_(2, level, plan.on.expand_as(hard).gather(2, level))
    if held is not None:  # the factual's own level: its own values, bit for bit
        own = x_factual.index_select(1, gather).view(-1, n_groups, size)
        kept = held.gather(2, level)
        hard[:, :, :size] = torch.where(kept, own, hard[:, :, :size])
    hard = hard[:, :, :size].reshape(-1, n_groups * size).index_select(1, positions)
    projected = x.detach().clone()
    projected.index_copy_(1, columns, hard)
    return _straight_through(projected, x)


def _held_levels(x_factual, constraints):
    """(n, n_groups, size [+ 1]): the level each factual holds in each group.

    The last slot, where some group has a dropped level, is that level (every
    indicator 0); a row that is no one-hot row (an unknown category's zeros)
    holds none.
    """
    n_groups, size = constraints.group_index.shape
    gather = constraints._group_layout[0]
    block = x_factual.index_select(1, gather).view(-1, n_groups, size)
    units = (block - constraints.group_offset) / constraints.group_scale
    units = units.masked_fill(~constraints.group_valid, 0.0)
    binary = ((units.abs() < 1e-3) | ((units - 1).abs() < 1e-3)).all(dim=2)
    one = binary & ((units.sum(dim=2) - 1).abs() < 1e-3)
    held = (units > 0.5) & constraints.group_valid & one.unsqueeze(2)
    if constraints._onehot_plan.dropped is None:
        return held
    dropped = (units.abs().amax(dim=2) < 1e-3) & constraints.group_implicit
    return torch.cat([held, dropped.unsqueeze(2)], dim=2)
