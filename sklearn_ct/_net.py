"""The private skorch net behind CounterfactualTrainingClassifier.

* :func:`build_pool` makes one epoch's counterfactual pool, as the paper's
  algorithm does: factuals without replacement, random other-class targets,
  one batched search, nascent adversarial examples, one target-class sample ``x+``
  per counterfactual, non-converged counterfactuals replaced by ``x+``, and
  immutable features protected.
* :class:`CounterfactualPoolCallback` builds it at the start of each epoch
  after burn-in, with the current model, and splits it into one chunk per
  mini-batch.
* :class:`CTNet` adds the chunk's terms to each mini-batch's loss (in
  skorch's ``train_step_single``; skorch zeroes the gradients and steps) and
  skips (and counts) updates whose loss is not finite.
* :class:`EpochSummary` turns per-batch records into per-epoch history
  (and drops them: skorch would keep them all).
* :class:`DivergenceGuard` restores the last finite state and stops training
  when an epoch leaves non-finite weights or exploding logits.
* :class:`ValidAccuracy` and :class:`ValidationEarlyStopping` give early
  stopping as scikit-learn's MLPClassifier has it, on skorch's ``ValidSplit``
  and ``EarlyStopping``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping
from skorch.dataset import unpack_data

from .objective import OBJECTIVES, counterfactual_terms, protect_immutable, total_loss
from .search import counterfactual_search

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
# Per-batch records averaged (weighted by batch size) into the epoch's history.
BATCH_MEANS = ("clf_loss", "div_loss", "reg_loss", "adv_loss", "accuracy")


@dataclass(frozen=True)
class CounterfactualPool:
    """One epoch's counterfactual tuples ``(x', x_AE, t, x+, y)`` and diagnostics."""

    counterfactuals: torch.Tensor
    adversarial: torch.Tensor
    target: torch.Tensor
    neighbours: torch.Tensor
    labels: torch.Tensor
    factual_index: torch.Tensor
    share_converged: float
    mean_n_iter: float
    sample_weight: torch.Tensor | None = None

    def chunks(self, n_chunks: int) -> list[dict]:
        """Split into ``n_chunks`` contiguous chunks of (almost) equal size (views)."""
        names = ("counterfactuals", "adversarial", "target", "neighbours", "labels")
        if self.sample_weight is not None:  # the factuals' weights
            names = (*names, "sample_weight")
        parts = [getattr(self, name).tensor_split(n_chunks) for name in names]
        return [
            dict(zip(names, chunk, strict=True)) for chunk in zip(*parts, strict=True)
        ]


def class_index(y, n_classes):
    """Positions of ``y`` sorted by class, the class counts and their offsets."""
    counts = torch.bincount(y, minlength=n_classes)
    return torch.argsort(y, stable=True), counts, torch.cumsum(counts, 0) - counts


def build_pool(
    module,
    X,
    y,
    *,
    n_classes,
    n_counterfactuals,
    generator,
    constraints,
    decision_threshold,
    max_iter,
    step_size,
    epsilon,
    rng: torch.Generator,
    by_class=None,
    sample_weight=None,
) -> CounterfactualPool:
    """Generate one epoch's counterfactual pool with the current model.

    Parameters
    ----------
    module : nn.Module
        The network being trained (switched to eval mode for the search, then
        back to train mode).
    X : Tensor of shape (n_samples, n_features)
        Training inputs.
    y : LongTensor of shape (n_samples,)
        Training labels (class indices).
    n_classes : int
    n_counterfactuals : int
        Factuals drawn without replacement (at most ``n_samples``).
    generator : Generator
        Fitted training-time generator.
    constraints : Constraints
    decision_threshold, max_iter, step_size, epsilon
        Search settings (see :func:`~sklearn_ct.search.counterfactual_search`).
    rng : torch.Generator
        Source of all randomness of the pool (on the CPU).
    by_class : tuple of Tensor, default=None
        :func:`class_index` of ``y``, when computed once for all epochs.
    sample_weight : Tensor of shape (n_samples,), default=None
        Weights of the rows; the pool keeps those of its factuals (they weight
        the adversarial loss). The draws do not depend on them.

    Returns
    -------
    CounterfactualPool
    """
    device = X.device
    n = min(int(n_counterfactuals), X.shape[0])
    factual_index = torch.randperm(X.shape[0], generator=rng)[:n].to(device)
    x = X[factual_index]
    was_training = module.training
    module.eval()
    with torch.no_grad():
        predicted = module(x).argmax(dim=1)
    # Target: uniform over the classes other than the predicted one.
    shift = torch.randint(1, n_classes, (n,), generator=rng).to(device)
    target = (predicted + shift) % n_classes
    found = counterfactual_search(
        module,
        x,
        target,
        generator,
        constraints,
        decision_threshold=decision_threshold,
        max_iter=max_iter,
        step_size=step_size,
        epsilon=epsilon,
    )
    module.train(was_training)
    # x+: one random training sample whose true label is the target.
    order, counts, offsets = (
        by_class if by_class is not None else class_index(y, n_classes)
    )
    u = torch.rand(n, generator=rng).to(device)
    pick = offsets[target] + (u * counts[target]).long().clamp_max(counts[target] - 1)
    neighbours = X[order[pick]]
    # Not converged: x' := x+, so the pair's divergence term vanishes.
    counterfactuals = torch.where(
        found.converged.unsqueeze(1), found.counterfactuals, neighbours
    )
    neighbours = protect_immutable(neighbours, counterfactuals, constraints)
    return CounterfactualPool(
        counterfactuals=counterfactuals.detach(),
        adversarial=found.adversarial.detach(),
        target=target,
        neighbours=neighbours.detach(),
        labels=y[factual_index],
        factual_index=factual_index,
        share_converged=float(found.converged.float().mean()) if n else float("nan"),
        mean_n_iter=float(found.n_iter.float().mean()) if n else float("nan"),
        sample_weight=None if sample_weight is None else sample_weight[factual_index],
    )


class CounterfactualPoolCallback(Callback):
    """Builds the counterfactual pool at the start of each epoch after burn-in.

    Factuals and target-class samples ``x+`` come from the training part of
    the data only (never from the validation rows of early stopping), and
    only from rows of positive sample weight (a row of weight 0 is as good
    as absent).

    Between fits it holds no data and no tensors: the training data, the
    constraints on the device and the random number generator exist only
    while training (a fitted model must not carry its training set, and a
    model trained on a GPU must unpickle on a CPU).

    Parameters
    ----------
    pool_params : dict
        Keyword arguments of :func:`build_pool` other than the module and data;
        ``constraints`` is a :class:`~sklearn_ct.constraints.FeatureConstraints`;
        ``n_counterfactuals`` may be ``"auto"``: a third of the rows drawn
        from, at most 1,000.
    burnin_epochs : int
        Epochs trained conventionally first.
    seed : int
        Seed of the pool's own random number generator.
    classes : array-like, default=None
        Class labels, to name a class missing from the rows drawn from.
    """

    def __init__(self, pool_params, burnin_epochs, seed, classes=None):
        self.pool_params = pool_params
        self.burnin_epochs = burnin_epochs
        self.seed = seed
        self.classes = classes

    def on_train_begin(self, net, **kwargs):
        """Seed the pool's generator and put the constraints on the device."""
        if getattr(self, "rng_", None) is None:  # a resumed fit brings its own
            self.rng_ = torch.Generator().manual_seed(self.seed)
        self.constraints_ = self.pool_params["constraints"].tensors(device=net.device)

    def _take(self, net, dataset_train):
        """Keep the rows to draw from (training split, positive weight) as tensors."""
        X, y, weight = dataset_tensors(dataset_train)
        if weight is not None:  # weight 0: the row is as good as absent
            keep = weight > 0
            X, y, weight = X[keep], y[keep], weight[keep]
            weight = weight.to(net.device)
        self.X_ = X.to(net.device)
        self.y_ = y.to(device=net.device, dtype=torch.long)
        self.weight_ = weight
        n_classes = self.pool_params["n_classes"]
        self.by_class_ = class_index(self.y_, n_classes)
        missing = (self.by_class_[1] == 0).nonzero().flatten().tolist()
        if missing:
            label = (
                missing[0]
                if self.classes is None
                else np.asarray(self.classes)[missing[0]].tolist()
            )
            raise ValueError(
                f"Counterfactual training contrasts counterfactuals with real samples"
                f" of their target class, but class {label!r} has no training row of"
                " positive weight (after sample_weight, class_weight and the "
                "validation split of early_stopping). Give it rows of positive "
                "weight, or use objective='vanilla'."
            )
        wanted = self.pool_params["n_counterfactuals"]
        self.n_counterfactuals_ = (
            min(1000, -(-len(self.X_) // 3)) if wanted == "auto" else wanted
        )
        self.n_batches_ = len(net.get_iterator(dataset_train, training=True))

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        """Generate this epoch's pool and hand one chunk to each mini-batch."""
        net.chunks_ = None
        if not OBJECTIVES[net.objective]:
            return
        if getattr(self, "X_", None) is None:
            self._take(net, dataset_train)
        epoch = len(net.history)
        if epoch <= self.burnin_epochs:
            return
        start = time.perf_counter()
        n_batches = self.n_batches_
        params = {
            **self.pool_params,
            "constraints": self.constraints_,
            # Every mini-batch gets counterfactuals (the reference does this).
            "n_counterfactuals": max(self.n_counterfactuals_, n_batches),
        }
        pool = build_pool(
            net.module_,
            self.X_,
            self.y_,
            rng=self.rng_,
            by_class=self.by_class_,
            sample_weight=self.weight_,
            **params,
        )
        net.chunks_ = iter(pool.chunks(n_batches))
        net.history.record("cf_converged", pool.share_converged)
        net.history.record("cf_n_iter", pool.mean_n_iter)
        net.history.record("cf_seconds", time.perf_counter() - start)

    def on_train_end(self, net, **kwargs):
        """Drop the training data, device tensors and the generator state."""
        self.forget()

    def forget(self):
        """Release everything that only training needs."""
        for name in ("X_", "y_", "weight_", "rng_", "constraints_", "by_class_"):
            self.__dict__.pop(name, None)


class EpochSummary(Callback):
    """Averages per-batch records into the epoch's history, then drops them.

    skorch keeps every batch's record (about 1 KB each) for the life of the
    net: with many rows, small batches and many epochs that alone grows to
    gigabytes (10^6 rows, batch 32, 100 epochs: 3 million records). Once
    summarised (after skorch's own ``train_loss``), they are not needed.
    """

    def on_epoch_end(self, net, **kwargs):
        """Record batch-size weighted means of the batch records, and skips.

        Loss terms of batches without counterfactuals (NaN) are left out.
        """
        batches = [b for b in net.history[-1, "batches"] if "clf_loss" in b]
        net.history.record("batches", [])
        if not batches:
            return
        net.history.record("max_logit", max(b["max_logit"] for b in batches))
        sizes = np.array([b["train_batch_size"] for b in batches], dtype=float)
        for key in BATCH_MEANS:
            values = np.array([b.get(key, np.nan) for b in batches], dtype=float)
            seen = np.isfinite(values)
            mean = (
                np.average(values[seen], weights=sizes[seen]) if seen.any() else np.nan
            )
            net.history.record(key, float(mean))
        net.history.record("n_skipped", int(sum(b["skipped"] for b in batches)))


def _clone(state):
    """A copy of a (nested) state dict: tensors cloned, containers rebuilt."""
    if isinstance(state, torch.Tensor):
        return state.detach().clone()
    if isinstance(state, dict):
        return {key: _clone(value) for key, value in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(_clone(value) for value in state)
    return state


class DivergenceGuard(Callback):
    """Detects exploding training, restores the last finite state and stops.

    At the end of every epoch: if a weight is no longer finite, or a logit of
    the epoch exceeded ``bound`` in magnitude, the weights and optimizer state
    of the end of the previous epoch are restored, ``diverged`` is recorded
    in the epoch's history and training stops (skorch stops on a
    ``KeyboardInterrupt`` raised by a callback, as its ``EarlyStopping`` does).

    Parameters
    ----------
    bound : float, default=1e6
        Largest logit magnitude accepted.
    """

    def __init__(self, bound=1e6):
        self.bound = bound

    def on_epoch_begin(self, net, **kwargs):
        """Keep the state of the end of the previous epoch (small networks: cheap)."""
        self.state_ = (
            _clone(net.module_.state_dict()),
            _clone(net.optimizer_.state_dict()),
        )

    def on_epoch_end(self, net, **kwargs):
        """Restore and stop if this epoch left the model non-finite or exploding."""
        finite = all(bool(torch.isfinite(p).all()) for p in net.module_.parameters())
        largest = net.history[-1].get("max_logit", 0.0)  # from EpochSummary
        exploded = not np.isfinite(largest) or largest > self.bound
        net.history.record("diverged", bool(not finite or exploded))
        if finite and not exploded:
            return
        module_state, optimizer_state = self.state_
        net.module_.load_state_dict(module_state)
        net.optimizer_.load_state_dict(optimizer_state)
        raise KeyboardInterrupt

    def on_train_end(self, net, **kwargs):
        """Forget the kept state."""
        self.__dict__.pop("state_", None)


class ValidAccuracy(Callback):
    """Records ``valid_accuracy``: the accuracy on the validation rows.

    Weighted by the rows' sample weights, as scikit-learn's MLPClassifier
    scores its validation split; recorded only in epochs with validation.
    """

    def on_epoch_begin(self, net, **kwargs):
        """Start the epoch's sums."""
        self.correct_, self.total_ = 0.0, 0.0

    def on_batch_end(self, net, batch=None, training=None, y_pred=None, **kwargs):
        """Add a validation batch's (weighted) hits."""
        if training:
            return
        Xi, yi = unpack_data(batch)
        hits = (y_pred.argmax(dim=1).cpu() == torch.as_tensor(yi).cpu()).double()
        weight = (
            Xi["sample_weight"].double().cpu()
            if isinstance(Xi, Mapping)
            else torch.ones_like(hits)
        )
        self.correct_ += float((weight * hits).sum())
        self.total_ += float(weight.sum())

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        """Record the epoch's validation accuracy."""
        if dataset_valid is not None:
            net.history.record(
                "valid_accuracy",
                self.correct_ / self.total_ if self.total_ > 0 else float("nan"),
            )


class ValidationEarlyStopping(EarlyStopping):
    """skorch's ``EarlyStopping``, which records its stop and survives a resume.

    Constructed by the classifier with MLPClassifier's rule (see
    :func:`mlp_early_stopping`). When it stops, ``stopped_early`` is recorded
    in the epoch's history. Its state (misses, best score and epoch, best
    weights) is saved with every checkpoint (:meth:`checkpoint_state`), and a
    resumed fit carries on from it (``resume_state_``). After training, the
    best weights are dropped (they are in the module, or were superseded).
    """

    _STATE = ("misses_", "dynamic_threshold_", "best_epoch_", "best_model_weights_")

    def on_train_begin(self, net, **kwargs):
        """Start afresh, or from the state of the fit being resumed."""
        resumed = self.__dict__.pop("resume_state_", None)
        super().on_train_begin(net, **kwargs)
        if resumed is not None:
            vars(self).update(resumed)

    def on_epoch_end(self, net, **kwargs):
        """skorch's rule; a stop is recorded in the history before it stops."""
        try:
            super().on_epoch_end(net, **kwargs)
        except KeyboardInterrupt:
            net.history.record("stopped_early", True)
            raise

    def on_train_end(self, net, **kwargs):
        """Restore the best weights (skorch's ``load_best``), then let go of the copy."""
        super().on_train_end(net, **kwargs)
        self.best_model_weights_ = None

    def checkpoint_state(self) -> dict:
        """What a resumed fit needs to stop where the uninterrupted one does."""
        return {name: getattr(self, name, None) for name in self._STATE}

    def finish(self, net, state) -> None:
        """End a resumed fit that has no epoch left: restore its best weights."""
        self.resume_state_ = state
        self.on_train_begin(net)
        self.on_train_end(net)


def mlp_early_stopping(n_iter_no_change, tol) -> ValidationEarlyStopping:
    """Early stopping with scikit-learn's MLPClassifier rule, on skorch's callback.

    Stop once the validation accuracy has not improved by more than ``tol``
    for ``n_iter_no_change`` epochs in a row past the best one (MLPClassifier
    stops when its count of such epochs exceeds ``n_iter_no_change``, hence a
    patience of one more), and restore the weights of the best epoch.
    """
    return ValidationEarlyStopping(
        monitor="valid_accuracy",
        lower_is_better=False,
        patience=n_iter_no_change + 1,
        threshold=tol,
        threshold_mode="abs",
        load_best=True,
    )


class EpochProgressBar(Callback):
    """A tqdm bar over epochs with the latest loss and accuracy (``verbose=1``)."""

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        self.bar_ = tqdm(
            total=net.max_epochs,
            desc="counterfactual training",
            unit="epoch",
            leave=False,
        )

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        self.bar_.set_postfix(
            loss=f"{row.get('train_loss', np.nan):.3f}",
            acc=f"{row.get('accuracy', np.nan):.3f}",
        )
        self.bar_.update()

    def on_train_end(self, net, **kwargs):
        self.bar_.close()
        del self.bar_  # a fitted model pickles without a terminal handle


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
    is constant. The search's fixed steps of ``lr_cf`` suit unit scale.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)

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
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Class indices.
    n_classes : int
    device : torch.device

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
        ``max_iter_cf`` and ``lr_cf`` word the messages; its fitted ``net_``
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
    if params.decision_threshold > 0.5:
        helps.append(
            f"a lower decision_threshold (e.g. 0.5; now {params.decision_threshold:g})"
        )
    helps += [
        f"a higher max_iter_cf (e.g. {2 * params.max_iter_cf}; now "
        f"{params.max_iter_cf})",
        f"a higher lr_cf (e.g. {2 * params.lr_cf:g}; now {params.lr_cf:g})",
    ]
    message = (
        f"Only {matured.mean():.1%} of the training counterfactuals reached "
        f"decision_threshold={params.decision_threshold:g} within "
        f"max_iter_cf={params.max_iter_cf} search steps of lr_cf={params.lr_cf:g} "
        f"(mean over {len(matured)} epochs, {last.mean():.1%} in the last "
        f"{len(last)}; below {_IDLE_SHARE:.0%} counts as idle; see "
        "history_['cf_converged']), so the contrastive-divergence term was mostly "
        "inactive. What makes more of them mature, most first: "
        + "; ".join(helps)
        + ". An active term is not free: on four real tabular data sets, "
        "decision_threshold=0.5 made 87-100% mature but cost up to 8 points of "
        "accuracy and made recourse dearer unless lambda_div was lowered too "
        "(about 0.1); compare with a baseline using sklearn-ct bench --value "
        "or a grid search with sklearn_ct.model_selection.most_plausible_within."
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


def dataset_tensors(dataset):
    """``(X, y, sample_weight)`` tensors of the net's data, or None for other data.

    The net is fitted on a skorch ``Dataset`` of ``X`` (or of
    ``{"X": X, "sample_weight": w}`` with sample weights, skorch's way) and
    class indices ``y``; skorch's ``ValidSplit`` hands out ``Subset``s of it.
    ``sample_weight`` is None without weights.
    """
    indices = None
    if isinstance(dataset, torch.utils.data.Subset):
        dataset, indices = dataset.dataset, torch.as_tensor(dataset.indices)
    X, y = getattr(dataset, "X", None), getattr(dataset, "y", None)
    if X is None or y is None:
        return None
    weight = None
    if isinstance(X, Mapping):
        X, weight = X["X"], torch.as_tensor(X["sample_weight"])
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    if indices is not None:
        X, y = X[indices], y[indices]
        weight = None if weight is None else weight[indices]
    return X, y, weight


class _Batches:
    """Iterable of ``(X, y)`` mini-batches, shuffled by ``rng`` or in order.

    ``X`` is ``{"X": ..., "sample_weight": ...}`` when there are weights;
    ``len`` draws no randomness.
    """

    def __init__(self, X, y, sample_weight, batch_size, rng=None):
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.batch_size, self.rng = batch_size, rng

    def __len__(self):
        return -(-len(self.X) // self.batch_size)

    def __iter__(self):
        # The net's own generator, never torch's global one: fits running in
        # threads of one process stay reproducible.
        order = (
            torch.arange(len(self.X))
            if self.rng is None
            else torch.randperm(len(self.X), generator=self.rng)
        )
        for batch in order.split(self.batch_size):
            if self.sample_weight is None:
                yield self.X[batch], self.y[batch]
            else:
                yield (
                    {"X": self.X[batch], "sample_weight": self.sample_weight[batch]},
                    self.y[batch],
                )


class CTNet(NeuralNet):
    """skorch net whose training step adds the counterfactual-training terms.

    The terms enter through skorch's extension points: :meth:`get_loss` is the
    (sample-weighted) cross-entropy, for training and validation alike;
    :meth:`train_step_single` adds the batch's chunk of counterfactual terms
    and computes the gradient; skorch's ``train_step`` zeroes the gradients
    and steps the optimizer, once per batch (optimizers that need a closure,
    such as L-BFGS, are refused by the classifier: they would evaluate the
    step several times).

    Parameters
    ----------
    *args, **kwargs
        Passed to :class:`skorch.NeuralNet`; the criterion is
        :class:`~sklearn_ct.objective.WeightedCrossEntropyLoss`.
    objective : {"vanilla", "energy", "adversarial", "full"}
    lambda_div, lambda_reg, lambda_adv : float
        Weights of the divergence, ridge and adversarial terms.
    shuffle_seed : int, default=0
        Seed of the net's own generator of batch orders (``shuffle_rng_``,
        made at the first epoch and dropped after training).
    """

    def __init__(
        self,
        *args,
        objective="full",
        lambda_div=0.5,
        lambda_reg=0.1,
        lambda_adv=0.25,
        shuffle_seed=0,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.objective = objective
        self.lambda_div = lambda_div
        self.lambda_reg = lambda_reg
        self.lambda_adv = lambda_adv
        self.shuffle_seed = shuffle_seed

    def initialize(self):
        """Initialize, and pickle the ``module`` parameter the device-portable way.

        The network is handed to skorch as an instance, which skorch keeps in
        ``module`` beside ``module_``; saving it with ``torch.save`` (skorch's
        way for ``module_``) lets a model trained on a GPU unpickle on a CPU.
        """
        super().initialize()
        if "module" not in self.cuda_dependent_attributes_:
            self.cuda_dependent_attributes_ = [
                *self.cuda_dependent_attributes_,
                "module",
            ]
        return self

    def get_iterator(self, dataset, training=False):
        """Mini-batches sliced straight from in-memory arrays (shuffled for training).

        skorch's default DataLoader indexes and collates sample by sample; the
        shuffle with one slice per batch gives batches in a fraction of the time.
        """
        tensors = dataset_tensors(dataset)
        if tensors is None:
            return super().get_iterator(dataset, training)
        size = len(tensors[0]) if self.batch_size == -1 else self.batch_size
        if not training:
            return _Batches(*tensors, size)
        if getattr(self, "shuffle_rng_", None) is None:
            self.shuffle_rng_ = torch.Generator().manual_seed(self.shuffle_seed)
        return _Batches(*tensors, size, self.shuffle_rng_)

    def infer(self, x, **fit_params):
        """The module's logits; ``x`` may carry its sample weights (skorch's dict)."""
        if isinstance(x, Mapping):
            x = x["X"]
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Cross-entropy of the batch, weighted by its sample weights if it has any."""
        y_true = torch.as_tensor(y_true, device=self.device)
        weight = None
        if isinstance(X, Mapping):
            weight = torch.as_tensor(X["sample_weight"], device=self.device)
        return self.criterion_(y_pred, y_true, sample_weight=weight)

    def train_step_single(self, batch, **fit_params):
        """Loss and gradient of one batch: cross-entropy plus its counterfactual terms.

        A non-finite loss leaves no gradient at all (``grad`` is None), so
        skorch's optimizer step that follows changes nothing; it is counted in
        ``n_skipped``. Each batch's record gets ``clf_loss``, ``accuracy``,
        ``max_logit``, the terms' ``*_loss`` and ``skipped``.
        """
        if not self.module_.training:  # (a recursive walk: only when needed)
            self.module_.train()
        Xi, yi = unpack_data(batch)
        yi = torch.as_tensor(yi, device=self.device)
        chunk = next(self.chunks_, None) if getattr(self, "chunks_", None) else None
        logits = self.infer(Xi, **fit_params)
        clf_loss = self.get_loss(logits, yi, X=Xi, training=True)
        terms = {}
        if chunk is not None:
            terms = counterfactual_terms(self.module_, **chunk)
        lambdas = {
            "div": self.lambda_div,
            "reg": self.lambda_reg,
            "adv": self.lambda_adv,
        }
        loss = total_loss(clf_loss, terms, self.objective, lambdas)
        finite = bool(torch.isfinite(loss))
        if finite:
            loss.backward()
        else:  # optimizers skip parameters without a gradient
            for _, param in self.get_all_learnable_params():
                param.grad = None
        # One transfer for every record of the batch, written into the batch's
        # record at once (History.record_batch looks it up for every value).
        names = [
            "clf_loss",
            "accuracy",
            "max_logit",
            *(f"{name}_loss" for name in terms),
        ]
        values = torch.stack(
            [
                clf_loss.detach(),
                (logits.argmax(1) == yi).float().mean(),
                logits.detach().abs().max(),
                *(t.detach() for t in terms.values()),
            ]
        ).tolist()
        record = self.history[-1]["batches"][-1]
        record.update({"div_loss": np.nan, "reg_loss": np.nan, "adv_loss": np.nan})
        record.update(zip(names, values, strict=True))
        record["skipped"] = int(not finite)
        return {"loss": loss.detach(), "y_pred": logits.detach()}
