"""The frontier of CT's settings on real data: one line per (settings, data set).

Reads the ``value.csv`` of several ``sklearn-ct bench --value`` runs (one
folder each, named after their settings, under ``research/diag/value/``) and prints,
per run and data set, what CT gains over the baseline: accuracy (points),
matured training counterfactuals, cost and manifold distance of the default
explanations and of the paper's protocol (percent; positive = CT better).

    python research/diag/value_frontier.py research/diag/value
"""

import sys
from pathlib import Path

import pandas as pd

from sklearn_ct.benchmarks.value import relative_changes


def frontier(root) -> pd.DataFrame:
    rows = []
    for csv in sorted(Path(root).glob("*/value.csv")):
        frame = pd.read_csv(csv)
        changes = relative_changes(frame).set_index(["dataset", "way", "metric"])
        matured = frame[frame["model"] == "CT"].groupby("dataset")["matured"].mean()
        for name in dict.fromkeys(frame["dataset"]):
            rows.append(
                {
                    "settings": csv.parent.name,
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


if __name__ == "__main__":
    table = frontier(sys.argv[1] if len(sys.argv) > 1 else "research/diag/value")
    pd.set_option("display.width", 200)
    print(table.round(1).to_string(index=False))
