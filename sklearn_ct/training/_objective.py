"""The counterfactual-training objective as pure torch functions (the paper's Eq. 2 and its terms).

Per mini-batch::

    L = CE_w(M(x_b), y_b)
      + lambda_div * mean_i( E(x+_i, t_i) - E(x'_i, t_i) )  # Eq. 2, contrastive divergence
      + lambda_reg * mean_i( E(x+_i, t_i)^2 + E(x'_i, t_i)^2 ) # ridge on the energies
      + lambda_adv * CE_w(M(x_AE_i), y_i)                   # adversarial loss

with the paper's joint energy ``E(x, t) = -M(x)[t]`` (``energy="joint"``)
or the marginal energy ``E(x) = -log sum_c exp M(x)[c]`` (``energy="marginal"``,
the energy of ``p(x)`` in Grathwohl et al.'s JEM), whose gradient moves every
logit by its class probability: much of the contrast goes into the logits'
common level, which the softmax ignores, instead of into the decision
boundary. ``x'``, ``x+`` and ``x_AE`` are constants: no
gradient flows through the search. ``CE_w`` is the cross-entropy averaged
with the sample weights (of the batch's rows; of the counterfactuals'
factuals), as scikit-learn weights a loss; without weights, the plain mean.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..constraints._tensors import Constraints
from ..generators._base import target_logit

#: Energies the divergence and the ridge can contrast (:func:`energy_of`).
ENERGIES = ("marginal", "joint")

#: Loss terms each objective adds to the cross-entropy.
OBJECTIVES = {
    "vanilla": (),
    "energy": ("div", "reg"),
    "adversarial": ("adv",),
    "full": ("div", "reg", "adv"),
}


def weighted_cross_entropy(logits, labels, sample_weight=None) -> torch.Tensor:
    """Cross-entropy, averaged with ``sample_weight`` as scikit-learn does.

    ``sum_i w_i CE_i / sum_i w_i``; a row of weight 0 has no influence (even
    with a non-finite loss), and a batch whose weights are all 0 contributes
    0. Without weights, the plain mean (``F.cross_entropy``).
    """
    if sample_weight is None:
        return F.cross_entropy(logits, labels)
    losses = F.cross_entropy(logits, labels, reduction="none")
    weighted = torch.where(sample_weight > 0, sample_weight * losses, 0.0)
    return weighted.sum() / sample_weight.sum().clamp_min(
        torch.finfo(losses.dtype).tiny
    )


class WeightedCrossEntropyLoss(nn.CrossEntropyLoss):
    """The classification term: :func:`weighted_cross_entropy` as a criterion.

    A ``CrossEntropyLoss`` on logits with default settings, whose ``forward``
    also takes per-sample weights.
    """

    def forward(self, input, target, sample_weight=None):
        """Weighted mean cross-entropy of the logits ``input``."""
        return weighted_cross_entropy(input, target, sample_weight)


def energy_of(logits, target, energy="joint") -> torch.Tensor:
    """Energy of each sample: joint ``-M(x)[t]`` or marginal ``-logsumexp M(x)``.

    Parameters
    ----------
    logits : Tensor of shape (m, n_classes)
        The model's logits ``M(x)``.
    target : LongTensor of shape (m,)
        Target classes (used by the joint energy only).
    energy : {"joint", "marginal"}, default="joint"
        Which energy.

    Returns
    -------
    Tensor of shape (m,)

    Examples
    --------
    >>> import torch
    >>> logits, target = torch.tensor([[0.0, 2.0]]), torch.tensor([1])
    >>> energy_of(logits, target, "joint")
    tensor([-2.])
    >>> energy_of(logits, target, "marginal")
    tensor([-2.1269])
    """
    if energy == "marginal":
        return -logits.logsumexp(dim=1)
    return -target_logit(logits, target)


def contrastive_divergence(logits_plus, logits_cf, target, energy="joint"):
    """Eq. 2: ``mean(E(x+, t) - E(x', t))``, with :func:`energy_of`'s ``energy``.

    Minimising it lowers the energy of real target-class samples and raises
    the energy of counterfactuals.
    """
    return (
        energy_of(logits_plus, target, energy) - energy_of(logits_cf, target, energy)
    ).mean()


def energy_ridge(logits_plus, logits_cf, target, energy="joint") -> torch.Tensor:
    """Ridge on the energies: ``mean(E(x+, t)^2 + E(x', t)^2)``."""
    return (
        energy_of(logits_plus, target, energy) ** 2
        + energy_of(logits_cf, target, energy) ** 2
    ).mean()


def adversarial_loss(logits_adv, labels, sample_weight=None) -> torch.Tensor:
    """Cross-entropy of the nascent adversarial examples with the factuals' labels.

    Weighted by the factuals' sample weights when given.
    """
    return weighted_cross_entropy(logits_adv, labels, sample_weight)


def protect_immutable(x_plus, x_cf, constraints: Constraints) -> torch.Tensor:
    """Do not contrast what the user may not change (the paper's Proposition 3.1).

    Per feature of ``x+``: immutable -> ``x'``; increase-only ->
    ``max(x+, x')``; decrease-only -> ``min(x+, x')``; free -> unchanged.
    """
    x_plus = torch.where(
        constraints.allow_decrease, x_plus, torch.maximum(x_plus, x_cf)
    )
    return torch.where(constraints.allow_increase, x_plus, torch.minimum(x_plus, x_cf))


def counterfactual_terms(
    module,
    counterfactuals,
    neighbours,
    adversarial,
    target,
    labels,
    sample_weight=None,
    energy="joint",
) -> dict[str, torch.Tensor]:
    """The three counterfactual loss terms for one chunk of the epoch's pool.

    Parameters
    ----------
    module : callable
        The network being trained (inputs -> logits).
    counterfactuals, neighbours, adversarial : Tensor of shape (m, n_features)
        ``x'``, ``x+`` and ``x_AE``.
    target : LongTensor of shape (m,)
        Target classes ``t``.
    labels : LongTensor of shape (m,)
        True labels of the factuals.
    sample_weight : Tensor of shape (m,), default=None
        The factuals' sample weights, which weight the adversarial loss; the
        divergence and the ridge are unweighted.
    energy : {"joint", "marginal"}, default="joint"
        Energy of the divergence and the ridge (:func:`energy_of`).

    Returns
    -------
    dict
        ``{"div": ..., "reg": ..., "adv": ...}``, scalar tensors; zeros when
        the chunk is empty.
    """
    m = target.shape[0]
    if m == 0:
        zero = next(module.parameters()).new_zeros(())
        return {"div": zero, "reg": zero, "adv": zero}
    logits = module(torch.cat([neighbours, counterfactuals, adversarial]))
    logits_plus, logits_cf, logits_adv = logits.split(m)
    return {
        "div": contrastive_divergence(logits_plus, logits_cf, target, energy),
        "reg": energy_ridge(logits_plus, logits_cf, target, energy),
        "adv": adversarial_loss(logits_adv, labels, sample_weight),
    }


def total_loss(clf_loss, terms, objective, lambdas) -> torch.Tensor:
    """Cross-entropy plus the objective's weighted terms.

    Parameters
    ----------
    clf_loss : Tensor
        Cross-entropy on the mini-batch.
    terms : dict
        Output of :func:`counterfactual_terms` (may be empty).
    objective : {"vanilla", "energy", "adversarial", "full"}
        Which terms enter the loss (:data:`OBJECTIVES`).
    lambdas : dict
        Weights ``{"div": ..., "reg": ..., "adv": ...}``.

    Returns
    -------
    Tensor
    """
    loss = clf_loss
    for name in OBJECTIVES[objective]:
        if name in terms:
            loss = loss + lambdas[name] * terms[name]
    return loss
