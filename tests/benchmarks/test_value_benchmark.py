"""The value benchmark (``sklearn-ct bench --value``): what CT buys against a baseline."""

import numpy as np
import pandas as pd
import pytest

from sklearn_ct.benchmarks.value import (
    METRICS,
    _people,
    mad_scale,
    relative_changes,
    run_value,
)
from sklearn_ct.cli import main


def test_value_run_writes_every_column_for_both_models_and_ways(tmp_path):
    frame = run_value(
        tmp_path, quick=True, datasets=("moons",), seeds=2, params={"max_epochs": 2}
    )
    written = pd.read_csv(tmp_path / "value.csv")
    assert len(written) == len(frame) == 2 * 2 * 2  # seeds x models x ways
    for column in (
        "dataset",
        "seed",
        "model",
        "way",
        "accuracy",
        "validity",
        "cost",
        "cost_mad",
        "IP",
        "IP*",
        "manifold",
        "people_manifold",
        "robustness",
        "beyond_range",
        "matured",
        "fit_seconds",
    ):
        assert column in written.columns
    assert set(written["model"]) == {"BL", "CT"}
    assert set(written["way"]) == {"default", "protocol"}
    # Only CT searches counterfactuals while training.
    assert written.loc[written["model"] == "BL", "matured"].isna().all()
    assert written.loc[written["model"] == "CT", "matured"].between(0, 1).all()
    assert written["robustness"].dropna().between(0, 1).all()
    assert written["beyond_range"].dropna().between(0, 1).all()
    # Both models of a seed explain the same people.
    assert written.groupby(["seed", "way"])["n_people"].nunique().eq(1).all()
    people = written.groupby(["seed", "way"])["people_manifold"]
    assert (people.max() - people.min()).eq(0).all()
    assert (written["people_manifold"] > 0).all()
    assert "People's own manifold distance" in (tmp_path / "value.txt").read_text()
    assert (tmp_path / "value.png").stat().st_size > 0
    assert "gain of CT" in (tmp_path / "value.txt").read_text()


class _Predicts:
    def __init__(self, labels):
        self.labels = np.asarray(labels)

    def predict(self, X):
        return self.labels[: len(X)]


def test_people_are_the_rows_every_model_predicts_as_class_0():
    X = np.zeros((6, 2))
    models = [_Predicts([0, 0, 1, 0, 0, 1]), _Predicts([0, 1, 1, 0, 0, 0])]
    assert _people(models, X, n_people=10, seed=0).tolist() == [0, 3, 4]
    two = _people(models, X, n_people=2, seed=0)
    assert len(two) == 2 and set(two) <= {0, 3, 4} and (np.diff(two) > 0).all()


def test_value_cli_passes_settings_to_both_models(tmp_path, capsys):
    main(
        [
            "bench",
            "--value",
            "--quick",
            "--datasets",
            "moons",
            "--seeds",
            "1",
            "--params",
            '{"max_epochs": 1, "lambda_adv": 0.0}',
            "--out",
            str(tmp_path),
        ]
    )
    printed = capsys.readouterr().out
    assert "'lambda_adv': 0.0" in printed
    assert len(pd.read_csv(tmp_path / "value.csv")) == 4


def test_relative_changes_are_positive_when_ct_is_better():
    rows = []
    for seed in (0, 1):
        for model, cost, accuracy in (("BL", 2.0, 0.80), ("CT", 1.0, 0.82)):
            rows.append(
                {
                    "dataset": "d",
                    "seed": seed,
                    "model": model,
                    "way": "default",
                    "accuracy": accuracy,
                    "validity": 1.0,
                    "cost": cost,
                    "cost_mad": cost,
                    "IP": cost,
                    "IP*": cost,
                    "manifold": cost,
                    "robustness": 0.5,
                    "beyond_range": 0.4 if model == "BL" else 0.1,
                }
            )
    changes = relative_changes(pd.DataFrame(rows)).set_index("metric")
    assert set(changes.index) == set(METRICS)
    assert changes.loc["cost", "change"] == pytest.approx(50.0)  # % lower
    assert changes.loc["accuracy", "change"] == pytest.approx(2.0)  # points
    assert changes.loc["robustness", "change"] == pytest.approx(0.0)
    assert changes.loc["beyond_range", "change"] == pytest.approx(30.0)  # points


def test_mad_scale_floors_concentrated_columns():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 1.0]])
    scale = mad_scale(X)
    assert scale[0] == pytest.approx(1.0)  # the MAD itself
    assert scale[1] == pytest.approx(X[:, 1].std() / 10)  # MAD 0: floored
    assert mad_scale(np.ones((3, 1)))[0] == 1.0  # constant column
