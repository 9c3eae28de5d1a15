"""A discrete neighbourhood search for the rows the gradient search leaves without recourse.

Fixed gradient steps get stuck on mixed data: a small step on an
integer feature or a one-hot group is snapped back by the projection, an
increase-only feature whose gradient points down never moves, and flat
logits give no direction at all. This search treats each feature as what it
is. Its *axes* are the one-hot groups (every level) and the other mutable
columns (a grid of values from the factual to each bound it may move
toward; an integer feature with a short range takes each of its integers). Per row
still without a valid counterfactual, batched in torch over all such rows
(loops run over axes and pairs of axes only):

1. every change of one axis over its grid (``n_grid`` values per direction);
2. every change of two axes, on a coarser grid (``n_grid_pairs`` values),
   among the ``max_pair_axes`` axes whose single changes raised the target's
   margin most (all of them on small column sets);
3. with three axes or more, every combination of all of them, each changed
   on the coarse grid or kept, where that product holds at most
   ``max_product`` points per row: few mutable columns (the case an
   exhaustive search covers too) and pockets of the target class that only
   three changes together reach;
4. greedy rounds from the point with the best target margin seen so far
   (the gradient search's end point included): every one-axis change of it
   on the coarse grid, and of a column within a grid step of that point
   (a narrow pocket between two grid values), the best margin kept, up to
   ``max_rounds`` rounds while the margin rises.

A row keeps the cheapest (L1) valid candidate of the first phase that has
one. Every candidate goes through :func:`~sklearn_ct.constraints.project`, so
constraints hold exactly, and is checked with the model (the target reached
by :data:`~sklearn_ct.explain.MARGIN`, with ``p(target) >= threshold``).
"""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations

import torch

from ..constraints._projection import project
from ..constraints._tensors import Constraints
from ._axes import Axis, axes_of
from ._refine import MARGIN
from ._search import SearchResult

#: Grid values per direction of a column, singles and pairs.
N_GRID, N_GRID_PAIRS = 24, 12
#: Pairs are searched among this many axes (the most promising), and greedy
#: rounds are run at most this many times.
MAX_PAIR_AXES, MAX_ROUNDS = 6, 4
#: Candidate points evaluated in one forward pass at most.
MAX_POINTS = 1 << 16
#: Points per row of the product of every axis at most (about what the pairs
#: of ``MAX_PAIR_AXES`` axes evaluate: 15 pairs of 24 x 24 values).
MAX_PRODUCT = 1 << 13


def searched_budget(max_iter: int, fallback: bool) -> str:
    """What a search looked through, to follow "no recourse found" in a status.

    Examples
    --------
    >>> searched_budget(100, False)
    'in 100 gradient steps'
    """
    steps = f"in {max_iter} gradient steps"
    if not fallback:
        return steps
    return (
        f"{steps}, all 1-feature changes ({N_GRID} values per direction), "
        f"2-feature changes among the {MAX_PAIR_AXES} likeliest features "
        f"({N_GRID_PAIRS} values), all features at once where that makes at "
        f"most {MAX_PRODUCT} points, and {MAX_ROUNDS} greedy rounds"
    )


def complete_search(
    model,
    x,
    target,
    constraints: Constraints,
    found: SearchResult,
    threshold=0.5,
    **options,
) -> SearchResult:
    """``found`` with :func:`neighbourhood_search` run on the rows it left invalid.

    Rows the fallback completes get its point, ``converged=True`` and their
    new ``p_target``; ``n_iter`` and ``adversarial`` stay the gradient
    search's.

    Parameters
    ----------
    model : callable
        Inputs -> logits (in eval mode).
    x : Tensor of shape (n, n_features)
        Factuals.
    target : LongTensor of shape (n,)
        Target class index of each factual.
    constraints : Constraints
        The resolved constraints, as tensors; every candidate is projected onto them.
    found : SearchResult
        The gradient search's result for ``x``.
    threshold : float or None, default=0.5
        ``p(target)`` to reach; ``None``: the target class only.
    **options
        Passed to :func:`neighbourhood_search`.

    Returns
    -------
    SearchResult
    """
    point, new = neighbourhood_search(
        model,
        x,
        target,
        constraints,
        start=found.counterfactuals,
        threshold=threshold,
        **options,
    )
    if not bool(new.any()):
        return found
    with torch.no_grad():
        p = model(point[new]).softmax(dim=1).gather(1, target[new].view(-1, 1))
    p_target = found.p_target.clone()
    p_target[new] = p.squeeze(1).to(p_target.dtype)
    return replace(
        found,
        counterfactuals=torch.where(new.unsqueeze(1), point, found.counterfactuals),
        converged=found.converged | new,
        p_target=p_target,
    )


