"""Fashion-MNIST: 60,000 training and 10,000 test grayscale 28x28 images of clothes in 10 classes, a drop-in
replacement for MNIST (Zalando's IDX files, from Keras's copy)."""
import gzip

import numpy as np

from lamina.datasets import sources

CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot")
_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049


def load_data():
    """Loads Fashion-MNIST (4 files downloaded once into `~/.lamina/datasets/fashion-mnist`, 30 MB).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: x uint8 of shape (60000, 28, 28) and (10000, 28, 28), pixels
        0-255, no channel axis (as Keras); y uint8 class numbers 0-9 (names in `CLASS_NAMES`).

    Example:
        >>> from lamina.datasets import fashion_mnist
        >>> (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    """
    y_train = _read_idx(sources.fetch("fashion-mnist/train-labels-idx1-ubyte.gz"), _LABELS_MAGIC)
    x_train = _read_idx(sources.fetch("fashion-mnist/train-images-idx3-ubyte.gz"), _IMAGES_MAGIC)
    y_test = _read_idx(sources.fetch("fashion-mnist/t10k-labels-idx1-ubyte.gz"), _LABELS_MAGIC)
    x_test = _read_idx(sources.fetch("fashion-mnist/t10k-images-idx3-ubyte.gz"), _IMAGES_MAGIC)
    return (x_train, y_train), (x_test, y_test)


def _read_idx(path, magic):
    """A uint8 array from a gzipped IDX file: a big-endian int32 magic number, one int32 per dimension, data."""
    with gzip.open(path, "rb") as handle:
        content = handle.read()
    dimensions = magic - 2048
    header = np.frombuffer(content, ">i4", count=1 + dimensions)
    if header[0] != magic:
        raise ValueError(f"'{path}' is not an IDX file of uint8 with {dimensions} dimension(s): its magic number is "
                         f"{header[0]}, expected {magic}. Delete it from the cache and load again.")
    return np.frombuffer(content, np.uint8, offset=4 * (1 + dimensions)).reshape(tuple(header[1:]))
