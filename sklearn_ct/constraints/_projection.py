"""The operations the search loop applies to a point each step, under constraints.

:func:`~sklearn_ct.constraints.FeatureConstraints.tensors` turns resolved
constraints into a :class:`Constraints` bundle (``_tensors``); the one search loop
(:func:`~sklearn_ct.explain.counterfactual_search`) then, for every generator alike:

* :func:`mask_step` drops the components of a step that mutability forbids;
* :func:`project` clamps a point to the domain box, snaps integer features to
  their grid (``snap_integers``, or ``snap_grids`` through a non-affine
  step) and one-hot groups to a single level (``project_onehot``; all three
  in ``_snap``), moves what mutability forbids back to the factual, and sets
  each missing-value indicator to what the preprocessing would compute
  (:func:`follow_flags`).

A factual may lie outside the box (a box the user gave, ``domain="observed"``
and a person beyond the training range). Keeping one's own value is never a
violation, so a numeric or integer feature may take any value in the box *or*
the factual's own: the projection onto that set keeps the own value while the
point is nearer to it than to the box. Likewise a one-hot level the box
closes stays open to a factual that holds it.

Integer features and one-hot groups live in the units of the user's data,
not necessarily in the model's: a column standardised by a pipeline has
``model = scale * unit + offset``. Snapping happens in those units (an
integer count stays a count, a one-hot column a 0/1 indicator) and the result
is mapped back, so a scaler between an encoder and the model is harmless.
Snapping is straight-through: the point is exact, the gradient passes as if
the snap were the identity, so the search state keeps moving until the next
grid point or level wins.
"""

from __future__ import annotations

import torch

from ._snap import project_onehot, snap_grids, snap_integers
from ._tensors import Constraints


def mask_step(step: torch.Tensor, constraints: Constraints) -> torch.Tensor:
    """Drop the components of a step that mutability forbids.

    Parameters
    ----------
    step : Tensor of shape (n, n_features)
        A proposed search step.
    constraints : Constraints
        The resolved constraints, as tensors.

    Returns
    -------
    Tensor of shape (n, n_features)

    Examples
    --------
    >>> import torch
    >>> from sklearn_ct.constraints import make_constraints
    >>> constraints = make_constraints(["none", "increase", "both"], [-9] * 3, [9] * 3)
    >>> mask_step(torch.tensor([[1.0, -1.0, -1.0], [1.0, 1.0, 1.0]]), constraints)
    tensor([[ 0.,  0., -1.],
            [ 0.,  1.,  1.]])
    """
    if constraints.all_free:
        return step
    # A NaN component (never a step) becomes 0.
    return _mask_step_(step.clone(), constraints).nan_to_num_(
        nan=0.0, posinf=torch.inf, neginf=-torch.inf
    )


def _mask_step_(step: torch.Tensor, constraints: Constraints) -> torch.Tensor:
    """:func:`mask_step` in place, NaN components left for the caller to zero."""
    if constraints.all_free:
        return step
    # Clamping to [0 or -inf, 0 or inf] per feature: one pass over the batch.
    low, high = constraints._step_bounds
    step = step.clamp_(low, high)
    if constraints.frozen is not None:
        step = step.masked_fill_(constraints.frozen, 0.0)
    return step


def clamp_to_domain(
    x: torch.Tensor, constraints: Constraints, x_factual: torch.Tensor | None = None
) -> torch.Tensor:
    """Clamp every feature to its domain box, or keep the factual's own value.

    Parameters
    ----------
    x : Tensor of shape (n, n_features)
        Candidate counterfactuals.
    constraints : Constraints
        The resolved constraints, as tensors.
    x_factual : Tensor of shape (n, n_features) or None, default=None
        The factuals they explain. Given, a feature whose factual value lies
        outside the box may also keep that value: each feature goes to the
        nearer of its own value and the box (the projection onto the box and
        the own value; a tie goes to the box). One-hot columns are clamped
        all the same (:func:`project` keeps one-hot groups consistent).

    Returns
    -------
    Tensor of shape (n, n_features)

    Examples
    --------
    >>> import torch
    >>> from sklearn_ct.constraints import make_constraints
    >>> constraints = make_constraints(["both", "both"], low=[0, 0], high=[1, 10])
    >>> clamp_to_domain(torch.tensor([[-0.5, 12.0], [0.5, 3.0]]), constraints)
    tensor([[ 0.0000, 10.0000],
            [ 0.5000,  3.0000]])

    A factual at 20 (above the box) keeps 20 while the point is nearer to it:

    >>> x = torch.tensor([[0.5, 20.0], [0.5, 20.0]])
    >>> clamp_to_domain(torch.tensor([[0.5, 16.0], [0.5, 14.0]]), constraints, x)
    tensor([[ 0.5000, 20.0000],
            [ 0.5000, 10.0000]])
    """
    inside = torch.clamp(x, constraints.low, constraints.high)
    if x_factual is None:
        return inside
    columns = constraints._own_value_columns
    keep = _keeps_own(x.detach(), inside.detach(), x_factual, columns)
    return torch.where(keep, x_factual, inside)


