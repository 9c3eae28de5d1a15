"""Integrated-gradients sensitivity with one backward pass per call.

:func:`ig_sensitivity` is :func:`sklearn_ct.metrics.sensitivity` with a
random U(-1, 1) baseline, number for number (a test compares them bit for
bit), only faster. Captum's ``IntegratedGradients`` differentiates its
outputs as a tuple of scalars, one per row and integration step (125,000
for 2,500 rows and 50 steps), and building that tuple's unit gradients took
about 60 times as long as the gradient itself. :func:`_summed_gradients`
differentiates their sum instead: the same unit gradient reaches every
output, so every input gradient, and then captum's integral, is the same.
"""

from __future__ import annotations

import numpy as np
import torch

from ..metrics._robustness import _model_inputs, _torch_generator


def _summed_gradients(
    forward_fn, inputs, target_ind=None, additional_forward_args=None
):
    """Captum's ``compute_gradients``, with one backward pass of the summed outputs.

    Parameters
    ----------
    forward_fn : callable
        The model (captum's ``forward_func``).
    inputs : tuple of Tensor
        The scaled inputs of every integration step.
    target_ind : Tensor, default=None
        The class whose output is differentiated, per row.
    additional_forward_args : object, default=None
        Passed on to ``forward_fn``.

    Returns
    -------
    tuple of Tensor
        The gradients of the targets' outputs with respect to ``inputs``.
    """
    from captum._utils.common import _run_forward

    with torch.autograd.set_grad_enabled(True):
        outputs = _run_forward(forward_fn, inputs, target_ind, additional_forward_args)
        return torch.autograd.grad(outputs.sum(), inputs)


def ig_sensitivity(
    estimator, X, features, *, n_steps=50, normalize="minmax", random_state=None
) -> float:
    """:func:`~sklearn_ct.metrics.sensitivity` with ``baseline="random"``, faster.

    Parameters
    ----------
    estimator : fitted classifier
        A model :func:`~sklearn_ct.metrics.sensitivity` supports.
    X : ndarray of shape (n_samples, n_features)
        Data in the estimator's input space.
    features : sequence of int
        Model-space positions of the features.
    n_steps : int, default=50
        Steps of the integral's approximation.
    normalize : {"minmax", "range"} or None, default="minmax"
        As in :func:`~sklearn_ct.metrics.sensitivity`.
    random_state : int or None, default=None
        Seeds the U(-1, 1) baseline.

    Returns
    -------
    float
        The mean normalised attribution of ``features``.
    """
    from captum.attr import IntegratedGradients

    x, module, _, _ = _model_inputs(estimator, X)
    noise = torch.rand(
        x.shape,
        generator=_torch_generator(random_state, x.device),
        dtype=x.dtype,
        device=x.device,
    )
    with torch.no_grad():
        predicted = module(x).argmax(dim=1)
    integrated = IntegratedGradients(module)
    integrated.gradient_func = _summed_gradients
    attributions = integrated.attribute(
        x, baselines=2 * noise - 1, target=predicted, n_steps=n_steps
    )
    g = attributions.abs().mean(dim=0).detach().cpu().numpy()
    if normalize is not None:
        spread = g.max() - g.min()
        g = (g - g.min() if normalize == "minmax" else g) / (spread or np.inf)
    return float(g[list(features)].mean())
