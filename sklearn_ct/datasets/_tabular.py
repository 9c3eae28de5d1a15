"""The paper's four real tabular data sets, read from CSV files (local, else downloaded)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._fetch import data_file
from ._splits import (
    _check_n_samples,
    _make_rng,
    _split_pool,
    _stratified_choice,
)

_NOTE = (
    "Features are raw (not standardised, not one-hot encoded): fit any scaler or\n"
    "encoder on the training part only, e.g. in a ColumnTransformer."
)


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
    rng = _make_rng(random_state)
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