def neighbourhood_search(
    model,
    x,
    target,
    constraints: Constraints,
    *,
    start=None,
    threshold=0.5,
    n_grid: int = N_GRID,
    n_grid_pairs: int = N_GRID_PAIRS,
    max_pair_axes: int = MAX_PAIR_AXES,
    max_rounds: int = MAX_ROUNDS,
    max_points: int = MAX_POINTS,
    max_product: int = MAX_PRODUCT,
):
    """Valid counterfactuals by discrete search, for the rows ``start`` does not solve.

    Parameters
    ----------
    model : callable
        Inputs -> logits (in eval mode).
    x : Tensor of shape (n, n_features)
        Factuals.
    target : LongTensor of shape (n,)
        Target class index of each factual.
    constraints : Constraints
        The resolved constraints, as tensors; every candidate is projected onto them.
    start : Tensor of shape (n, n_features) or None, default=None
        Points already found (the gradient search's); rows where they reach
        the target are left alone, the others start the greedy rounds from
        them when their margin is the best seen. ``None``: the factuals.
    threshold : float or None, default=0.5
        ``p(target)`` to reach; ``None``: the target class only.
    n_grid, n_grid_pairs : int, default=24, 12
        Grid values per direction of a column for one-axis and two-axis
        changes, spread evenly from the factual to the bound, with two
        small steps first; an integer column whose range holds no more
        integers than that takes each of them.
    max_pair_axes : int, default=6
        Two-axis changes are searched among this many axes: those whose
        one-axis changes raised the target's margin most, on average over
        the rows still open (all axes when there are no more).
    max_rounds : int, default=4
        Greedy rounds at most.
    max_points : int, default=65536
        Candidates evaluated in one forward pass at most.
    max_product : int, default=8192
        With three axes or more, every combination of all axes (each on its
        coarse grid, or kept) is searched when it makes at most this many
        points per row; 0 skips it.

    Returns
    -------
    points : Tensor of shape (n, n_features)
        ``start`` where it reached the target, or the point found, else ``start``.
    found : BoolTensor of shape (n,)
        Rows where this search found a valid point (``start`` did not reach).

    Examples
    --------
    >>> import torch
    >>> from sklearn_ct.constraints import FeatureConstraints
    >>> model = torch.nn.Linear(2, 2)
    >>> with torch.no_grad():
    ...     _ = model.weight.copy_(torch.tensor([[0.0, 0.0], [0.0, 1.0]]))
    ...     _ = model.bias.copy_(torch.tensor([3.0, 0.0]))
    >>> c = FeatureConstraints(["both", "increase"], [0, 0], [10, 10],
    ...                        integer=[False, True]).tensors()
    >>> x = torch.tensor([[1.0, 0.0]])
    >>> points, found = neighbourhood_search(model, x, torch.tensor([1]), c)
    >>> points.tolist(), found.tolist()
    ([[1.0, 4.0]], [True])
    """
    x = x.detach()
    target = target.to(device=x.device, dtype=torch.long)
    start = x.clone() if start is None else start.detach()
    ok, margin = _check(model, start, target, threshold)
    points = start.clone()
    found = torch.zeros(len(x), dtype=torch.bool, device=x.device)
    rows = torch.nonzero(~ok).squeeze(1)
    axes = axes_of(x, constraints, n_grid, n_grid_pairs)
    if not len(rows) or not axes:
        return points, found
    # Per open row: the best margin seen and its point (the greedy start).
    state, state_margin = start[rows].clone(), margin[rows].clone()

    def run(moves_of, bases, rows, state, state_margin):
        """Every move set on ``rows``: the cheapest valid points, the best margins."""
        cost = torch.full((len(rows),), torch.inf, dtype=x.dtype, device=x.device)
        best, gains = bases.clone(), []
        for moves in moves_of:
            out = _evaluate(
                model,
                x,
                target,
                constraints,
                threshold,
                rows,
                bases,
                [(a.columns, values[rows]) for a, values in moves],
                max_points,
            )
            cheaper = out[1] < cost
            cost = torch.where(cheaper, out[1], cost)
            best = torch.where(cheaper.unsqueeze(1), out[0], best)
            higher = out[3] > state_margin
            state_margin = torch.where(higher, out[3], state_margin)
            state = torch.where(higher.unsqueeze(1), out[2], state)
            gains.append(out[3])
        return torch.isfinite(cost), best, state, state_margin, gains

    def keep(valid, best, rows, *per_row):
        points[rows[valid]], found[rows[valid]] = best[valid], True
        return [t[~valid] for t in (rows, *per_row)]

    with torch.no_grad():
        # 1. One axis at a time, on its fine grid.
        valid, best, state, state_margin, gains = run(
            [[(a, a.fine)] for a in axes], x[rows], rows, state, state_margin
        )
        rows, state, state_margin, *gains = keep(
            valid, best, rows, state, state_margin, *gains
        )
        # 2. Two at a time, on the coarse grid, among the axes that moved the
        #    target's margin most on average over the rows still open.
        if len(rows) and len(axes) > 1:
            mean_gain = torch.stack([g.clamp(min=-1e6) for g in gains]).mean(dim=1)
            top = sorted(mean_gain.argsort(descending=True)[:max_pair_axes].tolist())
            pairs = [
                [(axes[i], axes[i].coarse), (axes[j], axes[j].coarse)]
                for i, j in combinations(top, 2)
            ]
            valid, best, state, state_margin, _ = run(
                pairs, x[rows], rows, state, state_margin
            )
            rows, state, state_margin = keep(valid, best, rows, state, state_margin)
        # 3. Every axis at once, each changed or kept, where the product is small.
        every = [(a, _or_kept(a, x)) for a in axes] if len(axes) > 2 else []
        if len(rows) and every and _product(every) <= max_product:
            valid, best, state, state_margin, _ = run(
                [every], x[rows], rows, state, state_margin
            )
            rows, state, state_margin = keep(valid, best, rows, state, state_margin)
        # 4. Greedy: one more axis from the best point so far, while it helps.
        singles = [[(a, a.coarse)] for a in axes]
        for _ in range(max_rounds):
            if not len(rows):
                break
            before = state_margin.clone()
            near = [[(a, _near(a, state, rows, len(x)))] for a in axes if a.local]
            valid, best, state, state_margin, _ = run(
                singles + near, state, rows, state, state_margin
            )
            rows, state, state_margin, before = keep(
                valid, best, rows, state, state_margin, before
            )
            moving = state_margin > before
            rows, state, state_margin = (
                rows[moving],
                state[moving],
                state_margin[moving],
            )
    return points, found


