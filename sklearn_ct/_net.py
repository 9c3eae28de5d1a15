"""The private skorch net behind CounterfactualTrainingClassifier.

* :func:`build_pool` makes one epoch's counterfactual pool (method.md
  section 4): factuals without replacement, random other-class targets, one
  batched search, nascent adversarial examples, one target-class sample ``x+``
  per counterfactual, non-converged counterfactuals replaced by ``x+``, and
  immutable features protected.
* :class:`CounterfactualPoolCallback` builds it at the start of each epoch
  after burn-in, with the current model, and splits it into one chunk per
  mini-batch.
* :class:`CTNet` adds the chunk's terms to each mini-batch's loss and skips
  (and counts) updates whose loss is not finite.
* :class:`EpochSummary` turns per-batch records into per-epoch history
  (and drops them: skorch would keep them all).
* :class:`DivergenceGuard` restores the last finite state and stops training
  when an epoch leaves non-finite weights or exploding logits.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.exceptions import ConvergenceWarning
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.dataset import unpack_data
from skorch.utils import TeeGenerator

from .objective import OBJECTIVES, counterfactual_terms, protect_immutable, total_loss
from .search import counterfactual_search

#: Columns of ``history_``: (name in skorch's history, name in ``history_``).
HISTORY_COLUMNS = (
    ("epoch", "epoch"), ("train_loss", "loss"), ("clf_loss", "clf_loss"),
    ("div_loss", "div_loss"), ("reg_loss", "reg_loss"), ("adv_loss", "adv_loss"),
    ("accuracy", "accuracy"), ("cf_converged", "cf_converged"),
    ("cf_n_iter", "cf_n_iter"), ("cf_seconds", "cf_seconds"),
    ("n_skipped", "n_skipped"), ("diverged", "diverged"), ("dur", "seconds"),
)
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

    def chunks(self, n_chunks: int) -> list[dict]:
        """Split into ``n_chunks`` contiguous chunks of (almost) equal size (views)."""
        names = ("counterfactuals", "adversarial", "target", "neighbours", "labels")
        parts = [getattr(self, name).tensor_split(n_chunks) for name in names]
        return [dict(zip(names, chunk, strict=True)) for chunk in zip(*parts, strict=True)]


def class_index(y, n_classes):
    """Positions of ``y`` sorted by class, the class counts and their offsets."""
    counts = torch.bincount(y, minlength=n_classes)
    return torch.argsort(y, stable=True), counts, torch.cumsum(counts, 0) - counts


def build_pool(module, X, y, *, n_classes, n_counterfactuals, generator,
               constraints, decision_threshold, max_iter, step_size, epsilon,
               rng: torch.Generator, by_class=None) -> CounterfactualPool:
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
        module, x, target, generator, constraints,
        decision_threshold=decision_threshold, max_iter=max_iter,
        step_size=step_size, epsilon=epsilon,
    )
    module.train(was_training)
    # x+: one random training sample whose true label is the target.
    order, counts, offsets = by_class if by_class is not None else class_index(
        y, n_classes)
    u = torch.rand(n, generator=rng).to(device)
    pick = offsets[target] + (u * counts[target]).long().clamp_max(counts[target] - 1)
    neighbours = X[order[pick]]
    # Not converged: x' := x+, so the pair's divergence term vanishes.
    counterfactuals = torch.where(found.converged.unsqueeze(1),
                                  found.counterfactuals, neighbours)
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
    )


class CounterfactualPoolCallback(Callback):
    """Builds the counterfactual pool at the start of each epoch after burn-in.

    Between fits it holds no data and no tensors: the training data, the
    constraints on the device and the random number generator exist only
    while training (a fitted model must not carry its training set, and a
    model trained on a GPU must unpickle on a CPU).

    Parameters
    ----------
    pool_params : dict
        Keyword arguments of :func:`build_pool` other than the module and data;
        ``constraints`` is a :class:`~sklearn_ct.constraints.FeatureConstraints`.
    burnin_epochs : int
        Epochs trained conventionally first.
    seed : int
        Seed of the pool's own random number generator.
    """

    def __init__(self, pool_params, burnin_epochs, seed):
        self.pool_params = pool_params
        self.burnin_epochs = burnin_epochs
        self.seed = seed

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Keep the training data as tensors and seed the pool's generator."""
        self.X_ = torch.as_tensor(X, device=net.device)
        self.y_ = torch.as_tensor(y, dtype=torch.long, device=net.device)
        if getattr(self, "rng_", None) is None:  # a resumed fit brings its own
            self.rng_ = torch.Generator().manual_seed(self.seed)
        self.constraints_ = self.pool_params["constraints"].tensors(
            device=net.device)
        self.by_class_ = class_index(self.y_, self.pool_params["n_classes"])

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        """Generate this epoch's pool and hand one chunk to each mini-batch."""
        net.chunks_ = None
        epoch = len(net.history)
        if epoch <= self.burnin_epochs or not OBJECTIVES[net.objective]:
            return
        start = time.perf_counter()
        n_batches = len(net.get_iterator(dataset_train, training=True))
        params = {**self.pool_params, "constraints": self.constraints_,
                  # Every mini-batch gets counterfactuals (the reference does this).
                  "n_counterfactuals": max(self.pool_params["n_counterfactuals"],
                                           n_batches)}
        pool = build_pool(net.module_, self.X_, self.y_, rng=self.rng_,
                          by_class=self.by_class_, **params)
        net.chunks_ = iter(pool.chunks(n_batches))
        net.history.record("cf_converged", pool.share_converged)
        net.history.record("cf_n_iter", pool.mean_n_iter)
        net.history.record("cf_seconds", time.perf_counter() - start)

    def on_train_end(self, net, **kwargs):
        """Drop the training data, device tensors and the generator state."""
        self.forget()

    def forget(self):
        """Release everything that only training needs."""
        for name in ("X_", "y_", "rng_", "constraints_", "by_class_"):
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
            mean = np.average(values[seen], weights=sizes[seen]) if seen.any() \
                else np.nan
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
        self.state_ = (_clone(net.module_.state_dict()),
                       _clone(net.optimizer_.state_dict()))

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


