"""Test-wide settings: one intra-op thread and no progress bars.

The unit tests run tiny tensors, where OpenMP's thread synchronisation costs more than it saves;
on a busy 2-core machine two threads made them ten times slower. One thread also makes CPU
results independent of the machine's core count.
"""

import os

import pytest
import torch

os.environ.setdefault("TQDM_DISABLE", "1")


@pytest.fixture(autouse=True, scope="session")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
