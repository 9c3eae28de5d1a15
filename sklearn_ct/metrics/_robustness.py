"""Robustness of a fitted model: adversarial attacks and feature sensitivity.

FGSM and PGD robust accuracy (the paper's robustness evaluation) and
integrated-gradient sensitivity to chosen features (captum). Both work on
every model :class:`~sklearn_ct.explain.CounterfactualExplainer` supports
and on Pipelines, in the input space of the final classifier, on all rows at
once.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..constraints._inputs import split_pipeline
from ..constraints._model_space import model_space
from ..constraints._specs import _feature_position
from ..explain._adapters import as_logits_module, label_index
from ..utils._torch import module_device, module_dtype


def _torch_generator(random_state, device) -> torch.Generator:
    """A torch Generator seeded from an int, RandomState, Generator or None."""
    if isinstance(random_state, np.random.RandomState):
        random_state = random_state.randint(2**31 - 1)
    seed = int(np.random.default_rng(random_state).integers(2**63 - 1))
    return torch.Generator(device=device).manual_seed(seed)


def _model_inputs(estimator, X):
    """Model-space tensor of ``X``, the logits module, its classes and the space."""
    space = model_space(estimator, X)
    module, classes = as_logits_module(space.final)
    x = torch.as_tensor(
        space.transform(X), dtype=module_dtype(module), device=module_device(module)
    )
    return x, module, np.asarray(classes), space


def _input_gradient(module, x, y):
    x = x.detach().requires_grad_(True)
    loss = F.cross_entropy(module(x), y, reduction="sum")
    return torch.autograd.grad(loss, x)[0]


def _bounds(domain, estimator, x):
    if isinstance(domain, str) and domain == "estimator":
        domain = getattr(split_pipeline(estimator)[1], "domain_", None)
    if domain is None:
        return None
    return tuple(
        torch.tensor(
            np.broadcast_to(np.asarray(v, dtype=float), x.shape[1:]),
            dtype=x.dtype,
            device=x.device,
        )
        for v in domain
    )


def robust_accuracy(
    estimator,
    X,
    y,
    *,
    epsilons=np.linspace(0, 0.1, 10),  # noqa: B008
    attack: str = "fgsm",
    n_steps: int = 40,
    step_size: float = 0.01,
    domain=None,
    random_state=None,
) -> np.ndarray:
    """Accuracy on adversarially perturbed data (L-inf FGSM or PGD), per epsilon.

    All rows are perturbed at once, in the input space of a pipeline's final
    classifier.

    Parameters
    ----------
    estimator : fitted classifier or Pipeline
        Any model the explainer (:class:`~sklearn_ct.explain.CounterfactualExplainer`) supports.
    X : array-like of shape (n_samples, n_features)
        Data in the estimator's input space.
    y : array-like of shape (n_samples,)
        True labels.
    epsilons : array-like of float, default=np.linspace(0, 0.1, 10)
        Radii of the L-inf ball, in the final classifier's input space.
    attack : {"fgsm", "pgd"}, default="fgsm"
        FGSM: ``x + eps * sign(grad_x CE)``; PGD: random start in the ball,
        ``n_steps`` signed steps of ``step_size``, projected to the ball.
    n_steps : int, default=40
        PGD steps.
    step_size : float, default=0.01
        Size of each PGD step.
    domain : None, "estimator" or (low, high), default=None
        Clamp perturbed data to this box; ``"estimator"``: the fitted
        classifier's own ``domain_`` (no clamping when it has none).
    random_state : int, RandomState instance or None, default=None
        Seeds PGD's random start.

    Returns
    -------
    ndarray of shape (n_epsilons,)

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = make_blobs(100, centers=2, random_state=0)
    >>> robust_accuracy(LogisticRegression().fit(X, y), X, y, epsilons=[0, 9])
    array([0.94, 0.  ])
    """
    if attack not in ("fgsm", "pgd"):
        raise ValueError(f"attack must be 'fgsm' or 'pgd'; got {attack!r}.")
    x, module, classes, _ = _model_inputs(estimator, X)
    target = torch.as_tensor(label_index(y, classes, "y"), device=x.device)
    bounds = _bounds(domain, estimator, x)

    def clip(z):
        return z if bounds is None else torch.clamp(z, *bounds)

    sign = _input_gradient(module, x, target).sign()
    generator = _torch_generator(random_state, x.device)
    accuracy = []
    for eps in np.asarray(epsilons, dtype=float):
        if attack == "fgsm":
            x_adv = clip(x + eps * sign)
        else:
            noise = torch.rand(
                x.shape, generator=generator, dtype=x.dtype, device=x.device
            )
            x_adv = clip(x + eps * (2 * noise - 1))
            for _ in range(n_steps):
                step = step_size * _input_gradient(module, x_adv, target).sign()
                x_adv = clip(x + torch.clamp(x_adv + step - x, -eps, eps))
        with torch.no_grad():
            hits = module(x_adv).argmax(dim=1) == target
        accuracy.append(hits.double().mean().item())
    return np.asarray(accuracy)


def _summed_gradients(
    forward_fn, inputs, target_ind=None, additional_forward_args=None
):
    """Captum's ``compute_gradients``, with one backward pass of the summed outputs.

    Captum's ``IntegratedGradients`` differentiates its outputs as a tuple of
    scalars, one per row and integration step (125,000 for 2,500 rows and 50
    steps), and building that tuple's unit gradients takes longer than the
    gradient itself, the more so the more rows. Their sum has the same unit
    gradient at every output, so every input gradient, and then captum's
    integral, is the same, number for number.

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
    extra = additional_forward_args
    extra = () if extra is None else extra if isinstance(extra, tuple) else (extra,)
    with torch.autograd.set_grad_enabled(True):
        outputs = forward_fn(*inputs, *extra)
        if target_ind is not None:  # the target's output per row, as captum selects
            target = torch.as_tensor(target_ind, device=outputs.device)
            outputs = outputs.gather(1, target.reshape(-1, 1).expand(len(outputs), 1))
        return torch.autograd.grad(outputs.sum(), inputs)