class EpochProgressBar(Callback):
    """A tqdm bar over epochs with the latest loss and accuracy (``verbose=1``)."""

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=net.max_epochs, desc="counterfactual training",
                         unit="epoch", leave=False)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        self.bar_.set_postfix(loss=f"{row.get('train_loss', np.nan):.3f}",
                              acc=f"{row.get('accuracy', np.nan):.3f}")
        self.bar_.update()

    def on_train_end(self, net, **kwargs):
        self.bar_.close()
        del self.bar_  # a fitted model pickles without a terminal handle


def history_frame(history) -> pd.DataFrame:
    """The classifier's ``history_``: one row per completed epoch."""
    rows = [{new: row.get(old, np.nan) for old, new in HISTORY_COLUMNS}
            for row in history if "dur" in row]
    return pd.DataFrame(rows, columns=[new for _, new in HISTORY_COLUMNS])


def warn_about_training(history, params) -> None:
    """Say so when training diverged, skipped updates, was cut short or idled.

    Parameters
    ----------
    history : DataFrame
        The classifier's ``history_``.
    params : CounterfactualTrainingClassifier
        Its ``max_epochs``, ``objective``, ``decision_threshold`` and
        ``max_iter_cf`` word the messages.
    """
    if history["diverged"].fillna(False).astype(bool).any():
        epoch = int(history["epoch"].iloc[-1])
        warnings.warn(
            f"Training diverged in epoch {epoch}: weights became non-finite or "
            f"logits exceeded {DivergenceGuard().bound:g}. The weights of the end "
            f"of epoch {epoch - 1} were restored and training stopped (see "
            "history_['diverged']). Standardise the inputs, or lower lr or the "
            "lambda_* weights.", RuntimeWarning, stacklevel=3)
    elif len(history) < params.max_epochs:
        warnings.warn(
            f"Training stopped after {len(history)} of max_epochs="
            f"{params.max_epochs} epochs (interrupted); the model keeps the weights "
            "reached so far. With checkpoint_dir set, fitting again resumes "
            "where it stopped.", UserWarning, stacklevel=3)
    skipped = int(history["n_skipped"].fillna(0).sum())
    if skipped:
        warnings.warn(
            f"{skipped} updates were skipped because the loss was not finite "
            "(see history_['n_skipped']).", RuntimeWarning, stacklevel=3)
    matured = history["cf_converged"].dropna()
    if "div" in OBJECTIVES[params.objective] and len(matured) \
            and matured.mean() < 0.05:  # the divergence term was idle
        warnings.warn(
            f"Only {matured.mean():.1%} of the training counterfactuals reached "
            f"decision_threshold={params.decision_threshold} within "
            f"max_iter_cf={params.max_iter_cf} steps, so the contrastive-divergence"
            " term was mostly inactive. The search takes plain gradient steps of "
            "size lr_cf, which are tiny on unscaled inputs and while the model's "
            "logits are still flat. Standardise the inputs (a Pipeline with "
            "StandardScaler), or raise max_iter_cf, lr_cf or max_epochs.",
            ConvergenceWarning, stacklevel=3)


