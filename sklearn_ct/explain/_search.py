"""The one batched gradient search for counterfactuals (the paper's search, batched).

All factuals of a batch are searched at once in torch. Each sample carries its
own target and stops at its own convergence: the working set of rows still
searching is compacted whenever some reach ``p(target) >= tau`` (their results
are written once, then), so the cost of a step falls as the batch converges. Per step and sample:

1. the gradient of the generator's objective with respect to the search state
   (never with respect to the model);
2. non-finite components of the step (NaN, or an overflowing gradient) set to 0;
3. the step masked for mutability (feature-space generators);
4. the step taken, then the point projected onto the domain box (or a
   feature's own value, for a factual outside the box), integer grids,
   one-hot groups and mutability relative to the factual;
5. convergence checked, and the point kept as the nascent adversarial example
   while it stays within the L-inf ``adversarial_radius`` of the factual.

Training uses the same loop as explaining; nothing here knows which one calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..constraints._projection import (
    _mask_step_,
    _project,
    _project_inside,
    factual_outside,
)
from ..constraints._tensors import Constraints
from ..generators._base import Generator
from ..utils._deprecation import renamed


@dataclass(frozen=True)
class SearchResult:
    """Per-sample outcome of :func:`counterfactual_search` (all tensors, length n).

    Attributes
    ----------
    counterfactuals : Tensor of shape (n, n_features)
        Final point of each search.
    converged : BoolTensor of shape (n,)
        ``p(target) >= decision_threshold`` was reached (with no threshold: the
        target is the predicted class of the final point).
    n_iter : LongTensor of shape (n,)
        Steps taken.
    adversarial : Tensor of shape (n, n_features)
        Nascent adversarial example: the last point of the path, the factual
        included, within the L-inf ``adversarial_radius`` of the factual.
    p_target : Tensor of shape (n,)
        Target probability at the final point.

    Examples
    --------
    A one-feature model whose class 1 logit is ``x``, and its class 0 logit
    ``-x``:

    >>> import torch
    >>> from sklearn_ct.constraints import make_constraints
    >>> from sklearn_ct.generators import GenericGenerator
    >>> constraints = make_constraints(["both"], low=[-5], high=[5])
    >>> result = counterfactual_search(
    ...     lambda x: torch.cat([-x, x], dim=1), torch.tensor([[-1.0]]),
    ...     torch.tensor([1]), GenericGenerator(), constraints)
    >>> result.converged, result.n_iter
    (tensor([True]), tensor([7]))
    >>> result.counterfactuals.round(decimals=3), result.p_target.round(decimals=3)
    (tensor([[0.0120]]), tensor([0.5060]))
    """

    counterfactuals: torch.Tensor
    converged: torch.Tensor
    n_iter: torch.Tensor
    adversarial: torch.Tensor
    p_target: torch.Tensor


def counterfactual_search(
    model: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    target: torch.Tensor,
    generator: Generator,
    constraints: Constraints,
    *,
    decision_threshold: float | None = 0.5,
    max_iter: int = 100,
    step_size: float = 0.1,
    adversarial_radius: float = 0.3,
    epsilon="deprecated",
) -> SearchResult:
    """Search counterfactuals for a batch of factuals at once.

    Parameters
    ----------
    model : callable
        Maps a float tensor of shape (m, n_features) to logits (m, n_classes);
        differentiable with respect to its input. Put it in eval mode first.
    x : Tensor of shape (n, n_features)
        Factuals.
    target : LongTensor of shape (n,)
        Target class index per factual.
    generator : Generator
        Objective of the search (fitted, for generators that learn from data).
    constraints : Constraints
        Mutability, domain and one-hot groups, on the device and dtype of ``x``.
    decision_threshold : float or None, default=0.5
        A sample stops once its target probability reaches this value;
        ``None`` runs all ``max_iter`` steps.
    max_iter : int, default=100
        Maximum number of steps ``T``.
    step_size : float, default=0.1
        Plain gradient-descent step size (the reference's value).
    adversarial_radius : float, default=0.3
        L-inf radius that makes a path point a nascent adversarial example.
    epsilon : float, default="deprecated"
        Use ``adversarial_radius`` instead.

        .. deprecated:: 0.1
            ``epsilon`` was renamed to ``adversarial_radius`` in 0.1 and will
            be removed in 0.3.

    Returns
    -------
    SearchResult

    Examples
    --------
    A model that predicts class 1 where ``x0 + x1 > 0``, and factuals whose
    first feature may not change:

    >>> import torch
    >>> from sklearn_ct.constraints import make_constraints
    >>> from sklearn_ct.generators import GenericGenerator
    >>> def model(x):
    ...     return torch.stack([-x.sum(dim=1), x.sum(dim=1)], dim=1)
    >>> x = torch.tensor([[-1.0, -1.0], [-0.5, -2.0]])
    >>> constraints = make_constraints(["none", "both"], [-5, -5], [5, 5])
    >>> result = counterfactual_search(
    ...     model, x, torch.tensor([1, 1]), GenericGenerator(), constraints)
    >>> result.converged, result.n_iter
    (tensor([True, True]), tensor([13, 15]))
    >>> result.counterfactuals.round(decimals=2)  # only x1 moved
    tensor([[-1.0000,  1.0900],
            [-0.5000,  0.5400]])
    """
    radius = renamed("epsilon", epsilon, "adversarial_radius", adversarial_radius, 0.3)
    x = x.detach()
    target = target.to(device=x.device, dtype=torch.long)
    n = x.shape[0]
    x_cf, adversarial = x.clone(), x.clone()
    converged = torch.zeros(n, dtype=torch.bool, device=x.device)
    n_iter = torch.zeros(n, dtype=torch.long, device=x.device)
    p_target = torch.zeros(n, dtype=x.dtype, device=x.device)
    # The working set: the rows still searching, compacted whenever some finish,
    # with their state, factual, target, constraints, nascent adversarial
    # example (the start of the path is always within the ball) and steps.
    # In feature space the state is in the box from step 2 on (every step ends
    # with a clamp), so it is projected without clamping again; it is updated
    # in place (it is ours), and ``adv_i`` is copied before its first write.
    # Where a factual lies outside the box, the state is clamped to the box
    # widened to the factual (its hull) and every step projected in full, so
    # a feature keeps its own value until the state is nearer to the box.
    rows = torch.arange(n, device=x.device)
    s, x_i, t_i, c_i = generator.encode(x).detach().clone(), x, target, constraints
    adv_i, steps_i = x, torch.zeros(n, dtype=torch.long, device=x.device)
    adv_owned = False
    outside = factual_outside(x, constraints)  # asked once: the working set shrinks

    # Iteration t evaluates the point reached after t - 1 steps: it checks
    # convergence and, while t <= max_iter, takes step t from the same forward pass.
    for step in range(1, max_iter + 2):
        take_step = step <= max_iter
        if generator.latent:  # differentiate through the decoder
            s = s.detach().requires_grad_(take_step)
            with torch.set_grad_enabled(take_step):
                point = _project(generator.decode(s), x_i, c_i, outside)
            wrt = s
        else:  # projection outside autograd: straight-through, like one-hot groups
            point = (
                _project(s, x_i, c_i, outside)
                if step == 1 or outside
                else _project_inside(s, x_i, c_i, fresh=False)
            )
            point = point.requires_grad_(take_step)
            wrt = point
        with torch.set_grad_enabled(take_step):
            logits = model(point)
        p = logits.detach().softmax(dim=1).gather(1, t_i.view(-1, 1)).squeeze(1)
        here = point.detach()
        if step > 1:  # the last point of the path still within the radius
            within = (here - x_i).abs_().amax(dim=1) <= radius
            n_within = int(within.sum())
            if n_within == len(within):
                adv_i, adv_owned = here.clone(), True
            elif n_within:  # copy only the rows within (few, once paths leave)
                if not adv_owned:
                    adv_i, adv_owned = adv_i.clone(), True
                inside = within.nonzero().squeeze(1)
                adv_i.index_copy_(0, inside, here.index_select(0, inside))
        done = (
            torch.zeros_like(p, dtype=torch.bool)
            if decision_threshold is None
            else p >= decision_threshold
        )
        finished = done if take_step else torch.ones_like(done)
        any_finished = bool(finished.any())
        if any_finished:  # results are written once, when a row finishes
            out = rows[finished]
            x_cf[out], p_target[out] = here[finished], p[finished]
            converged[out], adversarial[out] = done[finished], adv_i[finished]
            n_iter[out] = steps_i[finished]
            if bool(finished.all()):
                break
        loss = generator.loss(point, x_i, logits, t_i, step, max_iter)
        (grad,) = torch.autograd.grad((loss * ~done).sum(), wrt)
        delta = grad.mul_(-step_size)  # the gradient is ours: no copy
        if not generator.latent:  # a latent step cannot be masked per feature
            delta = _mask_step_(delta, c_i)
        # Non-finite components (NaN, or an overflowing gradient) take no step.
        delta = delta.nan_to_num_(nan=0.0, posinf=0.0, neginf=0.0)
        if generator.latent:
            s = s.detach() + delta
        else:  # the state is ours (a copy of x, or the previous step's)
            s = s.detach().add_(delta)
            if outside:  # the hull of the box and the factual
                s = s.clamp_(torch.minimum(c_i.low, x_i), torch.maximum(c_i.high, x_i))
            else:
                s = s.clamp_(c_i.low, c_i.high)
        steps_i = steps_i + 1
        if any_finished:  # drop the finished rows from the working set
            keep = (~finished).nonzero().squeeze(1)  # (faster than a mask)
            rows, s, x_i, t_i, adv_i, steps_i = (
                tensor.index_select(0, keep)
                for tensor in (rows, s, x_i, t_i, adv_i, steps_i)
            )
            c_i, adv_owned = c_i.rows(keep), True

    if decision_threshold is None:
        with torch.no_grad():
            converged = model(x_cf).argmax(dim=1) == target
    return SearchResult(
        counterfactuals=x_cf,
        converged=converged,
        n_iter=n_iter,
        adversarial=adversarial,
        p_target=p_target,
    )
