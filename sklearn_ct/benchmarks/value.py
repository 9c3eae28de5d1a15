"""What counterfactual training buys, measured (``sklearn-ct bench --value``).

For every data set and training seed, a baseline (``objective="vanilla"``)
and a CT model are fitted with the same settings (the package's defaults
unless told otherwise) on the same rows. Test rows that both models of a
seed predict as class 0 ("people", a sample of them) are explained towards
class 1 by each model, in two ways:

* ``default``: what ``clf.explain(X, target=1)`` returns with no options
  (what a user sees first);
* ``protocol``: the paper's evaluation search (ECCCo without cost, energy
  weight 1, ``decision_threshold=0.95``, 50 steps, no refinement), the
  settings of :data:`sklearn_ct.metrics.plausibility_scorer`.

Per (data set, seed, model, way) one row of ``value.csv`` holds:
accuracy; validity; cost as L1 in the model's (standardised) units and as
MAD-weighted L1 (each column divided by its median absolute deviation on
the training rows, the recourse literature's default, floored at a tenth of
the column's standard deviation for one-hot and mostly-zero columns); plausibility as
IP, IP* and the manifold distance (mean L1 distance to the 5 nearest
target-class training rows), with the manifold distance of the people
themselves (``people_manifold``: how far the explanations moved them
towards or away from the target class's data); the share of the training counterfactuals
that matured in the last 10 epochs; the share of explanations that move
some feature beyond the values seen in training (``beyond_range``: a value
no training row had, such as a negative count); recourse robustness (the share of a
model's valid counterfactuals that the same kind of model, refitted with
the next seed on the same rows, also assigns to the target: "does the
advice still hold after retraining?"); and fit time.

Both models explain the same people, so their explanations are compared
person by person: the manifold distance of an explanation is mostly that of
the person explained, and with each model's own people (runs before
2026-12-04) the gap between the two samples outweighed the gap between the
models (on gmsc, the people's own manifold distance was 1.5 to 3.7 from
seed to seed). Every set is standardised (real sets: one-hot categorical
columns, as the reproduction does); real training sets are capped at a
fixed subsample per set, so seeds change only the training seed and
robustness compares refits.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..explain import mad_scale

#: The data sets of the benchmark: the paper's four real sets and the synthetic ones.
DATASETS = (
    "adult",
    "california_housing",
    "credit_default",
    "gmsc",
    "linearly_separable",
    "overlapping",
    "circles",
    "moons",
)
MODELS = ("BL", "CT")
WAYS = ("default", "protocol")
_SYNTHETIC = ("linearly_separable", "overlapping", "circles", "moons")
#: The paper's evaluation search (the plausibility scorer's settings).
PROTOCOL_EXPLAIN = {
    "decision_threshold": 0.95,
    "max_iter": 50,
    "lambda_cost": 0.0,
    "lambda_energy": 1.0,
    "refine": False,
    "fallback": False,
}
#: Metrics compared CT against BL, and whether lower is better.
METRICS = {
    "accuracy": False,
    "validity": False,
    "cost": True,
    "cost_mad": True,
    "IP": True,
    "IP*": True,
    "manifold": True,
    "robustness": False,
    "beyond_range": True,
}
#: Metrics that are shares, compared in points rather than in percent.
SHARES = ("accuracy", "validity", "robustness", "beyond_range")
#: Full-size and quick settings: training rows per set, people explained, seeds.
SIZES = {
    False: {"max_rows": 5000, "n_people": 200, "seeds": 5},
    True: {"max_rows": 1500, "n_people": 100, "seeds": 5},
}


def _standardise(X_train, X_test):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return (X_train - mean) / std, (X_test - mean) / std


def load_value_data(name, max_rows, data_home=None):
    """One data set in the models' input space, standardised, training rows capped.

    Returns ``(X_train, y_train, X_test, y_test, categorical_groups)``; the
    cap keeps a subsample fixed per data set (seeded by its name).
    """
    from ..reproduction import prepare_data

    data = prepare_data(name, data_home=data_home)
    X_train, X_test = data.X_train, data.X_test
    if name in _SYNTHETIC:  # the real sets come standardised, synthetic ones raw
        X_train, X_test = _standardise(X_train, X_test)
    y_train = data.y_train
    if len(X_train) > max_rows:
        rng = np.random.default_rng(sum(name.encode()))
        rows = np.sort(rng.choice(len(X_train), max_rows, replace=False))
        X_train, y_train = X_train[rows], y_train[rows]
    return (
        X_train.astype(np.float32),
        y_train,
        X_test.astype(np.float32),
        data.y_test,
        data.categorical_groups or None,
    )


def _manifold(counterfactuals, X_target, k=5):
    from ..metrics import manifold_distance

    return manifold_distance(counterfactuals, X_target, n_neighbors=k)


def _fit(data, params, model, seed):
    from .. import CounterfactualTrainingClassifier

    X_train, y_train, _, _, groups = data
    objective = {"objective": "vanilla"} if model == "BL" else {}
    clf = CounterfactualTrainingClassifier(
        **{"random_state": seed, "categorical_groups": groups, **params, **objective}
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X_train, y_train)
    return clf, time.perf_counter() - start


def _people(models, X_test, n_people, seed):
    """A seeded sample of the test rows that every model predicts as class 0."""
    rows = np.flatnonzero(
        np.logical_and.reduce([model.predict(X_test) == 0 for model in models])
    )
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(rows, min(n_people, len(rows)), replace=False))


def _explanation_row(clf, refit, data, people, explain, scale, seed):
    from ..constraints._outside import beyond_observed
    from ..metrics import implausibility, mmd

    X_train, y_train, X_test, _, _ = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = clf.explain(X_test[people], target=1, random_state=seed, **explain)
    x = np.asarray(result.factuals, dtype=float)
    cf = np.asarray(result.counterfactuals, dtype=float)
    valid = np.asarray(result.valid, dtype=bool)
    row = {"n_people": len(people), "validity": valid.mean() if len(valid) else np.nan}
    if not valid.any():
        return row
    x, cf = x[valid], cf[valid]
    X_target = X_train[y_train == 1]
    row.update(
        {
            "cost": np.abs(cf - x).sum(axis=1).mean(),
            "cost_mad": (np.abs(cf - x) / scale).sum(axis=1).mean(),
            "IP": implausibility(cf, X_target, random_state=seed),
            "IP*": mmd(cf, X_target, random_state=seed),
            "manifold": _manifold(cf, X_target),
            "beyond_range": np.mean(
                beyond_observed(clf.constraints_, x, cf).any(axis=1)
            ),
            "robustness": (
                np.mean(refit.predict(cf.astype(np.float32)) == 1)
                if refit is not None
                else np.nan
            ),
        }
    )
    return row


def _matured(clf):
    history = clf.history_
    if "cf_converged" not in history:
        return np.nan
    return float(history["cf_converged"].dropna().tail(10).mean())


def value_task(name, seeds, params, max_rows, n_people, data_home=None) -> list:
    """Every row of ``value.csv`` for one data set (all seeds, models and ways)."""
    data = load_value_data(name, max_rows, data_home)
    scale = mad_scale(data[0])
    fits = {
        (model, seed): _fit(data, params, model, seed)
        for seed in seeds
        for model in MODELS
    }
    rows = []
    for i, seed in enumerate(seeds):
        # Robustness: the same kind of model refitted with the next seed.
        other = seeds[(i + 1) % len(seeds)] if len(seeds) > 1 else None
        people = _people([fits[m, seed][0] for m in MODELS], data[2], n_people, seed)
        # The same people for every model and way: their own distance, once.
        own = _manifold(data[2][people], data[0][data[1] == 1])
        for model in MODELS:
            clf, seconds = fits[model, seed]
            refit = fits[model, other][0] if other is not None else None
            accuracy = clf.score(data[2], data[3])
            for way in WAYS:
                explain = {} if way == "default" else PROTOCOL_EXPLAIN
                row = {
                    "dataset": name,
                    "seed": seed,
                    "model": model,
                    "way": way,
                    "accuracy": accuracy,
                    "matured": _matured(clf),
                    "fit_seconds": seconds,
                    "people_manifold": own,
                }
                row.update(
                    _explanation_row(clf, refit, data, people, explain, scale, seed)
                )
                rows.append(row)
    return rows


def run_value(
    out=".",
    *,
    quick=False,
    datasets=DATASETS,
    seeds=None,
    params=None,
    n_jobs=1,
    data_home=None,
) -> pd.DataFrame:
    """Run the value benchmark, write ``value.csv``, ``value.txt`` and ``value.png``.

    Parameters
    ----------
    out : str or path, default="."
        Output folder.
    quick : bool, default=False
        1,500 training rows per set and 100 people (else 5,000 and 200);
        five seeds either way.
    datasets : sequence of str, default=DATASETS
        Data sets to compare the two models on.
    seeds : int or None, default=None
        Training seeds (0..seeds-1); None: five.
    params : dict or None, default=None
        Settings of both models (``objective`` aside); None: the defaults.
    n_jobs : int, default=1
        Data sets run in parallel (one torch thread each).
    data_home : str or path, default=None
        Folder with the real data sets (see :func:`~sklearn_ct.datasets.load_dataset`).

    Returns
    -------
    DataFrame
        The rows of ``value.csv``.
    """
    from ..reproduction import run_tasks

    size = SIZES[bool(quick)]
    seeds = list(range(size["seeds"] if seeds is None else int(seeds)))
    params = dict(params or {})
    params.pop("objective", None)
    keys = [(name,) for name in datasets]
    tasks = [
        (
            value_task,
            (name, seeds, params, size["max_rows"], size["n_people"], data_home),
            {},
        )
        for name in datasets
    ]
    results = run_tasks(keys, tasks, n_jobs=n_jobs)
    frame = pd.DataFrame([row for key in keys for row in results[key]])
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "value.csv", index=False)
    report = format_value(frame, params)
    (out / "value.txt").write_text(report + "\n")
    plot_value(frame, out / "value.png")
    return frame


def _gain(bl, ct, metric):
    """CT's gain over BL: points for shares, percent lower (or higher) for the rest."""
    if metric in SHARES:
        return 100 * (bl - ct) if METRICS[metric] else 100 * (ct - bl)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.asarray(ct, dtype=float) / np.asarray(bl, dtype=float)
    ratio = np.where(np.isfinite(ratio), ratio, np.nan)  # a baseline value of 0
    gain = 100 * (1 - ratio) if METRICS[metric] else 100 * (ratio - 1)
    return pd.Series(gain, index=ct.index) if isinstance(ct, pd.Series) else float(gain)


