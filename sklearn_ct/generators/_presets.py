"""The named generators: presets of a few lines, and the one resolver of names.

Generic (Wachter), ECCCo (the paper's), REVISE (a VAE's latent space) and
Gravitational (a pull towards target-class samples), each a :class:`Generator`
with its own penalties; :func:`resolve_generator` turns a ``generator``
parameter (a name or an instance) into a fresh generator, and
:func:`check_penalty_weights` refuses penalty weights the generator would
ignore or that duplicate an instance's own.
"""

from __future__ import annotations

from numbers import Integral
from typing import ClassVar

import numpy as np
import torch
from sklearn.base import clone

from ..utils._compat import Interval, _fit_context
from ._base import _NON_NEGATIVE, Generator, energy_penalty, l1_cost


class GenericGenerator(Generator):
    """Wachter-style generator: cross-entropy plus an L1 cost.

    Parameters
    ----------
    lambda_cost : float, default=0.001
        Weight of ``||x' - x||_1``.

    Examples
    --------
    >>> GenericGenerator(lambda_cost=0.1)
    GenericGenerator(lambda_cost=0.1)
    """

    _parameter_constraints: ClassVar[dict] = {"lambda_cost": [_NON_NEGATIVE]}

    def __init__(self, lambda_cost=0.001):
        self.lambda_cost = lambda_cost

    def penalty(self, x_cf, x, logits, target, step, max_iter):
        """``lambda_cost * ||x' - x||_1`` per sample.

        Parameters
        ----------
        x_cf, x, logits, target, step, max_iter
            As in :meth:`~sklearn_ct.generators.Generator.loss`.

        Returns
        -------
        Tensor of shape (n,)
        """
        return self.lambda_cost * l1_cost(x_cf, x)


class ECCCoGenerator(Generator):
    """ECCCo (without the conformal set-size term): L1 cost plus a decaying energy.

    Penalty ``lambda_cost * ||x' - x||_1 + lambda_energy * phi_t * (E + reg E^2)``
    with ``E = -M(x')[t]`` (the paper's training-time generator). The defaults are the training
    settings of the paper; its evaluation uses ``lambda_cost=0`` and
    ``lambda_energy`` in {0.1, 0.5, 1, 5, 10}.

    Parameters
    ----------
    lambda_cost : float, default=0.001
        Weight of the L1 cost.
    lambda_energy : float, default=5.0
        Weight of the energy penalty.
    energy_reg : float, default=1e-3
        Weight of the quadratic part of the energy penalty.

    Examples
    --------
    >>> ECCCoGenerator(lambda_energy=1.0).get_params()["lambda_energy"]
    1.0
    """

    _parameter_constraints: ClassVar[dict] = {
        "lambda_cost": [_NON_NEGATIVE],
        "lambda_energy": [_NON_NEGATIVE],
        "energy_reg": [_NON_NEGATIVE],
    }

    def __init__(self, lambda_cost=0.001, lambda_energy=5.0, energy_reg=1e-3):
        self.lambda_cost = lambda_cost
        self.lambda_energy = lambda_energy
        self.energy_reg = energy_reg

    def penalty(self, x_cf, x, logits, target, step, max_iter):
        """L1 cost plus the decaying energy penalty, per sample.

        Parameters
        ----------
        x_cf, x, logits, target, step, max_iter
            As in :meth:`~sklearn_ct.generators.Generator.loss`.

        Returns
        -------
        Tensor of shape (n,)
        """
        return self.lambda_cost * l1_cost(x_cf, x) + self.lambda_energy * (
            energy_penalty(logits, target, step, max_iter, self.energy_reg)
        )


