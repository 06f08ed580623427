"""Tensor functions with Keras 1/2 backend names and semantics, on torch tensors (numpy arrays accepted).

Each function also accepts the symbolic tensors of a model being defined (`layer.output`, `model.input`):
it then adds a Lambda layer to the graph and returns its symbolic output (see lamina.backend.graph).
"""
import builtins
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from lamina import activations, config
from lamina.engine.symbolic import graph_aware
from lamina.losses import _l2_normalize, _log_probabilities, _logits


def to_tensor(x, like=None):
    """A torch tensor for x: numpy floats in floatx; Python numbers take the dtype and device of `like`."""
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, (int, float)) and like is not None:
        return torch.as_tensor(x, dtype=like.dtype if like.is_floating_point() else None, device=like.device)
    tensor = torch.as_tensor(np.asarray(x))
    if tensor.is_floating_point():
        tensor = tensor.to(config.floatx_dtype())
    return tensor.to(like.device) if like is not None else tensor


def _dims(x, axis):
    """Keras's axis argument (None, an int or a list of ints) as a tuple of dims for torch reductions."""
    if axis is None:
        return tuple(range(x.ndim))
    return tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)


# ---------------------------------------------------------------- reductions
@graph_aware
def mean(x, axis=None, keepdims=False):
    """Mean over `axis` (all axes when None); integer and bool tensors are averaged in floatx."""
    x = to_tensor(x)
    if not x.is_floating_point():
        x = x.to(config.floatx_dtype())
    return torch.mean(x, dim=_dims(x, axis), keepdim=keepdims)


@graph_aware
def sum(x, axis=None, keepdims=False):
    """Sum over `axis` (all axes when None)."""
    x = to_tensor(x)
    return torch.sum(x, dim=_dims(x, axis), keepdim=keepdims)


@graph_aware
def max(x, axis=None, keepdims=False):
    """Maximum over `axis` (all axes when None)."""
    x = to_tensor(x)
    return torch.amax(x, dim=_dims(x, axis), keepdim=keepdims)


@graph_aware
def min(x, axis=None, keepdims=False):
    """Minimum over `axis` (all axes when None)."""
    x = to_tensor(x)
    return torch.amin(x, dim=_dims(x, axis), keepdim=keepdims)


# ---------------------------------------------------------------- element-wise
@graph_aware
def square(x):
    return torch.square(to_tensor(x))


@graph_aware
def sqrt(x):
    """Square root, with negative values clipped to 0 first (as Keras's backends do)."""
    return torch.sqrt(torch.clamp_min(to_tensor(x), 0.0))


@graph_aware
def abs(x):
    return torch.abs(to_tensor(x))


@graph_aware
def exp(x):
    return torch.exp(to_tensor(x))


@graph_aware
def log(x):
    return torch.log(to_tensor(x))


def _pair(x, y):
    if isinstance(x, torch.Tensor):
        return x, to_tensor(y, like=x)
    y = to_tensor(y)
    return to_tensor(x, like=y), y


@graph_aware
def maximum(x, y):
    """Element-wise maximum of two tensors (or a tensor and a number), broadcasting."""
    return torch.maximum(*_pair(x, y))


@graph_aware
def minimum(x, y):
    """Element-wise minimum of two tensors (or a tensor and a number), broadcasting."""
    return torch.minimum(*_pair(x, y))


@graph_aware
def clip(x, min_value, max_value):
    """Values clipped to [min_value, max_value]; a max_value below min_value is raised to min_value, as in Keras.
    None means no bound on that side."""
    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)) and max_value < min_value:
        max_value = min_value
    return torch.clamp(to_tensor(x), min=min_value, max=max_value)


# ---------------------------------------------------------------- products and shapes
@graph_aware
def dot(x, y):
    """Keras's (and numpy's) dot: sums over the last axis of x and the second-to-last axis of y (the only axis
    of a 1-D y). Shapes (2, 3, 4) . (4, 5) -> (2, 3, 5); (2, 3) . (4, 3, 5) -> (2, 4, 5)."""
    x, y = to_tensor(x), to_tensor(y)
    return torch.tensordot(x, y, dims=([x.ndim - 1], [builtins.max(y.ndim - 2, 0)]))


@graph_aware
def batch_dot(x, y, axes=None):
    """Dot product of each sample of x with the same sample of y (axis 0 is the batch axis in both).

    Args:
        x, y: tensors of rank >= 2 with the same batch size.
        axes: the axis of x and the axis of y to sum over: an int (the same for both) or a pair. By default the
            last axis of x and the second-to-last axis of y (the last one when y is 2-D).

    Returns:
        x's shape without the summed axis, followed by y's shape without its batch and summed axes; a result of
        rank 1 is reshaped to (batch_size, 1).

    Example:
        >>> batch_dot(torch.ones(32, 20), torch.ones(32, 30, 20), axes=(1, 2)).shape
        torch.Size([32, 30])
    """
    x, y = to_tensor(x), to_tensor(y)
    if x.ndim < 2 or y.ndim < 2:
        raise ValueError(f"batch_dot needs tensors of rank >= 2 (axis 0 is the batch), received shapes "
                         f"{tuple(x.shape)} and {tuple(y.shape)}.")
    if axes is None:
        axes = (x.ndim - 1, y.ndim - 1 if y.ndim == 2 else y.ndim - 2)
    elif isinstance(axes, int):
        axes = (axes, axes)
    x_axis, y_axis = axes[0] % x.ndim, axes[1] % y.ndim
    if x_axis == 0 or y_axis == 0:
        raise ValueError(f"batch_dot cannot sum over the batch axis 0 (axes={tuple(axes)}). To multiply "
                         f"unbatched tensors add a batch axis with expand_dims(x, 0), or use dot.")
    x_rest = [size for axis, size in enumerate(x.shape) if axis not in (0, x_axis)]
    y_rest = [size for axis, size in enumerate(y.shape) if axis not in (0, y_axis)]
    x_matrix = torch.movedim(x, x_axis, -1).reshape(x.shape[0], -1, x.shape[x_axis])
    y_matrix = torch.movedim(y, y_axis, 1).reshape(y.shape[0], y.shape[y_axis], -1)
    result = torch.bmm(x_matrix, y_matrix).reshape([x.shape[0], *x_rest, *y_rest])
    return result.unsqueeze(1) if result.ndim == 1 else result


