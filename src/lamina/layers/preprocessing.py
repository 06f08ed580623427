"""Preprocessing inside the model, with Keras 3's names and arithmetic: Rescaling and Normalization.

A model that starts with them takes raw pixel values, so a saved file needs nothing else to predict.
"""
import numpy as np
import torch

from lamina import config
from lamina.engine.base_layer import Layer

EPSILON = 1e-7  # Keras's backend.epsilon(): the smallest standard deviation Normalization divides by


class Rescaling(Layer):
    """inputs * scale + offset, e.g. Rescaling(1 / 255) for pixel values 0-255 to [0, 1].

    Args:
        scale: a number (or one per channel, broadcast against the last axes like numpy).
        offset: added after scaling.

    Example:
        >>> x = Rescaling(1 / 127.5, offset=-1)(inputs)   # 0-255 to [-1, 1]
    """

    keeps_input_spec = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    def call(self, inputs):
        inputs = floating(inputs)
        scale, offset = (torch.as_tensor(value, dtype=inputs.dtype, device=inputs.device)
                         for value in (self.scale, self.offset))
        return inputs * scale + offset

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class Normalization(Layer):
    """(inputs - mean) / max(sqrt(variance), 1e-7) per feature along `axis`; `invert=True` undoes it.

    The mean and variance are given, or computed from data by `adapt(data)` (over every axis but `axis`) before
    the layer is used. They are kept in the layer's config, so a saved model carries them.

    Args:
        axis: the feature axis (or a tuple of axes) with one mean and variance per entry; -1 (Keras's default)
            for channels_last images and features, 1 for channels_first images; None for one scalar.
        mean, variance: numbers or sequences of the feature axis' size; both or neither.
        invert: (inputs * std) + mean instead.

    Example:
        >>> x = Normalization(axis=1, mean=[123.7, 116.3, 103.5], variance=[58.4**2, 57.1**2, 57.4**2])(inputs)
    """

    keeps_input_spec = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if (mean is None) != (variance is None):
            raise ValueError(f"Normalization '{self.name}': pass both `mean` and `variance`, or neither (and call "
                             f"adapt(data)); received mean={mean!r}, variance={variance!r}.")
        self.axis = (axis,) if isinstance(axis, int) else None if axis is None else tuple(axis)
        self.mean, self.variance, self.invert = _listed(mean), _listed(variance), bool(invert)

    def adapt(self, data):
        """Sets the mean and variance per feature from `data` (an array or tensor of inputs, batch first)."""
        values = torch.as_tensor(np.asarray(data) if not isinstance(data, torch.Tensor) else data).double()
        kept = () if self.axis is None else tuple(axis % values.dim() for axis in self.axis)
        reduced = tuple(axis for axis in range(values.dim()) if axis not in kept)
        self.mean = _listed(values.mean(dim=reduced).numpy())
        self.variance = _listed(values.var(dim=reduced, unbiased=False).numpy())

    def call(self, inputs):
        if self.mean is None:
            raise ValueError(f"Normalization '{self.name}' has no mean and variance: pass them to the constructor "
                             f"or call layer.adapt(data) before using it.")
        inputs = floating(inputs)
        mean, deviation = (self._broadcast(torch.as_tensor(values, dtype=inputs.dtype, device=inputs.device),
                                           inputs.dim()) for values in (self.mean, self.variance))
        deviation = deviation.sqrt().clamp_min(EPSILON)
        return inputs * deviation + mean if self.invert else (inputs - mean) / deviation

    def _broadcast(self, values, rank):
        """The statistics shaped to broadcast against inputs of `rank` dimensions along self.axis."""
        if self.axis is None or values.dim() == 0:
            return values
        axes = sorted(axis % rank for axis in self.axis)
        shape = [1] * rank
        for axis, size in zip(axes, values.shape if values.dim() == len(axes) else (values.numel(),)):
            shape[axis] = size
        return values.reshape(shape)

    def get_config(self):
        axis = self.axis if self.axis is None or len(self.axis) > 1 else self.axis[0]
        return {**super().get_config(), "axis": axis, "mean": self.mean, "variance": self.variance,
                "invert": self.invert}


def floating(inputs):
    """Integer inputs (uint8 pixels) as floatx; floating inputs as they are."""
    return inputs if inputs.is_floating_point() else inputs.to(config.floatx_dtype())


def _listed(values):
    """Numbers or nested sequences as plain Python floats/lists (JSON-able config), None as None."""
    return None if values is None else np.asarray(values, dtype=np.float64).tolist()
