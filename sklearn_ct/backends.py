"""Which fitted estimators can be explained, and their differentiable logits.

:func:`as_logits_module` turns a supported fitted classifier into a torch
module that returns one logit per class, plus the class labels in logit order:

* :class:`~sklearn_ct.CounterfactualTrainingClassifier` (anything with a
  ``_logits_module()`` method): its own network;
* skorch ``NeuralNetClassifier`` (module outputs probabilities with the default
  ``NLLLoss``, logits with ``CrossEntropyLoss``) and ``NeuralNetBinaryClassifier``;
* scikit-learn's ``MLPClassifier`` and ``LogisticRegression``: their fitted
  weights re-expressed as torch layers, so logits and gradients are exact.

A ``Pipeline`` is split by :func:`split_pipeline`: its earlier steps map the
user's data to the input space of its last step, which is explained.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .modules import BinaryLogits, LogOutput, from_sklearn_linear, from_sklearn_mlp

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


def as_model_input(estimator, Z: np.ndarray):
    """Numeric model input as a fitted estimator's ``predict`` expects it.

    skorch nets get their module's float dtype; estimators fitted on named
    columns get a DataFrame with those names (no feature-name warning).
    """
    from skorch import NeuralNet

    if isinstance(estimator, NeuralNet):
        dtype = module_dtype(estimator.module_)
        return Z.astype(torch.empty((), dtype=dtype).numpy().dtype)
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        import pandas as pd

        return pd.DataFrame(Z, columns=names)
    return Z


def split_pipeline(estimator):
    """Split a Pipeline into its preprocessing part and its final classifier.

    Parameters
    ----------
    estimator : estimator or Pipeline

    Returns
    -------
    preprocessor : Pipeline or None
        The steps before the last (``None`` if there are none, or for a
        plain estimator).
    final : estimator
        The classifier to explain.
    """
    if isinstance(estimator, Pipeline):
        final = estimator.steps[-1][1]
        head = estimator[:-1] if len(estimator.steps) > 1 else None
        return head, final
    return None, estimator


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
