"""Timing helpers and the plain-text layout of ``sklearn-ct bench`` rows.

A benchmark returns rows ``(name, seconds, note)``; ``seconds`` is NaN for a
row that was skipped (its note says why).
"""

from __future__ import annotations

import contextlib
import math
import time

import torch


def best_seconds(fn, repeat=1):
    """Best wall time of ``repeat`` calls of ``fn`` (the least disturbed one).

    Parameters
    ----------
    fn : callable
        Called without arguments.
    repeat : int, default=1
        Timed calls; the fastest is reported.

    Returns
    -------
    float

    Examples
    --------
    >>> best_seconds(lambda: None, repeat=2) < 1.0
    True
    """
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


@contextlib.contextmanager
def torch_threads(n_threads):
    """Run the block with ``n_threads`` intra-op torch threads, then restore.

    Examples
    --------
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    """
    before = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def format_seconds(seconds):
    """A duration with a unit that suits its size (``"-"`` for NaN).

    Examples
    --------
    >>> format_seconds(2.5), format_seconds(3.1e-5), format_seconds(float("nan"))
    ('2.500 s', '31.0 us', '-')
    """
    if not math.isfinite(seconds):
        return "-"
    if seconds >= 1.0:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3f} ms"
    return f"{seconds * 1e6:.1f} us"


def format_rows(rows):
    """Align rows ``(name, seconds, note)`` into lines of text.

    Examples
    --------
    >>> print(format_rows([("a", 1.0, "note"), ("bb", 0.002, "")]))
    a      1.000 s  note
    bb    2.000 ms
    """
    width = max(len(name) for name, _, _ in rows)
    return "\n".join(
        f"{name:<{width}}  {format_seconds(sec):>10}  {note}".rstrip()
        for name, sec, note in rows
    )
