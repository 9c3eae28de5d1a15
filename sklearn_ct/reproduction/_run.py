"""Running the paper's protocol: fits, evaluations and every table and figure.

:func:`reproduce` runs the paper's training and evaluation protocol for one
or several training seeds: :func:`~sklearn_ct.reproduction.prepare_data`,
:func:`train_models` (per seed and data set a ``"single"`` and a
``"protected"`` pair of baseline ``"BL"`` and CT models; parallel fits, one
torch thread each), :func:`evaluate_models` (on the test split), then
:func:`~sklearn_ct.reproduction.write_outputs` (the tables beside the
paper's). Every fit and evaluation is one joblib task of one pool: loky
processes locally, or a Dask cluster (``scheduler``).
"""

from __future__ import annotations

import json
import numbers
import os
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from sklearn.utils import check_scalar

from ..datasets import DATASETS
from ..datasets._base import _canonical_name
from . import _evaluation
from ._parallel import dask_backend, joined, run_tasks
from ._protocol import (
    _IMAGES,
    MODELS,
    PAIRS,
    PAPER_DATASETS,
    PAPER_SETTINGS,
    _data_seed,
    _task_seed,
    make_model,
    prepare_data,
    protocol,
)
from ._reporting import _versions, write_outputs
from ._schedule import expected_seconds


def _keys(data: dict):
    """Per key of ``data``: the key, as a tuple, its seed index and data set."""
    for key in data:
        prefix = key if isinstance(key, tuple) else (key,)
        yield key, prefix, (prefix[0] if len(prefix) > 1 else 0), prefix[-1]


def train_models(
    data: dict,
    *,
    quick=False,
    n_jobs=1,
    random_state=0,
    bar=None,
    log=None,
    reference_zero_ridge=False,
    seconds=None,
) -> dict:
    """Fit the four models of every data set, all fits through one joblib pool.

    Parameters
    ----------
    data : dict
        Maps data set names, or ``(seed index, name)`` pairs, to
        :func:`prepare_data` outputs. A name alone is seed index 0.
    quick : bool, default=False
        The quick protocol of :func:`protocol`.
    n_jobs : int, default=1
        Parallel fits (joblib; ignored on a Dask cluster).
    random_state : int, default=0
        Each fit's seed derives from it, the seed index and (data set, pair,
        model); seed index 0 keeps the seeds of a one-seed run.
    bar : tqdm, default=None
        Advanced per finished fit.
    log : dict, default=None
        Collects the fits' warnings by "/"-joined key.
    reference_zero_ridge : bool, default=False
        As in :func:`make_model`.
    seconds : dict, default=None
        Collects each fit's ``{"wall": ..., "cpu": ...}`` seconds by
        "/"-joined key.

    Returns
    -------
    dict
        ``{(*key, pair, model): fitted classifier}`` for every key of
        ``data`` (a name counting as ``(name,)``).

    Examples
    --------
    >>> from sklearn_ct.reproduction import prepare_data
    >>> data = prepare_data("moons")
    >>> data.X_train, data.y_train = data.X_train[:200], data.y_train[:200]
    >>> models = train_models({"moons": data}, quick=True)
    >>> sorted(models)
    [('moons', 'protected', 'BL'), ('moons', 'protected', 'CT'), \
('moons', 'single', 'BL'), ('moons', 'single', 'CT')]
    >>> models["moons", "protected", "CT"].mutability  # the protected feature
    ['none', 'both']
    """
    keys, tasks, costs = [], [], []
    for key, prefix, seed, name in _keys(data):
        for pair in PAIRS:
            for model in MODELS:
                keys.append((*prefix, pair, model))
                costs.append(expected_seconds(name, model))
                estimator = make_model(
                    data[key],
                    pair,
                    model,
                    quick=quick,
                    random_state=_task_seed(random_state, seed, name, pair, model),
                    reference_zero_ridge=reference_zero_ridge,
                )
                tasks.append(
                    (estimator.fit, (data[key].X_train, data[key].y_train), {})
                )
    return run_tasks(keys, tasks, n_jobs, bar, log, costs=costs, seconds=seconds)


