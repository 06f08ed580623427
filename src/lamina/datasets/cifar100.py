"""CIFAR-100: 50,000 training and 10,000 test colour images of 32x32 pixels in 100 fine classes grouped into 20
coarse ones (the University of Toronto's python archive, as Keras)."""
import numpy as np

from lamina.datasets import cifar, sources
from lamina.identifiers import check_choice

LABEL_MODES = ("fine", "coarse")
TRAIN, TEST = "cifar-100-python/train", "cifar-100-python/test"


def load_data(label_mode="fine"):
    """Loads CIFAR-100 (downloaded once into `~/.lamina/datasets`, 161 MB, and extracted there once).

    Args:
        label_mode: 'fine' (100 classes) or 'coarse' (20 superclasses).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: x uint8 of shape (50000, 3, 32, 32) and (10000, 3, 32, 32) under
        'channels_first' (lamina's default), (50000, 32, 32, 3) and (10000, 32, 32, 3) under 'channels_last';
        y int64 class numbers of shape (50000, 1) and (10000, 1) (int64 as Keras 3, where CIFAR-10's are uint8).

    Example:
        >>> from lamina.datasets import cifar100
        >>> (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode="coarse")
    """
    label_key = check_choice("label_mode", label_mode, LABEL_MODES).encode() + b"_labels"
    batches = cifar.read_batches(sources.fetch("cifar-100-python.tar.gz", extract=True), (TRAIN, TEST))
    return (cifar.images_and_labels(batches, (TRAIN,), label_key, np.int64),
            cifar.images_and_labels(batches, (TEST,), label_key, np.int64))
