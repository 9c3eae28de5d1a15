"""What the discrete fallback may change, and the values it tries.

Each :class:`Axis` is one thing a person can change: a one-hot group (its
levels) or a mutable column (a grid of values from the factual toward each
bound it may move to, every integer of a short integer range). The fallback
search of ``_neighbourhood`` combines axes one, two and all at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..constraints._tensors import Constraints

#: An unbounded side of a column is searched this far (model units, or this
#: many times the factual's magnitude when larger), and on a grid of its own
#: to the furthest value seen on that side.
UNBOUNDED_SPAN = 10.0


@dataclass(frozen=True)
class Axis:
    """One thing a person can change: model ``columns`` set to ``values``.

    ``fine`` and ``coarse`` are (n, n_values, n_columns) per factual.
    """

    columns: torch.Tensor
    fine: torch.Tensor
    coarse: torch.Tensor
    local: bool = False  # a column (not a one-hot group): worth a finer look


def _fractions(n, dtype, device):
    """``n`` fractions of a range, evenly spaced up to 1, with two small ones first."""
    even = torch.arange(1, n + 1, dtype=dtype, device=device) / n
    small = torch.tensor([0.25, 0.5], dtype=dtype, device=device) / n
    return torch.cat([small, even])


def _column_values(x, j, constraints, unit, fractions):
    """(n, n_values) values of column ``j`` from each factual toward its bounds.

    An open side is searched to the furthest value seen on it and, on a
    grid of its own, to ``UNBOUNDED_SPAN`` (or that many times the factual's
    magnitude): a pocket within the data is not lost to a coarse grid. So is
    a side whose bound lies more than the data's range beyond that value
    (:func:`_far`), on a second grid to the bound.
    """
    xj = x[:, j]
    span = torch.clamp(UNBOUNDED_SPAN * xj.abs(), min=UNBOUNDED_SPAN)
    low, high = constraints.low[j], constraints.high[j]
    sides = []
    for allowed, bound, sign in (
        (constraints.allow_increase[j], high, 1.0),
        (constraints.allow_decrease[j], low, -1.0),
    ):
        if not bool(allowed):
            continue
        seen = _seen(constraints, j, sign)
        if not bool(torch.isfinite(bound)):
            reaches = [span] if seen is None else [sign * (seen - xj), span]
        elif _far(constraints, j, bound, seen, sign):
            reaches = [sign * (seen - xj), sign * (bound - xj)]
        else:
            reaches = [sign * (bound - xj)]
        for reach in reaches:
            reach = reach.clamp(min=0).unsqueeze(1)
            if bool((reach > 0).any()):  # (not every factual at this bound)
                sides.append(xj.unsqueeze(1) + sign * _steps(reach, unit, fractions))
    return torch.cat(sides, dim=1) if sides else None


def _steps(reach, unit, fractions):
    """(n, n_steps) steps toward a side ``reach`` away (whole units for integers)."""
    steps = reach * fractions
    if unit is None:
        return steps
    whole = int(torch.floor(reach.max() / unit + 1e-6)) if len(reach) else 0
    if whole <= len(fractions):  # a short range: every integer in it
        steps = torch.arange(
            1, max(whole, 1) + 1, dtype=reach.dtype, device=reach.device
        ).expand(len(reach), -1)
        return torch.minimum(steps * unit, torch.maximum(reach, unit))
    return torch.ceil(steps / unit - 1e-6).clamp(min=1) * unit


def _far(constraints, j, bound, seen, sign) -> bool:
    """Whether ``bound`` lies more than the data's range beyond the furthest
    value seen on its side (a box given wide, or the one a non-affine step's
    map closes without a domain): then a grid to the bound alone would put
    few of its values where the data are, so the side is searched like an
    open one."""
    other = _seen(constraints, j, -sign)
    if seen is None or other is None:
        return False
    return bool(sign * (bound - seen) > (seen - other).abs())


def _seen(constraints, j, sign):
    """The largest (``sign`` 1) or smallest value seen of column ``j``, if finite."""
    seen = constraints.observed_high if sign > 0 else constraints.observed_low
    return None if seen is None or not torch.isfinite(seen[j]) else seen[j]


def axes_of(x, constraints: Constraints, n_grid, n_grid_pairs) -> list[Axis]:
    """The one-hot groups and the other mutable columns, with their candidate values."""
    n, d = x.shape
    fine = _fractions(n_grid, x.dtype, x.device)
    coarse = _fractions(n_grid_pairs, x.dtype, x.device)[2:]
    in_group = torch.zeros(d, dtype=torch.bool, device=x.device)
    axes = []
    c = constraints
    if c.group_index is not None:
        for g in range(c.group_index.shape[0]):
            valid = c.group_valid[g]
            cols = c.group_index[g][valid]
            in_group[cols] = True
            if not bool((c.allow_increase[cols] | c.allow_decrease[cols]).any()):
                continue  # an immutable categorical feature
            levels = torch.eye(len(cols), dtype=x.dtype, device=x.device)
            if bool(c.group_implicit[g]):  # the dropped level: every indicator 0
                levels = torch.cat([levels, torch.zeros_like(levels[:1])])
            values = levels * c.group_scale[g][valid] + c.group_offset[g][valid]
            values = values.unsqueeze(0).expand(n, -1, -1)
            axes.append(Axis(cols, values, values))
    units = {}
    if c.integer_index is not None:
        units = dict(zip(c.integer_index.tolist(), c.integer_scale.abs(), strict=True))
    for j in range(d):
        if bool(in_group[j]) or not bool(c.allow_increase[j] | c.allow_decrease[j]):
            continue
        unit = units.get(j)
        values = _column_values(x, j, c, unit, fine)
        if values is None:
            continue
        cols = torch.tensor([j], device=x.device)
        axes.append(
            Axis(
                cols,
                values.unsqueeze(2),
                _column_values(x, j, c, unit, coarse).unsqueeze(2),
                local=True,
            )
        )
    return axes