def evaluate_models(
    data: dict,
    models: dict,
    *,
    quick=False,
    n_jobs=1,
    random_state=0,
    bar=None,
    log=None,
    step_size=None,
    seconds=None,
) -> dict:
    """:func:`~sklearn_ct.reproduction.evaluate_pair` for every data set and pair.

    One parallel task per pair, the longest first; each evaluation's seed
    derives from ``random_state``, the seed index and (data set, pair).

    Parameters
    ----------
    data : dict
        As in :func:`train_models`.
    models : dict
        The output of :func:`train_models`.
    quick, n_jobs, random_state, bar, log, seconds
        As in :func:`train_models` (per evaluation).
    step_size : float or None, default=None
        As in :func:`~sklearn_ct.reproduction.protocol`.

    Returns
    -------
    dict
        ``{(*key, pair): dict of results}`` (outputs of
        :func:`~sklearn_ct.reproduction.evaluate_pair`).

    Examples
    --------
    >>> from sklearn_ct import CounterfactualTrainingClassifier
    >>> from sklearn_ct.reproduction import prepare_data
    >>> data = prepare_data("moons")  # a few rows, and two quick stand-in models:
    >>> data.X_train, data.y_train = data.X_train[:300], data.y_train[:300]
    >>> data.X_test, data.y_test = data.X_test[:100], data.y_test[:100]
    >>> fitted = {
    ...     name: CounterfactualTrainingClassifier(
    ...         objective=objective, max_epochs=5, random_state=0
    ...     ).fit(data.X_train, data.y_train)
    ...     for name, objective in [("BL", "vanilla"), ("CT", "full")]}
    >>> models = {("moons", pair, name): model
    ...           for pair in ("single", "protected") for name, model in fitted.items()}
    >>> results = evaluate_models({"moons": data}, models, quick=True)
    >>> sorted(results)
    [('moons', 'protected'), ('moons', 'single')]
    >>> sorted(results["moons", "protected"])
    ['accuracy', 'per_round', 'seconds', 'sensitivity']
    """
    settings = protocol(quick, step_size)
    keys, tasks, costs = [], [], []
    for key, prefix, seed, name in _keys(data):
        for pair in PAIRS:
            base = (*prefix, pair)
            keys.append(base)
            costs.append(expected_seconds(name, pair))
            tasks.append(
                (
                    _evaluation.evaluate_pair,
                    (
                        {m: models[(*base, m)] for m in MODELS},
                        data[key].X_test,
                        data[key].y_test,
                    ),
                    {
                        "single": pair == "single",
                        "settings": _pair_settings(settings, name),
                        "n_individuals": max(
                            10,
                            PAPER_SETTINGS[name]["n_individuals"]
                            // settings["individuals_divisor"],
                        ),
                        "protected": data[key].protected,
                        "images": name in _IMAGES and pair == "single",
                        "random_state": _task_seed(
                            random_state, seed, name, pair, "evaluate"
                        ),
                    },
                )
            )
    return run_tasks(keys, tasks, n_jobs, bar, log, costs=costs, seconds=seconds)


def _pair_settings(settings: dict, name: str) -> dict:
    """The protocol's settings for the pairs of ``name``: no refined cost where skipped."""
    if name in settings["refined_cost_skipped"]:
        return {**settings, "refined_cost": False}
    return settings


@contextmanager
def _stage(name, bar, seconds):
    """Time a stage of :func:`reproduce` and name it on the progress bar."""
    bar.set_description(name)
    tick = time.perf_counter()
    yield
    seconds[name] = time.perf_counter() - tick


def _names(datasets) -> list:
    if isinstance(datasets, str):
        datasets = PAPER_DATASETS if datasets == "all" else datasets.split(",")
    names = {_canonical_name(d) for d in datasets}
    if not names:
        raise ValueError("datasets names no data set.")
    return [d for d in DATASETS if d in names]


def _prepare(names, seeds, random_state, data_home) -> dict:
    """``{(seed index, name): prepare_data output}``; fixed data prepared once."""
    data = {}
    for seed in range(seeds):
        for name in names:
            fresh = _data_seed(random_state, seed, name)
            data[seed, name] = (
                data[0, name]
                if seed and fresh is None
                else prepare_data(name, data_home=data_home, random_state=fresh)
            )
    return data


