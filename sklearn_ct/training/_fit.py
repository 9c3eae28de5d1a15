"""The steps of ``CounterfactualTrainingClassifier.fit``, one function each.

``fit`` validates and encodes, then: :func:`sample_weights` (sample times
class weights), :func:`valid_split` for early stopping, the rows training
learns from (:func:`rows_learnt_from`), the constraints on the network's
inputs (:func:`resolve_constraints`), and :func:`train`: the network
(:func:`build_network`), the counterfactual pool and the callbacks
(:func:`make_callbacks`), and skorch's fit of the net, or its resume from a
checkpoint.
"""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from skorch.callbacks import PrintLog
from skorch.dataset import ValidSplit
from torch import nn

from ..constraints._model_space import model_space
from ..constraints._outside import warn_outside
from ..utils._compat import check_sample_weight
from ._callbacks import (
    DivergenceGuard,
    EpochProgressBar,
    EpochSummary,
    ValidAccuracy,
    mlp_early_stopping,
)
from ._checkpoint import EpochCheckpoint, fingerprint, load_checkpoint, restore
from ._modules import build_module
from ._net import CTNet
from ._objective import WeightedCrossEntropyLoss
from ._pool import CounterfactualPoolCallback

#: Inputs beyond this magnitude make float32 training overflow-prone.
_LARGE_INPUT = 1e6


def sample_weights(clf, sample_weight, X, y, y_index):
    """The rows' weights (sample times class weights, mean 1), or None if equal.

    Equal weights train exactly like no weights (only ratios matter).
    """
    if sample_weight is None and clf.class_weight is None:
        return None
    weight = check_sample_weight(sample_weight, X)
    if clf.class_weight is not None:
        by_class = compute_class_weight(
            clf.class_weight,
            classes=clf.classes_,
            y=y,
            sample_weight=None if sample_weight is None else weight,
        )
        weight = weight * np.asarray(by_class, dtype=np.float64)[y_index]
    if not (np.all(np.isfinite(weight)) and weight.sum() > 0):
        raise ValueError(
            "sample_weight times class_weight must be finite with at least one "
            f"positive weight; got class_weight={clf.class_weight!r}."
        )
    if np.all(weight == weight[0]):
        return None
    return (weight / weight.mean()).astype(np.float32)


def warn_if_large(X) -> None:
    """Warn when inputs are so large that float32 training and fixed steps suffer."""
    largest = float(max(X.max(), -X.min())) if X.size else 0.0  # no |X| copy
    if largest > _LARGE_INPUT:
        warnings.warn(
            f"X holds values as large as {largest:.3g}. The network computes in "
            "float32 and the search takes fixed steps: standardise the inputs, "
            "for example with sklearn_ct.pipeline.make_pipeline(StandardScaler(),"
            " classifier); explanations come back in the original units.",
            UserWarning,
            stacklevel=3,
        )


def valid_split(clf, n_samples, seed):
    """skorch's stratified ``ValidSplit`` for ``early_stopping``, or None."""
    if not clf.early_stopping:
        return None
    if math.ceil(clf.validation_fraction * n_samples) < 2:
        raise ValueError(
            f"The validation set of early_stopping is too small: "
            f"validation_fraction={clf.validation_fraction} of {n_samples} "
            "samples. Increase validation_fraction or the size of your dataset."
        )
    return ValidSplit(clf.validation_fraction, stratified=True, random_state=seed)


