"""More Keras 2 backend functions custom layers and losses often call: comparisons, casts, statistics and shape
manipulation, on torch tensors (and on symbolic tensors, as lamina.backend.tensors)."""
import builtins

import torch
import torch.nn.functional as F

from lamina import activations, config
from lamina.backend.tensors import _dims, _pair, to_tensor
from lamina.backend.variables import _torch_dtype
from lamina.engine.base_layer import is_symbolic
from lamina.engine.symbolic import graph_aware
from lamina.initializers import _generator


# ---------------------------------------------------------------- types and constants
@graph_aware
def cast(x, dtype):
    """x converted to `dtype` ('float32', 'int64', 'bool', ... or a torch dtype)."""
    return to_tensor(x).to(_torch_dtype(dtype))


def constant(value, dtype=None, shape=None, name=None):
    """A constant tensor of `value` (filled to `shape` when value is a number), on lamina's device."""
    dtype = _torch_dtype(dtype)
    if shape is not None:
        return torch.full(tuple(shape), value, dtype=dtype, device=config.device())
    return torch.as_tensor(value, dtype=dtype, device=config.device())


def dtype(x):
    """The dtype name of x ('float32')."""
    return str(x.dtype).replace("torch.", "")


def is_keras_tensor(x):
    """Whether x is a symbolic tensor of a model being defined (Input or a layer's output)."""
    return is_symbolic(x)


def count_params(x):
    """The number of values in x."""
    return int(x.numel())


@graph_aware
def ones_like(x, dtype=None, name=None):
    return torch.ones_like(to_tensor(x), dtype=_torch_dtype(dtype) if dtype else None)


@graph_aware
def zeros_like(x, dtype=None, name=None):
    return torch.zeros_like(to_tensor(x), dtype=_torch_dtype(dtype) if dtype else None)


@graph_aware
def stop_gradient(variables):
    """x without a gradient (a list of tensors gives a list)."""
    if isinstance(variables, (list, tuple)):
        return [to_tensor(v).detach() for v in variables]
    return to_tensor(variables).detach()


# ---------------------------------------------------------------- comparisons and selection
def _comparison(name, torch_function):
    def compare(x, y):
        return torch_function(*_pair(x, y))

    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = f"Element-wise {name} of x and y (a bool tensor), broadcasting; y may be a number."
    return graph_aware(compare)


equal = _comparison("equal", torch.eq)
not_equal = _comparison("not_equal", torch.ne)
greater = _comparison("greater", torch.gt)
greater_equal = _comparison("greater_equal", torch.ge)
less = _comparison("less", torch.lt)
less_equal = _comparison("less_equal", torch.le)


@graph_aware
def switch(condition, then_expression, else_expression):
    """then_expression where condition is true, else_expression elsewhere; a condition of lower rank applies to
    whole slices (it is broadcast over the trailing axes)."""
    then_expression = to_tensor(then_expression)
    condition = to_tensor(condition, like=then_expression).bool()
    while condition.ndim < then_expression.ndim:
        condition = condition.unsqueeze(-1)
    return torch.where(condition, then_expression, to_tensor(else_expression, like=then_expression))


@graph_aware
def argmax(x, axis=-1):
    return torch.argmax(to_tensor(x), dim=axis)


@graph_aware
def argmin(x, axis=-1):
    return torch.argmin(to_tensor(x), dim=axis)


@graph_aware
def gather(reference, indices):
    """The rows (axis 0) of `reference` at `indices`."""
    reference = to_tensor(reference)
    return reference[to_tensor(indices).long().to(reference.device)]


@graph_aware
def one_hot(indices, num_classes):
    """One-hot encoding of integer `indices` along a new last axis, in floatx."""
    return F.one_hot(to_tensor(indices).long(), num_classes).to(config.floatx_dtype())


# ---------------------------------------------------------------- element-wise math
@graph_aware
def round(x):
    """Rounded to the nearest integer, halves to even (as TensorFlow and numpy)."""
    return torch.round(to_tensor(x))


@graph_aware
def sign(x):
    return torch.sign(to_tensor(x))


@graph_aware
def pow(x, a):
    return torch.pow(to_tensor(x), a)


@graph_aware
def cos(x):
    return torch.cos(to_tensor(x))


@graph_aware
def sin(x):
    return torch.sin(to_tensor(x))


@graph_aware
def tanh(x):
    return torch.tanh(to_tensor(x))


@graph_aware
def softplus(x):
    return F.softplus(to_tensor(x))


