"""The counterfactual-training objective as pure torch functions (the paper's Eq. 2 and its terms).

Per mini-batch::

    L = CE_w(M(x_b), y_b)
      + lambda_div * mean_i( E(x+_i, t_i) - E(x'_i, t_i) )     # Eq. 2, contrastive divergence
      + lambda_reg * mean_i( M(x+_i)[t_i]^2 + M(x'_i)[t_i]^2 ) # ridge on the energies
      + lambda_adv * CE_w(M(x_AE_i), y_i)                      # adversarial loss

with ``E(x, t) = -M(x)[t]``. ``x'``, ``x+`` and ``x_AE`` are constants: no
gradient flows through the search. ``CE_w`` is the cross-entropy averaged
with the sample weights (of the batch's rows; of the counterfactuals'
factuals), as scikit-learn weights a loss; without weights, the plain mean.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..constraints._projection import Constraints
from ..generators._base import target_logit

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


def contrastive_divergence(logits_plus, logits_cf, target) -> torch.Tensor:
    """Eq. 2: ``mean(E(x+, t) - E(x', t)) = mean(-M(x+)[t] + M(x')[t])``.

    Minimising it lowers the energy of real target-class samples and raises
    the energy of counterfactuals.
    """
    return (target_logit(logits_cf, target) - target_logit(logits_plus, target)).mean()


def energy_ridge(logits_plus, logits_cf, target) -> torch.Tensor:
    """Ridge on the energies: ``mean(M(x+)[t]^2 + M(x')[t]^2)``."""
    return (
        target_logit(logits_plus, target) ** 2 + target_logit(logits_cf, target) ** 2
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
    module, counterfactuals, neighbours, adversarial, target, labels, sample_weight=None
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
        "div": contrastive_divergence(logits_plus, logits_cf, target),
        "reg": energy_ridge(logits_plus, logits_cf, target),
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
