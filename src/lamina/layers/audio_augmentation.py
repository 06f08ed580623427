"""Audio augmentation layers, active only in training (the identity in inference), batched on the device:
SpecAugment's time and frequency masks on spectrograms, and a random gain and time shift on waveforms. (Additive
noise is lamina.layers.GaussianNoise.)"""
import numbers

import torch

from lamina.engine.base_layer import Layer
from lamina.layers.core import check_positive_int


class _Masking(Layer):
    """`count` bands of up to `max_width` entries along `axis`, set to `mask_value`, drawn per example."""

    keeps_input_spec = True
    axis = -1

    def __init__(self, max_width, count=1, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_width = check_positive_int(type(self).__name__, "max_width", max_width)
        self.count = check_positive_int(type(self).__name__, "count", count)
        self.mask_value = float(mask_value)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        size = inputs.shape[self.axis]
        positions = torch.arange(size, device=inputs.device)
        masked = torch.zeros(inputs.shape[0], size, dtype=torch.bool, device=inputs.device)
        for _ in range(self.count):
            widths = torch.randint(0, min(self.max_width, size) + 1, (inputs.shape[0], 1), device=inputs.device)
            starts = (torch.rand(inputs.shape[0], 1, device=inputs.device) * (size - widths + 1)).long()
            masked |= (positions >= starts) & (positions < starts + widths)
        shape = [inputs.shape[0]] + [1] * (inputs.dim() - 1)
        shape[self.axis] = size
        return inputs.masked_fill(masked.reshape(shape), self.mask_value)

    def get_config(self):
        return {**super().get_config(), "max_width": self.max_width, "count": self.count,
                "mask_value": self.mask_value}


class TimeMasking(_Masking):
    """SpecAugment's time masks: `count` runs of up to `max_width` frames (the last axis) set to `mask_value`, at
    random places in each example, in training only.

    Input: spectrograms (batch, [channels,] frequencies, frames). Output: the same shape.
    """

    axis = -1


class FrequencyMasking(_Masking):
    """SpecAugment's frequency masks: `count` bands of up to `max_width` frequencies (the second-to-last axis) set
    to `mask_value`, at random places in each example, in training only.

    Input: spectrograms (batch, [channels,] frequencies, frames). Output: the same shape.
    """

    axis = -2


class RandomGain(Layer):
    """Multiplies each waveform by a gain drawn uniformly in [min_db, max_db] decibels, in training only."""

    keeps_input_spec = True

    def __init__(self, min_db=-6.0, max_db=6.0, **kwargs):
        super().__init__(**kwargs)
        if not min_db <= max_db:
            raise ValueError(f"RandomGain: min_db={min_db} is above max_db={max_db}.")
        self.min_db, self.max_db = float(min_db), float(max_db)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        shape = (inputs.shape[0],) + (1,) * (inputs.dim() - 1)
        gains_db = torch.rand(shape, device=inputs.device, dtype=inputs.dtype) * (self.max_db - self.min_db)
        return inputs * 10.0 ** ((gains_db + self.min_db) / 20.0)

    def get_config(self):
        return {**super().get_config(), "min_db": self.min_db, "max_db": self.max_db}


class RandomTimeShift(Layer):
    """Shifts each waveform (the last axis) by up to `max_shift` samples either way, filling with zeros, in
    training only. A float in (0, 1) is a fraction of the length."""

    keeps_input_spec = True

    def __init__(self, max_shift=0.1, **kwargs):
        super().__init__(**kwargs)
        fraction = isinstance(max_shift, float) and 0 < max_shift < 1
        if not fraction and not (isinstance(max_shift, numbers.Integral) and max_shift > 0):
            raise ValueError(f"RandomTimeShift: max_shift must be a fraction in (0, 1) or a positive number of "
                             f"samples, received {max_shift!r}.")
        self.max_shift = max_shift

    def call(self, inputs, training=None):
        if not training:
            return inputs
        length = inputs.shape[-1]
        limit = int(self.max_shift * length) if isinstance(self.max_shift, float) else min(self.max_shift, length)
        shifts = torch.randint(-limit, limit + 1, (inputs.shape[0],) + (1,) * (inputs.dim() - 1),
                               device=inputs.device)
        source = torch.arange(length, device=inputs.device) - shifts  # output position t reads input t - shift
        inside = (source >= 0) & (source < length)
        gathered = inputs.gather(-1, source.clamp(0, length - 1).expand_as(inputs))
        return gathered * inside

    def get_config(self):
        return {**super().get_config(), "max_shift": self.max_shift}
