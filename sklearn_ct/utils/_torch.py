"""Small torch helpers shared by the classifier's networks and the model adapters."""

from __future__ import annotations

import torch
from torch import nn

#: Activations by scikit-learn's names (``MLPClassifier.activation``).
ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "logistic": nn.Sigmoid,
    "identity": nn.Identity,
}


def module_dtype(module: nn.Module) -> torch.dtype:
    """Float dtype of a module's parameters (float32 when it has none)."""
    for p in module.parameters():
        if p.is_floating_point():
            return p.dtype
    return torch.float32


def module_device(module: nn.Module) -> torch.device:
    """Device of a module's parameters (CPU when it has none)."""
    for p in module.parameters():
        return p.device
    return torch.device("cpu")