class REVISEGenerator(Generator):
    """REVISE: search in the latent space of a VAE fitted on the training data.

    ``x' = decode(z)`` with penalty ``lambda_cost * ||x' - x||_1``. Mutability
    cannot be enforced by masking a latent step; the search projects every
    decoded point back onto the mutability and domain constraints instead, so
    the returned counterfactuals obey them like every other generator's.

    Parameters
    ----------
    lambda_cost : float, default=0.001
        Weight of the L1 cost.
    latent_dim : int or None, default=None
        Size of the latent space; ``None`` uses the reference's sizes
        (2 for two-feature data, else 4).
    hidden_size : int or None, default=None
        Width of the VAE's hidden layers; ``None``: 16 for two-feature data,
        else 32.
    max_epochs : int, default=100
        VAE training epochs (Adam, learning rate 1e-3, batch size 50).

    Attributes
    ----------
    vae_ : VAE
        The fitted autoencoder.

    Examples
    --------
    >>> import torch
    >>> from sklearn.datasets import make_moons
    >>> X, y = make_moons(200, noise=0.1, random_state=0)
    >>> generator = REVISEGenerator(max_epochs=5).fit(X, random_state=0)
    >>> z = generator.encode(torch.as_tensor(X[:3], dtype=torch.float32))
    >>> z.shape, generator.decode(z).shape  # two features: a 2-d latent space
    (torch.Size([3, 2]), torch.Size([3, 2]))

    An explainer (or a classifier) fits the VAE in its own ``fit``:

    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_ct import CounterfactualExplainer
    >>> model = LogisticRegression().fit(X, y)
    >>> explainer = CounterfactualExplainer(
    ...     model, generator=REVISEGenerator(max_epochs=5), random_state=0).fit(X)
    >>> explainer.explain(X[:3]).counterfactuals.shape
    (3, 2)
    """

    latent = True
    _parameter_constraints: ClassVar[dict] = {
        "lambda_cost": [_NON_NEGATIVE],
        "latent_dim": [Interval(Integral, 1, None, closed="left"), None],
        "hidden_size": [Interval(Integral, 1, None, closed="left"), None],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self, lambda_cost=0.001, latent_dim=None, hidden_size=None, max_epochs=100
    ):
        self.lambda_cost = lambda_cost
        self.latent_dim = latent_dim
        self.hidden_size = hidden_size
        self.max_epochs = max_epochs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, random_state=None):
        """Fit the VAE on ``X`` (the model's input space).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Training data, in the model's input space.
        y : ndarray of shape (n_samples,) or None, default=None
            Class indices (unused).
        random_state : int, RandomState instance or None, default=None
            Seeds the VAE's weights and training.

        Returns
        -------
        self
        """
        from ._vae import fit_vae

        X = np.asarray(X, dtype=np.float32)
        small = X.shape[1] <= 2
        latent = self.latent_dim or (2 if small else 4)
        hidden = self.hidden_size or (16 if small else 32)
        self.vae_ = fit_vae(
            X,
            latent_dim=latent,
            hidden_size=hidden,
            max_epochs=self.max_epochs,
            random_state=random_state,
        )
        return self

    def _vae(self):
        if not hasattr(self, "vae_"):
            raise RuntimeError(
                "REVISEGenerator needs a fitted VAE: call fit(X) first (the "
                "explainer and the classifier do this in their own fit)."
            )
        return self.vae_

    def encode(self, x):
        """Latent mean of ``x`` (deterministic, unlike the reference).

        Parameters
        ----------
        x : Tensor of shape (n, n_features)
            Factuals.

        Returns
        -------
        Tensor of shape (n, latent_dim)
        """
        vae = self._vae().to(x.device)
        with torch.no_grad():
            return vae.encode(x.to(next(vae.parameters()).dtype))[0].to(x.dtype)

    def decode(self, state):
        """Decoded feature-space point of a latent state.

        Parameters
        ----------
        state : Tensor of shape (n, latent_dim)
            Latent search states.

        Returns
        -------
        Tensor of shape (n, n_features)
        """
        vae = self._vae().to(state.device)
        return vae.decode(state.to(next(vae.parameters()).dtype)).to(state.dtype)

    def penalty(self, x_cf, x, logits, target, step, max_iter):
        """``lambda_cost * ||decode(z) - x||_1`` per sample.

        Parameters
        ----------
        x_cf, x, logits, target, step, max_iter
            As in :meth:`~sklearn_ct.generators.Generator.loss`.

        Returns
        -------
        Tensor of shape (n,)
        """
        return self.lambda_cost * l1_cost(x_cf, x)


