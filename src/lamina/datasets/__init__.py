"""Keras's datasets, with Keras's shapes and dtypes: `mnist`, `fashion_mnist`, `cifar10`, `cifar100`, `imdb`,
`reuters`, `boston_housing`; plus `digits` (scikit-learn's bundled 8x8 digits, no download), `spoken_digits` (the
Free Spoken Digit Dataset: 3,000 recordings of spoken digits, 8 kHz), and data made on the spot: `shapes` (drawn
images in four classes), `landmarks` (faces with keypoints, roads with steering angles), `reviews` (sentences in
two classes) and `sounds` (recordings in three classes).

Each file is downloaded once from the URL Keras uses into `~/.lamina/datasets` (set `LAMINA_HOME` to move
`~/.lamina`, or `LAMINA_DATASETS_MIRROR` to download from a mirror), checked against its published hash (FSDD,
which publishes none, by its contents), and read from there afterwards. Images follow
`lamina.config.image_data_format()` where Keras's do. See docs/datasets.md.

Example:
    >>> from lamina.datasets import mnist
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()
"""
from lamina.datasets import (boston_housing, cifar10, cifar100, digits, fashion_mnist, imdb, landmarks, mnist, reuters,
                             reviews, shapes, sounds, spoken_digits)

__all__ = ["boston_housing", "cifar10", "cifar100", "digits", "fashion_mnist", "imdb", "landmarks", "mnist", "reuters",
           "reviews", "shapes", "sounds", "spoken_digits"]
