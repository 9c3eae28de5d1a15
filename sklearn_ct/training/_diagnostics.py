"""What a fit's history says: the ``history_`` frame and warnings about training.

:func:`history_frame` turns skorch's history into the classifier's
``history_``; :func:`warn_about_training` says so when training diverged,
skipped updates, was cut short, idled (few counterfactuals matured, so the
contrastive divergence was inactive) or collapsed to one class.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.exceptions import ConvergenceWarning

from ._callbacks import DivergenceGuard
from ._objective import OBJECTIVES

#: Columns of ``history_``: (name in skorch's history, name in ``history_``).
HISTORY_COLUMNS = (
    ("epoch", "epoch"),
    ("train_loss", "loss"),
    ("clf_loss", "clf_loss"),
    ("div_loss", "div_loss"),
    ("reg_loss", "reg_loss"),
    ("adv_loss", "adv_loss"),
    ("accuracy", "accuracy"),
    ("valid_loss", "valid_loss"),
    ("valid_accuracy", "valid_accuracy"),
    ("cf_converged", "cf_converged"),
    ("cf_n_iter", "cf_n_iter"),
    ("cf_seconds", "cf_seconds"),
    ("n_skipped", "n_skipped"),
    ("diverged", "diverged"),
    ("stopped_early", "stopped_early"),
    ("dur", "seconds"),
)
#: Values of epochs that did not record a column (NaN for the others).
HISTORY_DEFAULTS = {"stopped_early": False}


def history_frame(history) -> pd.DataFrame:
    """The classifier's ``history_``: one row per completed epoch."""
    rows = [
        {
            new: row.get(old, HISTORY_DEFAULTS.get(new, np.nan))
            for old, new in HISTORY_COLUMNS
        }
        for row in history
        if "dur" in row
    ]
    return pd.DataFrame(rows, columns=[new for _, new in HISTORY_COLUMNS])


#: Below this share of matured training counterfactuals, the divergence idles.
_IDLE_SHARE = 0.05
#: A model predicting one class for at least this share of training rows ...
_COLLAPSED_SHARE = 0.99
#: ... while at least this share of the rows belongs to other classes, collapsed.
_OTHER_CLASSES_SHARE = 0.1


def looks_unstandardised(X) -> tuple[bool, float, float]:
    """Whether columns of ``X`` are far from unit scale, and the std range.

    A column is off scale when its standard deviation exceeds 3, or falls
    below 0.1 unless it only holds 0 and 1 (a one-hot or binary column) or
    is constant. The search's fixed steps of ``step_size_cf`` suit unit scale.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data the network sees.

    Returns
    -------
    unstandardised : bool
    low, high : float
        Smallest and largest non-zero column standard deviation.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> looks_unstandardised(rng.normal(size=(100, 2)))[0]
    False
    >>> looks_unstandardised(rng.normal(size=(100, 2)) * [1.0, 50.0])[0]
    True
    """
    X = np.asarray(X)
    if not X.size:
        return False, np.nan, np.nan
    std = X.std(axis=0, dtype=np.float64)
    binary = ((X == 0) | (X == 1)).all(axis=0)
    off = (std > 3.0) | ((std < 0.1) & (std > 0) & ~binary)
    moving = std[std > 0]
    low, high = (
        (float(moving.min()), float(moving.max())) if moving.size else (np.nan, np.nan)
    )
    return bool(off.any()), low, high


