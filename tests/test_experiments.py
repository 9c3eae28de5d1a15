"""Tests of the experiment protocol: data, models, settings and a quick run."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sklearn_ct.datasets import DATASETS
from sklearn_ct.experiments import (
    PAPER_RESULTS,
    PAPER_SETTINGS,
    make_model,
    prepare_data,
    protocol,
    reproduce,
)

DATA_HOME = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA_HOME / "credit_default.csv").is_file(),
                                reason="the real data sets are not in ../shared/data")


def test_settings_cover_every_data_set():
    assert set(PAPER_SETTINGS) == set(DATASETS)
    assert set(PAPER_RESULTS) == {*DATASETS, "Avg."}
    assert PAPER_SETTINGS["moons"]["tau"] == 0.9
    assert PAPER_SETTINGS["gmsc"]["lambda_reg"] == 0.5
    assert PAPER_SETTINGS["adult"]["batch_size"] == 1000
    assert PAPER_SETTINGS["digits"]["n_individuals"] == 25
    with pytest.raises(TypeError):
        PAPER_SETTINGS["moons"]["tau"] = 0.5  # read-only


def test_quick_protocol_shrinks_the_full_one():
    full, quick = protocol(), protocol(quick=True)
    assert (full["n_rounds"], full["model"]["max_epochs"]) == (100, 100)
    assert (quick["n_rounds"], quick["model"]["max_epochs"]) == (5, 10)
    assert quick["lambdas"] == [1.0] and quick["quick"] and not full["quick"]


def test_prepare_synthetic_data():
    data = prepare_data("moon")
    assert data.name == "moons"
    assert data.X_train.shape == (3000, 2) and data.X_test.shape == (900, 2)
    assert data.y_train.shape == (3000,) and set(data.y_test) == {0, 1}
    assert data.mutability == ["none", "both"] and data.protected == [0]
    assert data.categorical_groups == [] and data.domain == "infer"
    assert np.abs(data.X_train).max() > 1.5  # raw features, not standardised


def test_prepare_digits_keeps_pixels_and_their_domain():
    data = prepare_data("digits")
    assert data.X_train.shape[1] == 64 and len(data.domain) == 64
    assert data.X_train.min() >= -1 and data.X_train.max() <= 1
    assert data.protected == [*range(8), *range(56, 64)]


@needs_data
def test_prepare_tabular_data_one_hot_and_protected():
    data = prepare_data("cred", data_home=DATA_HOME)
    assert data.X_train.shape[0] + data.X_test.shape[0] < 13272  # validation left out
    assert data.X_train.shape[1] == data.X_test.shape[1] == len(data.feature_names)
    assert [data.feature_names[j] for j in data.protected] == ["num__AGE"]
    assert data.mutability.count("none") == 1
    assert len(data.categorical_groups) == 3  # SEX, EDUCATION, MARRIAGE
    for group in data.categorical_groups:
        assert all(data.feature_names[j].startswith("cat__") for j in group)
        np.testing.assert_allclose(data.X_train[:, group].sum(axis=1), 1.0)
    numeric = [j for j, n in enumerate(data.feature_names) if n.startswith("num__")]
    np.testing.assert_allclose(data.X_train[:, numeric].mean(axis=0), 0, atol=1e-8)


def test_make_model_follows_the_pairs():
    data = prepare_data("ls")
    single = make_model(data, "single", "CT", random_state=3)
    protected = make_model(data, "protected", "CT", quick=True)
    baseline = make_model(data, "protected", "BL")
    assert single.mutability is None and single.lambda_reg == 0.01
    assert single.random_state == 3 and single.batch_size == 30
    assert protected.mutability == ["none", "both"] and protected.max_epochs == 10
    assert (protected.lambda_reg, protected.lambda_adv) == (0.01, 0.25)  # our choice
    reference = make_model(data, "protected", "CT", reference_zero_ridge=True)
    assert reference.lambda_reg == reference.lambda_adv == 0.0
    assert make_model(data, "single", "CT",
                      reference_zero_ridge=True).lambda_reg == 0.01
    assert baseline.objective == "vanilla"
    with pytest.raises(ValueError, match="pair must be"):
        make_model(data, "both", "CT")


@needs_data
def test_make_model_passes_one_hot_groups_for_tabular_data():
    data = prepare_data("credit_default", data_home=DATA_HOME)
    model = make_model(data, "protected", "CT")
    assert model.categorical_groups == data.categorical_groups
    assert model.lambda_reg == 0.25 and model.lambda_adv == 0.25
    assert model.decision_threshold == 0.5 and model.n_counterfactuals == 5000


def _numbers(cell):
    return [float(v) for v in cell.replace("*", "").split("±")]


@pytest.mark.slow
def test_quick_reproduce_writes_every_output(tmp_path):
    tables = reproduce(["linearly_separable", "moons"], quick=True, out=tmp_path,
                       n_jobs=2, verbose=0)
    for name in ("main_table.csv", "main_table.md", "accuracy.csv", "accuracy.md",
                 "robustness.csv", "robustness.png", "validity.csv",
                 "sensitivity.csv", "per_round.csv", "reductions.csv",
                 "settings.json"):
        assert (tmp_path / name).stat().st_size > 0, name
    main = pd.read_csv(tmp_path / "main_table.csv", index_col=0)
    assert list(main.index) == ["LS", "Moon", "Avg."]
    for column in ("IP", "IP*", "Cost"):
        assert all(math.isfinite(v) for cell in main[column]
                   for v in _numbers(cell))
    assert "QUICK" in (tmp_path / "main_table.md").read_text()
    settings = json.loads((tmp_path / "settings.json").read_text())
    assert settings["quick"] is True and settings["settings"]["n_rounds"] == 5
    assert set(settings["seconds"]) == {"prepare", "train", "evaluate", "write",
                                        "total"}
    assert len(settings["seeds"]) == 8 and "torch" in settings["versions"]
    assert set(tables) >= {"main_table", "accuracy", "robustness", "per_round"}
    assert len(tables["per_round"]) == 2 * 2 * 5 * 2  # sets x pairs x rounds x models
