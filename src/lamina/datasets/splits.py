"""Shuffling and train/test splitting shared by the loaders, with the meaning of Keras's `seed` and
`test_split`."""
import numpy as np


def check_test_split(test_split, function):
    """A ValueError naming `function` unless test_split is a fraction in [0, 1)."""
    if not 0 <= test_split < 1:
        raise ValueError(f"{function}: test_split must be in [0, 1), received {test_split!r}.")


def shuffle(seed_rng, *arrays):
    """The arrays reordered by one permutation drawn from `seed_rng` (a numpy RandomState), as Keras does."""
    indices = np.arange(len(arrays[0]))
    seed_rng.shuffle(indices)
    return [array[indices] for array in arrays]


def split(x, y, test_split):
    """`(x_train, y_train), (x_test, y_test)`: the last `test_split` fraction of the samples is the test set."""
    boundary = int(len(x) * (1 - test_split))
    return (x[:boundary], y[:boundary]), (x[boundary:], y[boundary:])
