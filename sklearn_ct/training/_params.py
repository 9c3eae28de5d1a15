"""The classifier's parameters: scikit-learn's constraints and the checks they cannot say.

:data:`PARAMETER_CONSTRAINTS` is ``CounterfactualTrainingClassifier``'s
``_parameter_constraints`` (validated by scikit-learn's ``_fit_context``);
:func:`check_params` adds what they cannot express, such as refusing
optimizers that need a closure, and takes the former names of renamed
parameters (``lr_cf``, ``epsilon``) with a ``FutureWarning``.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping
from numbers import Integral, Real

import torch
from torch import nn

from ..generators._base import Generator
from ..utils._compat import Hidden, Interval, Options, StrOptions
from ..utils._deprecation import renamed_parameter
from ..utils._threads import check_n_threads
from ..utils._validation import check, is_int
from ._objective import ENERGIES, OBJECTIVES

PARAMETER_CONSTRAINTS = {
    "module": [str, type, nn.Module],
    # An int passes here only to be refused below with the tuple it meant.
    "hidden_layer_sizes": [tuple, list, Interval(Integral, 1, None, closed="left")],
    "objective": [StrOptions(set(OBJECTIVES))],
    "energy": [StrOptions(set(ENERGIES))],
    "lambda_div": [Interval(Real, 0, None, closed="left")],
    "lambda_adv": [Interval(Real, 0, None, closed="left")],
    "lambda_reg": [Interval(Real, 0, None, closed="left")],
    "adversarial_radius": [Interval(Real, 0, None, closed="left")],
    "generator": [str, Generator],
    "n_counterfactuals": [
        Interval(Integral, 1, None, closed="left"),
        StrOptions({"auto"}),
    ],
    "decision_threshold": [Interval(Real, 0, 1, closed="neither")],
    "max_iter_cf": [Interval(Integral, 1, None, closed="left")],
    "burnin": [Interval(Real, 0, 1, closed="both")],
    # The specs have their own resolvers, whose errors name the bad entry.
    "mutability": [str, Mapping, "array-like", None],
    "domain": [str, Mapping, "array-like", None],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "optimizer": [type],
    "device": [str, torch.device],
    "random_state": ["random_state"],
    "verbose": [Options(Integral, {0, 1, 2})],
    "module_params": [Mapping, None],
    "step_size_cf": [Interval(Real, 0, None, closed="neither")],
    "domain_n_std": [Interval(Real, 0, None, closed="neither")],
    "categorical_groups": ["array-like", None],
    "integer_features": [str, "array-like", None],
    "n_threads": [
        Interval(Integral, 1, None, closed="left"),
        Options(Integral, {-1}),
        None,
    ],
    "checkpoint_dir": [str, os.PathLike, None],
    "class_weight": [StrOptions({"balanced"}), Mapping, None],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    # Former names (deprecated in 0.1, removed in 0.3).
    "epsilon": [
        Interval(Real, 0, None, closed="left"),
        Hidden(StrOptions({"deprecated"})),
    ],
    "lr_cf": [
        Interval(Real, 0, None, closed="neither"),
        Hidden(StrOptions({"deprecated"})),
    ],
}


def check_params(clf) -> None:
    """What :data:`PARAMETER_CONSTRAINTS` cannot say (run after it, in ``fit``).

    Also sets ``clf._step_size_cf`` and ``clf._adversarial_radius``, the
    values ``fit`` uses: those of ``step_size_cf`` and ``adversarial_radius``,
    or of their former names ``lr_cf`` and ``epsilon`` (with a
    ``FutureWarning``; both names set is a ``ValueError``).

    Parameters
    ----------
    clf : CounterfactualTrainingClassifier
        The classifier about to be fitted.
    """
    clf._step_size_cf = renamed_parameter(clf, "lr_cf", "step_size_cf", stacklevel=6)
    clf._adversarial_radius = renamed_parameter(
        clf, "epsilon", "adversarial_radius", stacklevel=6
    )
    if not isinstance(clf.hidden_layer_sizes, (tuple, list)):
        raise TypeError(
            "hidden_layer_sizes must be a tuple of positive integers, one per "
            f"hidden layer, such as (32,) or (64, 32); got {clf.hidden_layer_sizes!r}"
            f" ({type(clf.hidden_layer_sizes).__name__})."
        )
    check(
        all(is_int(h) for h in clf.hidden_layer_sizes),
        "hidden_layer_sizes",
        "a tuple of positive integers",
        clf.hidden_layer_sizes,
    )
    check_n_threads(clf.n_threads)  # refuses booleans too
    check(
        issubclass(clf.optimizer, torch.optim.Optimizer),
        "optimizer",
        "a torch.optim.Optimizer class",
        clf.optimizer,
    )
    if _needs_closure(clf.optimizer):
        raise ValueError(
            f"optimizer={clf.optimizer.__name__} needs a closure: it evaluates "
            "the loss several times within one step (a line search), while a "
            "counterfactual-training step uses the batch's share of the epoch's"
            " counterfactuals once. Use a first-order optimizer such as "
            "torch.optim.Adam or torch.optim.SGD."
        )


def _needs_closure(optimizer) -> bool:
    """Whether the optimizer class's ``step`` requires a closure (as L-BFGS does)."""
    if issubclass(optimizer, torch.optim.LBFGS):
        return True
    closure = inspect.signature(optimizer.step).parameters.get("closure")
    return closure is not None and closure.default is inspect.Parameter.empty
