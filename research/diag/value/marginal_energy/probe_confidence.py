"""How confident a fitted model is on real rows, and how far its training search gets.

Ran at commit 909afaa with ``experimental_switches.patch`` applied (the
``step_rule`` argument of the search exists only there; the module paths are
that commit's)::

    PYTHONPATH=. python probe_confidence.py gmsc
"""

import sys

import numpy as np
import torch
from sklearn_ct.search import counterfactual_search

from sklearn_ct.benchmarks.value import _fit, load_value_data

torch.set_num_threads(1)
name = sys.argv[1]
data = load_value_data(name, 1500, "/work/shared/data")
X, y = data[0], data[1]
for model in ("BL", "CT"):
    clf = _fit(data, {}, model, 0)[0]
    net = clf.net_
    mod = net.module_.eval()
    Xt = torch.as_tensor(X)
    with torch.no_grad():
        P = mod(Xt).softmax(1).numpy()
    yi = np.searchsorted(clf.classes_, y)
    print(name, model, "acc", (P.argmax(1) == yi).mean().round(3))
    for c in (0, 1):
        q = np.quantile(P[yi == c, c], [0.25, 0.5, 0.75])
        print(
            f"  p(true class {c}) quartiles over real rows of class {c}:",
            q.round(3),
            "share >=0.75:",
            (P[yi == c, c] >= 0.75).mean().round(3),
        )
    rng = np.random.default_rng(0)
    idx = rng.choice(len(X), 1000, replace=False)
    x = Xt[idx]
    pred = torch.as_tensor(P[idx].argmax(1))
    t = 1 - pred
    cons = clf.constraints_.tensors(device="cpu")
    gen = clf.generator_
    # input gradient norms at factuals
    xx = x.clone().requires_grad_(True)
    lg = mod(xx)
    (g,) = torch.autograd.grad(
        lg.gather(1, t.view(-1, 1)).sum() - lg.gather(1, pred.view(-1, 1)).sum(), xx
    )
    print(
        "  input grad of margin: Linf median",
        g.abs().amax(1).median().item().__round__(3),
        "L2 median",
        g.norm(dim=1).median().item().__round__(3),
    )
    c_i = cons.rows(torch.as_tensor(idx)) if hasattr(cons, "rows") else cons
    for T, step, rule in (
        (30, 0.1, "gradient"),
        (300, 0.1, "gradient"),
        (30, 0.1, "linf"),
        (30, 0.1, "l2"),
        (30, 0.3, "l2"),
    ):
        r = counterfactual_search(
            mod,
            x,
            t,
            gen,
            c_i,
            decision_threshold=0.75,
            max_iter=T,
            step_size=step,
            step_rule=rule,
        )
        travel = (r.counterfactuals - x).abs()
        pt = r.p_target.numpy()
        print(
            f"  T={T} step={step} {rule}: matured {r.converged.float().mean():.2f}; p_target quartiles of unmatured {np.quantile(pt[~r.converged.numpy()], [0.25, 0.5, 0.75]).round(2) if (~r.converged).any() else '-'}; L1 travel median {travel.sum(1).median():.2f}, Linf {travel.amax(1).median():.2f}"
        )
