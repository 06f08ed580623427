"""scikit-learn's handwritten digits: 1,797 grayscale 8x8 images of the digits 0-9, bundled with scikit-learn,
so loading needs no network (a small, instant stand-in for MNIST)."""
import numpy as np

from lamina.datasets import splits


def load_data(test_split=0.2, seed=113):
    """Loads scikit-learn's 8x8 digits, shuffled with `seed`, the last `test_split` fraction as the test set.

    With the defaults that is 1,437 training and 360 test images (the same sizes as `lamina demo`'s split).
    Pixel values are integers 0-16, not 0-255: divide by 16 to scale to [0, 1].

    Args:
        test_split: fraction of the images in the test set, in [0, 1).
        seed: seed of the shuffle (numpy RandomState, as the Keras loaders).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: x uint8 of shape (1437, 8, 8) and (360, 8, 8), no channel axis
        (as mnist); y uint8 digits 0-9 of shape (1437,) and (360,).

    Example:
        >>> from lamina.datasets import digits
        >>> (x_train, y_train), (x_test, y_test) = digits.load_data()
        >>> x_train = x_train[:, None].astype("float32") / 16  # (1437, 1, 8, 8), channels first
    """
    from sklearn.datasets import load_digits

    splits.check_test_split(test_split, "digits.load_data")
    bunch = load_digits()
    x, y = bunch.images.astype(np.uint8), bunch.target.astype(np.uint8)
    return splits.split(*splits.shuffle(np.random.RandomState(seed), x, y), test_split)
