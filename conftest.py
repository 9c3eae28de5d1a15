"""Every test and doctest runs on one torch thread.

Tiny torch workloads run faster on one thread, and two processes with a
thread per core oversubscribe a small machine: on two busy cores the
examples ran several times slower. This file, at the repository root, holds
the setting for ``pytest`` on ``tests/`` and on ``sklearn_ct`` (the doctests)
alike.
"""

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