@graph_aware
def softsign(x):
    return F.softsign(to_tensor(x))


@graph_aware
def elu(x, alpha=1.0):
    return F.elu(to_tensor(x), alpha=alpha)


@graph_aware
def hard_sigmoid(x):
    """Keras 1/2's hard sigmoid: clip(0.2 x + 0.5, 0, 1)."""
    return activations.legacy_hard_sigmoid(to_tensor(x))


@graph_aware
def dropout(x, level, noise_shape=None, seed=None):
    """x with a fraction `level` of its values set to 0 and the rest scaled by 1 / (1 - level)."""
    x = to_tensor(x)
    shape = tuple(x.shape) if noise_shape is None else tuple(
        size if size is not None else x.shape[axis] for axis, size in enumerate(noise_shape))
    keep = torch.rand(shape, generator=_generator(seed, x.device), device=x.device) >= level
    return x * keep.to(x.dtype) / (1.0 - level)


# ---------------------------------------------------------------- statistics
@graph_aware
def var(x, axis=None, keepdims=False):
    """Variance over `axis` (the mean squared deviation, not the unbiased estimate, as Keras)."""
    x = to_tensor(x)
    return torch.var(x, dim=_dims(x, axis), correction=0, keepdim=keepdims)


@graph_aware
def std(x, axis=None, keepdims=False):
    """Standard deviation over `axis` (the square root of var)."""
    x = to_tensor(x)
    return torch.std(x, dim=_dims(x, axis), correction=0, keepdim=keepdims)


@graph_aware
def prod(x, axis=None, keepdims=False):
    x = to_tensor(x)
    for dim in sorted((d % builtins.max(x.ndim, 1) for d in _dims(x, axis)), reverse=True):
        x = torch.prod(x, dim=dim, keepdim=keepdims)
    return x


@graph_aware
def any(x, axis=None, keepdims=False):
    x = to_tensor(x).bool()
    return torch.any(x, dim=_dims(x, axis), keepdim=keepdims)


@graph_aware
def all(x, axis=None, keepdims=False):
    x = to_tensor(x).bool()
    return torch.all(x, dim=_dims(x, axis), keepdim=keepdims)


@graph_aware
def cumsum(x, axis=0):
    return torch.cumsum(to_tensor(x), dim=axis)


@graph_aware
def cumprod(x, axis=0):
    return torch.cumprod(to_tensor(x), dim=axis)


# ---------------------------------------------------------------- shapes
@graph_aware
def stack(x, axis=0):
    return torch.stack([to_tensor(t) for t in x], dim=axis)


@graph_aware
def tile(x, n):
    """x repeated n[i] times along axis i (an int n repeats the first axis)."""
    return to_tensor(x).repeat(*(n if isinstance(n, (list, tuple)) else (n,)))


@graph_aware
def repeat(x, n):
    """A 2-D tensor (batch, dim) repeated n times along a new axis 1: (batch, n, dim)."""
    x = to_tensor(x)
    return x.unsqueeze(1).expand(x.shape[0], n, x.shape[1])


@graph_aware
def repeat_elements(x, rep, axis):
    """Each slice of x along `axis` repeated `rep` times, as numpy.repeat."""
    return torch.repeat_interleave(to_tensor(x), rep, dim=axis)


@graph_aware
def permute_dimensions(x, pattern):
    """x with its axes reordered: permute_dimensions(x, (0, 2, 1))."""
    return to_tensor(x).permute(*pattern)


@graph_aware
def batch_flatten(x):
    """(batch, ...) -> (batch, product of the other sizes)."""
    x = to_tensor(x)
    return x.reshape(x.shape[0], -1)


@graph_aware
def flatten(x):
    """All values of x in one axis."""
    return to_tensor(x).reshape(-1)


# ---------------------------------------------------------------- losses
@graph_aware
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Crossentropy between integer class labels and class probabilities (or logits) over `axis`."""
    output = to_tensor(output)
    target = to_tensor(target, like=output).long()
    if target.ndim == output.ndim:
        target = target.squeeze(axis)
    if from_logits:
        log_probabilities = torch.log_softmax(output, dim=axis)
    else:
        probabilities = output / torch.sum(output, dim=axis, keepdim=True)
        log_probabilities = torch.log(torch.clamp(probabilities, config.epsilon(), 1.0 - config.epsilon()))
    return -torch.gather(torch.movedim(log_probabilities, axis, -1), -1, target.unsqueeze(-1)).squeeze(-1)
