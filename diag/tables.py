"""Print the Markdown tables of docs/protected_cost.md from diag/results/*.csv."""

import glob

import numpy as np
import pandas as pd

R = "diag/results" if glob.glob("diag/results") else "results"


def md(frame):
    cells = [list(map(str, frame.columns))] + [
        [f"{v:.2f}" if isinstance(v, float) else str(v) for v in row]
        for row in frame.itertuples(index=False)]
    lines = ["| " + " | ".join(r) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("---" for _ in frame.columns) + "|")
    return "\n".join(lines)


def star(p, s):
    return "n/a" if not np.isfinite(p) else f"{p:.1f}" + ("*" if s else "")


def seeds(variant):
    d = pd.concat([pd.read_csv(f"{R}/ls_seeds_{variant}.csv"),
                   pd.read_csv(f"{R}/ls_seeds_more_{variant}.csv")])
    d = d.sort_values("share_x1")
    return pd.DataFrame({
        "seed": d.seed, "share x1": d.share_x1, "valid BL": d.valid_BL,
        "valid CT": d.valid_CT, "conv. train CT": d.train_conv_CT,
        "Cost red.": [star(p, s) for p, s in zip(d.cost_red, d.cost_sig, strict=True)],
        "min-cost red.": [star(p, s) for p, s in zip(d.min_red, d.min_sig, strict=True)],
        "cost BL/CT": [f"{a:.2f}/{b:.2f}" for a, b in zip(d.cost_BL, d.cost_CT, strict=True)],
        "min BL/CT": [f"{a:.2f}/{b:.2f}" for a, b in zip(d.min_BL, d.min_CT, strict=True)],
        "overshoot BL/CT": [f"{a:.2f}/{b:.2f}" for a, b in
                            zip(d.overshoot_BL, d.overshoot_CT, strict=True)],
        "grad BL/CT": [f"{a:.1f}/{b:.1f}" for a, b in zip(d.grad_BL, d.grad_CT, strict=True)]})


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
        print(md(d[["lambda_reg", "lambda_adv", "tau_eval", "cost_red", "min_red",
                    "cost_BL", "cost_CT", "min_BL", "min_CT", "overshoot_CT", "grad_CT",
                    "iter_CT", "one_step_CT", "train_conv_CT"]]))
    for f in sorted(glob.glob(f"{R}/pair_*.csv") + glob.glob(f"{R}/tab_*.csv")):
        print(f"\n### {f}\n")
        d = pd.read_csv(f)
        cols = ["variant", "cost_red", "min_red", "cost_BL", "cost_CT", "min_BL", "min_CT",
                "overshoot_BL", "overshoot_CT", "grad_BL", "grad_CT", "iter_BL", "iter_CT",
                "valid_BL", "valid_CT", "sens_prot_BL", "sens_prot_CT", "train_conv_CT"]
        print(md(d[[c for c in cols if c in d]]))
        print(d.filter(like="red_lam").round(1).to_dict("records"))
    for f in sorted(glob.glob(f"{R}/reference_*.csv")):
        print(f"\n### {f} (the reference's centres, reproduce's seeds)\n")
        d = pd.read_csv(f)
        print(md(pd.DataFrame({
            "seed": d.seed, "variant": d.variant, "valid BL/CT": [
                f"{a:.2f}/{b:.2f}" for a, b in zip(d.valid_BL, d.valid_CT, strict=True)],
            "Cost red.": [star(p, s) for p, s in zip(d.cost_red, d.cost_sig, strict=True)],
            "min-cost red.": [star(p, s) for p, s in zip(d.min_red, d.min_sig, strict=True)],
            "cost BL/CT": [f"{a:.2f}/{b:.2f}" for a, b in zip(d.cost_BL, d.cost_CT, strict=True)],
            "min BL/CT": [f"{a:.2f}/{b:.2f}" for a, b in zip(d.min_BL, d.min_CT, strict=True)],
            "overshoot BL/CT": [f"{a:.2f}/{b:.2f}" for a, b in
                                zip(d.overshoot_BL, d.overshoot_CT, strict=True)],
            "grad BL/CT": [f"{a:.1f}/{b:.1f}" for a, b in zip(d.grad_BL, d.grad_CT, strict=True)],
            "x1 share of grad BL/CT": [f"{a:.2f}/{b:.2f}" for a, b in
                                       zip(d.sens_prot_BL, d.sens_prot_CT, strict=True)],
            "conv. train CT": d.train_conv_CT})))


if __name__ == "__main__":
    main()
