"""One epoch's counterfactual pool, and the callback that builds it.

* :func:`build_pool` makes one epoch's counterfactual pool, as the paper's
  algorithm does: factuals without replacement, random other-class targets,
  one batched search, nascent adversarial examples, one target-class sample
  ``x+`` per counterfactual, non-converged counterfactuals replaced by
  ``x+``, and immutable features protected.
* :class:`CounterfactualPoolCallback` builds it at the start of each epoch
  after burn-in, with the current model, and splits it into one chunk per
  mini-batch, which the net (``_net``) adds to the batch's loss.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from skorch.callbacks import Callback

from ..explain._search import counterfactual_search
from ._net import dataset_tensors
from ._objective import OBJECTIVES, protect_immutable


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
    adversarial_radius,
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
        Number of classes.
    n_counterfactuals : int
        Factuals drawn without replacement (at most ``n_samples``).
    generator : Generator
        Fitted training-time generator.
    constraints : Constraints
        The resolved constraints, as tensors on the device.
    decision_threshold, max_iter, step_size, adversarial_radius
        Search settings (see :func:`~sklearn_ct.explain.counterfactual_search`).
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
        adversarial_radius=adversarial_radius,
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
