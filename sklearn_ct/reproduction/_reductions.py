"""The paper's statistics of a pair of models: reductions, intervals, seeds, cells.

Pure functions of tidy per-round results
(:func:`~sklearn_ct.reproduction.evaluate_counterfactuals`): :func:`round_means`, :func:`reduction`,
:func:`difference_interval` and :func:`reduction_table` for one fitted pair
over its bootstrap rounds; :func:`seed_summary` and :func:`seed_reductions`
for several training seeds; :func:`table_cell` and :func:`main_table` for
the paper's main table (``_reporting`` writes it as Markdown).
"""

from __future__ import annotations

import warnings
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy.stats import ttest_1samp

#: The main table's columns: (pair, metric). "Cost, refined" is ours only.
MAIN_COLUMNS = MappingProxyType(
    {
        "IP": ("single", "IP"),
        "IP*": ("single", "IP*"),
        "Cost": ("protected", "cost"),
        "Cost, refined": ("protected", "cost_refined"),
    }
)


def main_columns(metrics) -> dict:
    """:data:`MAIN_COLUMNS` without "Cost, refined" when ``metrics`` lack it.

    Parameters
    ----------
    metrics : iterable of str
        The metrics measured (``"cost_refined"`` among them, or not).

    Returns
    -------
    dict

    Examples
    --------
    >>> list(main_columns(["IP", "IP*", "cost"]))
    ['IP', 'IP*', 'Cost']
    """
    columns = dict(MAIN_COLUMNS)
    if "cost_refined" not in set(metrics):
        del columns["Cost, refined"]
    return columns


