"""The variational autoencoder behind the REVISE generator.

Architecture and training follow the paper's reference implementation: encoder
``Dense(D -> H, sigmoid)`` with linear heads for the mean and log-std of a
latent of size ``L``; decoder ``Dense(L -> H, tanh) -> Dense(H -> D)``; loss =
reconstruction MSE (summed over features, averaged over the batch) + KL to the
standard normal + 0.01 * L2 on the decoder's weights; Adam 1e-3, batch 50.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils import check_random_state
from torch import nn


class VAE(nn.Module):
    """Gaussian VAE with one hidden layer in the encoder and in the decoder.

    Parameters
    ----------
    n_features : int
        Input size ``D``.
    latent_dim : int
        Latent size ``L``.
    hidden_size : int
        Hidden width ``H``.
    """

    def __init__(self, n_features: int, latent_dim: int, hidden_size: int):
        super().__init__()
        self.hidden = nn.Sequential(nn.Linear(n_features, hidden_size), nn.Sigmoid())
        self.mean = nn.Linear(hidden_size, latent_dim)
        self.log_std = nn.Linear(hidden_size, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden_size),
            nn.Tanh(),
            nn.Linear(hidden_size, n_features),
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-std of the approximate posterior."""
        h = self.hidden(x)
        return self.mean(h), self.log_std(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Reconstruction of latent codes."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor, noise: torch.Tensor) -> tuple:
        """Reconstruction via the reparameterisation ``z = mu + sigma * noise``."""
        mu, log_std = self.encode(x)
        z = mu + log_std.exp() * noise
        return self.decode(z), mu, log_std


def vae_loss(model: VAE, x, x_hat, mu, log_std, weight_decay: float = 0.01):
    """Reconstruction + KL + L2 on decoder weights, averaged over the batch."""
    n = x.shape[0]
    reconstruction = ((x_hat - x) ** 2).sum() / n
    kl = 0.5 * (mu**2 + (2 * log_std).exp() - 1 - 2 * log_std).sum() / n
    l2 = sum((p**2).sum() for p in model.decoder.parameters())
    return reconstruction + kl + weight_decay * l2


def fit_vae(
    X: np.ndarray,
    latent_dim: int,
    hidden_size: int,
    max_epochs: int = 100,
    batch_size: int = 50,
    lr: float = 1e-3,
    random_state=None,
) -> VAE:
    """Train a :class:`VAE` on ``X``, reproducibly and without global RNG state.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training data, in the model's input space.
    latent_dim, hidden_size : int
        Sizes of the latent space and of the hidden layers.
    max_epochs : int, default=100
        Training epochs.
    batch_size : int, default=50
        Mini-batch size.
    lr : float, default=1e-3
        Learning rate of Adam.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the batch order and the sampling noise.

    Returns
    -------
    VAE
        The trained model, in eval mode.
    """
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    gen = torch.Generator().manual_seed(seed)
    X = torch.tensor(np.asarray(X, dtype=np.float32))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # parameter initialisation only
        model = VAE(X.shape[1], latent_dim, hidden_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(max_epochs):
        order = torch.randperm(X.shape[0], generator=gen)
        for batch in order.split(batch_size):
            x = X[batch]
            noise = torch.randn(x.shape[0], latent_dim, generator=gen)
            x_hat, mu, log_std = model(x, noise)
            loss = vae_loss(model, x, x_hat, mu, log_std)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval().requires_grad_(False)
