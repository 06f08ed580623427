"""CIFAR-10: 50,000 training and 10,000 test colour images of 32x32 pixels in 10 classes (the University of
Toronto's python archive, as Keras)."""
import numpy as np

from lamina.datasets import cifar, sources

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
TRAIN_BATCHES = tuple(f"cifar-10-batches-py/data_batch_{number}" for number in range(1, 6))
TEST_BATCHES = ("cifar-10-batches-py/test_batch",)


def load_data():
    """Loads CIFAR-10 (downloaded once into `~/.lamina/datasets`, 163 MB, and extracted there once).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: x uint8 of shape (50000, 3, 32, 32) and (10000, 3, 32, 32) under
        lamina's default 'channels_first' image data format, (50000, 32, 32, 3) and (10000, 32, 32, 3) under
        'channels_last' (Keras's default), pixels 0-255; y uint8 class numbers 0-9 of shape (50000, 1) and
        (10000, 1) (names in `CLASS_NAMES`).

    Example:
        >>> from lamina.datasets import cifar10
        >>> (x_train, y_train), (x_test, y_test) = cifar10.load_data()
        >>> x_train.shape
        (50000, 3, 32, 32)
    """
    batches = cifar.read_batches(sources.fetch("cifar-10-python.tar.gz", extract=True),
                                 TRAIN_BATCHES + TEST_BATCHES)
    return (cifar.images_and_labels(batches, TRAIN_BATCHES, b"labels", np.uint8),
            cifar.images_and_labels(batches, TEST_BATCHES, b"labels", np.uint8))
