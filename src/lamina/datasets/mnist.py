"""MNIST handwritten digits: 60,000 training and 10,000 test grayscale images of 28x28 pixels (Keras's
`mnist.npz`)."""
import numpy as np

from lamina.datasets import sources


def load_data(path="mnist.npz"):
    """Loads MNIST (downloaded once into `~/.lamina/datasets`, 11 MB).

    Args:
        path: the file's name in the cache folder.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: x uint8 of shape (60000, 28, 28) and (10000, 28, 28), pixels
        0-255, with no channel axis whatever the image data format (as Keras); y uint8 digits 0-9, shape (60000,)
        and (10000,).

    Example:
        >>> from lamina.datasets import mnist
        >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()
        >>> x_train = x_train.reshape(-1, 1, 28, 28).astype("float32") / 255  # channels first, for Conv2D
    """
    with np.load(sources.fetch("mnist.npz", path), allow_pickle=False) as arrays:
        return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