class GravitationalGenerator(Generator):
    """Generic plus a pull towards random target-class samples.

    Penalty ``lambda_cost * ||x' - x||_1 + lambda_gravity * mean_j ||x' - s_j||_1``
    over ``n_samples`` training samples ``s_j`` of the target class drawn at
    ``fit`` (an optional generator of the paper's reference code).

    Parameters
    ----------
    lambda_cost : float, default=0.001
        Weight of the L1 cost.
    lambda_gravity : float, default=0.1
        Weight of the mean distance to target-class samples.
    n_samples : int, default=50
        Target-class samples per class kept for the penalty.

    Attributes
    ----------
    anchors_ : Tensor of shape (n_classes, n_samples, n_features)
        The target-class samples, by class index.

    Examples
    --------
    >>> import torch
    >>> from sklearn.datasets import make_moons
    >>> X, y = make_moons(200, noise=0.1, random_state=0)
    >>> generator = GravitationalGenerator(n_samples=10).fit(X, y, random_state=0)
    >>> generator.anchors_.shape
    torch.Size([2, 10, 2])

    The penalty of a point at the origin is larger towards class 0, whose
    samples lie farther from it:

    >>> x = torch.zeros(1, 2)
    >>> for target in (0, 1):
    ...     penalty = generator.penalty(x, x, None, torch.tensor([target]), 1, 100)
    ...     print(target, round(float(penalty), 4))
    0 0.1354
    1 0.0899
    """

    _parameter_constraints: ClassVar[dict] = {
        "lambda_cost": [_NON_NEGATIVE],
        "lambda_gravity": [_NON_NEGATIVE],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, lambda_cost=0.001, lambda_gravity=0.1, n_samples=50):
        self.lambda_cost = lambda_cost
        self.lambda_gravity = lambda_gravity
        self.n_samples = n_samples

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, random_state=None):
        """Draw ``n_samples`` samples per class (with replacement) from ``(X, y)``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Training data, in the model's input space.
        y : ndarray of shape (n_samples,) or None, default=None
            Class indices (required).
        random_state : int, RandomState instance or None, default=None
            Seeds the draw.

        Returns
        -------
        self
        """
        from sklearn.utils import check_random_state

        if y is None:
            raise ValueError("GravitationalGenerator.fit needs class labels y.")
        rng = check_random_state(random_state)
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y)
        anchors = [
            X[rng.choice(np.flatnonzero(y == k), self.n_samples)]
            for k in range(int(y.max()) + 1)
        ]
        self.anchors_ = torch.as_tensor(np.stack(anchors))
        return self

    def penalty(self, x_cf, x, logits, target, step, max_iter):
        """L1 cost plus mean L1 distance to the target class' anchors.

        Parameters
        ----------
        x_cf, x, logits, target, step, max_iter
            As in :meth:`~sklearn_ct.generators.Generator.loss`.

        Returns
        -------
        Tensor of shape (n,)
        """
        anchors = self.anchors_.to(x_cf.device, x_cf.dtype)[target]  # (n, m, d)
        gravity = (x_cf.unsqueeze(1) - anchors).abs().sum(-1).mean(-1)
        return self.lambda_cost * l1_cost(x_cf, x) + self.lambda_gravity * gravity


GENERATORS = {
    "generic": GenericGenerator,
    "wachter": GenericGenerator,
    "ecco": ECCCoGenerator,
    "eccco": ECCCoGenerator,
    "revise": REVISEGenerator,
    "gravitational": GravitationalGenerator,
}


