"""Checkpoints of a fit: save every epoch, resume with nothing lost.

:class:`EpochCheckpoint` writes, at the end of every epoch, everything the
rest of the fit depends on: the network's weights, the optimizer's state, the
history, the state of both random number generators (the batch order's
and the counterfactual pool's) and, with early stopping, its state and best
weights. :func:`load_checkpoint` reads it back, so a
fit that crashed or was interrupted resumes at the next epoch and ends with
the very model an uninterrupted fit would have produced. A fingerprint of the
settings, the data and the sample weights guards against resuming someone
else's fit.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import torch
from skorch.callbacks import Callback
from skorch.history import History

FILENAME = "ct_checkpoint.pt"
#: Parameters that do not change what a fit computes.
_NEUTRAL = ("checkpoint_dir", "verbose", "n_threads")


def fingerprint(params: dict, X, y, sample_weight=None) -> str:
    """A digest of a fit's settings, data and sample weights (when any)."""
    digest = hashlib.sha256()
    for name in sorted(params):
        if name not in _NEUTRAL:
            digest.update(f"{name}={params[name]!r};".encode())
    arrays = (X, y) if sample_weight is None else (X, y, sample_weight)
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.shape}{array.dtype}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


class EpochCheckpoint(Callback):
    """Save the training state in ``dirname`` at the end of every epoch.

    Parameters
    ----------
    dirname : str or Path
        Folder of the checkpoint (created).
    fingerprint : str
        Of the fit's settings and data (:func:`fingerprint`).
    pool : CounterfactualPoolCallback
        Whose random number generator is saved too.
    seeds : list of int
        The fit's seeds (a fit with ``random_state=None`` resumes with them).
    early_stopping : ValidationEarlyStopping or None, default=None
        Whose state is saved too (it must come before this callback, so that
        the state saved is the one after the epoch).
    """

    def __init__(self, dirname, fingerprint, pool, seeds, early_stopping=None):
        self.dirname = dirname
        self.fingerprint = fingerprint
        self.pool = pool
        self.seeds = seeds
        self.early_stopping = early_stopping

    def on_epoch_end(self, net, **kwargs):
        """Write the state atomically (a crash while writing keeps the last one)."""
        pool_rng = getattr(self.pool, "rng_", None)
        state = {
            "fingerprint": self.fingerprint,
            "seeds": self.seeds,
            "module": net.module_.state_dict(),
            "optimizer": net.optimizer_.state_dict(),
            "history": list(net.history),
            "shuffle_rng": net.shuffle_rng_.get_state(),
            "pool_rng": None if pool_rng is None else pool_rng.get_state(),
            "early_stopping": (
                None
                if self.early_stopping is None
                else self.early_stopping.checkpoint_state()
            ),
        }
        folder = Path(self.dirname)
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / (FILENAME + ".partial")
        torch.save(state, partial)
        os.replace(partial, folder / FILENAME)


def load_checkpoint(dirname, expected_fingerprint) -> dict | None:
    """The saved state in ``dirname``, or None when there is none.

    Raises
    ------
    ValueError
        If the checkpoint belongs to a fit with other settings or data.
    """
    path = Path(dirname) / FILENAME
    if not path.is_file():
        return None
    state = torch.load(path, map_location="cpu", weights_only=False)
    if state.get("fingerprint") != expected_fingerprint:
        raise ValueError(
            f"checkpoint_dir={str(dirname)!r} holds the checkpoint of a fit with other"
            " settings or data; give another folder, or delete "
            f"{path.name} there to start afresh."
        )
    return state


def restore(net, state, pool, early_stopping=None) -> None:
    """Put a loaded state into an initialized net and its callbacks.

    The early stopping's state is taken up when training resumes
    (``resume_state_``, read in its ``on_train_begin``).
    """
    net.module_.load_state_dict(state["module"])
    net.optimizer_.load_state_dict(state["optimizer"])
    net.history = History(state["history"])
    net.shuffle_rng_ = torch.Generator().manual_seed(0)
    net.shuffle_rng_.set_state(state["shuffle_rng"])
    if state["pool_rng"] is not None and pool is not None:
        pool.rng_ = torch.Generator().manual_seed(0)
        pool.rng_.set_state(state["pool_rng"])
    if state.get("early_stopping") is not None and early_stopping is not None:
        early_stopping.resume_state_ = state["early_stopping"]
