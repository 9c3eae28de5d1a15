"""Print the Markdown tables of research/notes/protected_cost.md from research/diag/results/*.csv."""

import glob

import numpy as np
import pandas as pd

R = "research/diag/results" if glob.glob("research/diag/results") else "results"


def md(frame):
    cells = [list(map(str, frame.columns))] + [
        [f"{v:.2f}" if isinstance(v, float) else str(v) for v in row]
        for row in frame.itertuples(index=False)
    ]
    lines = ["| " + " | ".join(r) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("---" for _ in frame.columns) + "|")
    return "\n".join(lines)


def star(p, s):
    return "n/a" if not np.isfinite(p) else f"{p:.1f}" + ("*" if s else "")


def stars(d, name):
    """:func:`star` of the columns ``{name}_red`` and ``{name}_sig`` per row."""
    return [star(p, s) for p, s in zip(d[f"{name}_red"], d[f"{name}_sig"], strict=True)]


def bl_ct(d, name, digits=2):
    """The pair "BL/CT" of the columns ``{name}_BL`` and ``{name}_CT``: a list
    for a frame, a string for one row."""
    a, b = d[f"{name}_BL"], d[f"{name}_CT"]
    if np.ndim(a):
        return [f"{x:.{digits}f}/{y:.{digits}f}" for x, y in zip(a, b, strict=True)]
    return f"{a:.{digits}f}/{b:.{digits}f}"


def cost_columns(d):
    """The cost figures every protected-pair table shows, per row of ``d``."""
    return {
        "Cost red.": stars(d, "cost"),
        "min-cost red.": stars(d, "min"),
        "cost BL/CT": bl_ct(d, "cost"),
        "min BL/CT": bl_ct(d, "min"),
        "overshoot BL/CT": bl_ct(d, "overshoot"),
        "grad BL/CT": bl_ct(d, "grad", 1),
    }


def seeds(variant):
    d = pd.concat(
        [
            pd.read_csv(f"{R}/ls_seeds_{variant}.csv"),
            pd.read_csv(f"{R}/ls_seeds_more_{variant}.csv"),
        ]
    )
    d = d.sort_values("share_x1")
    return pd.DataFrame(
        {
            "seed": d.seed,
            "share x1": d.share_x1,
            "valid BL": d.valid_BL,
            "valid CT": d.valid_CT,
            "conv. train CT": d.train_conv_CT,
            **cost_columns(d),
        }
    )


def main():
    for v in ("ours", "zero_ridge"):
        print(f"\n### LS seeds, {v}\n")
        print(md(seeds(v)))

    print("\n### zero_adv (first 13 seeds)\n")
    z = pd.read_csv(f"{R}/ls_seeds_zero_adv.csv").sort_values("share_x1")
    print(md(z[["seed", "share_x1", "cost_red", "min_red", "overshoot_CT", "grad_CT"]]))
    print("\n### per energy weight (default seed)\n")
    for v in ("ours", "zero_ridge"):
        d = pd.read_csv(f"{R}/ls_seeds_{v}.csv").iloc[:1]
        print(v, d.filter(like="red_lam").round(1).to_dict("records"))
    for f in sorted(glob.glob(f"{R}/ls_settings_*.csv")):
        print(f"\n### {f}\n")
        d = pd.read_csv(f)
        print(
            md(
                d[
                    [
                        "lambda_reg",
                        "lambda_adv",
                        "tau_eval",
                        "cost_red",
                        "min_red",
                        "cost_BL",
                        "cost_CT",
                        "min_BL",
                        "min_CT",
                        "overshoot_CT",
                        "grad_CT",
                        "iter_CT",
                        "one_step_CT",
                        "train_conv_CT",
                    ]
                ]
            )
        )
    for f in sorted(glob.glob(f"{R}/pair_*.csv") + glob.glob(f"{R}/tab_*.csv")):
        print(f"\n### {f}\n")
        d = pd.read_csv(f)
        cols = [
            "variant",
            "cost_red",
            "min_red",
            "cost_BL",
            "cost_CT",
            "min_BL",
            "min_CT",
            "overshoot_BL",
            "overshoot_CT",
            "grad_BL",
            "grad_CT",
            "iter_BL",
            "iter_CT",
            "valid_BL",
            "valid_CT",
            "sens_prot_BL",
            "sens_prot_CT",
            "train_conv_CT",
        ]
        print(md(d[[c for c in cols if c in d]]))
        print(d.filter(like="red_lam").round(1).to_dict("records"))
    for f in sorted(glob.glob(f"{R}/reference_*.csv")):
        print(f"\n### {f} (the reference's centres, reproduce's seeds)\n")
        d = pd.read_csv(f)
        print(
            md(
                pd.DataFrame(
                    {
                        "seed": d.seed,
                        "variant": d.variant,
                        "valid BL/CT": bl_ct(d, "valid"),
                        **cost_columns(d),
                        "x1 share of grad BL/CT": bl_ct(d, "sens_prot"),
                        "conv. train CT": d.train_conv_CT,
                    }
                )
            )
        )


if __name__ == "__main__":
    main()
