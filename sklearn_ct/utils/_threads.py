"""How many torch threads a fit, predict or explain runs on.

Small networks on a CPU are fastest on one intra-op thread, and torch's
default (one per core) collapses as soon as anything else runs on the
machine: a fit beside one busy process took 4x longer with two threads than
alone, against about the same time with one (``sklearn-ct bench``). So every
public entry point runs inside :func:`torch_threads` with the estimator's
``n_threads`` and gives torch's global setting back afterwards.
"""

from __future__ import annotations

import numbers
import os
from contextlib import contextmanager

import torch


def check_n_threads(n_threads) -> None:
    """Validate an ``n_threads`` parameter: None, -1 or a positive integer."""
    ok = n_threads is None or (
        isinstance(n_threads, numbers.Integral)
        and not isinstance(n_threads, bool)
        and (n_threads >= 1 or n_threads == -1)
    )
    if not ok:
        raise ValueError(
            "n_threads must be None (leave torch's setting alone), -1 (every core "
            f"allowed) or a positive integer; got {n_threads!r}."
        )


def thread_limit() -> int:
    """Cores this process may use: the CPU count, capped by ``OMP_NUM_THREADS``.

    joblib's worker processes (loky, the default backend of scikit-learn's
    ``n_jobs``) set ``OMP_NUM_THREADS`` to their share of the cores, so a fit
    inside ``GridSearchCV(n_jobs=...)`` stays within it.
    """
    limit = os.cpu_count() or 1
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.strip().isdigit() and int(env) >= 1:
        limit = min(limit, int(env))
    return limit


def resolve_n_threads(n_threads) -> int | None:
    """The number of threads to use, or None to leave torch's setting as it is.

    Examples
    --------
    >>> resolve_n_threads(1), resolve_n_threads(None)
    (1, None)
    """
    check_n_threads(n_threads)
    if n_threads is None:
        return None
    if n_threads == -1:
        return thread_limit()
    return min(int(n_threads), thread_limit())


@contextmanager
def torch_threads(n_threads):
    """Run the block on ``n_threads`` torch intra-op threads, then restore.

    Parameters
    ----------
    n_threads : int or None
        As accepted by :func:`resolve_n_threads`.
    """
    wanted = resolve_n_threads(n_threads)
    before = torch.get_num_threads()
    if wanted is None or wanted == before:
        yield
        return
    torch.set_num_threads(wanted)
    try:
        yield
    finally:
        torch.set_num_threads(before)
