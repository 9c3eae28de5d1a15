"""A default CT fit on a quiet machine and next to one busy CPU-bound process.

torch's default intra-op thread pool spans every core; when another process
keeps one core busy, threads that wait for each other slow a fit far more
than the lost core alone would. The fits run in a child process whose
environment has the usual thread-count variables (``OMP_NUM_THREADS`` and
friends) removed, so what is measured is the classifier's own default, not
the shell's. "Quiet" means no busy process of ours: the note gives the load
average before the quiet fit, since other work on the machine counts too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def timed_default_fit(n_samples=3000):
    """Seconds of a default-settings CT fit on standardised demo data.

    Parameters
    ----------
    n_samples : int, default=3000
        Rows of :func:`sklearn_ct.datasets.make_example_data`.

    Returns
    -------
    dict
        ``seconds`` and ``torch_threads`` (the thread count after the fit).
    """
    import torch
    from sklearn.preprocessing import StandardScaler

    from ..datasets import make_example_data
    from ..training import CounterfactualTrainingClassifier

    X, y = make_example_data(n_samples, random_state=0)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    start = time.perf_counter()
    CounterfactualTrainingClassifier(random_state=0).fit(X, y)
    return {
        "seconds": time.perf_counter() - start,
        "torch_threads": torch.get_num_threads(),
    }


def _load_average():
    """The 1-minute load average (other work on the machine), if known."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except (AttributeError, OSError):
        return "unknown"


def _fit_in_child(n_samples):
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    code = (
        "import json; from sklearn_ct.benchmarks.contention import "
        f"timed_default_fit; print(json.dumps(timed_default_fit({n_samples})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_contention(n_samples=3000):
    """A default CT fit, quiet and beside ``python -c "while True: pass"``.

    Parameters
    ----------
    n_samples : int, default=3000
        Rows of the example data the timed fit trains on.

    Returns
    -------
    list of (name, seconds, note)
    """
    load = _load_average()
    quiet = _fit_in_child(n_samples)
    busy_loop = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        busy = _fit_in_child(n_samples)
    finally:
        busy_loop.kill()
        busy_loop.wait()
    name = f"fit demo data, {n_samples} rows, default settings"
    ratio = busy["seconds"] / quiet["seconds"]
    return [
        (
            f"{name}, quiet",
            quiet["seconds"],
            f"{quiet['torch_threads']} torch threads, {os.cpu_count()} CPUs, load "
            f"average {load} before",
        ),
        (
            f"{name}, one busy process beside",
            busy["seconds"],
            f"contended/quiet {ratio:.2f} (target <= 1.5)",
        ),
    ]