def _keeps_own(x, inside, x_factual, columns):
    """Where, in ``columns``, the factual's own value is nearer to ``x`` than the box.

    Only a factual outside the box can win: inside it, the clamp is ``x``.
    """
    return ((x - x_factual).abs_() < (x - inside).abs_()) & columns


def factual_outside(x_factual: torch.Tensor, constraints: Constraints) -> bool:
    """Whether some factual lies outside the box (a value, or a closed level).

    Then :func:`project` must weigh each such feature's own value against the
    box; otherwise it clamps alone (the common, faster case).
    """
    outside = (x_factual < constraints.low) | (x_factual > constraints.high)
    return bool(outside.any())


def enforce_mutability(
    x: torch.Tensor, x_factual: torch.Tensor, constraints: Constraints
) -> torch.Tensor:
    """Move forbidden changes of ``x`` relative to ``x_factual`` back to the factual.

    A feature that may not increase is capped at its factual value, one that
    may not decrease is floored at it, an immutable one is reset. Needed for
    points that do not come from a masked step: decoded from a latent space
    (REVISE), clamped into a box the factual lies outside of, or snapped.

    Parameters
    ----------
    x : Tensor of shape (n, n_features)
        Candidate counterfactuals.
    x_factual : Tensor of shape (n, n_features)
        The factuals they explain.
    constraints : Constraints
        The resolved constraints, as tensors.

    Returns
    -------
    Tensor of shape (n, n_features)

    Examples
    --------
    >>> import torch
    >>> from sklearn_ct.constraints import make_constraints
    >>> constraints = make_constraints(["none", "increase"], [-9, -9], [9, 9])
    >>> x_cf = torch.tensor([[1.0, -2.0], [1.0, 2.0]])
    >>> enforce_mutability(x_cf, torch.zeros(2, 2), constraints)
    tensor([[0., 0.],
            [0., 2.]])
    """
    if constraints.all_free:
        return x
    return _enforce_mutability_(x.clone(), x_factual, constraints)


def _enforce_mutability_(x, x_factual, constraints):
    """:func:`enforce_mutability` in place: ``x`` is overwritten and returned."""
    if constraints.all_free:
        return x
    # Only the restricted columns are touched (often few of many: pixels).
    fixed, floor, cap = constraints._restricted_columns
    if isinstance(fixed, list):
        for run in fixed:
            x[:, run] = x_factual[:, run]
    elif len(fixed):
        x.index_copy_(1, fixed, x_factual.index_select(1, fixed))
    for columns, bound in ((floor, torch.maximum), (cap, torch.minimum)):
        if len(columns):
            x.index_copy_(
                1,
                columns,
                bound(x.index_select(1, columns), x_factual.index_select(1, columns)),
            )
    if constraints.frozen is not None:
        x = torch.where(constraints.frozen, x_factual, x)
    return x


def project(
    x: torch.Tensor, x_factual: torch.Tensor, constraints: Constraints
) -> torch.Tensor:
    """Project a candidate onto the feasible set: box, grids, groups, mutability.

    Parameters
    ----------
    x : Tensor of shape (n, n_features)
        Candidate counterfactuals.
    x_factual : Tensor of shape (n, n_features)
        The factuals they explain.
    constraints : Constraints
        The resolved constraints, as tensors.

    Returns
    -------
    Tensor of shape (n, n_features)

    Notes
    -----
    A numeric or integer feature whose factual value lies outside the box
    may keep that value: it goes to the nearer of its own value and the box
    (see :func:`clamp_to_domain`). A one-hot level the box closes stays
    open to a factual that holds it.

    Examples
    --------
    An immutable feature, an integer in [0, 5] and a one-hot group of two:

    >>> import torch
    >>> from sklearn_ct.constraints import FeatureConstraints
    >>> constraints = FeatureConstraints(
    ...     ["none", "both", "both", "both"], [0] * 4, [9, 5, 1, 1],
    ...     groups=[[2, 3]], integer=[False, True, False, False]).tensors()
    >>> x = torch.tensor([[1.0, 2.0, 1.0, 0.0]])
    >>> project(torch.tensor([[3.0, 7.4, 0.3, 0.6]]), x, constraints)
    tensor([[1., 5., 0., 1.]])
    """
    # Clamp first, snap, then mutability last: a factual outside the box keeps
    # what it may not change, and an immutable one-hot group (even an all-zero
    # one, from an unknown category) stays exactly as it was.
    return _project(x, x_factual, constraints, factual_outside(x_factual, constraints))