@graph_aware
def transpose(x):
    """All axes reversed (a matrix's transpose)."""
    x = to_tensor(x)
    return x.permute(*reversed(range(x.ndim)))


@graph_aware
def reshape(x, shape):
    return torch.reshape(to_tensor(x), tuple(shape))


@graph_aware
def concatenate(tensors, axis=-1):
    """Tensors joined along `axis`."""
    return torch.cat([to_tensor(t) for t in tensors], dim=axis)


@graph_aware
def expand_dims(x, axis=-1):
    """x with a new axis of size 1 at `axis` (at the end by default)."""
    return torch.unsqueeze(to_tensor(x), axis)


@graph_aware
def squeeze(x, axis):
    """x without `axis`, which must have size 1."""
    x = to_tensor(x)
    if x.shape[axis] != 1:
        raise ValueError(f"squeeze: axis {axis} of a tensor of shape {tuple(x.shape)} has size {x.shape[axis]}, "
                         f"not 1.")
    return torch.squeeze(x, axis)


@graph_aware
def l2_normalize(x, axis=None):
    """x divided by its L2 norm over `axis` (all axes when None): x / sqrt(max(sum(x ** 2), 1e-12))."""
    x = to_tensor(x)
    return _l2_normalize(x, _dims(x, axis))


# ---------------------------------------------------------------- activations and losses
@graph_aware
def sigmoid(x):
    return activations.sigmoid(to_tensor(x))


@graph_aware
def softmax(x, axis=-1):
    return activations.softmax(to_tensor(x), axis=axis)


@graph_aware
def relu(x, alpha=0.0, max_value=None, threshold=0.0):
    """Keras 2's relu: x above `threshold` (capped at max_value), alpha * (x - threshold) below it."""
    x = to_tensor(x)
    positive = x * (x > threshold) if threshold else torch.relu(x)
    if max_value is not None:
        positive = torch.clamp(positive, 0.0, max_value)
    return positive - alpha * torch.relu(threshold - x) if alpha else positive


def _keras1_order(function_name, target, output, activation):
    """(target, output), swapped when the call used Keras 1's (output, target) order: the first argument came
    from a sigmoid/softmax (it carries its logits) and the second did not. Targets never carry logits."""
    if _logits(target, activation) is None or _logits(output, activation) is not None:
        return target, output
    if function_name not in _warned_swaps:
        _warned_swaps.add(function_name)
        warnings.warn(f"K.{function_name}(output, target) is Keras 1's argument order; lamina swapped the "
                      f"arguments. Keras 2's order is {function_name}(target, output).", FutureWarning, stacklevel=4)
    return output, target


_warned_swaps = set()


@graph_aware
def binary_crossentropy(target, output, from_logits=False):
    """Element-wise binary crossentropy: -(t log(p) + (1 - t) log(1 - p)), p clipped to [epsilon, 1 - epsilon].

    Keras 2's argument order (target, output). Keras 1's backend took (output, target): a call whose first
    argument is the output of a sigmoid (and whose second is not) is recognised as Keras 1 code and swapped, with
    a warning. An output of K.sigmoid (or a sigmoid layer) is computed from its logits, exactly.
    """
    target, output = _keras1_order("binary_crossentropy", target, output, "sigmoid")
    output = to_tensor(output)
    target = to_tensor(target, like=output).to(output.dtype)
    logits = output if from_logits else _logits(output, "sigmoid")
    if logits is not None:
        return F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    probabilities = torch.clamp(output, config.epsilon(), 1.0 - config.epsilon())
    return -(target * torch.log(probabilities) + (1.0 - target) * torch.log1p(-probabilities))


@graph_aware
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Crossentropy between one-hot (or soft) targets and class probabilities over `axis`: -sum(t log(p)).

    The output is rescaled to sum to 1 and clipped to [epsilon, 1 - epsilon], as in Keras; with from_logits=True
    (or an output of K.softmax) it is computed from the logits with log_softmax. Keras 2's argument order
    (target, output); Keras 1's (output, target) is recognised as binary_crossentropy describes.
    """
    target, output = _keras1_order("categorical_crossentropy", target, output, "softmax")
    output = to_tensor(output)
    target = to_tensor(target, like=output).to(output.dtype)
    return -torch.sum(target * _log_probabilities(output, from_logits, axis), dim=axis)