def predicted_share(module, X, y, n_classes, device) -> tuple[int, float, float]:
    """The class the trained module predicts most on ``X``, and the shares.

    Parameters
    ----------
    module : nn.Module
        The trained network.
    X : ndarray of shape (n_samples, n_features)
        The training inputs.
    y : ndarray of shape (n_samples,)
        Class indices.
    n_classes : int
        Number of classes.
    device : torch.device
        Where the network is.

    Returns
    -------
    mode : int
        The class index predicted most often.
    share : float
        Share of rows predicted as ``mode``.
    others : float
        Share of rows whose true class is not ``mode``.
    """
    was_training = module.training
    module.eval()
    with torch.no_grad():
        predicted = torch.cat(
            [
                module(torch.as_tensor(part, device=device)).argmax(dim=1).cpu()
                for part in np.array_split(X, max(1, len(X) // 65536))
            ]
        )
    module.train(was_training)
    counts = torch.bincount(predicted, minlength=n_classes)
    mode = int(counts.argmax())
    return mode, float(counts[mode]) / len(X), float(np.mean(np.asarray(y) != mode))


def warn_about_training(history, params, X=None, y=None) -> None:
    """Say so when training diverged, skipped updates, was cut short, idled or collapsed.

    Each problem is reported at most once per call (once per fit). A model
    that collapsed to one class is reported instead of idle counterfactuals
    (towards the other classes, none can mature then).

    Parameters
    ----------
    history : DataFrame
        The classifier's ``history_``.
    params : CounterfactualTrainingClassifier
        Its ``max_epochs``, ``objective``, lambdas, ``decision_threshold``,
        ``max_iter_cf`` and step size (``_step_size_cf``, the value of
        ``step_size_cf`` or its former name) word the messages; its fitted ``net_``
        and ``classes_`` serve the collapse check.
    X : ndarray of shape (n_samples, n_features), default=None
        The training inputs (as the network saw them): their scale decides
        whether standardising is advised, and the final model's predictions
        on them reveal a collapse. ``None`` skips both.
    y : ndarray of shape (n_samples,), default=None
        Training class indices.
    """
    if history["diverged"].fillna(False).astype(bool).any():
        epoch = int(history["epoch"].iloc[-1])
        warnings.warn(
            f"Training diverged in epoch {epoch}: weights became non-finite or "
            f"logits exceeded {DivergenceGuard().bound:g}. The weights of the end "
            f"of epoch {epoch - 1} were restored and training stopped (see "
            "history_['diverged']). Standardise the inputs, or lower lr or the "
            "lambda_* weights.",
            RuntimeWarning,
            stacklevel=3,
        )
    elif len(history) < params.max_epochs and not history["stopped_early"].any():
        warnings.warn(
            f"Training stopped after {len(history)} of max_epochs="
            f"{params.max_epochs} epochs (interrupted); the model keeps the weights "
            "reached so far. With checkpoint_dir set, fitting again resumes "
            "where it stopped.",
            UserWarning,
            stacklevel=3,
        )
    skipped = int(history["n_skipped"].fillna(0).sum())
    if skipped:
        warnings.warn(
            f"{skipped} updates were skipped because the loss was not finite "
            "(see history_['n_skipped']).",
            RuntimeWarning,
            stacklevel=3,
        )
    if X is not None and y is not None and _warn_if_collapsed(params, X, y, history):
        return
    matured = history["cf_converged"].dropna()
    if (
        "div" in OBJECTIVES[params.objective]
        and len(matured)
        and matured.mean() < _IDLE_SHARE
    ):  # the divergence term was idle
        _warn_idle(params, matured, X)


def _warn_if_collapsed(params, X, y, history) -> bool:
    """Warn if the final model predicts one class for (nearly) every training row.

    The lambdas are blamed when their weighted terms outweighed the
    cross-entropy in the last epoch; otherwise the model never learned to
    separate the classes.
    """
    n_classes = len(params.classes_)
    if not len(X) or n_classes < 2:
        return False
    mode, share, others = predicted_share(
        params.net_.module_, X, y, n_classes, params.net_.device
    )
    if share < _COLLAPSED_SHARE or others < _OTHER_CLASSES_SHARE:
        return False
    last = history.iloc[-1]
    weighted = {
        t: getattr(params, f"lambda_{t}") * abs(last.get(f"{t}_loss", np.nan))
        for t in OBJECTIVES[params.objective]
    }
    weighted = {t: w for t, w in weighted.items() if np.isfinite(w) and w > 0}
    clf_loss = last.get("clf_loss", np.nan)
    if weighted and sum(weighted.values()) > clf_loss:
        defaults = type(params)().get_params()
        named = sorted(weighted, key=lambda t: -weighted[t])
        lambdas = ", ".join(
            f"lambda_{t}={getattr(params, f'lambda_{t}'):g} "
            f"(default {defaults[f'lambda_{t}']:g})"
            for t in named
        )
        advice = (
            f"In the last epoch the weighted counterfactual-training terms "
            f"({sum(weighted.values()):.3g}) outweighed the cross-entropy "
            f"({clf_loss:.3g}): lower {lambdas}."
        )
    else:
        advice = (
            f"The model did not learn to separate the classes (cross-entropy "
            f"{clf_loss:.3g} in the last epoch): raise max_epochs or lr, or "
            "check that the features carry signal."
        )
    unscaled, low, high = looks_unstandardised(X)
    if unscaled:
        advice += (
            f" The inputs look unstandardised (column standard deviations "
            f"from {low:.3g} to {high:.3g}): standardise them (a Pipeline "
            "with StandardScaler)."
        )
    label = params.classes_[mode]
    label = label.item() if isinstance(label, np.generic) else label
    warnings.warn(
        f"Training collapsed to one class: the final model predicts {label!r} "
        f"for {share:.1%} of the {len(X)} training rows, though {others:.1%} of "
        f"them belong to other classes. {advice}",
        ConvergenceWarning,
        stacklevel=4,
    )
    return True


def _warn_idle(params, matured, X) -> None:
    """The contrastive divergence idled: what was measured and what helps."""
    last = matured.iloc[-5:]
    helps = []
    if params.energy == "joint":
        helps.append(
            'energy="marginal" (on four real tabular data sets 53-99% matured '
            "with it, with accuracy within 1 point of a baseline)"
        )
    if params.decision_threshold > 0.5:
        helps.append(
            f"a lower decision_threshold (e.g. 0.5; now {params.decision_threshold:g})"
        )
    helps += [
        f"a higher max_iter_cf (e.g. {2 * params.max_iter_cf}; now "
        f"{params.max_iter_cf})",
        f"a higher step_size_cf (e.g. {2 * params._step_size_cf:g}; now "
        f"{params._step_size_cf:g})",
    ]
    message = (
        f"Only {matured.mean():.1%} of the training counterfactuals reached "
        f"decision_threshold={params.decision_threshold:g} within "
        f"max_iter_cf={params.max_iter_cf} search steps of "
        f"step_size_cf={params._step_size_cf:g} "
        f"(mean over {len(matured)} epochs, {last.mean():.1%} in the last "
        f"{len(last)}; below {_IDLE_SHARE:.0%} counts as idle; see "
        "history_['cf_converged']), so the contrastive-divergence term was mostly "
        "inactive. What makes more of them mature, most first: "
        + "; ".join(helps)
        + ". An active term is not free: on four real tabular data sets, with "
        'energy="joint", decision_threshold=0.5 made 87-100% mature but cost up '
        "to 8 points of accuracy and made recourse dearer unless lambda_div was "
        "lowered too (about 0.1); compare with a baseline using sklearn-ct bench "
        "--value or a grid search with "
        "sklearn_ct.model_selection.most_plausible_within."
    )
    if X is not None:
        unscaled, low, high = looks_unstandardised(X)
        if unscaled:
            message += (
                f" The inputs also look unstandardised (column standard deviations "
                f"from {low:.3g} to {high:.3g}) and the search takes steps of a "
                "fixed size. Standardise the inputs first (a Pipeline with "
                "StandardScaler)."
            )
    warnings.warn(message, ConvergenceWarning, stacklevel=4)
