"""Reading CIFAR's pickled batches from the extracted archive, and laying images out in lamina's image data
format.

Every load first re-checks the archive's hash (get_file), and the extraction folder is only ever written from a
verified archive, in one rename; the batches are still unpickled with NumpyUnpickler, which cannot run code.
"""
import os

import numpy as np

from lamina import config
from lamina.datasets.safe_pickle import load_pickle


def read_batches(folder, member_names):
    """{member name: batch dict} for the named pickled batches under a CIFAR extraction folder.

    Each batch is a pickled dict with bytes keys: b'data' a uint8 array (n, 3072) of the red, green then blue
    planes of 32x32 pixels, and label lists such as b'labels'.
    """
    batches = {}
    for name in member_names:
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"'{path}' is missing: the extracted CIFAR folder is incomplete. Delete the folder "
                                    f"'{folder}' and load again (it is re-extracted from the cached archive).")
        with open(path, "rb") as handle:
            batches[name] = load_pickle(handle)
    return batches


def images_and_labels(batches, names, label_key, label_dtype):
    """(images (n, 3, 32, 32) or (n, 32, 32, 3) by the image data format, labels (n, 1)) of the named batches."""
    images = np.concatenate([batches[name][b"data"] for name in names]).reshape(-1, 3, 32, 32)
    if config.image_data_format() == "channels_last":
        images = images.transpose(0, 2, 3, 1)
    labels = np.asarray([label for name in names for label in batches[name][label_key]], label_dtype)
    return images, labels.reshape(-1, 1)