def relative_changes(frame: pd.DataFrame) -> pd.DataFrame:
    """Per data set, way and metric: CT's gain over BL, from the means over seeds.

    Positive means CT is better: lower for distances (cost, IP, IP*,
    manifold; in percent of the baseline's mean), higher for accuracy,
    validity and robustness (in points). ``std`` is the spread of the same
    gain computed seed by seed.
    """
    rows = []
    for (name, way), part in frame.groupby(["dataset", "way"], sort=False):
        wide = part.pivot(index="seed", columns="model")
        for metric in [m for m in METRICS if m in part.columns]:  # older runs
            bl, ct = wide[metric]["BL"], wide[metric]["CT"]
            rows.append(
                {
                    "dataset": name,
                    "way": way,
                    "metric": metric,
                    "BL": bl.mean(),
                    "CT": ct.mean(),
                    "change": _gain(bl.mean(), ct.mean(), metric),
                    "std": _gain(bl, ct, metric).std(ddof=1),
                    "n_seeds": int(ct.notna().sum()),
                }
            )
    return pd.DataFrame(rows)


def _cells(first, second, template) -> pd.DataFrame:
    """Two aligned frames as one of strings, in the order of :data:`METRICS`."""
    names = [m for m in METRICS if m in first.columns]
    return pd.DataFrame(
        {
            m: [
                template.format(a, b)
                for a, b in zip(first[m], second.loc[first.index, m], strict=True)
            ]
            for m in names
        },
        index=first.index,
    )


