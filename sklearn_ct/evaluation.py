"""The paper's evaluation protocol for a pair of models: baseline (BL) and CT.

Functions of fitted models and test data (model input space) returning tidy
DataFrames (method.md 7): :func:`evaluate_counterfactuals` (validity, cost, IP,
IP* per energy weight, bootstrap round and model; one batched search per model
and weight), :func:`robustness_curves` (FGSM, PGD) and
:func:`sensitivity_rounds` (integrated gradients); :func:`evaluate_pair` runs
what a pair of the protocol needs. The aggregation is pure:
:func:`round_means`, :func:`reduction`, :func:`table_cell` (one fitted pair,
over its bootstrap rounds) and :func:`seed_summary`, :func:`seed_reductions`
(several training seeds, over the seeds).
"""

from __future__ import annotations

import warnings
from types import MappingProxyType, SimpleNamespace

import numpy as np
import pandas as pd
from scipy.stats import ttest_1samp

from .generators import ECCCoGenerator
from .metrics import cost, explanation_summary, robust_accuracy, sensitivity

__all__ = [
    "difference_interval", "digit_examples", "evaluate_counterfactuals",
    "evaluate_pair", "lambda_average", "main_table", "reduction", "reduction_table",
    "robustness_curves", "round_means", "sample_individuals", "seed_reductions",
    "seed_summary", "sensitivity_rounds", "summarise_sensitivity", "table_cell",
    "to_markdown",
]

#: Metric columns of :func:`evaluate_counterfactuals`.
METRICS = ("validity", "cost", "IP", "IP*")

#: The main table's columns: (pair, metric). "Cost, refined" is ours only.
MAIN_COLUMNS = MappingProxyType({
    "IP": ("single", "IP"), "IP*": ("single", "IP*"), "Cost": ("protected", "cost"),
    "Cost, refined": ("protected", "cost_refined")})


# ---------------------------------------------------------------------------
# Pure aggregation
# ---------------------------------------------------------------------------


def lambda_average(values, axis: int = -1) -> np.ndarray:
    """Mean over the energy weights (along ``axis``) ignoring nan; all nan: nan.

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
        raise ValueError("ct_per_round and bl_per_round must be 1-D arrays of the "
                         f"same length; got shapes {ct.shape} and {bl.shape}.")
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
    mean_r(BL)`` excludes 0 (method.md 7). Rounds with a nan mean, or a
    non-finite ratio (a baseline mean of 0), are left out.

    Parameters
    ----------
    ct_per_round, bl_per_round : array-like of shape (n_rounds,)
    level : float, default=99.0

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
    return (float((1.0 - ratio.mean()) * 100.0), float(100.0 * spread),
            bool(low > 0 or high < 0))


def round_means(per_round: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per-round means of ``metric`` averaged over the energy weights, nan-aware.

    Parameters
    ----------
    per_round : DataFrame
        Columns ``round``, ``model``, ``lambda_energy`` and ``metric``.
    metric : str

    Returns
    -------
    DataFrame
        Index ``round``, one column per model.
    """
    # pandas' mean skips nan, as lambda_average does.
    means = per_round.groupby(["round", "model"], sort=False)[metric].mean()
    return means.unstack("model").sort_index()


def reduction_table(per_round: pd.DataFrame, metrics=("IP", "IP*", "cost"),
                    level: float = 99.0) -> pd.DataFrame:
    """Reduction, plus-minus, star, raw means and interval per metric.

    ``per_round`` is the output of :func:`evaluate_counterfactuals` with
    models BL and CT. Returns a DataFrame indexed by ``metric``, columns
    ``percent``, ``plus_minus``, ``significant``, ``ct_mean``, ``bl_mean``,
    ``diff_low``, ``diff_high``, ``n_rounds``.
    """
    rows = []
    for metric in metrics:
        means = round_means(per_round, metric)
        ct, bl = means["CT"].to_numpy(), means["BL"].to_numpy()
        percent, plus_minus, significant = reduction(ct, bl, level)
        low, high = difference_interval(ct, bl, level)
        rows.append({"metric": metric, "percent": percent, "plus_minus": plus_minus,
                     "significant": significant, "ct_mean": lambda_average(ct, 0),
                     "bl_mean": lambda_average(bl, 0), "diff_low": low,
                     "diff_high": high,
                     "n_rounds": int(np.sum(np.isfinite(ct) & np.isfinite(bl)))})
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
        raise ValueError("percents and differences must be 1-D arrays of the same "
                         f"length; got shapes {percents.shape} and "
                         f"{differences.shape}.")
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
    significant = bool(finite.all() and len(difference) >= 3
                       and p_value < 1.0 - level / 100.0
                       and sign != 0 and np.all(np.sign(percent) == sign))
    return float(percent.mean()), float(spread), significant, p_value


