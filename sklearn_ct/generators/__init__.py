"""Counterfactual generators: a target loss plus weighted penalties.

Following CounterfactualExplanations.jl, a generator is data, not an
algorithm: it says *what* to minimise over a counterfactual ``x'``,

    CE(M(x'), t) + sum_k lambda_k * penalty_k(x', x, t),

and where the search variable lives (feature space, or the latent space of a
VAE for REVISE). *How* to minimise it, and every constraint, belongs to the one
search loop, :func:`sklearn_ct.explain.counterfactual_search`. The penalties
are small pure torch functions; the named generators are presets of a few
lines.

Generators are scikit-learn estimators only for their parameter handling
(``get_params``/``set_params``/``clone``), so ``generator__lambda_energy`` is a
valid grid-search key on every estimator that takes a generator.
"""

from ._base import (
    Generator,
    energy,
    energy_decay,
    energy_penalty,
    l1_cost,
    target_logit,
)
from ._presets import (
    ECCCoGenerator,
    GenericGenerator,
    GravitationalGenerator,
    REVISEGenerator,
)

__all__ = [
    "ECCCoGenerator",
    "Generator",
    "GenericGenerator",
    "GravitationalGenerator",
    "REVISEGenerator",
    "energy",
    "energy_decay",
    "energy_penalty",
    "l1_cost",
    "target_logit",
]