def _project(x, x_factual, constraints, outside: bool):
    """:func:`project`, told whether some factual lies outside the box.

    A search asks :func:`factual_outside` once, not at every step.
    """
    inside = clamp_to_domain(x, constraints)
    if not outside:
        return _project_inside(inside, x_factual, constraints)
    return _project_keeping_own(x, inside, x_factual, constraints)


def _project_keeping_own(x, inside, x_factual, constraints):
    """:func:`project` where some factual lies outside the box (``inside``: clamped).

    A numeric or integer feature nearer to its factual's own value than to
    the box keeps that value exactly (snapping would move it onto the box's
    grid); a one-hot level the box closes stays open to a factual holding it
    (its columns clamped to the box widened to the factual); every other
    feature is projected as usual.
    """
    own = constraints._own_value_columns
    keep = _keeps_own(x.detach(), inside.detach(), x_factual, own)
    if constraints.group_index is not None:
        low = torch.minimum(constraints.low, x_factual)
        hull = torch.clamp(x, low, torch.maximum(constraints.high, x_factual))
        inside = torch.where(own, inside, hull)
    projected = _project_inside(inside, x_factual, constraints, own_levels=True)
    return follow_flags(torch.where(keep, x_factual, projected), x_factual, constraints)


def _project_inside(x, x_factual, constraints, *, fresh=True, own_levels=False):
    """:func:`project` for a point already inside the domain box (no clamp).

    With ``fresh=False`` ``x`` is never modified; the result is ``x`` itself
    where nothing changes it (no integers, no groups, no restrictions).
    ``own_levels``: a level the box closes stays open to a factual holding it.
    """
    snapped = project_onehot(
        snap_grids(snap_integers(x, constraints), constraints, x_factual),
        constraints,
        x_factual if own_levels else None,
    )
    if constraints.all_free:
        return follow_flags(snapped, x_factual, constraints)
    if snapped is x and not fresh:
        snapped = x.clone()
    return follow_flags(
        _enforce_mutability_(snapped, x_factual, constraints), x_factual, constraints
    )


def follow_flags(
    x: torch.Tensor, x_factual: torch.Tensor, constraints: Constraints
) -> torch.Tensor:
    """Set each missing-value indicator to what the preprocessing would compute.

    A ``SimpleImputer(add_indicator=True)`` flags a missing value; the
    factual's imputed value stands for it. While a counterfactual keeps that
    feature exactly, its indicator keeps the factual's value; once the
    feature changes, the value is no longer missing and the indicator reads
    "not missing". An indicator is never acted on by itself.

    Parameters
    ----------
    x : Tensor of shape (n, n_features)
        Candidate counterfactuals.
    x_factual : Tensor of shape (n, n_features)
        The factuals they explain.
    constraints : Constraints
        The resolved constraints, as tensors.

    Returns
    -------
    Tensor of shape (n, n_features)

    Examples
    --------
    Column 1 flags whether column 0 was missing (the factual's was):

    >>> import torch
    >>> from sklearn_ct.constraints import FeatureConstraints
    >>> constraints = FeatureConstraints(
    ...     ["both", "none"], [0, 0], [9, 1], flags=[(1, [0])]).tensors()
    >>> x = torch.tensor([[4.0, 1.0], [4.0, 1.0]])
    >>> follow_flags(torch.tensor([[4.0, 1.0], [6.0, 1.0]]), x, constraints)
    tensor([[4., 1.],
            [6., 0.]])
    """
    index = constraints.flag_index
    if index is None:
        return x
    source = constraints.flag_source
    flat = source.reshape(-1)
    changed = x.detach().index_select(1, flat) != x_factual.index_select(1, flat)
    changed = changed.view(len(x), *source.shape).any(dim=2)
    value = torch.where(changed, constraints.flag_off, x_factual.index_select(1, index))
    return x.index_copy(1, index, value.to(x.dtype))
