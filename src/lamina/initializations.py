"""Keras 1's `keras.initializations`: functions (shape, name=None) -> variable, with Keras 1's formulas.

Use them as Keras 1 code does, directly or inside your own initializer passed as `init=`:

    >>> from lamina import initializations
    >>> def my_init(shape, name=None):
    ...     return initializations.normal(shape, scale=0.01, name=name)
    >>> Dense(64, init=my_init)

Shapes are Keras's kernel layouts (Dense (in, out), Conv2D (rows, cols, in, out): Keras 1's 'tf' ordering), and
fans are computed from them as lamina.initializers.compute_fans does.
"""
import math

import numpy as np
import torch

from lamina.backend.variables import ones, variable, zeros
from lamina.identifiers import resolve
from lamina.initializers import compute_fans


def uniform(shape, scale=0.05, name=None):
    """Uniform values in [-scale, scale]."""
    return variable(torch.empty(tuple(shape)).uniform_(-scale, scale))


def normal(shape, scale=0.05, name=None):
    """Normal values with mean 0 and standard deviation `scale`."""
    return variable(torch.empty(tuple(shape)).normal_(0.0, scale))


def lecun_uniform(shape, name=None):
    """Uniform in [-s, s] with s = sqrt(3 / fan_in)."""
    fan_in, _ = compute_fans(tuple(shape))
    return uniform(shape, math.sqrt(3.0 / fan_in), name)


def glorot_normal(shape, name=None):
    """Normal with standard deviation sqrt(2 / (fan_in + fan_out)) (not truncated, unlike Keras 2's)."""
    fan_in, fan_out = compute_fans(tuple(shape))
    return normal(shape, math.sqrt(2.0 / (fan_in + fan_out)), name)


def glorot_uniform(shape, name=None):
    """Uniform in [-s, s] with s = sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = compute_fans(tuple(shape))
    return uniform(shape, math.sqrt(6.0 / (fan_in + fan_out)), name)


def he_normal(shape, name=None):
    """Normal with standard deviation sqrt(2 / fan_in) (not truncated, unlike Keras 2's)."""
    fan_in, _ = compute_fans(tuple(shape))
    return normal(shape, math.sqrt(2.0 / fan_in), name)


def he_uniform(shape, name=None):
    """Uniform in [-s, s] with s = sqrt(6 / fan_in)."""
    fan_in, _ = compute_fans(tuple(shape))
    return uniform(shape, math.sqrt(6.0 / fan_in), name)


def orthogonal(shape, scale=1.1, name=None):
    """An orthogonal matrix (of the shape flattened to (shape[0], rest)) times `scale` (Keras 1's 1.1)."""
    flat_shape = (shape[0], int(np.prod(shape[1:])))
    values = torch.empty(flat_shape, dtype=torch.float64).normal_(0.0, 1.0)
    u, _, v = torch.linalg.svd(values, full_matrices=False)
    q = u if tuple(u.shape) == flat_shape else v
    return variable(scale * q.reshape(tuple(shape)))


def identity(shape, scale=1, name=None):
    """`scale` times the identity matrix; the shape must be square and 2-D."""
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"identity initialization needs a square 2-D shape, received {tuple(shape)}.")
    return variable(scale * torch.eye(shape[0]))


def zero(shape, name=None):
    return zeros(shape, name=name)


def one(shape, name=None):
    return ones(shape, name=name)


INITIALIZATIONS = {function.__name__: function for function in (
    uniform, normal, lecun_uniform, glorot_normal, glorot_uniform, he_normal, he_uniform, orthogonal, identity, zero,
    one)}


def get(identifier):
    """The function named `identifier` ('glorot_uniform', ...), or `identifier` itself when callable."""
    return resolve("initialization", identifier, INITIALIZATIONS)
