"""The classifier's own torch networks, built from its ``module`` parameter.

Every module here maps inputs to ``K`` logits, one per class, also for binary
tasks (the energy ``-M(x)[t]`` must exist for every class).
"""

from __future__ import annotations

import inspect
from itertools import pairwise

import torch
from torch import nn

from ..utils._torch import ACTIVATIONS


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
                layers.append(ACTIVATIONS[activation]())
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
