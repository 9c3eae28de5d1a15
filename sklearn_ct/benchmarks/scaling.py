"""How fit and explain scale with the number of rows (``sklearn-ct bench --scaling``).

Synthetic data (``make_classification``, standardised, float32) from 10^3 to
10^6 rows. Per configuration (counterfactuals per epoch, hidden layers) and
size, one fresh process fits a
:class:`~sklearn_ct.CounterfactualTrainingClassifier` (a fixed number of
epochs and batch size, one torch thread) and another explains every row with
``CounterfactualExplainer(model)``. ``model`` is, for every size, the
configuration's fit on the first size of at least 10^4 rows: a model fitted
on more rows needs fewer search steps, which would confound the rate with
the size. Each process records its resident memory after loading the data
(and a small warm-up run) and its peak after the measured call (see
:mod:`~sklearn_ct.benchmarks.memory`): the difference is what the call added
beyond the data. Results go to a CSV (one row per configuration and size) and
a plot; :mod:`~sklearn_ct.benchmarks.scaling_report` tests three claims
against them: fit time grows linearly in rows; the fit's memory beyond the
data does not grow with rows; explaining many rows runs in bounded memory
(beyond its result) at a steady rate.
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.datasets import make_classification

from ..explain import CounterfactualExplainer
from ..training import CounterfactualTrainingClassifier
from .memory import MB, current_rss_mb, peak_rss_mb, reset_peak_rss
from .scaling_report import plot_scaling
from .timing import torch_threads

FULL_ROWS = (10**3, 10**4, 10**5, 10**6)
QUICK_ROWS = (10**3, 10**4, 10**5)
#: (counterfactuals per epoch, hidden layers): one factor at a time around the first.
FULL_CONFIGS = ((1000, (32,)), (250, (32,)), (4000, (32,)), (1000, (128,)))
QUICK_CONFIGS = ((250, (32,)), (4000, (128,)))

COLUMNS = (
    "n_rows",
    "n_counterfactuals",
    "hidden_layer_sizes",
    "epochs",
    "batch_size",
    "torch_threads",
    "data_mb",
    "fit_seconds",
    "epoch_seconds",
    "cf_seconds_per_epoch",
    "fit_base_mb",
    "fit_peak_mb",
    "explain_model_rows",
    "n_explained",
    "explain_batch_size",
    "explain_seconds",
    "explanations_per_second",
    "explain_base_mb",
    "explain_peak_mb",
    "explain_result_mb",
    "explain_validity",
    "explain_mean_n_iter",
)


def make_scaling_data(n_rows, n_features=10, random_state=0):
    """Standardised binary ``make_classification`` data in float32.

    Parameters
    ----------
    n_rows, n_features : int
        Rows and features of the data.
    random_state : int, default=0
        Seed of ``make_classification``.

    Returns
    -------
    X : ndarray of float32, shape (n_rows, n_features)
    y : ndarray of int64, shape (n_rows,)

    Examples
    --------
    >>> X, y = make_scaling_data(100, 4)
    >>> X.dtype, X.shape, sorted(set(y.tolist()))
    (dtype('float32'), (100, 4), [0, 1])
    """
    X, y = make_classification(
        n_rows,
        n_features=n_features,
        n_informative=max(2, n_features // 2),
        n_redundant=min(2, n_features // 4),
        random_state=random_state,
    )
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X.astype(np.float32), y.astype(np.int64)


def _classifier(n_counterfactuals, hidden, epochs, batch_size):
    return CounterfactualTrainingClassifier(
        hidden_layer_sizes=tuple(hidden),
        n_counterfactuals=n_counterfactuals,
        max_epochs=epochs,
        batch_size=batch_size,
        random_state=0,
    )


def _load(data_dir):
    return np.load(Path(data_dir) / "X.npy"), np.load(Path(data_dir) / "y.npy")


def fit_worker(data_dir, n_counterfactuals, hidden, epochs, batch_size, model_path):
    """Fit once on the saved data and measure time and memory (run it in a child).

    Parameters
    ----------
    data_dir : str
        Folder with ``X.npy`` and ``y.npy``.
    n_counterfactuals : int
        Counterfactuals per epoch of the fit.
    hidden : tuple of int
        Hidden layer sizes of the network.
    epochs, batch_size : int
        Epochs and mini-batch size of the fit.
    model_path : str
        Where the fitted classifier is pickled, for :func:`explain_worker`.

    Returns
    -------
    dict
        Seconds (fit, per epoch, search per epoch), resident MiB after the data
        and warm-up (``fit_base_mb``) and the peak beyond it (``fit_peak_mb``).
    """
    with torch_threads(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the warm-up's idle-divergence warning
        X, y = _load(data_dir)
        warm = min(len(X), 2000)
        _classifier(n_counterfactuals, hidden, 1, batch_size).fit(X[:warm], y[:warm])
        gc.collect()
        reset_peak_rss()
        base = current_rss_mb()
        clf = _classifier(n_counterfactuals, hidden, epochs, batch_size)
        start = time.perf_counter()
        clf.fit(X, y)
        seconds = time.perf_counter() - start
        peak = peak_rss_mb()
        threads = torch.get_num_threads()
    with open(model_path, "wb") as file:
        pickle.dump(clf, file)
    return {
        "torch_threads": threads,
        "data_mb": (X.nbytes + y.nbytes) / MB,
        "fit_seconds": seconds,
        "epoch_seconds": float(clf.history_["seconds"].mean()),
        "cf_seconds_per_epoch": float(clf.history_["cf_seconds"].mean()),
        "fit_base_mb": base,
        "fit_peak_mb": peak - base,
    }


def _result_mb(result, X):
    """MiB held by the result's arrays, the caller's own X excluded."""
    arrays = [v for v in vars(result).values() if isinstance(v, np.ndarray)]
    return sum(a.nbytes for a in arrays if not np.may_share_memory(a, X)) / MB


def explain_worker(data_dir, model_path):
    """Explain every saved row with the pickled model and measure (run in a child).

    ``CounterfactualExplainer(model)`` with its default settings, fitted on the
    first 1,000 rows; a 100-row warm-up precedes the measured call.

    Parameters
    ----------
    data_dir, model_path : str
        Folder with ``X.npy`` and ``y.npy``, and the pickled classifier of
        :func:`fit_worker`.

    Returns
    -------
    dict
        Seconds, explanations per second, resident MiB after the data, model
        and warm-up (``explain_base_mb``), the peak beyond it
        (``explain_peak_mb``), the MiB of the result itself, its validity and
        the mean number of search steps.
    """
    with torch_threads(1):
        X, _ = _load(data_dir)
        with open(model_path, "rb") as file:
            model = pickle.load(file)
        explainer = CounterfactualExplainer(model).fit(X[:1000])
        explainer.explain(X[:100])
        gc.collect()
        reset_peak_rss()
        base = current_rss_mb()
        start = time.perf_counter()
        result = explainer.explain(X)
        seconds = time.perf_counter() - start
        peak = peak_rss_mb()
    return {
        "n_explained": len(X),
        "explain_batch_size": explainer.get_params().get("batch_size", "n/a"),
        "explain_seconds": seconds,
        "explanations_per_second": len(X) / seconds,
        "explain_base_mb": base,
        "explain_peak_mb": peak - base,
        "explain_result_mb": _result_mb(result, X),
        "explain_validity": float(result.valid.mean()),
        "explain_mean_n_iter": float(result.n_iter.mean()),
    }


def _call(fn, *args, fresh_process=True):
    """``fn(*args)``, in a fresh spawned process unless told otherwise."""
    if not fresh_process:
        return fn(*args)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(fn, *args).result()


def run_scaling(
    out=".",
    quick=False,
    rows=None,
    configs=None,
    epochs=2,
    batch_size=1000,
    n_features=10,
    fresh_process=True,
    plot=True,
    verbose=True,
) -> pd.DataFrame:
    """Measure fit and explain against the number of rows; write CSV and plot.

    Parameters
    ----------
    out : str or path-like, default="."
        Folder for ``scaling.csv`` and ``scaling.png`` (created if needed).
    quick : bool, default=False
        Up to 10^5 rows and two configurations instead of 10^6 and four.
    rows : sequence of int, default=None
        Overrides the sizes.
    configs : sequence of (int, tuple of int), default=None
        Overrides the ``(n_counterfactuals, hidden_layer_sizes)`` pairs.
    epochs : int, default=2
        Epochs of every fit.
    batch_size : int, default=1000
        Mini-batch size of every fit.
    n_features : int, default=10
        Features of the synthetic data.
    fresh_process : bool, default=True
        Measure each fit and each explain in a fresh spawned process. False
        runs them here (quicker; peaks then include this process's history
        where the peak cannot be reset).
    plot : bool, default=True
        Also write ``scaling.png`` (needs matplotlib).
    verbose : bool, default=True
        Print one line per measured configuration.

    Returns
    -------
    DataFrame
        One row per (size, configuration), columns :data:`COLUMNS`; the
        explain columns use the configuration's model fitted on
        ``explain_model_rows`` rows.

    Examples
    --------
    Each size is data like this, written to a file that every measured
    process loads:

    >>> from sklearn_ct.benchmarks.scaling import make_scaling_data
    >>> X, y = make_scaling_data(1000)
    >>> X.shape, X.dtype, y.shape
    ((1000, 10), dtype('float32'), (1000,))

    The quick study takes minutes; it writes ``scaling.csv`` and
    ``scaling.png`` into ``out`` and returns the table:

    >>> frame = run_scaling("scaling", quick=True)  # doctest: +SKIP
    >>> from sklearn_ct.benchmarks import check_claims, format_scaling
    >>> print(format_scaling(frame))  # doctest: +SKIP
    >>> for line in check_claims(frame):  # doctest: +SKIP
    ...     print(line)
    """
    rows = sorted(rows or (QUICK_ROWS if quick else FULL_ROWS))
    configs = configs or (QUICK_CONFIGS if quick else FULL_CONFIGS)
    reference = next((n for n in rows if n >= 10**4), rows[-1])
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    records = {}
    with tempfile.TemporaryDirectory() as tmp:
        folders = {n: Path(tmp) / f"rows_{n}" for n in rows}
        for n_rows, folder in folders.items():
            folder.mkdir()
            X, y = make_scaling_data(n_rows, n_features)
            np.save(folder / "X.npy", X)
            np.save(folder / "y.npy", y)
            del X, y
            for i, (n_cf, hidden) in enumerate(configs):
                record = records[n_rows, i] = {
                    "n_rows": n_rows,
                    "n_counterfactuals": n_cf,
                    "hidden_layer_sizes": str(tuple(hidden)),
                    "epochs": epochs,
                    "batch_size": batch_size,
                    "explain_model_rows": reference,
                }
                record.update(
                    _call(
                        fit_worker,
                        str(folder),
                        n_cf,
                        tuple(hidden),
                        epochs,
                        batch_size,
                        str(folder / f"model_{i}.pkl"),
                        fresh_process=fresh_process,
                    )
                )
                if verbose:
                    print(
                        f"{n_rows:>9,} rows, {n_cf} cf/epoch, hidden {hidden}: fit "
                        f"{record['fit_seconds']:.2f} s",
                        flush=True,
                    )
        # Every size is explained by the same model per configuration (the one
        # fitted on ``reference`` rows), so that rates compare across sizes.
        for (n_rows, i), record in records.items():
            record.update(
                _call(
                    explain_worker,
                    str(folders[n_rows]),
                    str(folders[reference] / f"model_{i}.pkl"),
                    fresh_process=fresh_process,
                )
            )
            if verbose:
                print(
                    f"{n_rows:>9,} rows, {configs[i][0]} cf/epoch, hidden "
                    f"{configs[i][1]}: explain "
                    f"{record['explanations_per_second']:,.0f}/s",
                    flush=True,
                )
    frame = pd.DataFrame(list(records.values()), columns=list(COLUMNS))
    frame.to_csv(out / "scaling.csv", index=False)
    if plot:
        plot_scaling(frame, out / "scaling.png")
    return frame
