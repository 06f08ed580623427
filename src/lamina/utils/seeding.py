"""Seeding every random number generator lamina uses."""
import random

import numpy as np
import torch


def set_random_seed(seed):
    """Seeds Python's, NumPy's and PyTorch's generators (CPU and CUDA): a CPU run is then bitwise reproducible."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"set_random_seed expects a non-negative integer, received {seed!r}.")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))