def format_value(frame: pd.DataFrame, params=None) -> str:
    """The benchmark's report: BL and CT per metric, and CT's gain over seeds."""
    changes = relative_changes(frame)
    lines = [
        "CT against the baseline (BL), same settings"
        f" ({params or 'the defaults'}); gain: positive = CT better (distances"
        " in % lower, accuracy/validity/robustness in points), mean +- std over"
        " seeds",
        "",
    ]
    for way in WAYS:
        part = changes[changes["way"] == way]
        table = part.pivot(index="dataset", columns="metric", values="change")
        spread = part.pivot(index="dataset", columns="metric", values="std")
        lines += [
            f"[{way}] gain of CT",
            _cells(table, spread, "{:+.1f} +- {:.1f}").to_string(),
            "",
        ]
        base = part.pivot(index="dataset", columns="metric", values="BL")
        means = part.pivot(index="dataset", columns="metric", values="CT")
        lines += [
            f"[{way}] BL/CT means",
            _cells(base, means, "{:.3f}/{:.3f}").to_string(),
            "",
        ]
    default = frame[frame["way"] == "default"]
    moved = default.groupby(["dataset", "model"], sort=False)[
        ["people_manifold", "manifold"]
    ].mean()
    lines.append(
        "People's own manifold distance (their default explanations', BL/CT): "
        + ", ".join(
            f"{name} {moved.loc[(name, 'BL'), 'people_manifold']:.3f}"
            f" ({moved.loc[(name, 'BL'), 'manifold']:.3f}"
            f"/{moved.loc[(name, 'CT'), 'manifold']:.3f})"
            for name in dict.fromkeys(default["dataset"])
        )
    )
    matured = frame[frame["model"] == "CT"].groupby("dataset", sort=False)
    lines.append(
        "Training counterfactuals matured (last 10 epochs, CT): "
        + ", ".join(f"{name} {part['matured'].mean():.2f}" for name, part in matured)
    )
    fit = (
        frame[frame["way"] == "default"]
        .groupby(["dataset", "model"], sort=False)["fit_seconds"]
        .mean()
        .unstack()
    )
    lines += [
        "Fit seconds (BL/CT): "
        + ", ".join(
            f"{name} {row['BL']:.1f}/{row['CT']:.1f}" for name, row in fit.iterrows()
        )
    ]
    return "\n".join(lines)


