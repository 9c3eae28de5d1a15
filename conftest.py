"""The doctests run on one torch thread, as the tests do.

``tests/conftest.py`` limits torch to one thread for the whole session once a
test of ``tests/`` has run; ``pytest sklearn_ct`` (the doctests alone) would
otherwise use every core, and on a small or busy machine the examples' tiny
workloads then run slower, not faster (several times so on two busy cores).
"""

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread_for_doctests():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
