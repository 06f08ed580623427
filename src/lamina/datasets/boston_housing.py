"""Boston housing prices: 506 Boston suburbs of the 1970s, 13 attributes each, and the median home value in k$
(Keras's `boston_housing.npz`). Its attribute "B" encodes a racist assumption; Keras discourages using it except
to discuss ethics in data science."""
import numpy as np

from lamina.datasets import sources, splits


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
    splits.check_test_split(test_split, "boston_housing.load_data")
    with np.load(sources.fetch("boston_housing.npz", path), allow_pickle=False) as arrays:
        x, y = arrays["x"], arrays["y"]
    return splits.split(*splits.shuffle(np.random.RandomState(seed), x, y), test_split)
