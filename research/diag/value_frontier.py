"""The frontier of CT's settings on real data: one line per (settings, data set).

Reads the ``value.csv`` of several ``sklearn-ct bench --value`` runs (one
folder each, named after their settings, under ``root``, at any depth) and
prints, per run and data set, what CT gains over the baseline: accuracy
(points), matured training counterfactuals, cost and manifold distance of
the default explanations and of the paper's protocol (percent; positive =
CT better).

With ``--paired``, only the runs that explained the same people with both
models (folders whose path contains ``paired``), and two files in ``root``:
``frontier.csv`` (the table), ``frontier.png`` and ``frontier_full.png``
(full-size runs only), which plot for each real set and moons the default explanations' cost gain (x) against their
manifold gain (y). Issue 18's target is the shaded corner (manifold at
least 10% better at no more than 5% more cost); a point is filled when
CT's accuracy is at most 1 point below the baseline's and its validity at
least 0.95; full-size runs (200 people) are circles, quick ones triangles.

    python research/diag/value_frontier.py research/diag/value
    python research/diag/value_frontier.py research/diag/value --paired
"""

import sys
from pathlib import Path

import pandas as pd

from sklearn_ct.benchmarks.value import relative_changes

REAL = ("adult", "california_housing", "credit_default", "gmsc")
PLOTTED = (*REAL, "moons")


def frontier(root, paired=False) -> pd.DataFrame:
    rows = []
    for csv in sorted(Path(root).rglob("value.csv")):
        run = str(csv.parent.relative_to(root))
        if paired and "paired" not in run:
            continue
        frame = pd.read_csv(csv)
        full = frame["n_people"].max() > 100
        changes = relative_changes(frame).set_index(["dataset", "way", "metric"])
        matured = frame[frame["model"] == "CT"].groupby("dataset")["matured"].mean()
        for name in dict.fromkeys(frame["dataset"]):
            rows.append(
                {
                    "settings": run,
                    "size": "full" if full else "quick",
                    "dataset": name,
                    "matured": matured[name],
                    "accuracy": changes.loc[(name, "default", "accuracy"), "change"],
                    "cost": changes.loc[(name, "default", "cost"), "change"],
                    "cost_mad": changes.loc[(name, "default", "cost_mad"), "change"],
                    "manifold": changes.loc[(name, "default", "manifold"), "change"],
                    "validity": changes.loc[(name, "default", "validity"), "CT"],
                    "protocol_cost": changes.loc[(name, "protocol", "cost"), "change"],
                    "protocol_manifold": changes.loc[
                        (name, "protocol", "manifold"), "change"
                    ],
                }
            )
    return pd.DataFrame(rows)


def plot(table: pd.DataFrame, path) -> None:
    """Cost gain against manifold gain of the default explanations, per set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = list(dict.fromkeys(table["settings"]))
    fig, axes = plt.subplots(
        1, len(PLOTTED), figsize=(4 * len(PLOTTED), 3.6 + 0.12 * len(runs))
    )
    palette = [*plt.get_cmap("tab20").colors, *plt.get_cmap("tab20b").colors]
    for ax, name in zip(axes, PLOTTED, strict=True):
        part = table[table["dataset"] == name]
        ax.fill_between([-5, 200], 10, 200, color="tab:green", alpha=0.12)
        ax.axhline(0, color="grey", linewidth=0.6)
        ax.axvline(0, color="grey", linewidth=0.6)
        for _, row in part.iterrows():
            ok = row["accuracy"] >= -1 and row["validity"] >= 0.95
            colour = palette[runs.index(row["settings"]) % len(palette)]
            ax.scatter(
                row["cost"],
                row["manifold"],
                marker="o" if row["size"] == "full" else "^",
                s=45,
                facecolors=colour if ok else "none",
                edgecolors=colour,
                label=row["settings"],
            )
        ax.set_xlim(max(-150, part["cost"].min() - 5), max(30, part["cost"].max() + 5))
        ax.set_ylim(max(-40, part["manifold"].min() - 3), 30)
        ax.set_title(name)
        ax.set_xlabel("cost gain of CT (%)")
    axes[0].set_ylabel("manifold-distance gain of CT (%)")
    handles, labels = axes[0].get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    fig.legend(unique.values(), unique.keys(), loc="lower center", ncol=3, fontsize=7)
    fig.tight_layout(rect=(0, 0.05 + 0.1 * len(runs) / 3 / 4, 1, 1))
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = Path(args[0] if args else "research/diag/value")
    paired = "--paired" in sys.argv
    table = frontier(root, paired=paired)
    pd.set_option("display.width", 250)
    if paired:
        table.to_csv(root / "frontier.csv", index=False)
        plot(table, root / "frontier.png")
        plot(table[table["size"] == "full"], root / "frontier_full.png")
        real = table[table["dataset"].isin(REAL)]
        print(
            real.pivot_table(
                index="settings", columns="dataset", values=["cost", "manifold"]
            )
            .round(1)
            .to_string()
        )
    else:
        print(table.round(1).to_string(index=False))