def _phase_seconds(fits: dict, results: dict) -> dict:
    """Seconds spent per phase, summed over the tasks (all workers together).

    ``fit`` sums the fits' seconds; the others sum the parts of
    :func:`~sklearn_ct.reproduction.evaluate_pair` (``counterfactuals``,
    ``accuracy``, ``robustness``, ``sensitivity``, ``digits``). Each as
    ``{"wall": ..., "cpu": ...}``.
    """
    phases = {}
    parts = [("fit", spent) for spent in fits.values()] + [
        item for result in results.values() for item in result["seconds"].items()
    ]
    for phase, spent in parts:
        total = phases.setdefault(phase, {"wall": 0.0, "cpu": 0.0})
        for clock in total:
            total[clock] += spent[clock]
    return phases


def _cluster(client) -> dict | None:
    """What settings.json records of a Dask cluster (None: a local run)."""
    if client is None:
        return None
    threads = client.nthreads()
    return {
        "scheduler": client.scheduler.address,
        "workers": len(threads),
        "threads": int(sum(threads.values())),
    }


def reproduce(
    datasets="all",
    *,
    quick=False,
    n_jobs=1,
    out="results",
    data_home=None,
    random_state=0,
    verbose=1,
    reference_zero_ridge=False,
    seeds=1,
    scheduler=None,
    step_size=None,
) -> dict:
    """Run the paper's protocol on some data sets and write every result.

    Parameters
    ----------
    datasets : "all", list of str or comma-separated str, default="all"
        Names of :data:`sklearn_ct.datasets.DATASETS` (aliases accepted);
        ``"all"``: the paper's nine (:data:`PAPER_DATASETS`, MNIST last, not
        the 8x8 digits). MNIST is real MNIST (:func:`prepare_data`); how many
        training images it had is in ``settings.json`` and the main table's
        note.
    quick : bool, default=False
        The smoke test of :func:`protocol` (minutes), marked in every output.
    n_jobs : int, default=1
        Parallel fits and evaluations through joblib, one torch and one BLAS
        thread each, the longest first. The active joblib backend is used:
        loky processes by default, or a Dask cluster (see ``scheduler``),
        where the cluster's worker threads set the parallelism instead. The
        cells do not depend on it.
    out : str or path-like, default="results"
        Output folder (created): the tables, the figures and
        ``settings.json``, which records every setting, seed and version,
        the number of training rows (MNIST's images) and the time spent:
        ``seconds`` (wall-clock per stage: prepare, train, evaluate, write,
        and the total), ``task_seconds`` (wall-clock and CPU seconds of
        every fit and evaluation), ``evaluate_seconds`` (of each part of
        every evaluation) and ``phase_seconds`` (those summed per phase over
        all workers).
    data_home : str or path-like, default=None
        Folder of the real data sets' CSV files.
    random_state : int, default=0
        Seeds every fit and evaluation, per seed index, data set, pair and
        model, and the synthetic data of seed indices above 0.
    verbose : int, default=1
        1: a progress bar over the stages, then the main table; 0: silent.
    reference_zero_ridge : bool, default=False
        Train the synthetic protected pairs with ``lambda_reg = lambda_adv =
        0`` as the reference did (see :func:`make_model` for why we do not).
    seeds : int, default=1
        Training seeds: every model is fitted and evaluated ``seeds`` times.
        Each seed index draws fresh rows of the synthetic data sets from the
        same distributions (LS and OL at the reference's centres; index 0
        keeps the default data of :func:`prepare_data`); the real sets, MNIST
        and digits keep their fixed split. With one seed the main table is the paper's
        (± and * over the bootstrap rounds of one fitted pair). With several,
        a cell is the mean over seeds of the percentage reduction ± its
        sample standard deviation over seeds, starred when a two-sided
        one-sample t-test of the per-seed differences ``mean(CT) - mean(BL)``
        (over all bootstrap rounds and energy weights of a seed) rejects 0 at
        the 1% level and every seed's reduction has that sign
        (:func:`~sklearn_ct.reproduction.seed_summary`; never with fewer than 3
        seeds). Each seed's own cells are in ``main_table_per_seed``.
    scheduler : str, cluster object or None, default=None
        Address of a running Dask scheduler (``"tcp://host:8786"``): every
        fit and evaluation goes to its workers through joblib's dask backend
        (:func:`~sklearn_ct.reproduction.dask_backend`; needs the ``dask``
        extra). The results equal a local run's with the same seeds.
    step_size : float or None, default=None
        The test-time counterfactual search's fixed step; None keeps the
        paper's 0.1. The step limit scales to keep the path length (0.01:
        500 steps). Not the paper's protocol: a check of how far its IP, IP*
        and Cost depend on where the last fixed step lands
        (research/notes/step_size.md). Training is unchanged.

    Returns
    -------
    dict of str -> DataFrame
        The tables written: ``main_table``, ``main_table_per_seed``,
        ``reductions`` and ``reductions_over_seeds``, ``accuracy``,
        ``robustness``, ``validity``, ``sensitivity``, ``per_round``
        (per-seed tables with a ``seed`` column).

    Examples
    --------
    The paper's protocol on its nine data sets takes some ten minutes per
    seed on two cores; the quick one (fewer epochs, rounds and energy
    weights) on one data set, some ten seconds:

    >>> from sklearn_ct.reproduction import PAPER_DATASETS, protocol
    >>> len(PAPER_DATASETS), protocol(quick=True)["n_rounds"]
    (9, 5)
    >>> tables = reproduce("moons", quick=True, verbose=0)  # doctest: +SKIP
    >>> tables["main_table"].index.tolist()  # doctest: +SKIP
    ['Moon', 'Avg.']
    """
    from tqdm.auto import tqdm

    start = time.perf_counter()
    seeds = check_scalar(seeds, "seeds", numbers.Integral, min_val=1)
    settings = protocol(quick, step_size)  # checks step_size before any training
    names, random_state, out = _names(datasets), int(random_state), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    seconds, log, fit_seconds, evaluate_seconds = {}, {}, {}, {}
    common = {"quick": quick, "n_jobs": n_jobs, "random_state": random_state}
    with (
        tqdm(total=2 + 6 * len(names) * seeds, disable=not verbose, unit="task") as bar,
        dask_backend(scheduler) as client,
    ):
        with _stage("prepare", bar, seconds):
            data = _prepare(names, seeds, random_state, data_home)
            bar.update()
        with _stage("train", bar, seconds):
            models = train_models(
                data,
                bar=bar,
                log=log,
                reference_zero_ridge=reference_zero_ridge,
                seconds=fit_seconds,
                **common,
            )
        with _stage("evaluate", bar, seconds):
            results = evaluate_models(
                data,
                models,
                bar=bar,
                log=log,
                step_size=step_size,
                seconds=evaluate_seconds,
                **common,
            )
        with _stage("write", bar, seconds):
            run = {
                **common,
                "quick": bool(quick),
                "datasets": names,
                "n_seeds": seeds,
                "reference_zero_ridge": bool(reference_zero_ridge),
                "cluster": _cluster(client),
                "cpu_count": os.cpu_count(),
                "versions": _versions(("dask", "distributed") if client else ()),
                "warnings": log,
                "settings": settings,
                "paper_settings": {n: dict(PAPER_SETTINGS[n]) for n in names},
                "seeds": {
                    "data": {joined(k): _data_seed(random_state, *k) for k in data},
                    "fit": {joined(k): _task_seed(random_state, *k) for k in models},
                    "evaluate": {
                        joined(k): _task_seed(random_state, *k, "evaluate")
                        for k in results
                    },
                },
                "fit_seconds": {
                    joined(k): float(m.history_["seconds"].sum())
                    for k, m in models.items()
                },
                "task_seconds": {"fit": fit_seconds, "evaluate": evaluate_seconds},
                "evaluate_seconds": {
                    joined(k): r["seconds"] for k, r in results.items()
                },
                "phase_seconds": _phase_seconds(fit_seconds, results),
                "models": {
                    joined(k): {p: repr(v) for p, v in m.get_params().items()}
                    for k, m in models.items()
                },
                "data": {
                    n: {
                        "n_train": len(d.X_train),
                        "n_test": len(d.X_test),
                        "n_features": d.X_train.shape[1],
                        "protected": [d.feature_names[j] for j in d.protected],
                        **(
                            {"source": d.source, "n_source_images": d.n_source_images}
                            if d.source
                            else {}
                        ),
                    }
                    for (s, n), d in data.items()
                    if s == 0
                },
            }
            tables = write_outputs(results, run, out)
            bar.update()
    run["seconds"] = {**seconds, "total": time.perf_counter() - start}
    (out / "settings.json").write_text(json.dumps(run, indent=2, default=str))
    if verbose:
        print(tables["main_table_markdown"])
    return {k: v for k, v in tables.items() if isinstance(v, pd.DataFrame)}