class _ShuffledBatches:
    """Iterable of shuffled ``(X, y)`` mini-batches; ``len`` draws no randomness."""

    def __init__(self, X, y, batch_size, rng):
        self.X, self.y, self.batch_size, self.rng = X, y, batch_size, rng

    def __len__(self):
        return -(-len(self.X) // self.batch_size)

    def __iter__(self):
        # The net's own generator, never torch's global one: fits running in
        # threads of one process stay reproducible.
        order = torch.randperm(len(self.X), generator=self.rng)
        for batch in order.split(self.batch_size):
            yield self.X[batch], self.y[batch]


class CTNet(NeuralNet):
    """skorch net whose training step adds the counterfactual-training terms.

    Parameters
    ----------
    *args, **kwargs
        Passed to :class:`skorch.NeuralNet`.
    objective : {"vanilla", "energy", "adversarial", "full"}
    lambda_div, lambda_reg, lambda_adv : float
        Weights of the divergence, ridge and adversarial terms.
    shuffle_seed : int, default=0
        Seed of the net's own generator of batch orders (``shuffle_rng_``,
        made at the first epoch and dropped after training).
    """

    def __init__(self, *args, objective="full", lambda_div=0.5, lambda_reg=0.1,
                 lambda_adv=0.25, shuffle_seed=0, **kwargs):
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
            self.cuda_dependent_attributes_ = [*self.cuda_dependent_attributes_,
                                               "module"]
        return self

    def _grad_listeners(self) -> bool:
        """Whether a callback does something on ``on_grad_computed`` (cached)."""
        callbacks = getattr(self, "callbacks_", [])
        key = tuple(id(c) for _, c in callbacks)
        if getattr(self, "_grad_listeners_key", None) != key:
            self._grad_listeners_key = key
            self._grad_listeners_value = any(
                type(c).on_grad_computed is not Callback.on_grad_computed
                for _, c in callbacks)
        return self._grad_listeners_value

    def get_iterator(self, dataset, training=False):
        """Shuffled training mini-batches sliced straight from in-memory arrays.

        skorch's default DataLoader indexes and collates sample by sample; the
        shuffle with one slice per batch gives batches in a fraction of the time.
        """
        if not training or not hasattr(dataset, "X"):
            return super().get_iterator(dataset, training)
        size = len(dataset) if self.batch_size == -1 else self.batch_size
        if getattr(self, "shuffle_rng_", None) is None:
            self.shuffle_rng_ = torch.Generator().manual_seed(self.shuffle_seed)
        return _ShuffledBatches(torch.as_tensor(dataset.X),
                                torch.as_tensor(dataset.y), size, self.shuffle_rng_)

    def train_step(self, batch, **fit_params):
        """One update: cross-entropy plus this batch's chunk of counterfactual terms.

        A non-finite loss skips the update and is counted in ``n_skipped``.
        """
        if not self.module_.training:  # (a recursive walk: only when needed)
            self._set_training(True)
        Xi, yi = unpack_data(batch)
        yi = torch.as_tensor(yi, device=self.device)
        chunk = next(self.chunks_, None) if getattr(self, "chunks_", None) else None
        self._zero_grad_optimizer()
        logits = self.infer(Xi, **fit_params)
        clf_loss = F.cross_entropy(logits, yi)
        terms = {}
        if chunk is not None:
            terms = counterfactual_terms(self.module_, **chunk)
        lambdas = {"div": self.lambda_div, "reg": self.lambda_reg,
                   "adv": self.lambda_adv}
        loss = total_loss(clf_loss, terms, self.objective, lambdas)
        finite = bool(torch.isfinite(loss))
        if finite:
            loss.backward()
            if self._grad_listeners():
                self.notify("on_grad_computed",
                            named_parameters=TeeGenerator(
                                self.get_all_learnable_params()),
                            batch=batch, training=True)
            self._step_optimizer(lambda: loss)
        # One transfer for every record of the batch, written into the batch's
        # record at once (History.record_batch looks it up for every value).
        names = ["clf_loss", "accuracy", "max_logit",
                 *(f"{name}_loss" for name in terms)]
        values = torch.stack([
            clf_loss.detach(), (logits.argmax(1) == yi).float().mean(),
            logits.detach().abs().max(), *(t.detach() for t in terms.values()),
        ]).tolist()
        record = self.history[-1]["batches"][-1]
        record.update({"div_loss": np.nan, "reg_loss": np.nan, "adv_loss": np.nan})
        record.update(zip(names, values, strict=True))
        record["skipped"] = int(not finite)
        return {"loss": loss.detach(), "y_pred": logits.detach()}
