"""The private skorch net behind CounterfactualTrainingClassifier.

:class:`CTNet` adds the chunk of counterfactual terms that the pool callback
(``_pool``) hands to each mini-batch to the batch's loss, in skorch's
``train_step_single`` (skorch zeroes the gradients and steps), and skips (and
counts) updates whose loss is not finite. Mini-batches are sliced straight
from in-memory tensors, shuffled by the net's own generator.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from skorch import NeuralNet
from skorch.dataset import unpack_data

from ._objective import counterfactual_terms, total_loss


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
        ``WeightedCrossEntropyLoss`` (``_objective``).
    objective : {"vanilla", "energy", "adversarial", "full"}
    lambda_div, lambda_reg, lambda_adv : float
        Weights of the divergence, ridge and adversarial terms.
    energy : {"joint", "marginal"}, default="joint"
        Energy of the divergence and the ridge (``_objective.energy_of``).
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
        energy="joint",
        shuffle_seed=0,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.objective = objective
        self.lambda_div = lambda_div
        self.lambda_reg = lambda_reg
        self.lambda_adv = lambda_adv
        self.energy = energy
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
            terms = counterfactual_terms(self.module_, **chunk, energy=self.energy)
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
