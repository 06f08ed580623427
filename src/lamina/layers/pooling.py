"""Pooling layers: max and average pooling over windows (1-D, 2-D, 3-D) and over whole axes (global pooling).

Padding 'same' follows Keras (TensorFlow): ceil(size / strides) outputs, the odd padding pixel at the end; max
pooling ignores the padding (it pads with -inf) and average pooling averages only the input values in each
window (the padding is not counted).
"""
import torch
import torch.nn.functional as F

from lamina import legacy
from lamina.engine.base_layer import InputSpec, Layer
from lamina.layers.conv import (
    apply_channels_first,
    normalize_choice,
    normalize_data_format,
    normalize_tuple,
    spatial_padding,
    spatial_rank_hint,
)

MAX_POOLS = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
AVERAGE_POOLS = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


class _Pooling(Layer):
    """Pooling over windows of `pool_size`, moved by `strides`; subclasses set `rank` and implement pool()."""

    rank = 2  # spatial axes; the 1D and 3D classes override it
    legacy_arguments = legacy.arguments("pool_length", "stride", "border_mode", "dim_ordering")

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        self.pool_size = normalize_tuple(name, "pool_size", pool_size, self.rank)
        self.strides = self.pool_size if strides is None else normalize_tuple(name, "strides", strides, self.rank)
        self.padding = normalize_choice(name, "padding", padding, ("valid", "same"))
        self.data_format = normalize_data_format(data_format, self.rank)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        return apply_channels_first(self.pool, inputs, self.data_format)

    def rank_hint(self, shape):
        return spatial_rank_hint(self, shape)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format}


class _MaxPooling(_Pooling):
    """Max pooling; 'same' pads with -inf, so the padding never wins."""

    def pool(self, inputs):
        inputs, padding = spatial_padding(inputs, self.padding, self.pool_size, self.strides, value=float("-inf"))
        return MAX_POOLS[self.rank](inputs, self.pool_size, self.strides, padding)


class _AveragePooling(_Pooling):
    """Average pooling; with 'same' only the input values of a window are averaged (as TensorFlow)."""

    def pool(self, inputs):
        padded, padding = spatial_padding(inputs, self.padding, self.pool_size, self.strides)
        outputs = AVERAGE_POOLS[self.rank](padded, self.pool_size, self.strides, padding, count_include_pad=False)
        if padded is not inputs:  # asymmetric 'same': divide by each window's share of input values
            ones, _ = spatial_padding(torch.ones_like(inputs[:1, :1]), self.padding, self.pool_size, self.strides)
            outputs = outputs / AVERAGE_POOLS[self.rank](ones, self.pool_size, self.strides)
        return outputs


class MaxPooling2D(_MaxPooling):
    """Max pooling over images: each output is the maximum of a window of `pool_size`.

    Args:
        pool_size: window size (int or pair); default (2, 2).
        strides: step of the window (int or pair); None: pool_size (windows do not overlap).
        padding: 'valid' (windows inside the input) or 'same' (ceil(size / strides) outputs, the odd padding
            pixel at the bottom/right, as Keras; the padding never wins the maximum).
        data_format: 'channels_first' or 'channels_last'; None: lamina.config.image_data_format().

    Input shape: (batch, channels, rows, cols) (channels_first) or (batch, rows, cols, channels).
    Output shape: the same with rows and cols reduced to (size - pool_size) // strides + 1 ('valid') or
    ceil(size / strides) ('same').

    Example:
        >>> model = Sequential([Conv2D(32, 3, input_shape=(3, 32, 32)), MaxPooling2D(pool_size=(2, 2))])
    """



class MaxPooling1D(_MaxPooling):
    """Max pooling over sequences: as MaxPooling2D along the steps axis.

    pool_size and strides are ints; data_format defaults to 'channels_last' (batch, steps, features), as
    Keras and Embedding outputs.

    Input shape: (batch, steps, features) (channels_last) or (batch, features, steps).
    Output shape: the same with steps reduced as in MaxPooling2D.
    """

    rank = 1


class MaxPooling3D(_MaxPooling):
    """Max pooling over volumes: as MaxPooling2D over three spatial axes (pool_size default (2, 2, 2)).

    Input shape: (batch, channels, dim1, dim2, dim3) (channels_first) or (batch, dim1, dim2, dim3, channels).
    Output shape: the same with the spatial sizes reduced as in MaxPooling2D.
    """

    rank = 3


class AveragePooling2D(_AveragePooling):
    """Average pooling over images: each output is the mean of a window of `pool_size`.

    Args:
        pool_size: window size (int or pair); default (2, 2).
        strides: step of the window (int or pair); None: pool_size (windows do not overlap).
        padding: 'valid' (windows inside the input) or 'same' (ceil(size / strides) outputs, the odd padding
            pixel at the bottom/right; as Keras (TensorFlow), a window's mean counts only its input values).
        data_format: 'channels_first' or 'channels_last'; None: lamina.config.image_data_format().

    Input shape: (batch, channels, rows, cols) (channels_first) or (batch, rows, cols, channels).
    Output shape: the same with rows and cols reduced to (size - pool_size) // strides + 1 ('valid') or
    ceil(size / strides) ('same').

    Example:
        >>> layer = AveragePooling2D(pool_size=3, strides=2, padding="same")
    """



