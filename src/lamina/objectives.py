"""Keras 1's `keras.objectives`: the loss functions `loss(y_true, y_pred)` under their Keras 1 names.

Example:
    >>> from lamina import objectives
    >>> def vae_reconstruction(x, x_decoded):
    ...     return objectives.binary_crossentropy(x, x_decoded)
"""
from lamina.losses import (
    KLD, MAE, MAPE, MSE, MSLE, binary_crossentropy, categorical_crossentropy, cosine_proximity, hinge, kld,
    kullback_leibler_divergence, mae, mape, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error, mse, msle, poisson, sparse_categorical_crossentropy,
    squared_hinge,
)

cosine = cosine_proximity

__all__ = [
    "KLD", "MAE", "MAPE", "MSE", "MSLE", "binary_crossentropy", "categorical_crossentropy", "cosine",
    "cosine_proximity", "hinge", "kld", "kullback_leibler_divergence", "mae", "mape", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error", "mse", "msle",
    "poisson", "sparse_categorical_crossentropy", "squared_hinge",
]
