"""Noise layers active only in training: SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout."""
import math

import torch

from lamina import config
from lamina.engine.base_layer import Layer
from lamina.layers.core import Dropout, check_rate


class SpatialDropout1D(Dropout):
    """Drops whole channels of (batch, steps, channels) sequences: one decision per sample and channel.

    Input and output shape: (batch, steps, channels).
    """

    rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)

    def channel_axis(self):
        return -1

    def call(self, inputs, training=None):
        if inputs.ndim != self.rank + 2:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of rank {self.rank + 2}, "
                             f"received shape {tuple(inputs.shape)}.")
        if not training or self.rate == 0:
            return inputs
        channel_axis = self.channel_axis() % inputs.ndim
        return self.drop(inputs, [None if axis in (0, channel_axis) else 1 for axis in range(inputs.ndim)])

    def get_config(self):
        config_ = super().get_config()
        config_.pop("noise_shape")
        return config_


class SpatialDropout2D(SpatialDropout1D):
    """Drops whole feature maps of images: one decision per sample and channel.

    Input and output shape: (batch, channels, rows, cols) (channels_first) or (batch, rows, cols, channels).
    """

    rank = 2

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = config.normalize_data_format(data_format)

    def channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout3D(SpatialDropout2D):
    """Drops whole feature volumes of 3-D images: one decision per sample and channel."""

    rank = 3


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation `stddev` in training (a regularizer)."""

    supports_masking = True

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(stddev, (int, float)) or stddev < 0:
            raise ValueError(f"GaussianNoise: `stddev` must be a number >= 0, received {stddev!r}.")
        self.stddev = float(stddev)
        self.seed = seed

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        return inputs + torch.randn_like(inputs) * self.stddev

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiplies inputs by Gaussian noise of mean 1 and standard deviation sqrt(rate / (1 - rate)) in training."""

    supports_masking = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate("GaussianDropout", rate)
        self.seed = seed

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1 - self.rate))
        return inputs * (1 + torch.randn_like(inputs) * stddev)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
