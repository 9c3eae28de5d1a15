"""The scaling study's report: a text table, a plot and the three claims tested.

See :mod:`~sklearn_ct.benchmarks.scaling` for how the figures are measured.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .memory import MB


def format_scaling(frame) -> str:
    """The scaling results as an aligned text table.

    Parameters
    ----------
    frame : DataFrame
        As returned by :func:`~sklearn_ct.benchmarks.run_scaling`.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({  # two sizes of a run_scaling output
    ...     "n_rows": [10_000, 100_000], "n_counterfactuals": 250,
    ...     "hidden_layer_sizes": "(32,)", "data_mb": [0.42, 4.2],
    ...     "fit_seconds": [1.0, 9.5], "epoch_seconds": [0.5, 4.75],
    ...     "fit_peak_mb": [1.0, 1.6], "explanations_per_second": [5000.0, 4800.0],
    ...     "explain_mean_n_iter": [12.0, 12.1], "explain_peak_mb": [3.0, 6.5],
    ...     "explain_result_mb": [0.4, 3.8]})
    >>> print(format_scaling(frame))  # doctest: +NORMALIZE_WHITESPACE
      rows  cf/epoch hidden  fit s  s/epoch  fit MB  data MB  expl/s  steps  \
explain MB  result MB
     10000       250  (32,)    1.0     0.50     1.0      0.4    5000   12.0  \
       3.0        0.4
    100000       250  (32,)    9.5     4.75     1.6      4.2    4800   12.1  \
       6.5        3.8
    """
    table = pd.DataFrame(
        {
            "rows": frame["n_rows"],
            "cf/epoch": frame["n_counterfactuals"],
            "hidden": frame["hidden_layer_sizes"],
            "fit s": frame["fit_seconds"].round(2),
            "s/epoch": frame["epoch_seconds"].round(3),
            "fit MB": frame["fit_peak_mb"].round(1),
            "data MB": frame["data_mb"].round(1),
            "expl/s": frame["explanations_per_second"].round(0).astype(int),
            "steps": frame["explain_mean_n_iter"].round(1),
            "explain MB": frame["explain_peak_mb"].round(1),
            "result MB": frame["explain_result_mb"].round(1),
        }
    )
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
        (line,) = axes[0].plot(group["n_rows"], group["fit_seconds"], "o-", label=label)
        colour = line.get_color()
        axes[1].plot(
            group["n_rows"],
            group["fit_peak_mb"],
            "o-",
            color=colour,
            label=f"fit, {label}",
        )
        axes[1].plot(
            group["n_rows"],
            group["explain_peak_mb"],
            "s--",
            color=colour,
            label=f"explain, {label}",
        )
        axes[2].plot(
            group["n_rows"],
            group["explanations_per_second"],
            "o-",
            color=colour,
            label=label,
        )
    sizes = frame.drop_duplicates("n_rows").sort_values("n_rows")
    axes[1].plot(sizes["n_rows"], sizes["data_mb"], ":", color="grey", label="data")
    titles = (
        "fit seconds",
        "peak memory beyond the data (MiB)",
        "explanations per second",
    )
    for ax, title in zip(axes, titles, strict=True):
        ax.set(xscale="log", yscale="log", xlabel="rows", title=title)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=6)
    fig.suptitle(
        f"sklearn-ct scaling ({frame['epochs'].iloc[0]} epochs, batch "
        f"{frame['batch_size'].iloc[0]}, one torch thread)"
    )
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
        Largest growth of a peak beyond the data, in MiB per MiB of data, that counts as
        independent of the rows.
    min_steady : float, default=0.8
        Smallest share of the best explain rate that the largest size must keep.

    Returns
    -------
    list of str

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({  # two sizes of a run_scaling output
    ...     "n_rows": [10_000, 100_000], "n_counterfactuals": 250,
    ...     "hidden_layer_sizes": "(32,)", "data_mb": [0.42, 4.2],
    ...     "fit_seconds": [1.0, 9.5], "epoch_seconds": [0.5, 4.75],
    ...     "fit_peak_mb": [1.0, 1.6], "explanations_per_second": [5000.0, 4800.0],
    ...     "explain_mean_n_iter": [12.0, 12.1], "explain_peak_mb": [3.0, 6.5],
    ...     "explain_result_mb": [0.4, 3.8]})
    >>> for line in check_claims(frame):  # doctest: +NORMALIZE_WHITESPACE
    ...     print(line)
    250 cf/epoch, hidden (32,):
      fit time linear in rows: holds (log-log slope 0.98 over 10,000-100,000 rows)
      fit memory independent of rows: holds (0.16 MiB more per MiB of data;
        at 100,000 rows 1.6 MiB beyond 4.2 MiB of data, 17 bytes per row)
      explain in bounded memory at a steady rate: holds (working memory 0.03 MiB
        more per MiB of data; at 100,000 rows a 6.5 MiB peak of which 3.8 MiB is
        the result, 28 bytes per row of working memory; rate 4,800/s, 0.96 of
        the best)

    A fit whose peak grows like a float32 copy of the data fails its claim:

    >>> frame["fit_peak_mb"] = [1.0, 4.5]
    >>> check_claims(frame)[2].split(" (")[0]
    '  fit memory independent of rows: FAILS'
    """
    lines = []
    verdict = {True: "holds", False: "FAILS"}
    frame = frame.assign(
        explain_work_mb=frame["explain_peak_mb"] - frame["explain_result_mb"]
    )
    groups = frame.groupby(["n_counterfactuals", "hidden_layer_sizes"], sort=False)
    for (n_cf, hidden), group in groups:
        group = group.sort_values("n_rows")
        if len(group) < 2:
            continue
        large = group[group["n_rows"] >= 10**4]
        fitted = large if len(large) >= 2 else group
        slope = np.polyfit(np.log(fitted["n_rows"]), np.log(fitted["fit_seconds"]), 1)[
            0
        ]
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
