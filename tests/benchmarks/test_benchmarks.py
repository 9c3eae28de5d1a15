import math
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.datasets import make_moons

from sklearn_ct import CounterfactualTrainingClassifier
from sklearn_ct.benchmarks import (
    check_claims,
    format_scaling,
    run_benchmarks,
    run_scaling,
)
from sklearn_ct.benchmarks.devices import bench_devices
from sklearn_ct.benchmarks.dice import MinMaxProbability, bench_dice
from sklearn_ct.benchmarks.floor import ENV, bench_floor
from sklearn_ct.benchmarks.scaling import COLUMNS

TINY = {
    "rows": (300, 600),
    "configs": ((50, (4,)),),
    "epochs": 1,
    "batch_size": 100,
    "n_features": 3,
    "verbose": False,
}


def _check_scaling_files(frame, out):
    written = pd.read_csv(out / "scaling.csv")
    assert list(written.columns) == list(COLUMNS)
    assert written["n_rows"].tolist() == [300, 600]
    assert (written["hidden_layer_sizes"] == "(4,)").all()
    assert (
        (
            written[
                [
                    "fit_seconds",
                    "epoch_seconds",
                    "explain_seconds",
                    "explanations_per_second",
                    "data_mb",
                ]
            ]
            > 0
        )
        .all()
        .all()
    )
    assert (written["n_explained"] == written["n_rows"]).all()
    assert (written["explain_model_rows"] == 600).all()
    assert (written["torch_threads"] == 1).all()
    assert np.allclose(written["fit_seconds"], frame["fit_seconds"])
    assert (out / "scaling.png").stat().st_size > 10_000


def test_scaling_writes_csv_and_plot_in_process(tmp_path):
    frame = run_scaling(tmp_path, fresh_process=False, **TINY)
    _check_scaling_files(frame, tmp_path)
    assert format_scaling(frame).splitlines()[0].split()[:3] == [
        "rows",
        "cf/epoch",
        "hidden",
    ]
    lines = check_claims(frame)
    assert lines[0] == "50 cf/epoch, hidden (4,):"
    assert all(("holds" in line) or ("FAILS" in line) for line in lines[1:])


@pytest.mark.slow
def test_scaling_in_fresh_processes(tmp_path):
    frame = run_scaling(tmp_path, fresh_process=True, **TINY)
    _check_scaling_files(frame, tmp_path)
    # Each child measures from its own baseline: small extras, up to the
    # kernel's lag in counting resident pages (a fraction of a MiB).
    assert (frame[["fit_peak_mb", "explain_peak_mb"]].abs() < 20).all().all()
    assert (frame["fit_base_mb"] > 50).all()


def _scaling_frame(fit_peak_mb, explain_peak_mb, rates):
    rows = np.array([10**4, 10**5, 10**6])
    return pd.DataFrame(
        {
            "n_rows": rows,
            "n_counterfactuals": 1000,
            "hidden_layer_sizes": "(32,)",
            "data_mb": rows * 48 / 2**20,
            "fit_seconds": rows / 1e5,
            "fit_peak_mb": fit_peak_mb,
            "explain_peak_mb": explain_peak_mb,
            "explain_result_mb": rows * 200 / 2**20,
            "explanations_per_second": rates,
        }
    )


def test_check_claims_tells_bounded_from_growing_memory():
    rows = np.array([10**4, 10**5, 10**6])
    bounded = _scaling_frame(np.full(3, 5.0), rows * 200 / 2**20 + 20, [4e4] * 3)
    growing = _scaling_frame(rows * 240 / 2**20, rows * 1200 / 2**20, [5e4, 5e4, 2e4])
    assert sum("FAILS" in line for line in check_claims(bounded)) == 0
    failed = [line for line in check_claims(growing) if "FAILS" in line]
    assert len(failed) == 2 and "fit memory" in failed[0]


def test_dice_row_is_skipped_without_dice_ml(monkeypatch):
    monkeypatch.setitem(sys.modules, "dice_ml", None)  # import dice_ml fails
    rows = bench_dice(n_dice=3, n_ours=20, n_train=200)
    assert len(rows) == 3
    name, seconds, note = rows[-1]
    assert "DiCE" in name and math.isnan(seconds)
    assert 'pip install "sklearn-ct[bench]"' in note
    assert all(seconds > 0 and "validity" in note for _, seconds, note in rows[:2])


def test_dice_gets_the_same_function():
    X, y = make_moons(200, noise=0.1, random_state=0)
    clf = CounterfactualTrainingClassifier(
        objective="vanilla", max_epochs=5, random_state=0
    ).fit(X, y)
    low, high = X.min(0), X.max(0)
    wrapped = MinMaxProbability(clf.net_.module_, low, high)
    z = torch.as_tensor((X - low) / (high - low), dtype=torch.float32)
    with torch.no_grad():
        p = wrapped(z)
        single = wrapped(z[0])
    assert p.shape == (200, 1) and single.shape == (1,)
    assert np.allclose(p.numpy().ravel(), clf.predict_proba(X)[:, 1], atol=1e-6)


@pytest.mark.slow
def test_dice_row_against_dice_ml():
    pytest.importorskip("dice_ml")
    rows = bench_dice(n_dice=1, n_ours=20, n_train=200)
    name, seconds, note = rows[-1]
    assert "DiCE gradient" in name and seconds > 0 and "same model" in note


def test_floor_row_is_skipped_without_ct_minimal(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV, str(tmp_path / "absent.py"))
    (row,) = bench_floor(repeat=1, max_epochs=1)
    assert math.isnan(row[1]) and ENV in row[2]


def test_floor_takes_ct_minimal_from_its_argument_or_the_environment(
    monkeypatch, tmp_path
):
    # Never from a folder beside the checkout: without a name, the row says how.
    monkeypatch.delenv(ENV, raising=False)
    (row,) = bench_floor(repeat=1, max_epochs=1)
    assert math.isnan(row[1]) and "--ct-minimal" in row[2] and ENV in row[2]
    (row,) = bench_floor(repeat=1, max_epochs=1, path=tmp_path / "absent.py")
    assert math.isnan(row[1]) and "absent.py" in row[2] and "--ct-minimal" in row[2]


@pytest.mark.skipif(torch.cuda.is_available(), reason="the row without CUDA")
def test_devices_row_is_skipped_without_cuda():
    (row,) = bench_devices(scale=0.01, n_factuals=10)
    assert math.isnan(row[1]) and "no CUDA device" in row[2]


def test_devices_rows_compare_two_devices():
    rows = bench_devices(scale=0.01, n_factuals=20, devices=("cpu", "cpu"))
    assert len(rows) == 2 * 2 * 2  # shapes x (fit, explain) x devices
    assert all(seconds > 0 for _, seconds, _ in rows)
    assert rows[1][0].endswith(", cpu") and "cpu/cpu" in rows[1][2]
    assert "explain 2 factuals" in rows[2][0]  # the small shape: a tenth


def test_run_benchmarks_names_unknown_benchmarks():
    with pytest.raises(ValueError, match="only has unknown benchmarks"):
        run_benchmarks(only=["search", "speed"])