def seed_reductions(reductions: pd.DataFrame, level: float = 99.0) -> pd.DataFrame:
    """:func:`seed_summary` per data set, pair and metric.

    ``reductions`` stacks :func:`reduction_table` outputs of several seeds:
    columns ``seed``, ``dataset``, ``pair``, ``metric``, ``percent``,
    ``ct_mean`` and ``bl_mean``. Returns columns ``dataset``, ``pair``,
    ``metric``, ``percent``, ``plus_minus`` (over seeds), ``significant``,
    ``p_value``, ``n_seeds`` and ``n_finite`` (seeds with a finite reduction
    and difference, e.g. not those without valid counterfactuals), in the
    order of first appearance, ready for :func:`main_table`.
    """
    rows = []
    for (name, pair, metric), group in reductions.groupby(
            ["dataset", "pair", "metric"], sort=False):
        group = group.sort_values("seed")
        difference = group["ct_mean"] - group["bl_mean"]
        percent, plus_minus, significant, p_value = seed_summary(
            group["percent"], difference, level)
        finite = np.isfinite(group["percent"]) & np.isfinite(difference)
        rows.append({"dataset": name, "pair": pair, "metric": metric,
                     "percent": percent, "plus_minus": plus_minus,
                     "significant": significant, "p_value": p_value,
                     "n_seeds": len(group), "n_finite": int(finite.sum())})
    return pd.DataFrame(rows)


