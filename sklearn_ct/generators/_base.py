"""The generators' base class and their penalties (small pure torch functions).

A generator says *what* to minimise over a counterfactual ``x'``: the
cross-entropy towards the target plus the penalties of :meth:`Generator.penalty`
(see :mod:`sklearn_ct.generators`).
"""

from __future__ import annotations

import io
from numbers import Real
from typing import ClassVar

import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator

from ..utils._compat import Interval, _fit_context

#: A penalty weight: a finite float >= 0.
_NON_NEGATIVE = Interval(Real, 0, None, closed="left")

# --------------------------------------------------------------------------
# Penalties: pure functions returning one value per sample
# --------------------------------------------------------------------------


def l1_cost(x_cf: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """L1 distance between counterfactuals and factuals, per sample.

    Parameters
    ----------
    x_cf, x : Tensor of shape (n, n_features)
        Counterfactuals and their factuals.

    Returns
    -------
    Tensor of shape (n,)

    Examples
    --------
    >>> import torch
    >>> l1_cost(torch.tensor([[1.0, -2.0], [0.5, 0.5]]), torch.zeros(2, 2))
    tensor([3., 1.])
    """
    return (x_cf - x).abs().sum(dim=1)


def target_logit(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Raw logit of each sample's target class: ``M(x)[t]``.

    Parameters
    ----------
    logits : Tensor of shape (n, n_classes)
        Model output.
    target : LongTensor of shape (n,)
        Target class index of each sample.

    Returns
    -------
    Tensor of shape (n,)

    Examples
    --------
    >>> import torch
    >>> logits = torch.tensor([[2.0, -1.0], [0.5, 1.5]])
    >>> target_logit(logits, torch.tensor([1, 1]))
    tensor([-1.0000,  1.5000])
    """
    return logits.gather(1, target.view(-1, 1)).squeeze(1)


def energy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Energy ``E(x, t) = -M(x)[t]`` (the paper's notation).

    Parameters
    ----------
    logits : Tensor of shape (n, n_classes)
        Model output.
    target : LongTensor of shape (n,)
        Target class index of each sample.

    Returns
    -------
    Tensor of shape (n,)

    Examples
    --------
    The lower the energy, the more the model sees the target class at ``x``:

    >>> import torch
    >>> logits = torch.tensor([[2.0, -1.0], [0.5, 1.5]])
    >>> energy(logits, torch.tensor([1, 1]))
    tensor([ 1.0000, -1.5000])
    """
    return -target_logit(logits, target)


def energy_decay(step: int, max_iter: int) -> float:
    """Decaying weight ``phi_t = a (b + t)^(-0.9)`` of the ECCCo energy penalty.

    ``b = round(max_iter / 25)`` (at least 1), ``a = b / 10``, ``t`` the 1-based
    step, as in the paper's reference implementation. Python's ``round``
    rounds half to even, like Julia's, so the reference's values are
    reproduced exactly.

    Parameters
    ----------
    step : int
        1-based search step.
    max_iter : int
        Maximum number of steps ``T``.

    Returns
    -------
    float

    Examples
    --------
    >>> round(energy_decay(1, 30), 4), round(energy_decay(30, 30), 4)
    (0.0536, 0.0045)
    """
    b = max(1, round(max_iter / 25))
    return (b / 10) * (b + step) ** -0.9


def energy_penalty(
    logits: torch.Tensor,
    target: torch.Tensor,
    step: int,
    max_iter: int,
    reg: float = 1e-3,
) -> torch.Tensor:
    """ECCCo's energy penalty ``phi_t * (E + reg * E^2)``, per sample.

    Parameters
    ----------
    logits : Tensor of shape (n, n_classes)
        Model output at the counterfactuals.
    target : LongTensor of shape (n,)
        Target class index of each sample.
    step, max_iter : int
        1-based search step and maximum number of steps (see
        :func:`energy_decay`).
    reg : float, default=1e-3
        Weight of the quadratic part.

    Returns
    -------
    Tensor of shape (n,)

    Examples
    --------
    The weight decays over the search (:func:`energy_decay`):

    >>> import torch
    >>> logits, target = torch.tensor([[2.0, -1.0], [0.5, 1.5]]), torch.tensor([1, 1])
    >>> energy_penalty(logits, target, step=1, max_iter=30).round(decimals=4)
    tensor([ 0.0536, -0.0803])
    >>> energy_penalty(logits, target, step=30, max_iter=30).round(decimals=4)
    tensor([ 0.0046, -0.0068])
    """
    e = energy(logits, target)
    return energy_decay(step, max_iter) * (e + reg * e**2)


# --------------------------------------------------------------------------
# Generators
# --------------------------------------------------------------------------


class Generator(BaseEstimator):
    """Base class: cross-entropy towards the target plus the subclass' penalties.

    Subclasses implement :meth:`penalty`. Generators that search in a latent
    space set ``latent = True`` and implement :meth:`encode` / :meth:`decode`;
    those that need data (REVISE's VAE) learn it in :meth:`fit`.

    Examples
    --------
    A generator with a squared-L2 cost instead of the usual L1 cost:

    >>> import torch
    >>> class L2Generator(Generator):
    ...     def __init__(self, lambda_cost=0.1):
    ...         self.lambda_cost = lambda_cost
    ...
    ...     def penalty(self, x_cf, x, logits, target, step, max_iter):
    ...         return self.lambda_cost * ((x_cf - x) ** 2).sum(dim=1)
    >>> generator = L2Generator()
    >>> x_cf = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    >>> logits = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    >>> generator.loss(x_cf, torch.zeros(2, 2), logits, torch.tensor([1, 1]), 1, 100)
    tensor([0.4133, 1.7133])

    Every estimator takes it like a named generator:

    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_ct import CounterfactualExplainer
    >>> X, y = make_blobs(200, centers=2, random_state=0)
    >>> model = LogisticRegression().fit(X, y)
    >>> explainer = CounterfactualExplainer(model, generator=L2Generator()).fit(X)
    >>> bool(explainer.explain(X[:5]).valid.all())
    True
    """

    latent = False
    _parameter_constraints: ClassVar[dict] = {}

    def __getstate__(self):
        """Fitted tensors and modules go through ``torch.save`` (device-portable).

        Like skorch's nets: a generator fitted on a GPU (REVISE's VAE) unpickles
        on a machine without one, onto its CPU.
        """
        state = super().__getstate__()
        torch_state = {
            k: v
            for k, v in state.items()
            if isinstance(v, (torch.Tensor, torch.nn.Module))
        }
        if torch_state:
            buffer = io.BytesIO()
            torch.save(torch_state, buffer)
            for key in torch_state:
                del state[key]
            state["__torch_state__"] = buffer.getvalue()
        return state

    def __setstate__(self, state):
        """Load the tensors onto the GPU where one is available, else the CPU."""
        blob = state.pop("__torch_state__", None)
        if blob is not None:
            location = None if torch.cuda.is_available() else "cpu"
            state.update(
                torch.load(io.BytesIO(blob), map_location=location, weights_only=False)
            )
        super().__setstate__(state)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, random_state=None):
        """Learn what the generator needs from training data (nothing by default).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Training data, in the model's input space.
        y : ndarray of shape (n_samples,) or None, default=None
            Class indices; unused here, used by generators that learn per class.
        random_state : int, RandomState instance or None, default=None
            Seeds what the generator learns.

        Returns
        -------
        self
        """
        return self

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Search state for factuals ``x`` (the identity in feature space).

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Factuals.

        Returns
        -------
        Tensor
        """
        return x

    def decode(self, state: torch.Tensor) -> torch.Tensor:
        """Feature-space point of a search state (the identity in feature space).

        Parameters
        ----------
        state : Tensor
            Search states.

        Returns
        -------
        Tensor of shape (n, n_features)
        """
        return state

    def penalty(self, x_cf, x, logits, target, step, max_iter) -> torch.Tensor:
        """Weighted sum of penalties per sample; zero for the base class.

        Parameters
        ----------
        x_cf, x, logits, target, step, max_iter
            As in :meth:`~sklearn_ct.generators.Generator.loss`.

        Returns
        -------
        Tensor of shape (n,)
        """
        return torch.zeros(x_cf.shape[0], dtype=x_cf.dtype, device=x_cf.device)

    def loss(self, x_cf, x, logits, target, step, max_iter) -> torch.Tensor:
        """Search objective per sample: ``CE(M(x'), t) + penalty``.

        Parameters
        ----------
        x_cf : Tensor of shape (n, n_features)
            Current counterfactuals (feature space).
        x : Tensor of shape (n, n_features)
            Factuals.
        logits : Tensor of shape (n, n_classes)
            Model output at ``x_cf``.
        target : LongTensor of shape (n,)
            Target class indices.
        step : int
            1-based search step.
        max_iter : int
            Maximum number of steps ``T``.

        Returns
        -------
        Tensor of shape (n,)
        """
        ce = F.cross_entropy(logits, target, reduction="none")
        return ce + self.penalty(x_cf, x, logits, target, step, max_iter)
