"""Boston housing prices: 506 Boston suburbs of the 1970s, 13 attributes each, and the median home value in k$
(Keras's `boston_housing.npz`). Its attribute "B" encodes a racist assumption; Keras discourages using it except
to discuss ethics in data science."""
import numpy as np

from lamina.datasets import sources


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads the Boston housing regression dataset (downloaded once into `~/.lamina/datasets`, 57 kB).

    The rows are shuffled with `seed`, then the last `test_split` fraction is the test set.

    Args:
        path: the file's name in the cache folder.
        test_split: fraction of the rows in the test set, in [0, 1).
        seed: seed of the shuffle.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: x float64 of shape (404, 13) and (102, 13) with the defaults;
        y float64 prices of shape (404,) and (102,).

    Example:
        >>> from lamina.datasets import boston_housing
        >>> (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"boston_housing.load_data: test_split must be in [0, 1), received {test_split!r}.")
    with np.load(sources.fetch("boston_housing.npz", path), allow_pickle=False) as arrays:
        x, y = arrays["x"], arrays["y"]
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    split = int(len(x) * (1 - test_split))
    return (x[:split], y[:split]), (x[split:], y[split:])