#: Fractions of a coarse grid step, either way, that a greedy round tries
#: around the point it starts from.
NEAR = (-0.75, -0.5, -0.25, 0.25, 0.5, 0.75)


def _near(axis: Axis, state, rows, n) -> torch.Tensor:
    """(n, len(NEAR), 1) values of a column around ``state`` (filled on ``rows``).

    The step is the axis's mean coarse grid step on that row; the projection
    brings the values into the box (and onto an integer grid).
    """
    coarse = axis.coarse[rows, :, 0]
    step = (coarse.amax(dim=1) - coarse.amin(dim=1)) / coarse.shape[1]
    fractions = torch.tensor(NEAR, dtype=state.dtype, device=state.device)
    around = state[:, axis.columns] + step.unsqueeze(1) * fractions
    values = torch.zeros((n, len(NEAR), 1), dtype=state.dtype, device=state.device)
    values[rows] = around.unsqueeze(2)
    return values


def _or_kept(axis: Axis, x) -> torch.Tensor:
    """(n, n_values + 1, n_columns): the axis's coarse values, then the own one."""
    own = x[:, axis.columns].unsqueeze(1)
    return torch.cat([axis.coarse, own], dim=1)


def _product(moves) -> int:
    """Points per row in the product of ``moves`` (pairs of axis and values)."""
    size = 1
    for _, values in moves:
        size *= values.shape[1]
    return size


def _check(model, points, target, threshold):
    """Rows that reach the target, and the target's logit margin over the rest."""
    with torch.no_grad():
        logits = model(points)
        own = logits.gather(1, target.view(-1, 1)).squeeze(1)
        others = logits.scatter(1, target.view(-1, 1), -torch.inf).amax(dim=1)
        margin = own - others
        ok = margin >= MARGIN
        if threshold is not None:
            ok &= (
                logits.softmax(dim=1).gather(1, target.view(-1, 1)).squeeze(1)
                >= threshold
            )
    return ok, torch.nan_to_num(margin, nan=-torch.inf)


def _evaluate(model, x, target, constraints, threshold, rows, bases, moves, max_points):
    """Every combination of ``moves`` applied to ``bases`` (the rows ``rows``).

    ``moves`` lists ``(columns, values)``, values of shape (m, K_i, k_i); the
    candidates are their product, projected against each row's factual.

    Returns the cheapest valid candidate per row and its L1 cost (``inf``
    where none is valid), and the candidate of largest margin with it.
    """
    m, d = bases.shape
    k = _product(moves)
    step = max(1, max_points // max(k, 1))
    out = [
        bases.clone(),
        torch.full((m,), torch.inf, dtype=x.dtype, device=x.device),
        bases.clone(),
        torch.full((m,), -torch.inf, dtype=x.dtype, device=x.device),
    ]
    for s in range(0, m, step):
        part = slice(s, min(s + step, m))
        r = rows[part]
        cand = bases[part].unsqueeze(1).repeat(1, k, 1)
        inner = k
        for columns, values in moves:  # the product, first move outermost
            inner //= values.shape[1]
            block = values[part].repeat_interleave(inner, dim=1)
            cand[:, :, columns] = block.repeat(1, k // block.shape[1], 1)
        n_rows = len(r)
        flat_rows = r.repeat_interleave(k)
        factual = x[flat_rows]
        point = project(cand.reshape(-1, d), factual, constraints.rows(flat_rows))
        ok, margin = _check(model, point, target[flat_rows], threshold)
        cost = torch.where(
            ok, (point - factual).abs().sum(dim=1), torch.full_like(margin, torch.inf)
        ).view(n_rows, k)
        margin = margin.view(n_rows, k)
        point = point.view(n_rows, k, d)
        c_best, c_at = cost.min(dim=1)
        m_best, m_at = margin.max(dim=1)
        pick = torch.arange(n_rows, device=x.device)
        out[0][part], out[1][part] = point[pick, c_at], c_best
        out[2][part], out[3][part] = point[pick, m_at], m_best
    return out
