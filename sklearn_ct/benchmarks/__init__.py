"""Performance figures, measured side by side in one run (``sklearn-ct bench``).

Timings on shared machines are noisy: compare the ratios printed here, taken
in the same process a moment apart, rather than absolute seconds across runs.

* :mod:`~sklearn_ct.benchmarks.basic`: explain time on moons, the batched
  search against one search per sample, CT against vanilla fits on LS;
* :mod:`~sklearn_ct.benchmarks.dice`: our explainer against DiCE;
* :mod:`~sklearn_ct.benchmarks.floor`: our CT fit against a minimal torch loop;
* :mod:`~sklearn_ct.benchmarks.contention`: a default fit beside a busy process;
* :mod:`~sklearn_ct.benchmarks.devices`: fits and searches on the CPU against
  a CUDA GPU (skipped without one);
* :mod:`~sklearn_ct.benchmarks.scaling`: fit and explain from 10^3 to 10^6
  rows (``sklearn-ct bench --scaling``), reported by
  :mod:`~sklearn_ct.benchmarks.scaling_report`.
"""

from __future__ import annotations

import torch

from .basic import bench_batched_vs_loop, bench_explain, bench_training
from .contention import bench_contention
from .devices import bench_devices
from .dice import bench_dice
from .floor import bench_floor
from .scaling import run_scaling
from .scaling_report import check_claims, format_scaling
from .timing import format_rows

__all__ = [
    "BENCHMARKS",
    "check_claims",
    "format_scaling",
    "run_benchmarks",
    "run_scaling",
]

#: Name -> (full-size call, quick call) of each group of rows.
BENCHMARKS = {
    "explain": (
        lambda: bench_explain(1000, repeat=3),
        lambda: bench_explain(300, repeat=1),
    ),
    "search": (lambda: bench_batched_vs_loop(200), lambda: bench_batched_vs_loop(50)),
    "training": (lambda: bench_training(20), lambda: bench_training(3)),
    "dice": (
        lambda: bench_dice(n_dice=30, n_ours=1000),
        lambda: bench_dice(n_dice=10, n_ours=1000),
    ),
    "floor": (
        lambda path=None: bench_floor(repeat=3, path=path),
        lambda path=None: bench_floor(repeat=2, path=path),
    ),
    "contention": (lambda: bench_contention(3000), lambda: bench_contention(1000)),
    "devices": (lambda: bench_devices(1.0), lambda: bench_devices(0.2, 2000)),
}


def run_benchmarks(quick=False, only=None, ct_minimal=None) -> str:
    """Run the benchmarks and return a plain-text report.

    Parameters
    ----------
    quick : bool, default=False
        Smaller sizes (about a minute instead of several).
    only : sequence of str or None, default=None
        Names from :data:`BENCHMARKS` to run (``"explain"``, ``"search"``,
        ``"training"``, ``"dice"``, ``"floor"``, ``"contention"``,
        ``"devices"``); all when None.
    ct_minimal : str, path-like or None, default=None
        Path of ``ct_minimal.py`` for the ``"floor"`` rows (None: the
        environment variable ``SKLEARN_CT_MINIMAL``).

    Returns
    -------
    str

    Examples
    --------
    The batched search against one search per factual (a second or so):

    >>> report = run_benchmarks(quick=True, only=["search"])
    >>> print(report.splitlines()[0])  # doctest: +ELLIPSIS
    sklearn-ct benchmarks (torch ..., ... threads)
    >>> "batched is" in report
    True

    Every benchmark, at the quick sizes (about a minute):

    >>> print(run_benchmarks(quick=True))  # doctest: +SKIP
    """
    names = list(BENCHMARKS) if only is None else list(only)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        raise ValueError(
            f"only has unknown benchmarks {unknown}; expected names "
            f"from {list(BENCHMARKS)}."
        )
    options = {"floor": {"path": ct_minimal}}
    rows = [
        row
        for name in names
        for row in BENCHMARKS[name][int(quick)](**options.get(name, {}))
    ]
    header = (
        f"sklearn-ct benchmarks (torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads)"
    )
    return f"{header}\n\n{format_rows(rows)}"
