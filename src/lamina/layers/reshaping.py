"""Reshaping layers: Reshape, Permute, RepeatVector, UpSampling1D/2D, ZeroPadding1D/2D, Cropping1D/2D."""
import math

import torch.nn.functional as F

from lamina import legacy
from lamina.engine.base_layer import InputSpec, Layer, format_shape
from lamina.layers.conv import (
    apply_channels_first,
    normalize_choice,
    normalize_data_format,
    normalize_tuple,
    pad_widths,
    spatial_rank_hint,
)
from lamina.layers.core import check_positive_int


def normalize_pairs(layer_name, argument, value, rank):
    """((before, after), ...) per spatial axis from an int, one int per axis (both sides) or one pair per axis.

    For one axis (rank 1) a pair is (before, after), as Keras's ZeroPadding1D(padding=(1, 2)).
    """
    def is_width(width):
        return isinstance(width, int) and not isinstance(width, bool) and width >= 0

    try:
        if is_width(value):
            pairs = ((value, value),) * rank
        elif rank == 1:
            pairs = (tuple(value),)
        else:
            pairs = tuple((item, item) if is_width(item) else tuple(item) for item in value)
        valid = len(pairs) == rank and all(len(pair) == 2 and all(map(is_width, pair)) for pair in pairs)
    except TypeError:
        valid = False
    if not valid:
        forms = ("an int or a pair (before, after)" if rank == 1
                 else f"an int, {rank} ints or {rank} (before, after) pairs")
        example = (1, 2) if rank == 1 else ((1, 2),) * rank
        raise ValueError(
            f"{layer_name}: `{argument}` must be {forms} of ints >= 0; received {value!r}. For example "
            f"{argument}=1 or {argument}={example}."
        )
    return pairs


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (the batch axis is kept).

    Args:
        target_shape: the new shape without the batch axis; one entry may be -1, inferred from the others.

    Input shape: (batch, ...) with as many values per sample as target_shape holds.
    Output shape: (batch,) + target_shape.

    Example:
        >>> model = Sequential([Reshape((1, 28, 28), input_shape=(784,)), Conv2D(8, 3)])
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)
        if (any(isinstance(size, bool) or not isinstance(size, int) or size == 0 or size < -1
                for size in self.target_shape) or self.target_shape.count(-1) > 1):
            raise ValueError(
                f"Reshape: `target_shape` must be positive ints with at most one -1 (inferred); received "
                f"{target_shape!r}. The batch axis is not part of it."
            )

    def call(self, inputs):
        values = math.prod(inputs.shape[1:])
        known = math.prod(size for size in self.target_shape if size != -1)
        inferred = -1 in self.target_shape
        if values % known if inferred else values != known:
            expected = f"a multiple of {known}" if inferred else str(known)
            raise ValueError(
                f"Reshape '{self.name}': cannot reshape an input of shape {format_shape(inputs.shape[1:])} "
                f"({values} values per sample, batch axis excluded) to target_shape "
                f"{format_shape(self.target_shape)} ({expected} values). Change target_shape so the numbers of "
                f"values match."
            )
        return inputs.reshape(inputs.shape[0], *self.target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the axes of each sample: Permute((2, 1)) swaps the two axes after the batch axis.

    Args:
        dims: a permutation of 1..n (the batch axis, 0, stays first), as Keras.

    Input shape: (batch, d1, ..., dn). Output shape: (batch, d[dims[0]], ..., d[dims[n-1]]).

    Example:
        >>> layer = Permute((2, 1))  # (batch, 10, 64) -> (batch, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                f"Permute: `dims` must be a permutation of 1..{len(self.dims)} (axis 0, the batch, is not "
                f"included; axes count from 1); received {dims!r}."
            )
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return inputs.permute(0, *self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats a vector n times: (batch, features) -> (batch, n, features), e.g. to feed a decoder RNN.

    Args:
        n: number of repetitions.

    Example:
        >>> model = Sequential([Dense(32, input_shape=(16,)), RepeatVector(10), LSTM(8, return_sequences=True)])
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = check_positive_int("RepeatVector", "n", n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return inputs.unsqueeze(1).repeat(1, self.n, 1)

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class UpSampling1D(Layer):
    """Repeats each step `size` times: (batch, steps, features) -> (batch, steps * size, features).

    Args:
        size: repetitions of each step.

    Example:
        >>> layer = UpSampling1D(size=2)
    """

    legacy_arguments = legacy.arguments("length")

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = check_positive_int("UpSampling1D", "size", size)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return inputs.repeat_interleave(self.size, dim=1)

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling2D(Layer):
    """Upsamples images by integer factors: rows * size[0], cols * size[1].

    Args:
        size: factors for rows and cols (int or pair).
        data_format: 'channels_first' or 'channels_last'; None: lamina.config.image_data_format().
        interpolation: 'nearest' (repeats pixels) or 'bilinear' (half-pixel centers, as Keras and TensorFlow).

    Input shape: (batch, channels, rows, cols) (channels_first) or (batch, rows, cols, channels).
    Output shape: (batch, channels, rows * size[0], cols * size[1]) or channels_last likewise.

    Example:
        >>> layer = UpSampling2D(size=(2, 2), interpolation="bilinear")
    """

    rank = 2
    legacy_arguments = legacy.arguments("dim_ordering")

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple("UpSampling2D", "size", size, 2)
        self.data_format = normalize_data_format(data_format, self.rank)
        self.interpolation = normalize_choice("UpSampling2D", "interpolation", interpolation, ("nearest", "bilinear"))
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        return apply_channels_first(self._upsample, inputs, self.data_format)

    def _upsample(self, inputs):
        if self.interpolation == "nearest":
            return inputs.repeat_interleave(self.size[0], dim=2).repeat_interleave(self.size[1], dim=3)
        size = (inputs.shape[2] * self.size[0], inputs.shape[3] * self.size[1])
        return F.interpolate(inputs, size=size, mode="bilinear", align_corners=False)

    def rank_hint(self, shape):
        return spatial_rank_hint(self, shape)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}


class _SpatialEdges(Layer):
    """Adds (ZeroPadding) or removes (Cropping) values at both ends of each spatial axis."""

    rank = 2  # spatial axes; the 1D classes override it
    argument = "padding"
    legacy_arguments = legacy.arguments("dim_ordering")

    def __init__(self, widths, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.widths = normalize_pairs(type(self).__name__, self.argument, widths, self.rank)
        self.data_format = normalize_data_format(data_format, self.rank)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def rank_hint(self, shape):
        return spatial_rank_hint(self, shape)

    def get_config(self):
        widths = self.widths[0] if self.rank == 1 else self.widths  # Keras's forms: (1, 2) and ((1, 2), (0, 0))
        return {**super().get_config(), self.argument: widths, "data_format": self.data_format}


class _ZeroPadding(_SpatialEdges):
    def call(self, inputs):
        return apply_channels_first(lambda x: F.pad(x, pad_widths(self.widths)), inputs, self.data_format)


class _Cropping(_SpatialEdges):
    argument = "cropping"

    def call(self, inputs):
        first_axis = 2 if self.data_format == "channels_first" else 1
        slices = [slice(None)] * inputs.ndim
        for axis, (before, after) in enumerate(self.widths, start=first_axis):
            if before + after >= inputs.shape[axis]:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': cropping {(before, after)} removes all "
                    f"{inputs.shape[axis]} values of axis {axis} of an input of shape {format_shape(inputs.shape)}. "
                    f"Crop less."
                )
            slices[axis] = slice(before, inputs.shape[axis] - after)
        return inputs[tuple(slices)]


class ZeroPadding1D(_ZeroPadding):
    """Pads sequences with zero steps at the start and end: (batch, steps, features) -> (batch, a + steps + b, ...).

    Args:
        padding: an int (both ends) or a pair (start, end). Default 1.
        data_format: 'channels_last' (default: (batch, steps, features), as Keras) or 'channels_first'.

    Example:
        >>> layer = ZeroPadding1D(padding=(1, 2))
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Pads images with rows and columns of zeros.

    Args:
        padding: an int (all sides), a pair (rows padded at top and bottom, cols at left and right) or a pair of
            pairs ((top, bottom), (left, right)). Default 1.
        data_format: 'channels_first' or 'channels_last'; None: lamina.config.image_data_format().

    Input shape: (batch, channels, rows, cols) (channels_first) or (batch, rows, cols, channels).
    Output shape: (batch, channels, top + rows + bottom, left + cols + right) or channels_last likewise.

    Example:
        >>> layer = ZeroPadding2D(padding=((1, 0), (1, 0)))
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class Cropping1D(_Cropping):
    """Removes steps at the start and end of sequences: (batch, steps, features) -> (batch, steps - a - b, ...).

    Args:
        cropping: an int (both ends) or a pair (start, end). Default (1, 1).
        data_format: 'channels_last' (default: (batch, steps, features), as Keras) or 'channels_first'.

    Example:
        >>> layer = Cropping1D(cropping=(1, 2))
    """

    rank = 1

    def __init__(self, cropping=(1, 1), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping2D(_Cropping):
    """Removes rows and columns at the edges of images.

    Args:
        cropping: an int (all sides), a pair (rows cropped at top and bottom, cols at left and right) or a pair
            of pairs ((top, bottom), (left, right)). Default 0 (no cropping, as Keras).
        data_format: 'channels_first' or 'channels_last'; None: lamina.config.image_data_format().

    Input shape: (batch, channels, rows, cols) (channels_first) or (batch, rows, cols, channels).
    Output shape: (batch, channels, rows - top - bottom, cols - left - right) or channels_last likewise.

    Example:
        >>> layer = Cropping2D(cropping=((2, 2), (4, 4)))
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)
