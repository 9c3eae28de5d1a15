"""The skorch callbacks of counterfactual training, one job each.

* :class:`EpochSummary` turns per-batch records into per-epoch history
  (and drops them: skorch would keep them all).
* :class:`DivergenceGuard` restores the last finite state and stops training
  when an epoch leaves non-finite weights or exploding logits.
* :class:`ValidAccuracy` and :class:`ValidationEarlyStopping` give early
  stopping as scikit-learn's MLPClassifier has it, on skorch's ``ValidSplit``
  and ``EarlyStopping`` (:func:`mlp_early_stopping`).
* :class:`EpochProgressBar` shows a progress bar over epochs (``verbose=1``).

The counterfactual pool's own callback is in ``_pool``; the checkpoint's in
``_checkpoint``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from skorch.callbacks import Callback, EarlyStopping
from skorch.dataset import unpack_data

# Per-batch records averaged (weighted by batch size) into the epoch's history.
BATCH_MEANS = ("clf_loss", "div_loss", "reg_loss", "adv_loss", "accuracy")


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