class AveragePooling1D(_AveragePooling):
    """Average pooling over sequences: as AveragePooling2D along the steps axis.

    pool_size and strides are ints; data_format defaults to 'channels_last' (batch, steps, features), as
    Keras and Embedding outputs.

    Input shape: (batch, steps, features) (channels_last) or (batch, features, steps).
    Output shape: the same with steps reduced as in AveragePooling2D.
    """

    rank = 1


class AveragePooling3D(_AveragePooling):
    """Average pooling over volumes: as AveragePooling2D over three spatial axes (pool_size default (2, 2, 2)).

    Input shape: (batch, channels, dim1, dim2, dim3) (channels_first) or (batch, dim1, dim2, dim3, channels).
    Output shape: the same with the spatial sizes reduced as in AveragePooling2D.
    """

    rank = 3


class _GlobalPooling(Layer):
    """Pooling over all spatial axes; subclasses set `rank` and implement reduce(inputs, axes)."""

    rank = 2  # spatial axes; the 1D and 3D classes override it
    legacy_arguments = legacy.arguments("dim_ordering")

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, self.rank)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    @property
    def spatial_axes(self):
        first = 2 if self.data_format == "channels_first" else 1
        return tuple(range(first, first + self.rank))

    def rank_hint(self, shape):
        return spatial_rank_hint(self, shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class _GlobalMaxPooling(_GlobalPooling):
    def call(self, inputs):
        return inputs.amax(dim=self.spatial_axes, keepdim=self.keepdims)


class _GlobalAveragePooling(_GlobalPooling):
    def call(self, inputs):
        return inputs.mean(dim=self.spatial_axes, keepdim=self.keepdims)


class GlobalMaxPooling2D(_GlobalMaxPooling):
    """Global max pooling over images: the maximum of each channel over rows and columns.

    Args:
        data_format: 'channels_first' or 'channels_last'; None: lamina.config.image_data_format().
        keepdims: keep the pooled axes, with size 1 (default False).

    Input shape: (batch, channels, rows, cols) (channels_first) or (batch, rows, cols, channels).
    Output shape: (batch, channels); with keepdims (batch, channels, 1, 1) or (batch, 1, 1, channels).

    Example:
        >>> model = Sequential([Conv2D(8, 3, input_shape=(3, 32, 32)), GlobalMaxPooling2D(), Dense(10)])
    """



class GlobalMaxPooling1D(_GlobalMaxPooling):
    """Global max pooling over sequences: the maximum of each feature over the steps (a mask is ignored, as Keras).

    data_format defaults to 'channels_last' (batch, steps, features), as Keras and Embedding outputs.

    Input shape: (batch, steps, features) (channels_last) or (batch, features, steps).
    Output shape: (batch, features); with keepdims the steps axis is kept with size 1.
    """

    rank = 1


class GlobalMaxPooling3D(_GlobalMaxPooling):
    """Global max pooling over volumes: as GlobalMaxPooling2D over three spatial axes.

    Input shape: (batch, channels, dim1, dim2, dim3) (channels_first) or (batch, dim1, dim2, dim3, channels).
    Output shape: (batch, channels); with keepdims the spatial axes are kept with size 1.
    """

    rank = 3


class GlobalAveragePooling2D(_GlobalAveragePooling):
    """Global average pooling over images: the mean of each channel over rows and columns.

    Args:
        data_format: 'channels_first' or 'channels_last'; None: lamina.config.image_data_format().
        keepdims: keep the pooled axes, with size 1 (default False).

    Input shape: (batch, channels, rows, cols) (channels_first) or (batch, rows, cols, channels).
    Output shape: (batch, channels); with keepdims (batch, channels, 1, 1) or (batch, 1, 1, channels).

    Example:
        >>> model = Sequential([Conv2D(8, 3, input_shape=(3, 32, 32)), GlobalAveragePooling2D(), Dense(10)])
    """



class GlobalAveragePooling1D(_GlobalAveragePooling):
    """Global average pooling over sequences: the mean of each feature over the steps.

    A mask (batch, steps), e.g. from Embedding(mask_zero=True), leaves the masked steps out of the means.
    data_format defaults to 'channels_last' (batch, steps, features), as Keras and Embedding outputs.

    Input shape: (batch, steps, features) (channels_last) or (batch, features, steps).
    Output shape: (batch, features); with keepdims the steps axis is kept with size 1.

    Example:
        >>> model = Sequential([Embedding(1000, 16, mask_zero=True), GlobalAveragePooling1D(), Dense(1)])
    """

    rank = 1

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        mask = mask.bool().unsqueeze(1 if self.data_format == "channels_first" else 2)
        total = inputs.where(mask, 0).sum(dim=self.spatial_axes, keepdim=self.keepdims)
        return total / mask.sum(dim=self.spatial_axes, keepdim=self.keepdims)


class GlobalAveragePooling3D(_GlobalAveragePooling):
    """Global average pooling over volumes: as GlobalAveragePooling2D over three spatial axes.

    Input shape: (batch, channels, dim1, dim2, dim3) (channels_first) or (batch, dim1, dim2, dim3, channels).
    Output shape: (batch, channels); with keepdims the spatial axes are kept with size 1.
    """

    rank = 3


# Keras's short names.
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