def lambda_average(values, axis: int = -1) -> np.ndarray:
    """Mean over the energy weights (along ``axis``) ignoring nan; all nan: nan.

    Parameters
    ----------
    values : array-like
        Values per energy weight along ``axis``.
    axis : int, default=-1
        The axis of the energy weights.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> lambda_average([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan]])
    array([ 2., nan])
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "mean of empty slice"
        return np.nanmean(np.asarray(values, dtype=float), axis=axis)


def _paired(ct, bl):
    ct, bl = np.asarray(ct, dtype=float), np.asarray(bl, dtype=float)
    if ct.shape != bl.shape or ct.ndim != 1:
        raise ValueError(
            "ct_per_round and bl_per_round must be 1-D arrays of the "
            f"same length; got shapes {ct.shape} and {bl.shape}."
        )
    keep = np.isfinite(ct) & np.isfinite(bl)
    return ct[keep], bl[keep]


def difference_interval(ct_per_round, bl_per_round, level: float = 99.0):
    """Percentile interval of ``d_r = mean_r(CT) - mean_r(BL)`` over the rounds.

    Parameters
    ----------
    ct_per_round, bl_per_round : array-like of shape (n_rounds,)
        Per-round means; rounds where either is nan are left out.
    level : float, default=99.0
        Coverage in percent (99: the 0.5% and 99.5% quantiles).

    Returns
    -------
    low, high : float
        nan when no round is left.

    Examples
    --------
    >>> difference_interval([1.0, 2.0, 3.0], [2.0, 2.0, 2.0], level=50.0)
    (-0.5, 0.5)
    """
    ct, bl = _paired(ct_per_round, bl_per_round)
    if not len(ct):
        return float("nan"), float("nan")
    tail = (100.0 - level) / 2
    low, high = np.percentile(ct - bl, [tail, 100.0 - tail])
    return float(low), float(high)


def reduction(ct_per_round, bl_per_round, level: float = 99.0):
    """The paper's percentage reduction of a metric, CT against the baseline.

    With ``ratio_r = mean_r(CT) / mean_r(BL)`` per bootstrap round r:
    ``percent = (1 - mean_r ratio_r) * 100``, ``plus_minus = 100 *
    std_r(ratio_r)`` (sample standard deviation, as Julia's ``std``), and
    significant when the ``level`` percentile interval of ``mean_r(CT) -
    mean_r(BL)`` excludes 0 (the paper's test). Rounds with a nan mean, or a
    non-finite ratio (a baseline mean of 0), are left out.

    Parameters
    ----------
    ct_per_round, bl_per_round : array-like of shape (n_rounds,)
        Per bootstrap round, the mean of the metric for CT and for the baseline.
    level : float, default=99.0
        Level of the percentile interval, in %.

    Returns
    -------
    percent, plus_minus : float
        nan without usable rounds (``plus_minus`` also with a single one).
    significant : bool

    Examples
    --------
    >>> percent, plus_minus, significant = reduction([1.0, 2.0, 2.0], [2.0] * 3)
    >>> round(percent, 2), round(plus_minus, 2), significant
    (16.67, 28.87, False)
    """
    ct, bl = _paired(ct_per_round, bl_per_round)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = ct / bl
    ratio = ratio[np.isfinite(ratio)]
    if not len(ratio):
        return float("nan"), float("nan"), False
    spread = ratio.std(ddof=1) if len(ratio) > 1 else float("nan")
    low, high = difference_interval(ct, bl, level)
    return (
        float((1.0 - ratio.mean()) * 100.0),
        float(100.0 * spread),
        bool(low > 0 or high < 0),
    )


def round_means(per_round: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per-round means of ``metric`` averaged over the energy weights, nan-aware.

    Parameters
    ----------
    per_round : DataFrame
        Columns ``round``, ``model``, ``lambda_energy`` and ``metric``.
    metric : str
        The column to average.

    Returns
    -------
    DataFrame
        Index ``round``, one column per model.

    Examples
    --------
    CT's nan at lambda 5 is skipped:

    >>> per_round = pd.DataFrame({"round": 0, "model": ["BL", "CT", "CT"],
    ...                           "lambda_energy": [1, 1, 5], "IP": [3.0, 2.0, np.nan]})
    >>> round_means(per_round, "IP")  # doctest: +NORMALIZE_WHITESPACE
    model   BL   CT
    round
    0      3.0  2.0
    """
    # pandas' mean skips nan, as lambda_average does.
    means = per_round.groupby(["round", "model"], sort=False)[metric].mean()
    return means.unstack("model").sort_index()


def reduction_table(
    per_round: pd.DataFrame, metrics=("IP", "IP*", "cost"), level: float = 99.0
) -> pd.DataFrame:
    """Reduction, plus-minus, star, raw means and interval per metric.

    Parameters
    ----------
    per_round : DataFrame
        The output of :func:`evaluate_counterfactuals` with models BL and CT.
    metrics : sequence of str, default=("IP", "IP*", "cost")
        The metrics to reduce.
    level : float, default=99.0
        Level of the percentile interval, in %.

    Returns
    -------
    DataFrame
        Indexed by ``metric``, columns ``percent``, ``plus_minus``,
        ``significant``, ``ct_mean``, ``bl_mean``, ``diff_low``,
        ``diff_high``, ``n_rounds``.

    Examples
    --------
    CT's mean IP is 3/4 of the baseline's in two rounds and 1/2 in the other two:

    >>> per_round = pd.DataFrame({
    ...     "round": [0, 1, 2, 3] * 2, "model": ["BL"] * 4 + ["CT"] * 4,
    ...     "lambda_energy": 1.0, "IP": [4, 4, 8, 8, 3, 2, 6, 4]})
    >>> table = reduction_table(per_round, metrics=["IP"])
    >>> columns = ["percent", "plus_minus", "significant", "n_rounds"]
    >>> table[columns].round(2)  # doctest: +NORMALIZE_WHITESPACE
            percent  plus_minus  significant  n_rounds
    metric
    IP         37.5       14.43         True         4
    """
    rows = []
    for metric in metrics:
        means = round_means(per_round, metric)
        ct, bl = means["CT"].to_numpy(), means["BL"].to_numpy()
        percent, plus_minus, significant = reduction(ct, bl, level)
        low, high = difference_interval(ct, bl, level)
        rows.append(
            {
                "metric": metric,
                "percent": percent,
                "plus_minus": plus_minus,
                "significant": significant,
                "ct_mean": lambda_average(ct, 0),
                "bl_mean": lambda_average(bl, 0),
                "diff_low": low,
                "diff_high": high,
                "n_rounds": int(np.sum(np.isfinite(ct) & np.isfinite(bl))),
            }
        )
    return pd.DataFrame(rows).set_index("metric")


def seed_summary(percents, differences, level: float = 99.0):
    """A reduction over training seeds, starred only if it holds across seeds.

    Each seed s is one fitted pair with its own bootstrap evaluation, giving
    a percentage reduction (:func:`reduction`) and a difference ``d_s =
    mean(CT) - mean(BL)`` (means over all bootstrap rounds and energy
    weights of seed s). The cell is the mean of the per-seed reductions, plus
    or minus their sample standard deviation over seeds. It is significant
    when a two-sided one-sample t-test (:func:`scipy.stats.ttest_1samp`) of
    the ``d_s`` against 0 has a p-value below ``1 - level / 100`` and every
    seed's reduction has the sign the mean difference implies (positive when
    CT is lower). Fewer than 3 seeds, or a seed without a finite reduction
    or difference, are never significant.

    Parameters
    ----------
    percents, differences : array-like of shape (n_seeds,)
        Per-seed reductions in percent and differences ``d_s``.
    level : float, default=99.0
        Confidence level in percent (99: the test at the 1% level).

    Returns
    -------
    percent, plus_minus : float
        Mean and sample standard deviation over the seeds with finite values
        (nan without any; ``plus_minus`` also nan with a single one).
    significant : bool
    p_value : float
        nan with fewer than 3 finite seeds.

    Examples
    --------
    >>> percent, plus_minus, significant, p = seed_summary(
    ...     [20.0, 25.0, 30.0], [-1.0, -1.2, -1.1])
    >>> round(percent, 2), round(plus_minus, 2), significant, p < 0.01
    (25.0, 5.0, True, True)
    >>> seed_summary([20.0, -5.0, 30.0], [-1.0, -1.2, -1.1])[2]  # a sign flips
    False
    """
    percents = np.asarray(percents, dtype=float)
    differences = np.asarray(differences, dtype=float)
    if percents.shape != differences.shape or percents.ndim != 1:
        raise ValueError(
            "percents and differences must be 1-D arrays of the same "
            f"length; got shapes {percents.shape} and "
            f"{differences.shape}."
        )
    finite = np.isfinite(percents) & np.isfinite(differences)
    percent, difference = percents[finite], differences[finite]
    if not len(percent):
        return float("nan"), float("nan"), False, float("nan")
    spread = percent.std(ddof=1) if len(percent) > 1 else float("nan")
    p_value = float("nan")
    if len(difference) >= 3:
        with warnings.catch_warnings():  # identical differences: scipy warns
            warnings.simplefilter("ignore", RuntimeWarning)
            p_value = float(ttest_1samp(difference, 0.0).pvalue)
    sign = -np.sign(difference.mean())  # a reduction is positive when CT is lower
    significant = bool(
        finite.all()
        and len(difference) >= 3
        and p_value < 1.0 - level / 100.0
        and sign != 0
        and np.all(np.sign(percent) == sign)
    )
    return float(percent.mean()), float(spread), significant, p_value


def seed_reductions(reductions: pd.DataFrame, level: float = 99.0) -> pd.DataFrame:
    """:func:`seed_summary` per data set, pair and metric.

    Parameters
    ----------
    reductions : DataFrame
        :func:`reduction_table` outputs of several seeds, stacked: columns
        ``seed``, ``dataset``, ``pair``, ``metric``, ``percent``, ``ct_mean``
        and ``bl_mean``.
    level : float, default=99.0
        Confidence level of the t-test, in %.

    Returns
    -------
    DataFrame
        Columns ``dataset``, ``pair``, ``metric``, ``percent``,
        ``plus_minus`` (over seeds), ``significant``, ``p_value``,
        ``n_seeds`` and ``n_finite`` (seeds with a finite reduction and
        difference, e.g. not those without valid counterfactuals), in the
        order of first appearance, ready for :func:`main_table`.

    Examples
    --------
    >>> reductions = pd.DataFrame({
    ...     "seed": [0, 1, 2], "dataset": "moons", "pair": "single", "metric": "IP",
    ...     "percent": [20.0, 25, 30], "ct_mean": [0.8, 0.75, 0.7], "bl_mean": 1})
    >>> seed_reductions(reductions)[["percent", "plus_minus", "significant", "p_value"]]
       percent  plus_minus  significant   p_value
    0     25.0         5.0        False  0.013072
    """
    rows = []
    for (name, pair, metric), group in reductions.groupby(
        ["dataset", "pair", "metric"], sort=False
    ):
        group = group.sort_values("seed")
        difference = group["ct_mean"] - group["bl_mean"]
        percent, plus_minus, significant, p_value = seed_summary(
            group["percent"], difference, level
        )
        finite = np.isfinite(group["percent"]) & np.isfinite(difference)
        rows.append(
            {
                "dataset": name,
                "pair": pair,
                "metric": metric,
                "percent": percent,
                "plus_minus": plus_minus,
                "significant": significant,
                "p_value": p_value,
                "n_seeds": len(group),
                "n_finite": int(finite.sum()),
            }
        )
    return pd.DataFrame(rows)


def table_cell(percent, plus_minus=None, significant=False) -> str:
    """A cell of the paper's main table: ``"26.26 ± 0.67 *"``.

    Parameters
    ----------
    percent : float or None
        The reduction in %; None or nan: ``"n/a"``.
    plus_minus : float or None, default=None
        Its spread, shown after ``±`` when given.
    significant : bool, default=False
        Add a star.

    Returns
    -------
    str

    Examples
    --------
    >>> table_cell(26.264, 0.671, True), table_cell(15.64), table_cell(np.nan)
    ('26.26 ± 0.67 *', '15.64', 'n/a')
    """
    if percent is None or not np.isfinite(percent):
        return "n/a"
    text = f"{percent:.2f}"
    if plus_minus is not None and np.isfinite(plus_minus):
        text += f" ± {plus_minus:.2f}"
    return text + (" *" if significant else "")


def measured_cell(indexed: pd.DataFrame, key: tuple) -> pd.Series:
    """The row of ``indexed`` at ``key``; a nan cell where it was not measured.

    Parameters
    ----------
    indexed : DataFrame
        Reductions indexed by ``key``'s levels, with columns ``percent``,
        ``plus_minus`` and ``significant``.
    key : tuple
        A full key of the index.

    Returns
    -------
    Series
        With a nan ``percent`` (an "n/a" cell, left out of averages) where
        ``key`` is missing, such as MNIST's refined cost.
    """
    if key in indexed.index:
        return indexed.loc[key]
    return pd.Series({"percent": np.nan, "plus_minus": np.nan, "significant": False})


def main_table(reductions: pd.DataFrame, paper, labels) -> pd.DataFrame:
    """The paper's main table: our cells beside the paper's, and an "Avg." row.

    ``reductions`` has columns ``dataset``, ``pair``, ``metric``, ``percent``,
    ``plus_minus``, ``significant``: IP and IP* come from the single pair,
    Cost from the protected pair. ``paper`` maps data set -> column ->
    (percent, plus-minus, star); ``labels`` maps data sets to row labels, in
    order. "Avg." is the unweighted mean of the rows shown, ours and the
    paper's (for all nine data sets, the paper's own average); a row that
    ``paper`` lacks (a data set not in the paper) is shown without paper
    cells and left out of both averages. With columns
    ``n_finite`` and ``n_seeds`` (:func:`seed_reductions`), a cell computed
    from fewer seeds than run says so: ``"-37.16 [1/3 seeds]"``. Where the
    protected pair has the metric ``cost_refined``
    (:func:`evaluate_counterfactuals`), a last column "Cost, refined" shows
    it; the paper has no such column. A cell not measured (MNIST's refined
    cost) is "n/a" and left out of the average.

    Parameters
    ----------
    reductions : DataFrame
        Our cells (above).
    paper : mapping
        The paper's cells (above).
    labels : mapping
        Row labels of the data sets, in order.

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> from sklearn_ct.reproduction import LABELS, PAPER_RESULTS
    >>> reductions = pd.DataFrame({"dataset": "moons", "metric": ["IP", "IP*", "cost"],
    ...                            "pair": ["single", "single", "protected"],
    ...                            "percent": [20.0, 30, 5], "plus_minus": 1.0,
    ...                            "significant": [True, True, False]})
    >>> table = main_table(reductions, PAPER_RESULTS, LABELS)
    >>> table.index.tolist(), table.columns.tolist()[:3]
    (['Moon', 'Avg.'], ['IP', 'IP (paper)', 'IP*'])
    >>> table.loc["Moon", ["IP", "IP (paper)", "Cost", "Cost (paper)"]].tolist()
    ['20.00 ± 1.00 *', '19.59 ± 0.73 *', '5.00 ± 1.00', '5.16 ± 1.00 *']
    """
    picks = main_columns(reductions["metric"])
    indexed = reductions.set_index(["dataset", "pair", "metric"])
    rows, ours, theirs = [], {c: [] for c in picks}, {c: [] for c in paper["Avg."]}
    for name in [n for n in labels if n in set(reductions["dataset"])]:
        row = {"data": labels[name]}
        for column, (pair, metric) in picks.items():
            cell = measured_cell(indexed, (name, pair, metric))
            row[column] = table_cell(
                cell["percent"], cell["plus_minus"], cell["significant"]
            )
            if "n_finite" in cell and cell["n_finite"] < cell["n_seeds"]:
                row[column] += f" [{cell['n_finite']}/{cell['n_seeds']} seeds]"
            if name in paper:
                ours[column].append(cell["percent"])
            if column in paper.get(name, {}):
                row[f"{column} (paper)"] = table_cell(*paper[name][column])
                theirs[column].append(paper[name][column][0])
        rows.append(row)
    average = {"data": "Avg."}
    for column in picks:
        average[column] = table_cell(lambda_average(ours[column]))
        if column in theirs:
            average[f"{column} (paper)"] = table_cell(np.mean(theirs[column]))
    return pd.DataFrame([*rows, average]).set_index("data")