def table_cell(percent, plus_minus=None, significant=False) -> str:
    """A cell of the paper's main table: ``"26.26 ± 0.67 *"``.

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


def main_table(reductions: pd.DataFrame, paper, labels) -> pd.DataFrame:
    """The paper's main table: our cells beside the paper's, and an "Avg." row.

    ``reductions`` has columns ``dataset``, ``pair``, ``metric``, ``percent``,
    ``plus_minus``, ``significant``: IP and IP* come from the single pair,
    Cost from the protected pair. ``paper`` maps data set -> column ->
    (percent, plus-minus, star); ``labels`` maps data sets to row labels, in
    order. "Avg." is the unweighted mean of the rows shown, ours and the
    paper's (for all nine data sets, the paper's own average). With columns
    ``n_finite`` and ``n_seeds`` (:func:`seed_reductions`), a cell computed
    from fewer seeds than run says so: ``"-37.16 [1/3 seeds]"``. Where the
    protected pair has the metric ``cost_refined``
    (:func:`evaluate_counterfactuals`), a last column "Cost, refined" shows
    it; the paper has no such column.
    """
    picks = dict(MAIN_COLUMNS)
    if not (reductions["metric"] == "cost_refined").any():
        del picks["Cost, refined"]
    indexed = reductions.set_index(["dataset", "pair", "metric"])
    rows, ours, theirs = [], {c: [] for c in picks}, {c: [] for c in paper["Avg."]}
    for name in [n for n in labels if n in set(reductions["dataset"])]:
        row = {"data": labels[name]}
        for column, (pair, metric) in picks.items():
            cell = indexed.loc[(name, pair, metric)]
            row[column] = table_cell(cell["percent"], cell["plus_minus"],
                                     cell["significant"])
            if "n_finite" in cell and cell["n_finite"] < cell["n_seeds"]:
                row[column] += f" [{cell['n_finite']}/{cell['n_seeds']} seeds]"
            ours[column].append(cell["percent"])
            if column in paper[name]:
                row[f"{column} (paper)"] = table_cell(*paper[name][column])
                theirs[column].append(paper[name][column][0])
        rows.append(row)
    average = {"data": "Avg."}
    for column in picks:
        average[column] = table_cell(lambda_average(ours[column]))
        if column in theirs:
            average[f"{column} (paper)"] = table_cell(np.mean(theirs[column]))
    return pd.DataFrame([*rows, average]).set_index("data")


def to_markdown(frame: pd.DataFrame) -> str:
    """A Markdown table of ``frame`` and its index (floats with 3 decimals)."""
    frame = frame.reset_index()
    cells = [[str(c) for c in frame.columns]] + [
        [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
        for row in frame.itertuples(index=False)]
    lines = ["| " + " | ".join(row) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("---" for _ in frame.columns) + "|")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Counterfactual benchmark
# ---------------------------------------------------------------------------


def sample_individuals(predictions, classes, n: int, rng):
    """Draw individuals that every model predicts as their factual class.

    Per individual: a factual class uniform over the classes every model
    predicts for at least one common row, a target uniform over the other
    classes, then a random row (with replacement) every model predicts as the
    factual class. The same draws serve all models (our choice; the reference
    drew per model).

    Parameters
    ----------
    predictions : sequence of array-like of shape (n_rows,)
        Predicted labels of each model on the same rows.
    classes : array-like of shape (n_classes,)
    n : int
        Number of individuals.
    rng : numpy.random.Generator

    Returns
    -------
    rows : ndarray of int, shape (n,)
    factual, target : ndarray of shape (n,)
        Class labels; ``target != factual``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> rows, factual, target = sample_individuals(
    ...     [np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])], [0, 1], 5, rng)
    >>> sorted(set(rows[factual == 1].tolist())), bool((factual != target).all())
    ([1], True)
    """
    classes = np.asarray(classes)
    first = np.asarray(predictions[0])
    agree = np.all([np.asarray(p) == first for p in predictions], axis=0)
    pools = [np.flatnonzero(agree & (first == c)) for c in classes]
    eligible = np.flatnonzero([len(pool) > 0 for pool in pools])
    if not len(eligible):
        raise ValueError("No row is predicted as the same class by every model.")
    factual = rng.choice(eligible, size=n)
    target = (factual + rng.integers(1, len(classes), size=n)) % len(classes)
    rows = np.empty(n, dtype=np.int64)
    for k in eligible:  # a loop over classes, never over individuals
        chosen = factual == k
        rows[chosen] = rng.choice(pools[k], size=int(chosen.sum()))
    return rows, classes[factual], classes[target]


def _rows(result, part: slice) -> SimpleNamespace:
    """The factuals, counterfactuals, validity and targets of ``result[part]``."""
    return SimpleNamespace(model_factuals=result.model_factuals[part],
                           model_counterfactuals=result.model_counterfactuals[part],
                           valid=result.valid[part], target=result.target[part])


def _round_metrics(part, X_ref, y_ref, seed, *, length_scale, n_ip, n_mmd):
    return {"n": len(part.valid), "n_valid": int(np.sum(part.valid)),
            **explanation_summary(part, X_ref, y_ref, length_scale=length_scale,
                                  n_ip_samples=n_ip, n_mmd_samples=n_mmd,
                                  random_state=seed)}


def evaluate_counterfactuals(models, X, y, *, decision_threshold=0.95,
                             lambdas=(0.1, 0.5, 1.0, 5.0, 10.0), n_rounds=100,
                             n_individuals=100, max_iter=50, step_size=0.1,
                             length_scale=5.0, n_ip_samples=1000, n_mmd_samples=100,
                             refined_cost=False, random_state=None) -> pd.DataFrame:
    """Validity, cost, IP and IP* per energy weight, bootstrap round and model.

    For each energy weight, ``n_rounds * n_individuals`` individuals are drawn
    by :func:`sample_individuals` (the same for every model) and each model
    explains all of them in one batched search: ECCCo with ``lambda_cost=0``,
    at most ``max_iter`` gradient steps of ``step_size``. Per round, over the
    valid counterfactuals only: cost (mean L1 to the factual), IP (mean L1 to
    ``n_ip_samples`` target-class rows of ``X`` drawn with replacement) and
    IP* (unbiased MMD to target-class rows, each side subsampled to at most
    ``n_mmd_samples``, clamped at 0), both per target weighted by counts;
    validity over all. The reference draws are shared by the models.

    ``models`` maps names (``"BL"``, ``"CT"``) to fitted
    :class:`~sklearn_ct.CounterfactualTrainingClassifier` with the same
    classes; ``X``, ``y`` are test data in their input space and labels.
    Returns a DataFrame with one row per (lambda_energy, round, model):
    ``n``, ``n_valid``, ``validity``, ``cost``, ``IP``, ``IP*`` (nan without
    valid counterfactuals).

    With ``refined_cost=True`` each model explains the same individuals a
    second time with ``refine=True`` (the package's default explainer: the
    cheapest valid point it finds back toward the factual,
    :func:`sklearn_ct.recourse.refine`; the search itself is deterministic, so
    these refine the very counterfactuals above), and ``cost_refined`` is
    their mean L1 cost over the valid ones. It is the cost without the last
    fixed step's overshoot, which the paper's cost includes
    (``docs/protected_cost.md``); it is not in the paper.
    """
    rng = np.random.default_rng(random_state)
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    names = list(models)
    predictions = [models[name].predict(X) for name in names]
    n = n_rounds * n_individuals
    rows = []
    for lam in lambdas:
        index, _, target = sample_individuals(predictions, models[names[0]].classes_,
                                              n, rng)
        seeds = rng.integers(2**31 - 1, size=n_rounds)
        generator = ECCCoGenerator(lambda_cost=0.0, lambda_energy=float(lam))
        for name in names:
            options = dict(target=target, generator=generator,
                           decision_threshold=decision_threshold, max_iter=max_iter,
                           lr=step_size)
            # all rounds in one batched search; the paper's search: no refinement
            result = models[name].explain(X[index], refine=False, **options)
            refined = (models[name].explain(X[index], refine=True, **options)
                       if refined_cost else None)
            for r in range(n_rounds):
                part = slice(r * n_individuals, (r + 1) * n_individuals)
                row = {"lambda_energy": float(lam), "round": r, "model": name,
                       **_round_metrics(_rows(result, part), X, y, int(seeds[r]),
                                        length_scale=length_scale, n_ip=n_ip_samples,
                                        n_mmd=n_mmd_samples)}
                if refined is not None:
                    row["cost_refined"] = cost(_rows(refined, part))
                rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# Robustness, sensitivity, digits
# ---------------------------------------------------------------------------


def robustness_curves(models, X, y, *, epsilons=np.linspace(0, 0.1, 10),  # noqa: B008
                      n_steps=40, step_size=0.01, random_state=None) -> pd.DataFrame:
    """FGSM and PGD accuracy per model and radius, clamped to each model's domain.

    PGD takes ``n_steps`` of ``step_size`` from a random start seeded by
    ``random_state``. Returns columns ``model``, ``attack``, ``epsilon``,
    ``accuracy``.
    """
    frames = []
    for name, model in models.items():
        for attack in ("fgsm", "pgd"):
            accuracy = robust_accuracy(model, X, y, epsilons=epsilons, attack=attack,
                                       n_steps=n_steps, step_size=step_size,
                                       domain="estimator", random_state=random_state)
            frames.append(pd.DataFrame({"model": name, "attack": attack.upper(),
                                        "epsilon": np.asarray(epsilons, dtype=float),
                                        "accuracy": accuracy}))
    return pd.concat(frames, ignore_index=True)


def sensitivity_rounds(models, X, features, *, n_rounds=20, n_rows=2500,
                       normalize="minmax", random_state=None) -> pd.DataFrame:
    """Integrated-gradient sensitivity to ``features`` over bootstrap rounds.

    Each round draws ``min(n_rows, len(X))`` rows with replacement; the rows
    and the random U(-1, 1) baseline are the same for every model.

    ``features`` are model-space positions; ``normalize`` is passed to
    :func:`~sklearn_ct.metrics.sensitivity` (the reference uses ``"range"``
    for two-feature data). Returns columns ``model``, ``round``,
    ``sensitivity``.
    """
    rng = np.random.default_rng(random_state)
    X = np.asarray(X, dtype=float)
    rows = []
    for r in range(n_rounds):
        sample = X[rng.integers(len(X), size=min(n_rows, len(X)))]
        seed = int(rng.integers(2**31 - 1))
        for name, model in models.items():
            value = sensitivity(model, sample, list(features), baseline="random",
                                normalize=normalize, random_state=seed)
            rows.append({"model": name, "round": r, "sensitivity": value})
    return pd.DataFrame(rows)


def summarise_sensitivity(rounds: pd.DataFrame) -> pd.DataFrame:
    """Median and 2.5%/97.5% percentiles of :func:`sensitivity_rounds` per model."""
    grouped = rounds.groupby("model", sort=False)["sensitivity"]
    return pd.DataFrame({"median": grouped.median(), "q025": grouped.quantile(0.025),
                         "q975": grouped.quantile(0.975)})


def digit_examples(models, X, *, n_images=8, lambda_energy=1.0,
                   decision_threshold=0.95, max_iter=50, random_state=None):
    """Counterfactual images with the same factuals and targets for every model.

    Returns
    -------
    factuals : ndarray of shape (n_images, n_pixels)
        Test rows every model predicts as the same class.
    counterfactuals : dict of str -> ndarray of shape (n_images, n_pixels)
    targets : ndarray of shape (n_images,)
    """
    rng = np.random.default_rng(random_state)
    X = np.asarray(X, dtype=float)
    names = list(models)
    predictions = [models[name].predict(X) for name in names]
    agree = np.flatnonzero(np.all([p == predictions[0] for p in predictions], axis=0))
    rows = np.sort(rng.choice(agree, size=min(n_images, len(agree)), replace=False))
    classes = models[names[0]].classes_
    factual = np.searchsorted(classes, predictions[0][rows])
    targets = classes[(factual + rng.integers(1, len(classes), size=len(rows)))
                      % len(classes)]
    generator = ECCCoGenerator(lambda_cost=0.0, lambda_energy=lambda_energy)
    counterfactuals = {
        name: models[name].explain(X[rows], target=targets, generator=generator,
                                   decision_threshold=decision_threshold,
                                   max_iter=max_iter,
                                   refine=False).model_counterfactuals
        for name in names}
    return X[rows], counterfactuals, targets


# ---------------------------------------------------------------------------
# One pair of the protocol
# ---------------------------------------------------------------------------


def evaluate_pair(models, X, y, *, single: bool, settings: dict, n_individuals: int,
                  protected=(), images: bool = False, random_state=None) -> dict:
    """Every evaluation of one pair of models, as in the paper's protocol.

    The counterfactual benchmark at ``settings["tau_single"]`` (single pair:
    IP, IP*) or ``settings["tau_protected"]`` (protected pair: cost), clean
    test accuracy, and robustness curves (single pair) or sensitivity to the
    ``protected`` features (protected pair); with ``images``, also
    :func:`digit_examples`.

    ``single`` selects the unconstrained pair (else the protected one);
    ``settings`` is :func:`sklearn_ct.experiments.protocol`;
    ``n_individuals`` counts per round and energy weight. Returns a dict of
    ``per_round``, ``accuracy`` and ``robustness`` or ``sensitivity``
    (DataFrames), and with ``images`` the tuple ``digits``.
    """
    out = {"per_round": evaluate_counterfactuals(
        models, X, y,
        decision_threshold=settings["tau_single" if single else "tau_protected"],
        lambdas=settings["lambdas"], n_rounds=settings["n_rounds"],
        n_individuals=n_individuals, max_iter=settings["max_iter"],
        step_size=settings["step_size"], length_scale=settings["length_scale"],
        n_ip_samples=settings["n_ip_samples"], n_mmd_samples=settings["n_mmd_samples"],
        refined_cost=not single and settings["refined_cost"],
        random_state=random_state)}
    out["accuracy"] = pd.DataFrame([{"model": k, "accuracy": m.score(X, y)}
                                    for k, m in models.items()])
    if single:
        out["robustness"] = robustness_curves(
            models, X, y, epsilons=settings["epsilons"], n_steps=settings["pgd_steps"],
            step_size=settings["pgd_step_size"], random_state=random_state)
    else:
        out["sensitivity"] = sensitivity_rounds(
            models, X, protected, n_rounds=settings["ig_rounds"],
            n_rows=settings["ig_rows"],
            normalize="range" if np.shape(X)[1] == 2 else "minmax",
            random_state=random_state)
    if images:
        out["digits"] = digit_examples(
            models, X, n_images=settings["digit_images"],
            lambda_energy=settings["digit_lambda_energy"],
            decision_threshold=settings["tau_single"], max_iter=settings["max_iter"],
            random_state=random_state)
    return out