def resolve_constraints(clf, X, rows=None, pipeline_input=None):
    """The constraints on the network's inputs, learnt from ``X[rows]``.

    Inside :class:`~sklearn_ct.pipeline.CounterfactualPipeline`, the
    pipeline hands over itself and its input data for this fit
    (``pipeline_input``, a fit parameter of the classifier), and the
    constraints, written on its input columns, are resolved through its
    fitted preprocessing; alone, on ``X`` itself. ``rows`` (None: all)
    leaves out validation rows and rows of weight 0.
    """
    if pipeline_input is not None:
        pipeline, X_input = pipeline_input
        space = model_space(pipeline, X_input)
        X_input, _ = space.check_input(X_input)
    else:
        space, X_input = model_space(clf, X), X
    if rows is not None:
        X = X[rows]
        X_input = (
            X_input.iloc[rows]
            if isinstance(X_input, pd.DataFrame)
            else np.asarray(X_input)[rows]
        )
    constraints = space.resolve(
        X_input,
        X,
        mutability=clf.mutability,
        domain=clf.domain,
        categorical_groups=clf.categorical_groups,
        integer_features=clf.integer_features,
        domain_n_std=clf.domain_n_std,
    )
    warn_outside(constraints, X, space, "the training data")
    return constraints


def train(clf, X, y_index, weight, split, seeds, digest=None, saved=None):
    """Fit ``net_``; returns the early-stopping callback (None without)."""
    device = torch.device(clf.device)
    pool = CounterfactualPoolCallback(
        {
            "n_classes": len(clf.classes_),
            "n_counterfactuals": clf.n_counterfactuals,
            "generator": clf.generator_,
            "constraints": clf.constraints_,
            "decision_threshold": clf.decision_threshold,
            "max_iter": clf.max_iter_cf,
            "step_size": clf._step_size_cf,  # set by check_params
            "adversarial_radius": clf._adversarial_radius,
        },
        round(clf.burnin * clf.max_epochs),
        int(seeds[1]),
        clf.classes_,
    )
    module = build_network(clf, X.shape[1], len(clf.classes_), X, int(seeds[0]))
    stopper = (
        None if split is None else mlp_early_stopping(clf.n_iter_no_change, clf.tol)
    )
    clf.net_ = CTNet(
        module,
        criterion=WeightedCrossEntropyLoss,
        optimizer=clf.optimizer,
        lr=clf.lr,
        max_epochs=clf.max_epochs,
        batch_size=clf.batch_size,
        train_split=split,
        callbacks=make_callbacks(clf, pool, digest, seeds, stopper),
        callbacks__print_log=None,
        device=device,
        verbose=int(clf.verbose == 2),
        objective=clf.objective,
        lambda_div=clf.lambda_div,
        lambda_reg=clf.lambda_reg,
        lambda_adv=clf.lambda_adv,
        energy=clf.energy,
        shuffle_seed=int(seeds[3]),
    )
    # skorch's way to carry sample weights: a dict that the net unpacks.
    data = X if weight is None else {"X": X, "sample_weight": weight}
    try:
        if saved is None:
            clf.net_.fit(data, y_index)
        else:  # resume after the last saved epoch
            clf.net_.initialize()
            restore(clf.net_, saved, pool, stopper)
            remaining = clf.max_epochs - len(clf.net_.history)
            if remaining > 0:
                clf.net_.partial_fit(data, y_index, epochs=remaining)
            elif stopper is not None:  # finished: keep the best epoch's weights
                stopper.finish(clf.net_, saved["early_stopping"])
    finally:  # also after an error: no training data stays behind
        clf.net_.chunks_ = clf.net_.shuffle_rng_ = None
        pool.forget()
    return stopper


def build_network(clf, n_features, n_classes, X, seed):
    """The network of ``module``, seeded, on the device, checked for one logit per class."""
    spec = clf.module
    if isinstance(spec, nn.Module):
        spec = copy.deepcopy(spec)  # never train the user's own instance
    if isinstance(spec, str):  # our own networks draw from their own generator
        module = build_module(
            spec,
            n_features,
            n_classes,
            clf.hidden_layer_sizes,
            clf.module_params,
            generator=torch.Generator().manual_seed(seed),
        )
    else:  # a user's class initialises from torch's global generator
        devices = [] if torch.device(clf.device).type == "cpu" else None
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            module = build_module(
                spec,
                n_features,
                n_classes,
                clf.hidden_layer_sizes,
                clf.module_params,
            )
    with torch.no_grad():
        out = module.to(clf.device)(torch.tensor(X[:2], device=clf.device))
    if out.ndim != 2 or out.shape[1] != n_classes:
        raise ValueError(
            f"module returns outputs of shape {tuple(out.shape)} for 2 samples;"
            f" expected (2, {n_classes}): one logit per class."
        )
    return module


