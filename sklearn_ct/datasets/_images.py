"""Images: real MNIST (28x28) and scikit-learn's 8x8 digits, pixels in [-1, 1]."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.datasets import load_digits as _sklearn_load_digits
from sklearn.utils import Bunch

from . import _mnist
from ._splits import (
    _allocate,
    _check_n_samples,
    _make_rng,
    _split_pool,
    _stratified_choice,
)

# Reference (MLDatasets): 1,100 training images per class drawn with
# replacement, 1,000 of the 11,000 for validation; MNIST's 10,000 test images.
_MNIST_POOL_PER_CLASS = 1100
_MNIST_PROTECTED_ROWS = (*range(5), *range(_mnist.SIDE - 5, _mnist.SIDE))


def _pixel_names(side: int) -> list[str]:
    return [f"pixel_{r}_{c}" for r in range(side) for c in range(side)]


def _subsample_parts(
    y: np.ndarray, parts: list[np.ndarray], n_samples: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """A stratified subsample of each part, of sizes in proportion to the parts'."""
    sizes = _allocate(np.array([len(part) for part in parts]), n_samples)
    return [
        np.sort(part[_stratified_choice(y[part], int(size), rng)])
        for part, size in zip(parts, sizes, strict=True)
    ]


def _load_mnist(
    name: str, *, data_home: Any, n_samples: int | None, random_state: Any
) -> Bunch:
    found = _mnist.load_images(data_home)
    images, y = found.images, found.labels
    rng = _make_rng(random_state)
    if found.n_train is not None:
        # The reference's split: a class-balanced resample of the training
        # images (a repeated image is one row per draw), MNIST's test images.
        pool = rng.permutation(
            np.concatenate(
                [
                    rng.choice(
                        np.flatnonzero(y[: found.n_train] == k),
                        size=_MNIST_POOL_PER_CLASS,
                        replace=True,
                    )
                    for k in range(10)
                ]
            )
        )
        rows = np.concatenate([pool, np.arange(found.n_train, len(y))])
        images, y = images[rows], y[rows]
        test = np.arange(len(pool), len(y), dtype=np.int64)
        train, validation = _split_pool(y, np.arange(len(pool), dtype=np.int64), rng)
        split = (
            f"the reference's: {_MNIST_POOL_PER_CLASS:,} training images per "
            f"class drawn with replacement (seeded), of which {len(validation):,} "
            f"stratified validation rows and {len(train):,} training rows; "
            f"MNIST's {len(test):,} test images as the test set"
        )
    else:
        test = _stratified_choice(y, round(0.2 * len(y)), rng)
        train, validation = _split_pool(
            y, np.setdiff1d(np.arange(len(y), dtype=np.int64), test), rng
        )
        split = (
            f"stratified, {len(train):,} training / {len(validation):,} "
            f"validation / {len(test):,} test images (the paper trained on "
            "10,000 images)"
        )
    _check_n_samples(n_samples, len(y), minimum=20)
    if n_samples is not None:
        kept = _subsample_parts(y, [train, validation, test], int(n_samples), rng)
        keep = np.concatenate(kept)
        images, y = images[keep], y[keep]
        ends = np.cumsum([len(part) for part in kept])
        train, validation, test = (
            np.arange(end - len(part), end, dtype=np.int64)
            for part, end in zip(kept, ends, strict=True)
        )
        split = (
            f"a stratified subsample of {len(y):,} rows of that split, "
            f"{len(train):,} training / {len(validation):,} validation / "
            f"{len(test):,} test rows; the full split: " + split
        )
    feature_names = _pixel_names(_mnist.SIDE)
    protected = [
        f"pixel_{r}_{c}" for r in _MNIST_PROTECTED_ROWS for c in range(_mnist.SIDE)
    ]
    return Bunch(
        data=images.astype(np.float64) / 127.5 - 1.0,  # the reference's x * 2 - 1
        target=y,
        feature_names=feature_names,
        target_names=[str(k) for k in range(10)],
        protected_features=protected,
        categorical_features=[],
        domain=[(-1.0, 1.0)] * len(feature_names),
        train_index=train,
        validation_index=validation,
        test_index=test,
        source=found.source,
        n_source_images=len(found.labels),
        DESCR=(
            f"{name}: real MNIST handwritten digits, {found.origin}; {len(y):,} "
            f"rows of {_mnist.N_PIXELS} pixels (28x28, row by row) scaled to "
            "[-1, 1] as the reference did (x / 255 * 2 - 1), 10 classes.\n"
            "Protected features: pixel rows 0-4 and 23-27 (the top and bottom "
            "five rows).\n"
            f"Split: {split}.\n"
            f"Training images: {len(train):,}."
        ),
    )


def _load_digits(
    name: str, *, data_home: Any, n_samples: int | None, random_state: Any
) -> Bunch:
    digits = _sklearn_load_digits()
    _check_n_samples(n_samples, len(digits.target), minimum=20)
    rng = _make_rng(random_state)
    X = digits.data / 8.0 - 1.0  # [0, 16] -> [-1, 1], as MNIST's x * 2 - 1
    y = digits.target.astype(np.int64)
    if n_samples is not None:
        keep = _stratified_choice(y, int(n_samples), rng)
        X, y = X[keep], y[keep]
    everything = np.arange(len(y), dtype=np.int64)
    test = _stratified_choice(y, round(0.2 * len(y)), rng)
    pool = np.setdiff1d(everything, test)
    chosen = pool[_stratified_choice(y[pool], round(0.1 * len(pool)), rng)]
    feature_names = _pixel_names(8)
    # The 8x8 analogue of the paper's protected top and bottom five MNIST rows.
    protected = [f"pixel_{r}_{c}" for r in (0, 7) for c in range(8)]
    return Bunch(
        data=np.ascontiguousarray(X, dtype=np.float64),
        target=y,
        feature_names=feature_names,
        target_names=[str(k) for k in range(10)],
        protected_features=protected,
        categorical_features=[],
        domain=[(-1.0, 1.0)] * len(feature_names),
        train_index=np.setdiff1d(pool, chosen),
        validation_index=chosen,
        test_index=test,
        DESCR=(
            f"{name}: scikit-learn's 8x8 handwritten digits (not MNIST); "
            f"{len(y)} images, 64 pixels scaled to [-1, 1], 10 classes.\n"
            "Protected features: pixel rows 0 and 7 (top and bottom rows).\n"
            f"Split: stratified 80/20 train pool/test ({len(test)} test), "
            f"{len(chosen)} stratified validation rows (10% of the pool)."
        ),
    )
