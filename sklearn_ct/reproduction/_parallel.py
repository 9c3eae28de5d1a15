"""Running many fits and evaluations: one joblib pool, one thread a task.

:func:`run_tasks` sends tasks to the active joblib backend: loky processes by
default, or the workers of a Dask cluster inside :func:`dask_backend`, the
costliest first. Every task runs on one torch thread and one BLAS thread, so
a task's result does not depend on where it ran (the same seeds give the
same numbers with one job or several, locally and on a cluster), and tasks
side by side do not oversubscribe the cores.
"""

from __future__ import annotations

import time
import warnings
from contextlib import contextmanager


def _one_thread(function, *args, **kwargs):
    """Run a task on one torch and one BLAS thread (restored after).

    Loky's workers get one BLAS thread per core and job already; in this
    process (one job) or on a Dask worker, numpy's BLAS would otherwise
    start a thread per core, which changes nothing but the speed (a small
    matrix product on two busy cores took 28 times as long).

    Returns the task's output, the messages of the warnings it raised and
    its seconds: ``wall`` (wall-clock) and ``cpu`` (this process's CPU time,
    the task's own in a loky worker; on a busy machine nearer what it would
    take alone).
    """
    import torch
    from threadpoolctl import threadpool_limits

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with (
            threadpool_limits(limits=1),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            wall, cpu = time.perf_counter(), time.process_time()
            output = function(*args, **kwargs)
            seconds = {
                "wall": time.perf_counter() - wall,
                "cpu": time.process_time() - cpu,
            }
            return output, sorted({str(w.message) for w in caught}), seconds
    finally:
        torch.set_num_threads(threads)


def joined(key) -> str:
    """A tuple key as one string: ``(0, "moons", "single")`` -> ``"0/moons/single"``.

    Examples
    --------
    >>> joined((0, "moons", "single"))
    '0/moons/single'
    """
    return "/".join(str(k) for k in key)


def costliest_first(costs) -> list:
    """Positions of ``costs``, the largest first (ties keep their order).

    Parameters
    ----------
    costs : sequence of float
        Expected seconds of each task.

    Returns
    -------
    list of int

    Examples
    --------
    >>> costliest_first([1.0, 5.0, 1.0, 3.0])
    [1, 3, 0, 2]
    """
    return sorted(range(len(costs)), key=lambda i: -costs[i])


def run_tasks(
    keys, tasks, n_jobs=1, bar=None, log=None, costs=None, seconds=None
) -> dict:
    """Run ``(function, args, kwargs)`` tasks with joblib, one thread each.

    Parameters
    ----------
    keys : sequence of tuple
        One key per task.
    tasks : sequence of (callable, tuple, dict)
        Functions and their arguments; they are pickled to the workers.
    n_jobs : int, default=1
        Parallel tasks of the active joblib backend (loky by default). Under
        :func:`dask_backend` the cluster's worker threads decide instead.
    bar : tqdm, default=None
        Advanced per finished task.
    log : dict, default=None
        Receives the tasks' warning messages, by :func:`joined` key.
    costs : sequence of float, default=None
        Expected seconds per task: the pool gets the costliest first, so
        that no long task starts last while the other workers idle. The
        outputs do not depend on the order.
    seconds : dict, default=None
        Receives each task's ``{"wall": ..., "cpu": ...}`` seconds (wall-clock
        and CPU time), by :func:`joined` key.

    Returns
    -------
    dict
        ``{key: output}``, in the order of ``keys``.

    Examples
    --------
    >>> run_tasks([("a",), ("b",)], [(abs, (-2,), {}), (max, (1, 3), {})])
    {('a',): 2, ('b',): 3}
    """
    from joblib import Parallel, delayed

    keys, tasks = list(keys), list(tasks)
    order = costliest_first(costs) if costs is not None else range(len(tasks))
    done = [None] * len(tasks)
    # max_nbytes=None: no read-only memmaps of the data in the workers.
    jobs = Parallel(n_jobs=n_jobs, return_as="generator", max_nbytes=None)(
        delayed(_one_thread)(f, *args, **kwargs)
        for f, args, kwargs in (tasks[i] for i in order)
    )
    for i, finished in zip(order, jobs, strict=True):
        done[i] = finished
        if bar is not None:
            bar.update()
    outputs = {}
    for key, (output, messages, spent) in zip(keys, done, strict=True):
        outputs[key] = output  # in the order of keys, whatever the pool's
        if log is not None and messages:
            log[joined(key)] = messages
        if seconds is not None:
            seconds[joined(key)] = spent
    return outputs


@contextmanager
def dask_backend(scheduler):
    """Send joblib's tasks inside the block to a Dask cluster.

    Opens a :class:`distributed.Client` on ``scheduler`` and makes ``"dask"``
    the joblib backend (:func:`joblib.parallel_config`); closes the client
    on exit. The cluster's worker threads set the parallelism (``n_jobs`` is
    ignored; a cluster of a single thread runs the tasks in this process, as
    joblib does with one job). Start workers with one thread each (``dask
    worker ADDRESS --nthreads 1``): tasks running side by side in the threads
    of one process share torch's thread count, the GIL and the warnings
    filters (fits draw from their own generators, so results still match a
    local run's); a worker with more than one thread gets a warning.

    Parameters
    ----------
    scheduler : str, cluster object or None
        A scheduler address (``"tcp://host:8786"``) or anything
        :class:`distributed.Client` accepts, such as a ``LocalCluster``;
        ``None`` leaves the active joblib backend as it is.

    Yields
    ------
    distributed.Client or None
        ``None`` when ``scheduler`` is None.

    Raises
    ------
    ImportError
        If dask.distributed is missing (install the ``dask`` extra).

    Examples
    --------
    ``None`` leaves joblib's backend as it is (a local run):

    >>> tasks = [(abs, (-2,), {}), (max, (1, 3), {})]
    >>> with dask_backend(None) as client:
    ...     done = run_tasks([("a",), ("b",)], tasks)
    >>> client, done
    (None, {('a',): 2, ('b',): 3})

    On a Dask cluster (a local one here; importing dask.distributed alone
    takes seconds):

    >>> from distributed import LocalCluster  # doctest: +SKIP
    >>> with LocalCluster(threads_per_worker=1) as cluster:  # doctest: +SKIP
    ...     with dask_backend(cluster) as client:
    ...         done = run_tasks([("a",), ("b",)], tasks)
    >>> type(client).__name__, done  # doctest: +SKIP
    ('Client', {('a',): 2, ('b',): 3})
    """
    if scheduler is None:
        yield None
        return
    try:
        from distributed import Client
    except ImportError as error:
        raise ImportError(
            "scheduler needs dask.distributed, which is not installed; install "
            "the optional extra: pip install 'sklearn-ct[dask]'."
        ) from error
    from joblib import parallel_config

    with Client(scheduler) as client, parallel_config(backend="dask"):
        threads = client.nthreads()
        if any(n > 1 for n in threads.values()):
            warnings.warn(
                f"Dask workers with more than one thread ({threads}): fits running "
                "side by side in one process share torch's thread setting and the "
                "GIL, which slows them down; start workers with --nthreads 1.",
                UserWarning,
                stacklevel=3,
            )
        yield client
