"""Which fitted estimators can be explained, and their differentiable logits.

:func:`as_logits_module` turns a supported fitted classifier into a torch
module that returns one logit per class, plus the class labels in logit order:

* :class:`~sklearn_ct.CounterfactualTrainingClassifier` (anything with a
  ``_logits_module()`` method): its own network;
* skorch ``NeuralNetClassifier`` (module outputs probabilities with the default
  ``NLLLoss``, logits with ``CrossEntropyLoss``) and ``NeuralNetBinaryClassifier``;
* scikit-learn's ``MLPClassifier`` and ``LogisticRegression``: their fitted
  weights re-expressed as torch layers, so logits and gradients are exact.

A ``Pipeline`` is split first, by its model space
(:func:`~sklearn_ct.constraints.model_space`): its earlier steps map the
user's data to the input space of its last step, which is explained. The
torch modules at the end re-express skorch's and scikit-learn's models as
logits.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ..utils._torch import ACTIVATIONS

SUPPORTED = (
    "CounterfactualTrainingClassifier, skorch NeuralNetClassifier / "
    "NeuralNetBinaryClassifier, sklearn MLPClassifier and LogisticRegression, "
    "or a Pipeline ending in one of them"
)


def _skorch_module(net):
    from skorch import NeuralNetBinaryClassifier

    if not getattr(net, "initialized_", False):
        raise NotFittedError(f"This {type(net).__name__} is not initialized yet.")
    module = net.module_
    if isinstance(net, NeuralNetBinaryClassifier):
        return BinaryLogits(module), np.array([0, 1])
    criterion = net.criterion_
    if isinstance(criterion, nn.CrossEntropyLoss):
        logits = module
    elif isinstance(criterion, nn.NLLLoss):
        logits = LogOutput(module)
    else:
        raise ValueError(
            f"Cannot derive logits from a skorch net with criterion "
            f"{type(criterion).__name__}; expected NLLLoss or CrossEntropyLoss."
        )
    classes = getattr(net, "classes_", None)
    if classes is None:
        raise ValueError("The skorch net has no classes_; fit it on labelled data.")
    return logits, np.asarray(classes)


def as_logits_module(estimator) -> tuple[nn.Module, np.ndarray]:
    """Differentiable logits of a fitted classifier, and its classes.

    Parameters
    ----------
    estimator : fitted classifier
        One of the supported models (see the module docstring).

    Returns
    -------
    module : nn.Module
        Maps float tensors (n, n_features) to logits (n, n_classes); in eval mode.
    classes : ndarray of shape (n_classes,)
        Class labels in logit order.

    Raises
    ------
    ValueError
        If the estimator type is not supported.
    NotFittedError
        If it is not fitted.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from skorch import NeuralNet

    if hasattr(estimator, "_logits_module"):  # our classifier (no import: layers)
        return estimator._logits_module()
    if isinstance(estimator, NeuralNet):
        module, classes = _skorch_module(estimator)
        return module.eval(), classes
    if isinstance(estimator, MLPClassifier):
        check_is_fitted(estimator)
        return from_sklearn_mlp(estimator), estimator.classes_
    if isinstance(estimator, LogisticRegression):
        check_is_fitted(estimator)
        return from_sklearn_linear(estimator), estimator.classes_
    raise ValueError(
        f"Cannot explain a {type(estimator).__name__}: counterfactual search needs "
        f"gradients, available for {SUPPORTED}."
    )


def label_index(labels, classes, argname) -> np.ndarray:
    """Logit positions of class labels (``classes`` in logit order).

    Labels are matched by value, so unsorted classes work; an unknown label
    is an error naming ``argname``.
    """
    index = {c: i for i, c in enumerate(np.asarray(classes).tolist())}
    labels = np.asarray(labels, dtype=object).tolist()
    unknown = [label for label in labels if label not in index]
    if unknown:
        raise ValueError(
            f"{argname} label {unknown[0]!r} is not a class of the estimator; "
            f"expected one of {np.asarray(classes).tolist()}."
        )
    return np.array([index[label] for label in labels], dtype=np.int64)


# Torch re-expressions of the models above ---------------------------------


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
            layers.append(ACTIVATIONS[mlp.activation]())
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
        Float type of the module (scikit-learn computes in float64).

    Returns
    -------
    nn.Module
    """
    layer = _linear(model.coef_, np.atleast_1d(model.intercept_), dtype)
    module = BinaryLogits(layer) if model.coef_.shape[0] == 1 else layer
    return module.eval().requires_grad_(False)
