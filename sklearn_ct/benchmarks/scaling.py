"""How fit and explain scale with the number of rows (``sklearn-ct bench --scaling``).

Synthetic data (``make_classification``, standardised, float32) from 10^3 to
10^6 rows; per configuration (counterfactuals per epoch, hidden layers) one
fresh process fits a :class:`~sklearn_ct.CounterfactualTrainingClassifier`
(a fixed number of epochs and batch size, one torch thread) and another
explains every row with ``CounterfactualExplainer(model)``, ``model`` being
the configuration's fit on the first size of at least 10^4 rows for every
size (a model fitted on more rows needs fewer search steps, which would
confound the rate with the size). Each records its
resident memory after loading the data (and a small warm-up run) and its peak
after the measured call (see :mod:`~sklearn_ct.benchmarks.memory`): the
difference is what the call added beyond the data. Results go to a CSV (one
row per configuration and size) and a plot, and :func:`check_claims` tests
three claims against them: fit time grows linearly in rows; the fit's memory
beyond the data does not grow with rows; explaining many rows runs in bounded
memory (beyond its result) at a steady rate.
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

from .._classifier import CounterfactualTrainingClassifier
from ..explainer import CounterfactualExplainer
from .memory import MB, current_rss_mb, peak_rss_mb, reset_peak_rss
from .timing import torch_threads

FULL_ROWS = (10**3, 10**4, 10**5, 10**6)
QUICK_ROWS = (10**3, 10**4, 10**5)
#: (counterfactuals per epoch, hidden layers): one factor at a time around the first.
FULL_CONFIGS = ((1000, (32,)), (250, (32,)), (4000, (32,)), (1000, (128,)))
QUICK_CONFIGS = ((250, (32,)), (4000, (128,)))

COLUMNS = (
    "n_rows", "n_counterfactuals", "hidden_layer_sizes", "epochs", "batch_size",
    "torch_threads", "data_mb", "fit_seconds", "epoch_seconds", "cf_seconds_per_epoch",
    "fit_base_mb", "fit_peak_mb", "explain_model_rows", "n_explained",
    "explain_batch_size",
    "explain_seconds", "explanations_per_second", "explain_base_mb",
    "explain_peak_mb", "explain_result_mb", "explain_validity", "explain_mean_n_iter",
)


def make_scaling_data(n_rows, n_features=10, random_state=0):
    """Standardised binary ``make_classification`` data in float32.

    Parameters
    ----------
    n_rows, n_features : int
    random_state : int, default=0

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
    X, y = make_classification(n_rows, n_features=n_features,
                               n_informative=max(2, n_features // 2),
                               n_redundant=min(2, n_features // 4),
                               random_state=random_state)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X.astype(np.float32), y.astype(np.int64)


def _classifier(n_counterfactuals, hidden, epochs, batch_size):
    return CounterfactualTrainingClassifier(
        hidden_layer_sizes=tuple(hidden), n_counterfactuals=n_counterfactuals,
        max_epochs=epochs, batch_size=batch_size, random_state=0)


def _load(data_dir):
    return np.load(Path(data_dir) / "X.npy"), np.load(Path(data_dir) / "y.npy")


def fit_worker(data_dir, n_counterfactuals, hidden, epochs, batch_size, model_path):
    """Fit once on the saved data and measure time and memory (run it in a child).

    Parameters
    ----------
    data_dir : str
        Folder with ``X.npy`` and ``y.npy``.
    n_counterfactuals : int
    hidden : tuple of int
    epochs, batch_size : int
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
    return {"torch_threads": threads, "data_mb": (X.nbytes + y.nbytes) / MB,
            "fit_seconds": seconds,
            "epoch_seconds": float(clf.history_["seconds"].mean()),
            "cf_seconds_per_epoch": float(clf.history_["cf_seconds"].mean()),
            "fit_base_mb": base, "fit_peak_mb": peak - base}


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
    return {"n_explained": len(X),
            "explain_batch_size": explainer.get_params().get("batch_size", "n/a"),
            "explain_seconds": seconds, "explanations_per_second": len(X) / seconds,
            "explain_base_mb": base, "explain_peak_mb": peak - base,
            "explain_result_mb": _result_mb(result, X),
            "explain_validity": float(result.valid.mean()),
            "explain_mean_n_iter": float(result.n_iter.mean())}


def _call(fn, *args, fresh_process=True):
    """``fn(*args)``, in a fresh spawned process unless told otherwise."""
    if not fresh_process:
        return fn(*args)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(fn, *args).result()


def run_scaling(out=".", quick=False, rows=None, configs=None, epochs=2,
                batch_size=1000, n_features=10, fresh_process=True, plot=True,
                verbose=True) -> pd.DataFrame:
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
                    "n_rows": n_rows, "n_counterfactuals": n_cf,
                    "hidden_layer_sizes": str(tuple(hidden)), "epochs": epochs,
                    "batch_size": batch_size, "explain_model_rows": reference}
                record.update(_call(fit_worker, str(folder), n_cf, tuple(hidden),
                                    epochs, batch_size, str(folder / f"model_{i}.pkl"),
                                    fresh_process=fresh_process))
                if verbose:
                    print(f"{n_rows:>9,} rows, {n_cf} cf/epoch, hidden {hidden}: fit "
                          f"{record['fit_seconds']:.2f} s", flush=True)
        # Every size is explained by the same model per configuration (the one
        # fitted on ``reference`` rows), so that rates compare across sizes.
        for (n_rows, i), record in records.items():
            record.update(_call(explain_worker, str(folders[n_rows]),
                                str(folders[reference] / f"model_{i}.pkl"),
                                fresh_process=fresh_process))
            if verbose:
                print(f"{n_rows:>9,} rows, {configs[i][0]} cf/epoch, hidden "
                      f"{configs[i][1]}: explain "
                      f"{record['explanations_per_second']:,.0f}/s", flush=True)
    frame = pd.DataFrame(list(records.values()), columns=list(COLUMNS))
    frame.to_csv(out / "scaling.csv", index=False)
    if plot:
        plot_scaling(frame, out / "scaling.png")
    return frame


def format_scaling(frame) -> str:
    """The scaling results as an aligned text table."""
    table = pd.DataFrame({
        "rows": frame["n_rows"], "cf/epoch": frame["n_counterfactuals"],
        "hidden": frame["hidden_layer_sizes"],
        "fit s": frame["fit_seconds"].round(2),
        "s/epoch": frame["epoch_seconds"].round(3),
        "fit MB": frame["fit_peak_mb"].round(1),
        "data MB": frame["data_mb"].round(1),
        "expl/s": frame["explanations_per_second"].round(0).astype(int),
        "steps": frame["explain_mean_n_iter"].round(1),
        "explain MB": frame["explain_peak_mb"].round(1),
        "result MB": frame["explain_result_mb"].round(1),
    })
    return table.to_string(index=False)


def _line_label(n_cf, hidden):
    return f"{n_cf} cf/epoch, hidden {hidden}"


def plot_scaling(frame, path):
    """Fit time, peak memory and explanations per second against rows.

    One line per configuration; memory shows the fit's peak (solid), the
    explain's peak (dashed) and the data itself (grey, dotted).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    groups = frame.groupby(["n_counterfactuals", "hidden_layer_sizes"], sort=False)
    for (n_cf, hidden), group in groups:
        group = group.sort_values("n_rows")
        label = _line_label(n_cf, hidden)
        line, = axes[0].plot(group["n_rows"], group["fit_seconds"], "o-", label=label)
        colour = line.get_color()
        axes[1].plot(group["n_rows"], group["fit_peak_mb"], "o-", color=colour,
                     label=f"fit, {label}")
        axes[1].plot(group["n_rows"], group["explain_peak_mb"], "s--", color=colour,
                     label=f"explain, {label}")
        axes[2].plot(group["n_rows"], group["explanations_per_second"], "o-",
                     color=colour, label=label)
    sizes = frame.drop_duplicates("n_rows").sort_values("n_rows")
    axes[1].plot(sizes["n_rows"], sizes["data_mb"], ":", color="grey", label="data")
    titles = ("fit seconds", "peak memory beyond the data (MiB)",
              "explanations per second")
    for ax, title in zip(axes, titles, strict=True):
        ax.set(xscale="log", yscale="log", xlabel="rows", title=title)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=6)
    fig.suptitle(f"sklearn-ct scaling ({frame['epochs'].iloc[0]} epochs, batch "
                 f"{frame['batch_size'].iloc[0]}, one torch thread)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _growth(group, column):
    """Extra MiB of ``column`` per MiB of data, from the smallest to the largest size."""
    first, last = group.iloc[0], group.iloc[-1]
    return (last[column] - first[column]) / (last["data_mb"] - first["data_mb"])


def check_claims(frame, max_growth=0.75, min_steady=0.8) -> list[str]:
    """Test the three scaling claims per configuration; one line per verdict.

    * fit time linear in rows: the log-log slope of fit seconds against rows
      (over sizes >= 10^4 when there are two) is at most 1.15;
    * fit memory independent of rows: the fit's peak beyond the data grows
      by less than ``max_growth`` MiB per MiB of data (``X`` and ``y``). A
      few int64 index arrays (the shuffle order, label indices: 8 bytes per
      row each) are the floor of shuffled mini-batch training and pass; a
      float32 copy of ``X`` (0.83 MiB per MiB of data at 10 features) fails;
    * explain in bounded memory at a steady rate: its peak beyond the data
      and its own result grows by less than ``max_growth`` MiB per MiB of
      data, and the rate at the largest size is at least ``min_steady`` of
      the best rate.

    Parameters
    ----------
    frame : DataFrame
        As returned by :func:`run_scaling` (at least two sizes).
    max_growth : float, default=0.75
    min_steady : float, default=0.8

    Returns
    -------
    list of str
    """
    lines = []
    verdict = {True: "holds", False: "FAILS"}
    frame = frame.assign(explain_work_mb=frame["explain_peak_mb"]
                         - frame["explain_result_mb"])
    groups = frame.groupby(["n_counterfactuals", "hidden_layer_sizes"], sort=False)
    for (n_cf, hidden), group in groups:
        group = group.sort_values("n_rows")
        if len(group) < 2:
            continue
        large = group[group["n_rows"] >= 10**4]
        fitted = large if len(large) >= 2 else group
        slope = np.polyfit(np.log(fitted["n_rows"]), np.log(fitted["fit_seconds"]), 1)[0]
        fit_growth = _growth(group, "fit_peak_mb")
        work_growth = _growth(group, "explain_work_mb")
        rates = group["explanations_per_second"]
        steady = rates.iloc[-1] / rates.max()
        last = group.iloc[-1]
        per_row = MB / last["n_rows"]  # bytes per row per MiB at the largest size
        lines += [
            f"{_line_label(n_cf, hidden)}:",
            f"  fit time linear in rows: {verdict[slope <= 1.15]} (log-log slope "
            f"{slope:.2f} over {fitted['n_rows'].min():,}-{fitted['n_rows'].max():,}"
            " rows)",
            f"  fit memory independent of rows: {verdict[fit_growth < max_growth]} "
            f"({fit_growth:.2f} MiB more per MiB of data; at {last['n_rows']:,} rows "
            f"{last['fit_peak_mb']:.1f} MiB beyond {last['data_mb']:.1f} MiB of data,"
            f" {last['fit_peak_mb'] * per_row:.0f} bytes per row)",
            f"  explain in bounded memory at a steady rate: "
            f"{verdict[work_growth < max_growth and steady >= min_steady]} (working "
            f"memory {work_growth:.2f} MiB more per MiB of data; at "
            f"{last['n_rows']:,} rows a {last['explain_peak_mb']:.1f} MiB peak of "
            f"which {last['explain_result_mb']:.1f} MiB is the result, "
            f"{last['explain_work_mb'] * per_row:.0f} bytes per row of working "
            f"memory; rate {last['explanations_per_second']:,.0f}/s, {steady:.2f} of "
            "the best)",
        ]
    return lines
