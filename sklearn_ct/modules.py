"""Torch networks: the classifier's own modules and scikit-learn models re-expressed.

Every module here maps inputs to ``K`` logits, one per class, also for binary
tasks (the energy ``-M(x)[t]`` must exist for every class).
"""

from __future__ import annotations

import inspect
from itertools import pairwise

import numpy as np
import torch
from torch import nn

_ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "identity": nn.Identity,
}


class MLP(nn.Module):
    """Multi-layer perceptron with logits out.

    Weights are initialised Glorot-uniform with zero biases, like the
    reference's Flux layers.

    Parameters
    ----------
    n_features : int
        Input size.
    n_classes : int
        Number of logits.
    hidden_layer_sizes : tuple of int, default=(32,)
        Width of each hidden layer; ``()`` gives multinomial logistic regression.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Hidden activation.
    generator : torch.Generator or None, default=None
        Source of the initial weights (torch's global generator when None).

    Examples
    --------
    >>> MLP(2, 3, (8,))(torch.zeros(5, 2)).shape
    torch.Size([5, 3])
    """

    def __init__(
        self,
        n_features,
        n_classes,
        hidden_layer_sizes=(32,),
        activation="relu",
        generator=None,
    ):
        super().__init__()
        sizes = [n_features, *hidden_layer_sizes, n_classes]
        layers = []
        for i, (fan_in, fan_out) in enumerate(pairwise(sizes)):
            # skip_init: no default initialisation drawing from the global RNG.
            linear = torch.nn.utils.skip_init(nn.Linear, fan_in, fan_out)
            nn.init.xavier_uniform_(linear.weight, generator=generator)
            nn.init.zeros_(linear.bias)
            layers.append(linear)
            if i < len(sizes) - 2:
                layers.append(_ACTIVATIONS[activation]())
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        """Logits of ``x``."""
        return self.layers(x)


_IN_NAMES = ("n_features", "in_features", "input_dim", "input_size", "n_inputs")
_OUT_NAMES = ("n_classes", "out_features", "output_dim", "output_size", "n_outputs")


def build_module(
    spec,
    n_features,
    n_classes,
    hidden_layer_sizes=(32,),
    module_params=None,
    generator=None,
) -> nn.Module:
    """Instantiate the classifier's network from its ``module`` parameter.

    Parameters
    ----------
    spec : "mlp", "logistic", nn.Module subclass or nn.Module instance
        ``"mlp"`` builds :class:`MLP` with ``hidden_layer_sizes``;
        ``"logistic"`` a linear layer; a class is instantiated with
        ``module_params``, its input and output sizes filled in from the data
        when its constructor takes them (``n_features``/``in_features``/... and
        ``n_classes``/``out_features``/...); an instance is used as given.
    n_features, n_classes : int
        Sizes from the data.
    hidden_layer_sizes : tuple of int, default=(32,)
        Used by ``"mlp"``.
    module_params : dict or None, default=None
        Extra constructor arguments for a module class.
    generator : torch.Generator or None, default=None
        Initial weights of ``"mlp"`` and ``"logistic"`` are drawn from it.

    Returns
    -------
    nn.Module
    """
    params = dict(module_params or {})
    if isinstance(spec, str):
        if spec == "mlp":
            return MLP(
                n_features,
                n_classes,
                tuple(hidden_layer_sizes),
                generator=generator,
                **params,
            )
        if spec == "logistic":
            return MLP(n_features, n_classes, (), generator=generator, **params)
        raise ValueError(
            f"module={spec!r} is not understood; expected 'mlp', 'logistic', a "
            "torch.nn.Module subclass or instance."
        )
    if isinstance(spec, type) and issubclass(spec, nn.Module):
        accepted = inspect.signature(spec).parameters
        for names, value in ((_IN_NAMES, n_features), (_OUT_NAMES, n_classes)):
            for name in names:
                if name in accepted and name not in params:
                    params[name] = value
                    break
        return spec(**params)
    if isinstance(spec, nn.Module):
        return spec
    raise ValueError(
        "module must be 'mlp', 'logistic', a torch.nn.Module subclass or instance;"
        f" got {type(spec).__name__}."
    )


class BinaryLogits(nn.Module):
    """Turn a single logit ``z`` into two logits ``(0, z)``; softmax is unchanged."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, x):
        """Two-column logits."""
        z = self.module(x).reshape(x.shape[0], -1)
        return torch.cat([torch.zeros_like(z), z], dim=1)


class LogOutput(nn.Module):
    """Logits of a module that outputs probabilities: ``log(p)``."""

    def __init__(self, module: nn.Module, eps: float = 1e-12):
        super().__init__()
        self.module = module
        self.eps = eps

    def forward(self, x):
        """Log-probabilities, which are valid logits."""
        return torch.log(self.module(x) + self.eps)


def _linear(weight, bias, dtype):
    layer = nn.Linear(weight.shape[1], weight.shape[0], dtype=dtype)
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(np.asarray(weight)))
        layer.bias.copy_(torch.as_tensor(np.asarray(bias)))
    return layer


def from_sklearn_mlp(mlp, dtype=torch.float64) -> nn.Module:
    """Re-express a fitted ``sklearn.neural_network.MLPClassifier`` in torch.

    The layers carry the fitted weights unchanged, so logits and gradients are
    exact. Binary models (one logistic output) get logits ``(0, z)``.

    Parameters
    ----------
    mlp : MLPClassifier
        A fitted single-label classifier.
    dtype : torch.dtype, default=torch.float64
        Float type of the module (scikit-learn computes in float64).

    Returns
    -------
    nn.Module
    """
    if getattr(mlp, "out_activation_", None) not in ("softmax", "logistic") or (
        mlp._label_binarizer.y_type_ == "multilabel-indicator"
    ):
        raise ValueError("Only single-label MLPClassifier models can be explained.")
    layers = []
    for i, (w, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_, strict=True)):
        layers.append(_linear(w.T, b, dtype))
        if i < len(mlp.coefs_) - 1:
            layers.append(_ACTIVATIONS[mlp.activation]())
    network = nn.Sequential(*layers)
    module = BinaryLogits(network) if mlp.out_activation_ == "logistic" else network
    return module.eval().requires_grad_(False)


def from_sklearn_linear(model, dtype=torch.float64) -> nn.Module:
    """Re-express a fitted linear classifier with ``coef_``/``intercept_`` in torch.

    Used for ``LogisticRegression`` (multinomial softmax for ``K > 2``
    classes, a logistic output for two).

    Parameters
    ----------
    model : LogisticRegression
        A fitted model.
    dtype : torch.dtype, default=torch.float64

    Returns
    -------
    nn.Module
    """
    layer = _linear(model.coef_, np.atleast_1d(model.intercept_), dtype)
    module = BinaryLogits(layer) if model.coef_.shape[0] == 1 else layer
    return module.eval().requires_grad_(False)
