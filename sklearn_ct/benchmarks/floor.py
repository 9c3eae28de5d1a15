"""Our CT fit against ``ct_minimal.py``, a minimal hand-written torch loop of CT.

``ct_minimal.py`` (not shipped with the package: its path is given with
``sklearn-ct bench --ct-minimal PATH`` or the environment variable
``SKLEARN_CT_MINIMAL``) is the performance floor:
the same algorithm at the paper's California-housing settings with none of a
library's comforts. Both fits run in this process on one torch thread, on the
same standardised data (the module's own ``X`` and ``y``), interleaved, and
the best of a few repeats of each is compared.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from ..generators import ECCCoGenerator
from ..training import CounterfactualTrainingClassifier
from .timing import best_seconds, torch_threads

ENV = "SKLEARN_CT_MINIMAL"


def find_ct_minimal(path=None):
    """Path of ``ct_minimal.py``: ``path``, else ``$SKLEARN_CT_MINIMAL``.

    Parameters
    ----------
    path : str, path-like or None, default=None
        Where ``ct_minimal.py`` is; None reads the environment variable.

    Returns
    -------
    path : Path or None
        The file, or None when it is not found.
    reason : str
        Why it was not found (empty when it was).
    """
    named = path or os.environ.get(ENV)
    if not named:
        return None, (
            f"ct_minimal.py not named: pass --ct-minimal PATH or set ${ENV} to its path"
        )
    found = Path(named)
    if not found.is_file():
        source = "--ct-minimal" if path else f"${ENV}"
        return None, f"ct_minimal.py not found at {found} (from {source})"
    return found, ""


def _import(path):
    spec = importlib.util.spec_from_file_location("ct_minimal", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def our_ct(max_epochs=10):
    """Our classifier at ct_minimal's settings (MLP 1x32, batch 1,000, 5,000
    counterfactuals, T 30, tau 0.5, ECCCo 0.001/5, lambdas 0.5/0.25/0.25)."""
    return CounterfactualTrainingClassifier(
        hidden_layer_sizes=(32,),
        generator=ECCCoGenerator(lambda_cost=0.001, lambda_energy=5.0),
        n_counterfactuals=5000,
        max_iter_cf=30,
        decision_threshold=0.5,
        lambda_div=0.5,
        lambda_reg=0.25,
        lambda_adv=0.25,
        max_epochs=max_epochs,
        batch_size=1000,
        lr=1e-3,
        step_size_cf=0.1,
        domain="infer",
        domain_n_std=3.0,
        random_state=0,
    )


def bench_floor(repeat=3, max_epochs=10, path=None):
    """Seconds of our CT fit and of ct_minimal's on California housing, and the ratio.

    Parameters
    ----------
    repeat : int, default=3
        Interleaved repeats of each fit (the best of each is reported).
    max_epochs : int, default=10
        Epochs of each fit.
    path : str, path-like or None, default=None
        Where ``ct_minimal.py`` is (see :func:`find_ct_minimal`); without
        it, the row says how to name it.

    Returns
    -------
    list of (name, seconds, note)
    """
    name = f"fit CH, {max_epochs} epochs, CT"
    path, reason = find_ct_minimal(path)
    if path is None:
        return [(f"{name}, ct_minimal", float("nan"), f"skipped: {reason}")]
    try:
        minimal = _import(path)
    except OSError as error:  # its data set is missing
        return [(f"{name}, ct_minimal", float("nan"), f"skipped: {error}")]
    X, y = minimal.X.numpy(), minimal.y.numpy()
    best = {"ours": float("inf"), "minimal": float("inf")}
    with torch_threads(1):
        for _ in range(repeat):
            seconds = best_seconds(lambda: our_ct(max_epochs).fit(X, y))
            best["ours"] = min(best["ours"], seconds)
            seconds = best_seconds(
                lambda: minimal.fit(True, epochs=max_epochs, bs=1000, nce=5000)
            )
            best["minimal"] = min(best["minimal"], seconds)
    ratio = best["ours"] / best["minimal"]
    return [
        (
            f"{name}, ct_minimal (the floor)",
            best["minimal"],
            f"one torch thread, best of {repeat}",
        ),
        (f"{name}, ours", best["ours"], f"ours/minimal {ratio:.2f} (target <= 1.0)"),
    ]
