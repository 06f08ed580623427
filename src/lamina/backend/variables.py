"""Variables, shapes, random tensors and gradients with Keras 1/2 backend names, as torch tensors.

A variable is a float `torch.nn.Parameter` (trainable, so K.gradients and optimizers see it), or a plain tensor
for integer values. It is created on lamina's device (lamina.config.device()), where fit runs the model.
"""
import numpy as np
import torch
from torch import nn

from lamina import config
from lamina.backend import graph
from lamina.engine.base_layer import is_symbolic
from lamina.initializers import _generator


def _torch_dtype(dtype):
    """A torch dtype from a name ('float32'), a torch dtype, or None (floatx)."""
    return config.floatx_dtype() if dtype is None else getattr(torch, dtype) if isinstance(dtype, str) else dtype


def variable(value, dtype=None, name=None):
    """A variable holding a copy of `value` (numpy array, list, number or tensor).

    Args:
        value: the initial value.
        dtype: its type (default: floatx). Float variables are trainable nn.Parameters.
        name: accepted for Keras compatibility (torch tensors carry no name).

    Example:
        >>> w = variable(np.zeros((3, 2)))
        >>> get_value(w).shape
        (3, 2)
    """
    source = value.detach() if isinstance(value, torch.Tensor) else np.asarray(value)
    tensor = torch.as_tensor(source, dtype=_torch_dtype(dtype), device=config.device()).clone()
    return nn.Parameter(tensor) if tensor.is_floating_point() else tensor


def zeros(shape, dtype=None, name=None):
    """A variable of zeros."""
    return variable(torch.zeros(tuple(shape), dtype=_torch_dtype(dtype)), dtype)


def ones(shape, dtype=None, name=None):
    """A variable of ones."""
    return variable(torch.ones(tuple(shape), dtype=_torch_dtype(dtype)), dtype)


def get_value(x):
    """The value of a tensor or variable as a numpy array (a copy)."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy().copy()
    if is_symbolic(x):
        raise TypeError("get_value: a symbolic tensor (from Input or layer.output) has no value; evaluate it with "
                        "K.function([model.input], [tensor])([x]).")
    return np.asarray(x)


eval = get_value


def set_value(x, value):
    """Overwrites variable x with `value` (same shape), in place."""
    value = value.detach() if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
    if tuple(value.shape) != tuple(x.shape):
        raise ValueError(f"set_value: the variable has shape {tuple(x.shape)}, the value {tuple(value.shape)}. "
                         f"Pass a value of the variable's shape.")
    with torch.no_grad():
        x.copy_(value)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, **legacy):
    """A tensor of normal random values (Keras 1's `std` is accepted for `stddev`).

    `seed` makes the values reproducible without touching torch's global generator.
    """
    stddev = legacy.pop("std", stddev)
    if legacy:
        raise TypeError(f"random_normal() got unexpected keyword arguments {sorted(legacy)}.")
    tensor, generator = _random_tensor(shape, dtype, seed)
    return tensor.normal_(mean, stddev, generator=generator)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None, **legacy):
    """A tensor of uniform random values in [minval, maxval) (Keras 1's `low`/`high` are accepted)."""
    minval, maxval = legacy.pop("low", minval), legacy.pop("high", maxval)
    if legacy:
        raise TypeError(f"random_uniform() got unexpected keyword arguments {sorted(legacy)}.")
    tensor, generator = _random_tensor(shape, dtype, seed)
    return tensor.uniform_(minval, maxval, generator=generator)


def _random_tensor(shape, dtype, seed):
    """An empty tensor on lamina's device to draw into, and a generator seeded with `seed` (None: torch's)."""
    tensor = torch.empty(tuple(int(size) for size in shape), dtype=_torch_dtype(dtype), device=config.device())
    return tensor, _generator(seed, tensor.device)


def shape(x):
    """The shape of x as a tuple: sizes are ints for tensors and arrays, None where a symbolic tensor's size is
    not known yet (the batch size). K.shape(x)[0] is the batch size inside a layer or loss."""
    return tuple(x.shape)


def int_shape(x):
    """The shape of x as a tuple of ints (None for unknown sizes of symbolic tensors)."""
    return tuple(x.shape)


def ndim(x):
    """The number of axes of x."""
    return len(x.shape)


def gradients(loss, variables):
    """Gradients of `loss` with respect to each of `variables` (None for a variable the loss does not use).

    On tensors, this is torch.autograd.grad with create_graph=True (the gradients can be differentiated again,
    e.g. for a gradient penalty). A non-scalar loss is summed first, as Keras does. On a symbolic loss (built from
    `layer.output` with K.* functions or arithmetic), it returns symbolic tensors to compute with further and
    evaluate with K.function.
    """
    variables = list(variables) if isinstance(variables, (list, tuple)) else [variables]
    if is_symbolic(loss):
        return graph.symbolic_gradients(loss, variables)
    return list(torch.autograd.grad(loss, variables, grad_outputs=torch.ones_like(loss), retain_graph=True,
                                    create_graph=True, allow_unused=True))
