"""Activation functions on torch tensors, with Keras names and formulas.

Example:
    >>> from lamina import activations
    >>> activations.get("relu")(torch.tensor([-1.0, 2.0]))
    tensor([0., 2.])
"""
import functools

import torch
import torch.nn.functional as F

from lamina.identifiers import resolve


def linear(x):
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras relu: max(x, 0) by default, with an optional leaky slope, cap and threshold."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return torch.relu(x)
    y = torch.where(x >= threshold, x, negative_slope * (x - threshold))
    return y if max_value is None else torch.clamp(y, max=max_value)


def sigmoid(x):
    """Logistic sigmoid; the output carries its input as `_keras_logits` so crossentropy can use the logits."""
    y = torch.sigmoid(x)
    y._keras_logits, y._keras_activation = x, "sigmoid"
    return y


def tanh(x):
    return torch.tanh(x)


def softmax(x, axis=-1):
    """Softmax over `axis`; over the last axis the output carries its input as `_keras_logits` (see sigmoid)."""
    y = torch.softmax(x, dim=axis)
    if axis in (-1, x.ndim - 1):
        y._keras_logits, y._keras_activation = x, "softmax"
    return y


def log_softmax(x, axis=-1):
    return torch.log_softmax(x, dim=axis)


def softplus(x):
    return F.softplus(x)


def softsign(x):
    return F.softsign(x)


def elu(x, alpha=1.0):
    return F.elu(x, alpha=alpha)


def selu(x):
    return F.selu(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit; exact by default, as Keras 3's."""
    return F.gelu(x, approximate="tanh" if approximate else "none")


def silu(x):
    return F.silu(x)


swish = silu


def hard_sigmoid(x):
    """Keras 3's hard sigmoid: relu6(x + 3) / 6."""
    return F.hardsigmoid(x)


def legacy_hard_sigmoid(x):
    """Keras 1/2's hard sigmoid: clip(0.2 * x + 0.5, 0, 1), used for Keras 1's inner_activation."""
    return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)


def hard_silu(x):
    return F.hardswish(x)


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(x, negative_slope=negative_slope)


def relu6(x):
    return F.relu6(x)


def exponential(x):
    return torch.exp(x)


def mish(x):
    return F.mish(x)


ACTIVATIONS = {
    function.__name__: function
    for function in (
        linear, relu, sigmoid, tanh, softmax, log_softmax, softplus, softsign, elu, selu, gelu, silu,
        hard_sigmoid, legacy_hard_sigmoid, hard_silu, leaky_relu, relu6, exponential, mish,
    )
}
ACTIVATIONS["swish"] = silu
ACTIVATIONS["hard_swish"] = hard_silu


# The built-in activations that have an in-place form (same arithmetic, writing into the input).
IN_PLACE = {relu: torch.relu_, relu6: functools.partial(F.relu6, inplace=True), tanh: torch.tanh_,
            silu: functools.partial(F.silu, inplace=True), hard_silu: functools.partial(F.hardswish, inplace=True),
            hard_sigmoid: functools.partial(F.hardsigmoid, inplace=True)}


def apply_to_fresh(activation, x):
    """activation(x) for an `x` no one else holds (a layer's own fresh output): in place when no gradient is
    recorded, which saves allocating (and first touching) one more activation-sized tensor."""
    if not torch.is_grad_enabled() and activation in IN_PLACE:
        return IN_PLACE[activation](x)
    return activation(x)


def get(identifier):
    """Returns the activation function for a name, a callable, or None (linear)."""
    if identifier is None:
        return linear
    return resolve("activation", identifier, ACTIVATIONS)


def serialize(activation):
    """Returns the name of a built-in activation, for layer configs."""
    for name, function in ACTIVATIONS.items():
        if function is activation:
            return name
    name = getattr(activation, "__name__", None)
    return name if name else repr(activation)