def resolve_generator(generator, **overrides) -> Generator:
    """The one place that turns a ``generator`` parameter into a fresh generator.

    Parameters
    ----------
    generator : str or Generator
        A name (``"generic"``, ``"ecco"``, ``"revise"``, ``"gravitational"``) or
        an instance, which is cloned (never modified).
    **overrides
        Parameters to set on the generator; ``None`` values are ignored, and so
        are parameters the generator does not have (``lambda_energy`` for
        Generic, say): the estimators refuse those first, with
        :func:`check_penalty_weights`.

    Returns
    -------
    Generator
        An unfitted generator.

    Examples
    --------
    >>> resolve_generator("ecco", lambda_cost=0.0)
    ECCCoGenerator(lambda_cost=0.0)
    """
    if isinstance(generator, str):
        key = generator.lower()
        if key not in GENERATORS:
            raise ValueError(
                f"generator={generator!r} is not understood; expected one of "
                f"{sorted(set(GENERATORS))} or a Generator instance."
            )
        generator = GENERATORS[key]()
    elif isinstance(generator, Generator):
        generator = clone(generator)
    else:
        raise ValueError(
            "generator must be a name or a sklearn_ct.generators.Generator "
            f"instance; got {type(generator).__name__}."
        )
    params = generator.get_params(deep=False)
    updates = {k: v for k, v in overrides.items() if v is not None and k in params}
    return generator.set_params(**updates)


def check_penalty_weights(generator, resolved, **weights) -> dict:
    """The penalty weights to set on ``resolved``; refuse those that cannot apply.

    A weight the generator has no parameter for would silently do nothing,
    and a weight given beside a generator instance duplicates the one the
    instance holds: both are a ``ValueError``, as scikit-learn refuses a
    setting that is ignored or given twice.

    Parameters
    ----------
    generator : str, Generator or None
        The ``generator`` the user gave: a name, an instance (which holds its
        own weights), or ``None`` for a fitted classifier's own training
        generator, whose weights these adjust.
    resolved : Generator
        The generator ``generator`` stands for.
    **weights
        ``lambda_cost``, ``lambda_energy``, ...; ``None``: not given.

    Returns
    -------
    dict
        The weights given (not ``None``).

    Raises
    ------
    ValueError
        Naming the weight, the generator and the named generators that use it.

    Examples
    --------
    >>> check_penalty_weights("ecco", ECCCoGenerator(), lambda_energy=2.0)
    {'lambda_energy': 2.0}
    >>> check_penalty_weights("generic", GenericGenerator(), lambda_energy=2.0)
    Traceback (most recent call last):
    ...
    ValueError: lambda_energy=2.0 does nothing with generator='generic' \
(GenericGenerator has no lambda_energy); it is used by generator='ecco'. \
Leave lambda_energy=None, or choose a generator that uses it.
    """
    given = {k: v for k, v in weights.items() if v is not None}
    params = resolved.get_params(deep=False)
    which = (
        f"the classifier's training generator {resolved!r}"
        if generator is None
        else f"generator={generator!r}"
    )
    for name, value in given.items():
        if name not in params:
            users = [n for n in _NAMES if name in GENERATORS[n]().get_params()]
            used = " or ".join(f"generator={n!r}" for n in users) or "none of them"
            raise ValueError(
                f"{name}={value!r} does nothing with {which} "
                f"({type(resolved).__name__} has no {name}); it is used by {used}."
                f" Leave {name}=None, or choose a generator that uses it."
            )
        if isinstance(generator, Generator):
            raise ValueError(
                f"{name}={value!r} was given beside generator={generator!r}, which"
                f" holds its own {name}={params[name]!r}. Set it on the instance "
                f"({type(resolved).__name__}({name}={value!r}), or "
                f"generator__{name} in a grid search), or name the generator "
                "instead of passing an instance."
            )
    return given


#: The generators' names (``GENERATORS`` also holds aliases).
_NAMES = ("generic", "ecco", "revise", "gravitational")
