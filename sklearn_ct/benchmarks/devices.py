"""CT fits and explanations on the CPU and on a CUDA GPU, side by side.

The same fit and the same search run once on each device in one process, so
the ratio in the note compares the devices a moment apart. Two shapes of
work: the paper's synthetic setting (batches of 30: a GPU pays a kernel
launch per small step and gains little) and a wide tabular one (batches of
1,000, a larger network, 10,000 factuals searched at once), where the batched
search is the kind of work a GPU is built for. Without a CUDA device the rows
are skipped and say so.
"""

from __future__ import annotations

import torch
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler

from ..training import CounterfactualTrainingClassifier
from .timing import best_seconds

#: Per shape: (rows, columns, batch size, hidden layers, counterfactuals per
#: epoch, epochs); the quick sizes divide rows and epochs.
SHAPES = {
    "small batches": (3000, 2, 30, (32, 32), 1000, 10),
    "wide tabular": (50_000, 50, 1000, (256, 256), 5000, 10),
}


def _data(n_rows, n_columns, random_state=0):
    X, y = make_classification(
        n_rows,
        n_columns,
        n_informative=max(2, n_columns // 2),
        n_redundant=0,
        random_state=random_state,
    )
    return StandardScaler().fit_transform(X).astype("float32"), y


def _fit_and_explain(device, X, y, batch_size, hidden, n_cf, max_epochs, factuals):
    """Seconds of one CT fit and one search of ``factuals`` on ``device``."""
    clf = CounterfactualTrainingClassifier(
        hidden_layer_sizes=hidden,
        batch_size=batch_size,
        n_counterfactuals=n_cf,
        max_epochs=max_epochs,
        random_state=0,
        device=device,
    )
    fit = best_seconds(lambda: clf.fit(X, y))
    clf.explain(factuals[:10], target=1)  # warm-up: kernels and caches
    explain = best_seconds(lambda: clf.explain(factuals, target=1))
    return fit, explain, clf.score(X, y)


def bench_devices(scale=1.0, n_factuals=10_000, devices=("cpu", "cuda")):
    """CT fit and explain seconds on two torch devices, side by side.

    Parameters
    ----------
    scale : float, default=1.0
        Fraction of :data:`SHAPES`' rows and epochs (the quick run: 0.2).
    n_factuals : int, default=10_000
        Factuals searched at once per explain call (the wide shape; the
        small one searches a tenth of them).
    devices : pair of str, default=("cpu", "cuda")
        The devices compared; the note gives the first's seconds over the
        second's.

    Returns
    -------
    list of (name, seconds, note)
        One row with NaN seconds where CUDA is asked for and absent.

    Examples
    --------
    >>> rows = bench_devices(scale=0.05, n_factuals=200)  # doctest: +SKIP
    """
    first, second = devices
    if "cuda" in devices and not torch.cuda.is_available():
        return [
            (
                f"fit and explain, {first} against {second}",
                float("nan"),
                "no CUDA device",
            )
        ]
    rows = []
    for shape, (n_rows, n_columns, batch, hidden, n_cf, epochs) in SHAPES.items():
        X, y = _data(max(1000, int(n_rows * scale)), n_columns)
        many = n_factuals if n_columns > 2 else n_factuals // 10
        factuals = X[y == 0][:many]
        epochs = max(2, int(epochs * scale))
        spent = [
            _fit_and_explain(device, X, y, batch, hidden, n_cf, epochs, factuals)
            for device in devices
        ]
        what = f"{len(X)}x{n_columns}, batch {batch}, {epochs} epochs"
        for i, task in enumerate(("fit", "explain")):
            label = (
                f"fit {shape} ({what})"
                if task == "fit"
                else f"explain {len(factuals)} factuals, {shape}"
            )
            rows.append((f"{label}, {first}", spent[0][i], ""))
            rows.append(
                (
                    f"{label}, {second}",
                    spent[1][i],
                    f"{first}/{second} {spent[0][i] / spent[1][i]:.1f}x; accuracy "
                    f"{spent[1][2]:.3f} ({first} {spent[0][2]:.3f})",
                )
            )
    return rows
