"""Resident memory of this process, as the operating system counts it.

tracemalloc sees only allocations made through Python's allocator, not torch's;
the resident set size (RSS) sees both. The peak is a high-water mark over the
life of the process: measure in a fresh process, after loading the data, so
that the peak minus the RSS at that point is what the measured call added.

On Linux the peak is ``VmHWM`` from ``/proc/self/status``, which belongs to
the process's own memory map. ``getrusage(RUSAGE_SELF).ru_maxrss``, the
fallback elsewhere, survives ``exec``: a child started by ``fork`` + ``exec``
(multiprocessing's spawn) begins with its parent's RSS as its peak, which
would hide any smaller peak of its own.
"""

from __future__ import annotations

import os
import resource
import sys

MB = 2**20


def current_rss_mb():
    """Resident set size now, in MiB (Linux ``/proc``; else the peak so far).

    Examples
    --------
    >>> current_rss_mb() > 0
    True
    """
    try:
        with open("/proc/self/statm") as file:
            pages = int(file.read().split()[1])
    except OSError:
        return peak_rss_mb()
    return pages * os.sysconf("SC_PAGE_SIZE") / MB


def peak_rss_mb():
    """Peak resident set size of this process so far, in MiB.

    Examples
    --------
    >>> peak_rss_mb() >= current_rss_mb() * 0.9
    True
    """
    try:
        with open("/proc/self/status") as file:
            for line in file:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / MB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MB if sys.platform == "darwin" else peak * 1024 / MB


def reset_peak_rss():
    """Restart the peak at the current RSS where Linux allows it.

    Writing ``5`` to ``/proc/self/clear_refs`` resets the high-water mark, so
    one-off peaks before the measured call (imports, warm-up) cannot hide it.
    Elsewhere this does nothing and the fresh process has to suffice.

    Returns
    -------
    bool
        Whether the peak was reset.
    """
    try:
        with open("/proc/self/clear_refs", "w") as file:
            file.write("5")
    except OSError:
        return False
    return True