def make_callbacks(clf, pool, digest, seeds, stopper=None) -> list:
    """The net's callbacks, by name: pool, summary, guard, and what the settings add.

    Early stopping's (before the checkpoint, which saves the state after it),
    the checkpoint's with ``checkpoint_dir``, a progress bar or a table row per
    epoch with ``verbose``.
    """
    callbacks = [
        ("ct_pool", pool),
        ("ct_summary", EpochSummary()),
        ("ct_guard", DivergenceGuard()),
    ]
    if stopper is not None:  # before the checkpoint: it saves the state after
        callbacks += [
            ("ct_valid_accuracy", ValidAccuracy()),
            ("ct_early_stopping", stopper),
        ]
    if clf.checkpoint_dir is not None:
        callbacks.append(
            (
                "ct_checkpoint",
                EpochCheckpoint(
                    clf.checkpoint_dir,
                    digest,
                    pool,
                    [int(v) for v in seeds],
                    stopper,
                ),
            )
        )
    if clf.verbose == 1:
        callbacks.append(("ct_progress", EpochProgressBar()))
    elif clf.verbose == 2:
        callbacks.append(
            (
                "ct_print_log",
                PrintLog(keys_ignored=["train_batch_count", "cf_seconds", "max_logit"]),
            )
        )
    return callbacks


def rows_learnt_from(n_samples, y_index, weight, split):
    """Positions of the training rows of positive weight, or None for all rows."""
    keep = np.ones(n_samples, dtype=bool)
    if split is not None:  # the same deterministic split the net makes
        train, _ = split(np.arange(n_samples), y_index)
        keep[:] = False
        keep[np.asarray(train.indices)] = True
    if weight is not None:
        keep &= weight > 0
    return None if keep.all() else np.flatnonzero(keep)


def saved_state(clf, X, y_index, weight):
    """The fit's five seeds, its checkpoint digest and the state saved, if any.

    Without ``checkpoint_dir``, fresh seeds and no digest. With it, the
    digest of the settings and data, and the checkpoint saved under it (then
    its seeds: a fit with ``random_state=None`` resumes with them). A
    renamed parameter counts by its value, under its new name.
    """
    seeds = draw_seeds(clf.random_state, 5)
    if clf.checkpoint_dir is None:
        return seeds, None, None
    params = clf.get_params(deep=False)
    del params["lr_cf"], params["epsilon"]  # former names, set by check_params
    params["step_size_cf"] = clf._step_size_cf
    params["adversarial_radius"] = clf._adversarial_radius
    if clf.random_state is not None:
        params["random_state"] = [int(v) for v in seeds]
    digest = fingerprint(params, X, y_index, weight)
    saved = load_checkpoint(clf.checkpoint_dir, digest)
    if saved is not None:  # the seeds of the fit being resumed
        seeds = np.asarray(saved["seeds"])
    return seeds, digest, saved


def set_early_stopping_attributes(clf, stopper) -> None:
    """``best_epoch_``, ``validation_scores_``, ``best_validation_score_`` (None without)."""
    clf.best_epoch_ = clf.validation_scores_ = clf.best_validation_score_ = None
    if stopper is None:
        return
    clf.best_epoch_ = int(stopper.best_epoch_)
    scores = clf.history_["valid_accuracy"]
    clf.validation_scores_ = scores.tolist()
    best = clf.history_["epoch"] == clf.best_epoch_
    clf.best_validation_score_ = float(scores[best].iloc[0]) if best.any() else None


def draw_seeds(random_state, n) -> np.ndarray:
    """``n`` seeds from ``random_state``; None draws fresh entropy, never the global RNG."""
    if random_state is None:
        return np.random.SeedSequence().generate_state(n) & 0x7FFFFFFF
    return check_random_state(random_state).randint(np.iinfo(np.int32).max, size=n)
