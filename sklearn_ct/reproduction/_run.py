"""Running the paper's protocol: fits, evaluations and every table and figure.

:func:`reproduce` runs the paper's training and evaluation protocol for one
or several training seeds: :func:`~sklearn_ct.reproduction.prepare_data`,
then :func:`~sklearn_ct.reproduction.fit_and_evaluate` (every pair's fits
and evaluation), then :func:`~sklearn_ct.reproduction.write_outputs` (the
tables beside the paper's). Every pair's fits and evaluation are one joblib
task of one pool: loky processes locally, or a Dask cluster (``scheduler``).
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
from ._parallel import dask_backend, joined
from ._protocol import (
    PAPER_DATASETS,
    PAPER_SETTINGS,
    _data_seed,
    _task_seed,
    prepare_data,
    protocol,
)
from ._reporting import _versions, write_outputs
from ._stages import fit_and_evaluate


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
    device="cpu",
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
        ``seconds`` (wall-clock per stage: prepare, train_evaluate, write,
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
    device : str, default="cpu"
        Torch device of every fit and of the models' searches (``"cuda"``
        on a GPU; :func:`make_model`). The cells are those of the CPU only
        up to floating-point differences between devices.

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
    seconds, log, task_seconds = {}, {}, {"fit": {}, "evaluate": {}}
    common = {"quick": quick, "n_jobs": n_jobs, "random_state": random_state}
    with (
        tqdm(total=2 + 2 * len(names) * seeds, disable=not verbose, unit="task") as bar,
        dask_backend(scheduler) as client,
    ):
        with _stage("prepare", bar, seconds):
            data = _prepare(names, seeds, random_state, data_home)
            bar.update()
        with _stage("train_evaluate", bar, seconds):
            models, results = fit_and_evaluate(
                data,
                bar=bar,
                log=log,
                reference_zero_ridge=reference_zero_ridge,
                step_size=step_size,
                device=device,
                seconds=task_seconds,
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
                "task_seconds": task_seconds,
                "evaluate_seconds": {
                    joined(k): r["seconds"] for k, r in results.items()
                },
                "phase_seconds": _phase_seconds(task_seconds["fit"], results),
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
