"""Random numbers and splits shared by the loaders: seeds, stratified draws."""

from __future__ import annotations

from typing import Any

import numpy as np

# Synthetic sets: 3,000 train + 600 validation + 900 test (as in the paper).
_SYNTHETIC_SIZES = (3000, 600, 900)
_MAX_VALIDATION = 1000


def _make_rng(random_state: Any) -> np.random.Generator:
    """Return a Generator; ``None`` draws fresh entropy (never the global RNG)."""
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator | int | np.integer):
        return np.random.default_rng(random_state)
    raise TypeError(
        "random_state must be None, an int, a numpy RandomState or a numpy "
        f"Generator; got {random_state!r}."
    )


def _allocate(counts: np.ndarray, size: int) -> np.ndarray:
    """Share ``size`` among groups of ``counts`` rows in proportion."""
    quota = size * counts / counts.sum()
    alloc = np.floor(quota).astype(np.int64)
    # Largest remainders get the rows left over after flooring.
    remainder_order = np.argsort(alloc - quota, kind="stable")
    alloc[remainder_order[: size - alloc.sum()]] += 1
    return alloc


def _stratified_choice(
    y: np.ndarray, size: int, rng: np.random.Generator
) -> np.ndarray:
    """Draw ``size`` positions of ``y`` keeping class proportions (sorted)."""
    classes, counts = np.unique(y, return_counts=True)
    alloc = _allocate(counts, size)
    chosen = [
        rng.choice(np.flatnonzero(y == label), size=k, replace=False)
        for label, k in zip(classes, alloc, strict=True)
    ]
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def _split_pool(
    y: np.ndarray, pool: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Take a stratified validation set of min(1000, 10%) rows from ``pool``."""
    n_validation = min(_MAX_VALIDATION, round(0.1 * len(pool)))
    chosen = pool[_stratified_choice(y[pool], n_validation, rng)]
    return np.setdiff1d(pool, chosen), chosen


def _check_n_samples(n_samples: Any, n_available: int | None, minimum: int) -> None:
    if n_samples is None:
        return
    if not isinstance(n_samples, int | np.integer) or isinstance(n_samples, bool):
        raise TypeError(f"n_samples must be None or an int; got {n_samples!r}.")
    if n_samples < minimum:
        raise ValueError(f"n_samples must be at least {minimum}; got {n_samples}.")
    if n_available is not None and n_samples > n_available:
        raise ValueError(
            f"n_samples={n_samples} exceeds the {n_available} rows of the data set."
        )
