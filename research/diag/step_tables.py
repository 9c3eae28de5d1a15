"""Print the Markdown tables of research/notes/step_size.md from research/diag/results/ip_steps_*.csv."""

import glob

import pandas as pd
from tables import R, bl_ct, md, star

ORDER = [
    "linearly_separable",
    "circles",
    "moons",
    "overlapping",
    "adult",
    "california_housing",
    "credit_default",
    "gmsc",
    "digits",
]
LABEL = dict(
    zip(
        ORDER,
        ["LS", "Circ", "Moon", "OL", "Adult", "CH", "Cred", "GMSC", "MNIST (digits)"],
        strict=True,
    )
)

d = pd.concat(pd.read_csv(f) for f in glob.glob(f"{R}/ip_steps_*.csv"))
d["order"] = d.data.map(ORDER.index)
rows = []
for (_, name, seed), part in d.groupby(["order", "data", "seed"]):
    at = part.set_index("step")
    p, f = at.loc["protocol"], at.loc["0.01"]
    rows.append(
        {
            "data": LABEL[name],
            "seed": seed,
            "IP red. 0.1": star(p.IP_red, p.IP_sig),
            "0.03": star(at.loc["0.03"].IP_red, at.loc["0.03"].IP_sig),
            "0.01": star(f.IP_red, f.IP_sig),
            "IP BL/CT 0.1": bl_ct(p, "IP"),
            "IP BL/CT 0.01": bl_ct(f, "IP"),
            "IP* red. 0.1": star(p["IP*_red"], p["IP*_sig"]),
            "IP* red. 0.01": star(f["IP*_red"], f["IP*_sig"]),
            "IP* BL/CT 0.01": bl_ct(f, "IP*", 3),
            "cost BL/CT 0.1": bl_ct(p, "cost"),
            "cost BL/CT 0.01": bl_ct(f, "cost"),
            "valid BL/CT 0.1": bl_ct(p, "valid"),
        }
    )
print(md(pd.DataFrame(rows)))
