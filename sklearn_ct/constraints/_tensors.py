"""Resolved constraints as tensors: the :class:`Constraints` bundle of the search.

:meth:`~sklearn_ct.constraints.FeatureConstraints.tensors` makes one
(:func:`constraint_tensors`); the
projections of ``_projection`` read it, and it computes once what they need
besides the point (step bounds, restricted columns, one-hot layouts).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import cached_property
from types import SimpleNamespace

import numpy as np
import torch


@dataclass(frozen=True)
class Constraints:
    """Resolved constraints, as tensors ready for the search loop.

    Attributes
    ----------
    low, high : Tensor of shape (n_features,)
        Domain box in model units (``-inf``/``inf`` where unbounded).
    allow_increase, allow_decrease : BoolTensor of shape (n_features,)
        Which directions each feature may move in.
    group_index, group_valid : Tensor of shape (n_groups, max_group_size) or None
        Column positions of each one-hot group (padded) and which are real.
    group_scale, group_offset : Tensor of shape (n_groups, max_group_size) or None
        ``model = scale * indicator + offset`` per group column.
    group_implicit : BoolTensor of shape (n_groups,) or None
        The group has a dropped level: all indicators 0 is a valid level.
    integer_index : LongTensor of shape (n_integer,) or None
        Integer features.
    integer_scale, integer_offset : Tensor of shape (n_integer,) or None
        ``model = scale * unit + offset`` per integer feature.
    integer_low, integer_high : Tensor of shape (n_integer,) or None
        Smallest and largest allowed integer, in the feature's units.
    frozen : BoolTensor of shape (n_samples, n_features) or None
        Per-sample extra immutable features (alternative counterfactuals).
    flag_index : LongTensor of shape (n_flags,) or None
        Missing-value indicator columns: each keeps its factual's value while
        the feature it flags is unchanged, and takes ``flag_off`` (not
        missing) once that feature changes.
    flag_source : LongTensor of shape (n_flags, max_width) or None
        The columns of each flagged feature (padded by repeating one).
    flag_off : Tensor of shape (n_flags,) or None
        Each indicator's value for "not missing", in model units.
    grid_index : LongTensor of shape (n_grids,) or None
        Columns that take only listed values (integers through a non-affine
        step).
    grid_values : Tensor of shape (n_grids, max_size) or None
        Each one's values, sorted, padded with ``inf``.
    observed_low, observed_high : Tensor of shape (n_features,) or None
        The smallest and largest value seen per feature, where known: how
        far an open side of the box is searched at least.

    Examples
    --------
    >>> from sklearn_ct.constraints import make_constraints
    >>> constraints = make_constraints(["none", "increase"], low=[0, 0], high=[1, 10])
    >>> constraints.n_features, constraints.all_free
    (2, False)
    >>> constraints.allow_increase, constraints.allow_decrease
    (tensor([False,  True]), tensor([False, False]))
    """

    low: torch.Tensor
    high: torch.Tensor
    allow_increase: torch.Tensor
    allow_decrease: torch.Tensor
    group_index: torch.Tensor | None = None
    group_valid: torch.Tensor | None = None
    group_scale: torch.Tensor | None = None
    group_offset: torch.Tensor | None = None
    group_implicit: torch.Tensor | None = None
    integer_index: torch.Tensor | None = None
    integer_scale: torch.Tensor | None = None
    integer_offset: torch.Tensor | None = None
    integer_low: torch.Tensor | None = None
    integer_high: torch.Tensor | None = None
    frozen: torch.Tensor | None = None
    flag_index: torch.Tensor | None = None
    flag_source: torch.Tensor | None = None
    flag_off: torch.Tensor | None = None
    grid_index: torch.Tensor | None = None
    grid_values: torch.Tensor | None = None
    observed_low: torch.Tensor | None = None
    observed_high: torch.Tensor | None = None

    @property
    def n_features(self) -> int:
        """Number of features constrained."""
        return self.low.shape[0]

    @cached_property
    def all_free(self) -> bool:
        """Every feature may move both ways, for every sample."""
        return (
            bool(self.allow_increase.all() and self.allow_decrease.all())
            and self.frozen is None
        )

    @cached_property
    def _group_layout(self):
        """Flat gather/scatter indices of the one-hot groups, computed once."""
        valid = self.group_valid.reshape(-1)
        return (
            self.group_index.reshape(-1),
            valid.nonzero().squeeze(1),
            self.group_index.reshape(-1)[valid],
        )

    @cached_property
    def _open_levels(self):
        """Per group: which levels (and the dropped one) keep every column in its box.

        Level j sets its column to ``scale + offset`` and the others to
        ``offset``; a level that puts a column outside its domain (a category
        never observed, with the box learned from the data) is closed, so the
        one-hot projection never picks it. A group with no level open keeps
        them all (constraints that contradict each other stay the user's).
        """
        index, valid = self.group_index, self.group_valid
        low, high = self.low[index], self.high[index]

        def inside(value):
            tol = 1e-6 * value.abs().clamp(min=1.0)
            return (value >= low - tol) & (value <= high + tol)

        on, off = (
            inside(self.group_scale + self.group_offset),
            inside(self.group_offset),
        )
        bad = (~off & valid).sum(dim=1, keepdim=True)
        levels = valid & on & (bad - (~off & valid).int() == 0)
        implicit = self.group_implicit & (bad.squeeze(1) == 0)
        any_open = levels.any(dim=1) | implicit
        return (
            torch.where(any_open.unsqueeze(1), levels, valid),
            torch.where(any_open, implicit, self.group_implicit),
        )

    @cached_property
    def _onehot_plan(self):
        """What :func:`project_onehot` needs besides the point, computed once.

        Flat positions (in a group-by-level block) of the padding and of the
        closed levels (also as a mask), and each level's column values when
        it is on and off; where a group has a dropped level, one level more
        (every column off; ``dropped``: whether it is open, per group).
        """
        levels, dropped = self._open_levels
        one = torch.ones(1, 1, dtype=self.low.dtype, device=self.low.device)
        on = one * self.group_scale + self.group_offset
        off = (one - 1) * self.group_scale + self.group_offset
        any_dropped = bool(self.group_implicit.any())
        if any_dropped:
            on, off = (torch.cat([v, off[:, :1]], dim=1) for v in (on, off))
        return SimpleNamespace(
            padding=(~self.group_valid).reshape(-1).nonzero().squeeze(1),
            closed=(~levels).reshape(-1).nonzero().squeeze(1),
            closed_mask=(~levels).reshape(-1),
            # Some level (a column's, or a dropped one) is closed.
            any_closed=bool((~levels & self.group_valid).any())
            or bool((self.group_implicit & ~dropped).any()),
            dropped=dropped if any_dropped else None,
            on=on,
            off=off,
        )

    @cached_property
    def _own_value_columns(self):
        """The columns outside every one-hot group: a factual may keep them outside the box.

        (A one-hot column kept alone could break its group.)
        """
        columns = torch.ones_like(self.low, dtype=torch.bool)
        if self.group_index is not None:
            columns[self.group_index[self.group_valid]] = False
        return columns

    @cached_property
    def _step_bounds(self):
        """Per feature, the smallest and largest step mutability allows (0 or inf)."""
        zero = torch.zeros_like(self.low)
        return (
            torch.where(self.allow_decrease, -torch.inf, zero),
            torch.where(self.allow_increase, torch.inf, zero),
        )

    @cached_property
    def _restricted_columns(self):
        """The immutable, increase-only and decrease-only features.

        Each as an index tensor; the immutable ones as a list of ``slice``
        objects over runs of adjacent columns where there are few runs (a
        slice of a batch is a cheap strided view; pixel rows are one run each).
        """
        inc, dec = self.allow_increase, self.allow_decrease
        fixed, floor, cap = (
            mask.nonzero().squeeze(1) for mask in (~inc & ~dec, ~dec & inc, ~inc & dec)
        )
        return _column_runs(fixed.tolist()) or fixed, floor, cap

    def rows(self, index) -> Constraints:
        """The constraints of a subset of samples (only ``frozen`` is per sample).

        Parameters
        ----------
        index : Tensor, slice or None
            The samples (rows of ``frozen``) to keep; None keeps all.

        Returns
        -------
        Constraints
        """
        if self.frozen is None or index is None:
            return self
        return replace(self, frozen=self.frozen[index])

    def with_frozen(self, frozen: torch.Tensor | None) -> Constraints:
        """A copy where ``frozen`` (n_samples, n_features) are immutable per sample.

        A frozen column of a one-hot group freezes the whole group: resetting
        one indicator alone to the factual's would break the group.

        Parameters
        ----------
        frozen : BoolTensor of shape (n_samples, n_features) or None
            The columns each sample must keep at its factual's value; None
            freezes nothing.

        Returns
        -------
        Constraints
        """
        if frozen is not None and self.group_index is not None:
            n_groups, size = self.group_index.shape
            gather, positions, columns = self._group_layout
            block = frozen.index_select(1, gather).view(-1, n_groups, size)
            whole = (block & self.group_valid).any(dim=2, keepdim=True)
            whole = whole.expand(-1, -1, size).reshape(-1, n_groups * size)
            frozen = frozen.clone()
            frozen[:, columns] = whole[:, positions]
        return replace(self, frozen=frozen)

    def to(self, device=None, dtype=None) -> Constraints:
        """Copy of the constraints on another device / float dtype.

        Parameters
        ----------
        device : str, torch.device or None, default=None
            Target device; None keeps each tensor's.
        dtype : torch.dtype or None, default=None
            Float type of the floating tensors; None keeps theirs.

        Returns
        -------
        Constraints
        """
        changes = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value is not None:
                floating = value.is_floating_point()
                changes[field.name] = value.to(
                    device=device, dtype=dtype if floating else None
                )
        return replace(self, **changes)


#: Runs of adjacent columns up to which column slices beat one index tensor.
_MAX_RUNS = 8


def _column_runs(columns: list) -> list | None:
    """Sorted column indices as slices over runs; None for none or too many runs."""
    runs = []
    for j in columns:
        if runs and runs[-1][1] == j:
            runs[-1][1] = j + 1
        else:
            runs.append([j, j + 1])
    if not runs or len(runs) > _MAX_RUNS:
        return None
    return [slice(start, stop) for start, stop in runs]


def _allowed(mutability):
    """Per feature, whether mutability lets it increase, and decrease."""
    mutability = np.asarray(mutability, dtype=object)
    return (
        np.isin(mutability, ("both", "increase")),
        np.isin(mutability, ("both", "decrease")),
    )


def constraint_tensors(fc, dtype=torch.float32, device="cpu") -> Constraints:
    """:meth:`~sklearn_ct.constraints.FeatureConstraints.tensors` (see there)."""

    def as_float(a):
        return torch.as_tensor(np.asarray(a, dtype=float), dtype=dtype, device=device)

    def as_bool(a):
        return torch.as_tensor(np.asarray(a, dtype=bool), device=device)

    increase, decrease = _allowed(fc.mutability)
    extra = {}
    if fc.groups:  # padded to one (n_groups, max_size) layout: no loop per step
        width = max(len(g) for g in fc.groups)
        shape = (len(fc.groups), width)
        index, valid = np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=bool)
        scale, offset = np.ones(shape), np.zeros(shape)
        for k, group in enumerate(fc.groups):
            index[k, : len(group)], valid[k, : len(group)] = group, True
            scale[k, : len(group)] = fc.scale[group]
            offset[k, : len(group)] = fc.offset[group]
        extra.update(
            group_index=torch.as_tensor(index, device=device),
            group_valid=as_bool(valid),
            group_scale=as_float(scale),
            group_offset=as_float(offset),
            group_implicit=as_bool(fc.group_implicit),
        )
    flags = getattr(fc, "flags", ())
    if flags:
        width = max(len(cols) for _, cols, _ in flags)
        source = np.array([np.resize(cols, width) for _, cols, _ in flags])
        extra.update(
            flag_index=torch.as_tensor([k for k, _, _ in flags], device=device),
            flag_source=torch.as_tensor(source, device=device),
            flag_off=as_float([off for _, _, off in flags]),
        )
    grids = getattr(fc, "grids", ())
    if grids:  # padded with inf: never the nearest
        values = np.full((len(grids), max(len(v) for _, v, _ in grids)), np.inf)
        for g, (_, v, _) in enumerate(grids):
            values[g, : len(v)] = v
        extra.update(
            grid_index=torch.as_tensor([k for k, _, _ in grids], device=device),
            grid_values=as_float(values),
        )
    if fc.integer.any():
        cols = np.flatnonzero(fc.integer)
        low, high = fc.integer_bounds()
        extra.update(
            integer_index=torch.as_tensor(cols, device=device),
            integer_scale=as_float(fc.scale[cols]),
            integer_offset=as_float(fc.offset[cols]),
            integer_low=as_float(low[cols]),
            integer_high=as_float(high[cols]),
        )
    seen = getattr(fc, "observed_low", None), getattr(fc, "observed_high", None)
    if seen[0] is not None and seen[1] is not None:
        extra.update(observed_low=as_float(seen[0]), observed_high=as_float(seen[1]))
    return Constraints(
        low=as_float(fc.low),
        high=as_float(fc.high),
        allow_increase=as_bool(increase),
        allow_decrease=as_bool(decrease),
        **extra,
    )