def sensitivity(
    estimator,
    X,
    features,
    *,
    baseline="random",
    n_steps: int = 50,
    normalize: str | None = "minmax",
    random_state=None,
) -> float:
    """Integrated-gradients sensitivity of the predictions to some features.

    Captum's ``IntegratedGradients`` attributes each row's predicted class;
    per feature the mean over rows of ``|attribution|`` is normalised across
    features, then averaged over ``features``. The gradients of all rows and
    integration steps come from one backward pass, with the values of
    captum's own gradients (one unit gradient per row and step: 1.5 times as
    long for 200 rows, 5 times for 2,500).

    Parameters
    ----------
    estimator : fitted classifier or Pipeline
        Any model :class:`~sklearn_ct.explain.CounterfactualExplainer` supports.
    X : array-like of shape (n_samples, n_features)
        Data in the estimator's input space.
    features : list of int or str
        Positions or names of features of the model's input space.
    baseline : "random", "zeros" or array-like, default="random"
        ``"random"`` draws U(-1, 1) per row and feature.
    n_steps : int, default=50
        Steps of the integral's approximation.
    normalize : {"minmax", "range"} or None, default="minmax"
        ``(g - min) / (max - min)``; ``g / (max - min)`` (the reference's 2-D
        variant); or raw.
    random_state : int, RandomState instance or None, default=None
        Seeds the random baseline.

    Returns
    -------
    float

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.random.default_rng(0).normal(size=(100, 2))
    >>> model = LogisticRegression().fit(X, X[:, 1] > 0)
    >>> sensitivity(model, X, [0]) < sensitivity(model, X, [1])  # doctest: +SKIP
    True
    """
    try:
        from captum.attr import IntegratedGradients
    except ImportError as error:
        raise ImportError(
            "sensitivity() needs captum: pip install captum (or "
            "pip install 'sklearn-ct[full]')."
        ) from error
    if normalize not in ("minmax", "range", None):
        raise ValueError(
            f"normalize must be 'minmax', 'range' or None; got {normalize!r}."
        )
    x, module, _, space = _model_inputs(estimator, X)
    positions = [
        _feature_position(f, space.feature_names, x.shape[1], "features")
        for f in features
    ]
    if isinstance(baseline, str) and baseline in ("random", "zeros"):
        noise = torch.rand(
            x.shape,
            generator=_torch_generator(random_state, x.device),
            dtype=x.dtype,
            device=x.device,
        )
        base = 2 * noise - 1 if baseline == "random" else torch.zeros_like(x)
    else:
        base = torch.tensor(
            np.broadcast_to(baseline, x.shape), dtype=x.dtype, device=x.device
        )
    with torch.no_grad():
        predicted = module(x).argmax(dim=1)
    integrated = IntegratedGradients(module)
    integrated.gradient_func = _summed_gradients
    attributions = integrated.attribute(
        x, baselines=base, target=predicted, n_steps=n_steps
    )
    g = attributions.abs().mean(dim=0).detach().cpu().numpy()
    if normalize is not None:
        spread = g.max() - g.min()
        g = (g - g.min() if normalize == "minmax" else g) / (spread or np.inf)
    return float(g[positions].mean())
