"""Keras 1's `keras.utils.np_utils`: to_categorical(y, nb_classes), normalize and class helpers on numpy arrays.

Example:
    >>> from lamina.utils import np_utils
    >>> np_utils.to_categorical([0, 2], nb_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
"""
import numpy as np

from lamina.utils.arrays import normalize, to_categorical

__all__ = ["categorical_probas_to_classes", "normalize", "probas_to_classes", "to_categorical"]


def categorical_probas_to_classes(p):
    """The most probable class of each row of class probabilities: (n, classes) -> (n,)."""
    return np.argmax(np.asarray(p), axis=1)


def probas_to_classes(y_pred):
    """Classes from predictions: the argmax of each row for several classes, (p > 0.5) for one probability."""
    y_pred = np.asarray(y_pred)
    if y_pred.ndim > 1 and y_pred.shape[1] > 1:
        return categorical_probas_to_classes(y_pred)
    return (y_pred.reshape(-1) > 0.5).astype(np.int64)