def plot_value(frame: pd.DataFrame, path) -> None:
    """Bars of CT's gain in cost, manifold distance and IP, per data set and way."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    changes = relative_changes(frame)
    shown = ("cost", "cost_mad", "manifold", "IP")
    fig, axes = plt.subplots(1, len(WAYS), figsize=(12, 4.5), sharey=False)
    for ax, way in zip(axes, WAYS, strict=True):
        part = changes[changes["way"] == way]
        names = list(dict.fromkeys(part["dataset"]))
        width = 0.8 / len(shown)
        for i, metric in enumerate(shown):
            rows = part[part["metric"] == metric].set_index("dataset").loc[names]
            ax.bar(
                np.arange(len(names)) + i * width,
                rows["change"],
                width,
                yerr=rows["std"],
                label=metric,
                capsize=2,
            )
        ax.axhline(0, color="black", linewidth=0.8)
        # The bars set the scale; a seed whose baseline cost is near 0 makes
        # its error bar huge, and the axes clip it rather than the bars.
        shown_changes = part[part["metric"].isin(shown)]["change"]
        ax.set_ylim(
            min(-50.0, 1.2 * shown_changes.min()), max(50.0, 1.2 * shown_changes.max())
        )
        ax.set_xticks(np.arange(len(names)) + 0.4 - width / 2)
        ax.set_xticklabels([n.replace("_", "\n") for n in names], fontsize=7)
        ax.set_title(f"explanations: {way}")
        ax.set_ylabel("CT's gain over BL (%; positive = better)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
