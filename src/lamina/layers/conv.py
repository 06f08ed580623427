"""Convolution layers: Conv1D/2D/3D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D and Keras 1's names.

Kernels are stored in PyTorch's layouts (F.conv2d's (out, in / groups, kh, kw)); get_weights()/set_weights() use
Keras 3's ((kh, kw, in / groups, out)). Padding 'same' follows Keras (TensorFlow) exactly: ceil(size / stride)
outputs, with the odd padding pixel at the end (bottom/right), so weights trained in Keras give the same outputs.

The helpers here (normalize_tuple, spatial_padding, ...) are shared with the pooling and reshaping layers.
"""
import torch.nn.functional as F

from lamina import activations, config, constraints, initializers, legacy, regularizers
from lamina.engine import layout
from lamina.engine.base_layer import InputSpec, Layer
from lamina.identifiers import check_choice
from lamina.layers.core import check_positive_int
from lamina.serialization import serialize

CONVOLUTIONS = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
TRANSPOSED_CONVOLUTIONS = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


# ------------------------------------------------------------------------ helpers shared with pooling and reshaping
def normalize_tuple(layer_name, argument, value, rank, minimum=1):
    """A tuple of `rank` ints >= minimum from an int or a sequence (Keras's `kernel_size=3` means (3, 3))."""
    values = (value,) * rank if isinstance(value, int) and not isinstance(value, bool) else value
    try:
        values = tuple(values)
    except TypeError:
        values = None
    if (values is None or len(values) != rank
            or any(isinstance(v, bool) or not isinstance(v, int) or v < minimum for v in values)):
        raise ValueError(
            f"{layer_name}: `{argument}` must be an int or a tuple of {rank} ints, each >= {minimum}; received "
            f"{value!r}."
        )
    return values


def normalize_choice(layer_name, argument, value, choices):
    """A string option (padding, interpolation), lower-cased; a ValueError lists the choices and suggests one."""
    option = value.lower() if isinstance(value, str) else value
    return option if option in choices else check_choice(argument, value, choices, owner=layer_name)


def normalize_data_format(data_format, rank):
    """The data format of a layer with `rank` spatial axes.

    None means 'channels_last' for sequences (rank 1: (batch, steps, features), as Keras and as Embedding
    outputs) and lamina.config.image_data_format() for images and volumes.
    """
    if data_format is None and rank == 1:
        return "channels_last"
    return config.normalize_data_format(data_format)


def same_padding(input_size, kernel_size, stride, dilation=1):
    """(before, after) padding of one axis for Keras's (TensorFlow's) 'same': the odd pixel goes after."""
    effective_kernel = (kernel_size - 1) * dilation + 1
    total = max((-(-input_size // stride) - 1) * stride + effective_kernel - input_size, 0)
    return total // 2, total - total // 2


def transposed_padding(length, kernel_size, stride, dilation, padding, output_padding):
    """torch's (padding, output_padding) and a count to trim at the end giving Keras's (TensorFlow's) output of a
    transposed convolution along one axis.

    Keras's output is a window of the full output ((length - 1) * stride + dilated kernel values): 'valid' starts
    it at 0, 'same' centres it (the odd value cropped at the end). torch's padding=p crops p values at both ends
    and output_padding=q extends the end by q values no input reaches (zeros plus the bias).
    """
    effective_kernel = (kernel_size - 1) * dilation + 1
    full = (length - 1) * stride + effective_kernel
    if padding == "valid":
        default_extension = max(effective_kernel, stride) - effective_kernel
        size = full + (default_extension if output_padding is None else output_padding)
        start = 0
    else:
        size = (length * stride if output_padding is None
                else (length - 1) * stride + effective_kernel % 2 + output_padding)
        start = max((full - size) // 2, 0)
    torch_size = full - 2 * start
    return start, max(size - torch_size, 0), max(torch_size - size, 0)


def pad_widths(pairs):
    """F.pad's flat argument (last axis first) from (before, after) pairs given first axis first."""
    return [width for pair in reversed(pairs) for width in pair]


def spatial_padding(inputs, padding, kernel_size, strides, dilation_rate=None, value=0.0):
    """Pads channels_first `inputs` for a padding mode; returns (inputs, the `padding` for the torch op).

    Symmetric 'same' padding is left to the torch op (no copy); asymmetric 'same' and 'causal' (left only)
    padding use F.pad with `value`.
    """
    dilation_rate = dilation_rate or (1,) * len(kernel_size)
    if padding == "valid":
        return inputs, 0
    if padding == "causal":
        return F.pad(inputs, ((kernel_size[0] - 1) * dilation_rate[0], 0), value=value), 0
    pairs = [same_padding(size, kernel, stride, dilation) for size, kernel, stride, dilation
             in zip(inputs.shape[2:], kernel_size, strides, dilation_rate)]
    if all(before == after for before, after in pairs):
        return inputs, [before for before, _ in pairs]
    return F.pad(inputs, pad_widths(pairs), value=value), 0


def apply_channels_first(function, inputs, data_format):
    """function(inputs) computed channels_first: channels_last inputs are moved there and back (views)."""
    if data_format == "channels_first":
        return function(inputs)
    return function(inputs.movedim(-1, 1)).movedim(1, -1)


def spatial_rank_hint(layer, shape):
    """The advice for an input of the wrong rank given to a layer with `layer.rank` spatial axes."""
    names = {1: "steps", 2: "rows, cols", 3: "dim1, dim2, dim3"}[layer.rank]
    expected = (f"(batch, channels, {names})" if layer.data_format == "channels_first"
                else f"(batch, {names}, channels)")
    hint = f" {type(layer).__name__} takes {expected} (data_format='{layer.data_format}')."
    if len(shape) == layer.rank + 1:
        sizes = tuple(shape[1:])
        target = (1,) + sizes if layer.data_format == "channels_first" else sizes + (1,)
        hint += f" The input seems to have no channel axis: add one, e.g. with Reshape({target}) first."
    return hint


class _DepthwiseKernel(layout.Layout):
    """Depthwise kernels: torch (in * depth_multiplier, 1, *k) <-> Keras (*k, in, depth_multiplier)."""

    def __init__(self, depth_multiplier):
        self.depth_multiplier = depth_multiplier

    def to_keras(self, tensor):
        split = tensor.reshape(-1, self.depth_multiplier, *tensor.shape[2:])
        return split.permute(*range(2, split.ndim), 0, 1)

    def from_keras(self, tensor):
        rank = tensor.ndim - 2
        channels_first = tensor.permute(rank, rank + 1, *range(rank))
        return layout.stored(channels_first.reshape(-1, 1, *channels_first.shape[2:]))


# ------------------------------------------------------------------------ layers
class _Convolution(Layer):
    """What every convolution shares: kernel size, strides, padding, dilation, data format, bias and activation.

    A subclass sets `rank`, creates its kernels in build_kernels(input_channels), says how many channels it
    outputs, and computes in convolve(inputs) on channels_first tensors (bias included).
    """

    rank = 2  # spatial axes; Conv1D and Conv3D override it
    paddings = ("valid", "same")
    legacy_arguments = legacy.arguments("border_mode", "subsample", "dim_ordering", "atrous_rate", "b_regularizer",
                                        "b_constraint", "bias")

    def __init__(self, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, activation=None,
                 use_bias=True, bias_initializer="zeros", bias_regularizer=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        self.kernel_size = normalize_tuple(name, "kernel_size", kernel_size, self.rank)
        self.strides = normalize_tuple(name, "strides", strides, self.rank)
        self.padding = normalize_choice(name, "padding", padding, self.paddings)
        self.data_format = normalize_data_format(data_format, self.rank)
        self.dilation_rate = normalize_tuple(name, "dilation_rate", dilation_rate, self.rank)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    @property
    def channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def build(self, input_shape):
        channels = input_shape[self.channel_axis]
        if channels is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the channel axis ({self.channel_axis}) of the input must be "
                f"known, received shape {input_shape}. Give the input a channel size, or set data_format."
            )
        self.build_kernels(channels)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.output_channels(channels),), self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self.channel_axis: channels})

    def call(self, inputs):
        return activations.apply_to_fresh(self.activation, apply_channels_first(self.convolve, inputs,
                                                                                self.data_format))

    def pad(self, inputs):
        """(inputs, torch padding) for this layer's padding mode (see spatial_padding)."""
        return spatial_padding(inputs, self.padding, self.kernel_size, self.strides, self.dilation_rate)

    def rank_hint(self, shape):
        return spatial_rank_hint(self, shape)

    def serialized(self, *names):
        """{name: serialized attribute} for initializers, regularizers and constraints."""
        return {name: serialize(getattr(self, name)) for name in names}

    def get_config(self):
        return {
            **super().get_config(), "kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding, "data_format": self.data_format, "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            **self.serialized("bias_initializer", "bias_regularizer", "bias_constraint"),
        }


class _Conv(_Convolution):
    """An N-D convolution (Conv1D/2D/3D): activation(conv(inputs, kernel) + bias)."""

    legacy_arguments = {**_Convolution.legacy_arguments, **legacy.arguments(
        "nb_filter", "filter_length", "subsample_length", "init", "W_regularizer", "W_constraint")}

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, groups=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self.filters = check_positive_int(type(self).__name__, "filters", filters)
        self.groups = check_positive_int(type(self).__name__, "groups", groups)
        if filters % groups:
            raise ValueError(f"{type(self).__name__}: `filters` ({filters}) must be a multiple of `groups` "
                             f"({groups}).")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def build_kernels(self, input_channels):
        if input_channels % self.groups:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the input's {input_channels} channels must be a multiple of "
                f"`groups` ({self.groups}). Change `groups` or the number of input channels."
            )
        self.kernel = self.add_weight("kernel", self.kernel_size + (input_channels // self.groups, self.filters),
                                      self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, layout=layout.conv_kernel(self.rank))

    def output_channels(self, input_channels):
        return self.filters

    def convolve(self, inputs):
        inputs, padding = self.pad(inputs)
        return CONVOLUTIONS[self.rank](inputs, self.kernel, self.bias, self.strides, padding, self.dilation_rate,
                                       self.groups)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "groups": self.groups,
                **self.serialized("kernel_initializer", "kernel_regularizer", "kernel_constraint")}


class Conv1D(_Conv):
    """1-D convolution over sequences (temporal convolution).

    Args:
        filters: number of output channels.
        kernel_size: window length (int or 1-tuple).
        strides: step of the window.
        padding: 'valid' (no padding), 'same' (ceil(steps / strides) outputs, as Keras) or 'causal' (left
            padding only: output t sees inputs up to t, as in WaveNet).
        data_format: 'channels_last' (default, unlike lamina's images: sequences are (batch, steps, features),
            as Embedding outputs and Keras) or 'channels_first'.
        dilation_rate: spacing of the kernel taps.
        groups: split the channels in groups convolved separately (input channels and filters divisible by it).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        kernel_constraint, bias_constraint: as in Dense.

    Input shape: (batch, steps, channels) (channels_last) or (batch, channels, steps).
    Output shape: (batch, new_steps, filters) or (batch, filters, new_steps).

    Example:
        >>> model = Sequential([Embedding(1000, 32, input_shape=(50,)), Conv1D(64, 5, activation="relu")])
    """

    rank = 1
    paddings = ("valid", "same", "causal")


class Conv2D(_Conv):
    """2-D convolution over images.

    Args:
        filters: number of output channels.
        kernel_size: window size (int or (rows, cols)).
        strides: step of the window (int or pair).
        padding: 'valid' (no padding) or 'same' (ceil(size / strides) outputs; the odd padding pixel at the
            bottom/right, as Keras and TensorFlow).
        data_format: 'channels_first' (batch, channels, rows, cols) or 'channels_last'; None:
            lamina.config.image_data_format() ('channels_first' unless set).
        dilation_rate: spacing of the kernel taps (atrous convolution).
        groups: split the channels in groups convolved separately (input channels and filters divisible by it).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        kernel_constraint, bias_constraint: as in Dense.

    Input shape: (batch, channels, rows, cols) (channels_first) or (batch, rows, cols, channels).
    Output shape: (batch, filters, new_rows, new_cols) or (batch, new_rows, new_cols, filters).

    Example:
        >>> model = Sequential([Conv2D(32, (3, 3), activation="relu", input_shape=(3, 100, 100)), MaxPooling2D()])
    """



class Conv3D(_Conv):
    """3-D convolution over volumes (or video: frames x rows x cols).

    Args: as Conv2D, with kernel_size, strides and dilation_rate given as an int or a triple.

    Input shape: (batch, channels, dim1, dim2, dim3) (channels_first) or (batch, dim1, dim2, dim3, channels).
    Output shape: (batch, filters, new_dim1, new_dim2, new_dim3) or (batch, new_dim1, new_dim2, new_dim3, filters).

    Example:
        >>> layer = Conv3D(8, 3, padding="same", input_shape=(1, 16, 32, 32))
    """

    rank = 3


class Conv2DTranspose(_Convolution):
    """Transposed 2-D convolution ("deconvolution"): the gradient of Conv2D, used to upsample feature maps.

    Args:
        filters, kernel_size, strides, data_format, dilation_rate, activation, use_bias, initializers,
        regularizers, constraints: as Conv2D.
        padding: 'valid': output size (size - 1) * strides + max(kernel, strides); 'same': size * strides.
        output_padding: None (the sizes above) or an int/pair < strides, to pick among the sizes a strided
            Conv2D maps to the same size: output size (size - 1) * strides + kernel + output_padding ('valid')
            or (size - 1) * strides + kernel % 2 + output_padding ('same'), as Keras (kernel dilated).

    Input shape: (batch, channels, rows, cols) (channels_first) or (batch, rows, cols, channels).
    Output shape: (batch, filters, new_rows, new_cols) or (batch, new_rows, new_cols, filters).

    Example:
        >>> layer = Conv2DTranspose(16, 3, strides=2, padding="same")  # (batch, c, 7, 7) -> (batch, 16, 14, 14)
    """

    legacy_arguments = _Conv.legacy_arguments

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self.filters = check_positive_int(type(self).__name__, "filters", filters)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = normalize_tuple(type(self).__name__, "output_padding", output_padding, self.rank, 0)
            if any(extra >= stride for extra, stride in zip(self.output_padding, self.strides)):
                raise ValueError(f"{type(self).__name__}: each `output_padding` {self.output_padding} must be smaller "
                                 f"than the `strides` {self.strides}.")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def build_kernels(self, input_channels):
        # torch's transposed kernel is (in, out, kh, kw) and Keras's (kh, kw, out, in): the same permutation.
        self.kernel = self.add_weight("kernel", self.kernel_size + (self.filters, input_channels),
                                      self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, layout=layout.conv_kernel(self.rank))

    def output_channels(self, input_channels):
        return self.filters

    def convolve(self, inputs):
        output_paddings = self.output_padding or (None,) * self.rank
        paddings, extensions, trims = zip(*map(transposed_padding, inputs.shape[2:], self.kernel_size, self.strides,
                                               self.dilation_rate, (self.padding,) * self.rank, output_paddings))
        outputs = TRANSPOSED_CONVOLUTIONS[self.rank](inputs, self.kernel, self.bias, self.strides, paddings,
                                                     extensions, 1, self.dilation_rate)
        if any(trims):
            outputs = outputs[(slice(None), slice(None)) + tuple(slice(None, -trim or None) for trim in trims)]
        return outputs

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "output_padding": self.output_padding,
                **self.serialized("kernel_initializer", "kernel_regularizer", "kernel_constraint")}


class DepthwiseConv2D(_Convolution):
    """Depthwise 2-D convolution: each input channel is convolved with its own `depth_multiplier` kernels.

    Args:
        kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias: as Conv2D.
        depth_multiplier: output channels per input channel.
        depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer, depthwise_constraint,
        bias_constraint: as Dense's kernel and bias ones.

    Input shape: (batch, channels, rows, cols) (channels_first) or (batch, rows, cols, channels).
    Output shape: (batch, channels * depth_multiplier, new_rows, new_cols) or channels_last likewise. Output
    channel c * depth_multiplier + m comes from input channel c (as Keras); get_weights() gives the kernel as
    (rows, cols, channels, depth_multiplier).

    Example:
        >>> layer = DepthwiseConv2D(3, padding="same", depth_multiplier=2)
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = check_positive_int(type(self).__name__, "depth_multiplier", depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def build_kernels(self, input_channels):
        self.kernel = self.add_weight("kernel", self.kernel_size + (input_channels, self.depth_multiplier),
                                      self.depthwise_initializer, regularizer=self.depthwise_regularizer,
                                      constraint=self.depthwise_constraint,
                                      layout=_DepthwiseKernel(self.depth_multiplier))

    def output_channels(self, input_channels):
        return input_channels * self.depth_multiplier

    def convolve(self, inputs):
        inputs, padding = self.pad(inputs)
        return CONVOLUTIONS[self.rank](inputs, self.kernel, self.bias, self.strides, padding, self.dilation_rate,
                                       inputs.shape[1])

    def get_config(self):
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier,
                **self.serialized("depthwise_initializer", "depthwise_regularizer", "depthwise_constraint")}


class SeparableConv2D(_Convolution):
    """Depthwise separable 2-D convolution: a DepthwiseConv2D, then a 1x1 Conv2D mixing the channels.

    Far fewer weights than Conv2D for the same output (Xception, MobileNet).

    Args:
        filters: output channels of the pointwise (1x1) convolution.
        kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias: as Conv2D.
        depth_multiplier: depthwise output channels per input channel.
        depthwise_*, pointwise_*, bias_* initializer, regularizer and constraint: as Dense's.

    Input shape: (batch, channels, rows, cols) (channels_first) or (batch, rows, cols, channels).
    Output shape: (batch, filters, new_rows, new_cols) or (batch, new_rows, new_cols, filters).
    get_weights(): depthwise kernel (rows, cols, channels, depth_multiplier), pointwise kernel
    (1, 1, channels * depth_multiplier, filters), bias (filters,) (as Keras).

    Example:
        >>> layer = SeparableConv2D(64, 3, padding="same", activation="relu")
    """

    legacy_arguments = {**_Convolution.legacy_arguments, **legacy.arguments("nb_filter")}

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         bias_constraint=bias_constraint, **kwargs)
        self.filters = check_positive_int(type(self).__name__, "filters", filters)
        self.depth_multiplier = check_positive_int(type(self).__name__, "depth_multiplier", depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build_kernels(self, input_channels):
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", self.kernel_size + (input_channels, self.depth_multiplier),
            self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, layout=_DepthwiseKernel(self.depth_multiplier))
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", (1,) * self.rank + (input_channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint, layout=layout.conv_kernel(self.rank))

    def output_channels(self, input_channels):
        return self.filters

    def convolve(self, inputs):
        inputs, padding = self.pad(inputs)
        convolution = CONVOLUTIONS[self.rank]
        depthwise = convolution(inputs, self.depthwise_kernel, None, self.strides, padding, self.dilation_rate,
                                inputs.shape[1])
        return convolution(depthwise, self.pointwise_kernel, self.bias)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "depth_multiplier": self.depth_multiplier,
                **self.serialized("depthwise_initializer", "pointwise_initializer", "depthwise_regularizer",
                                  "pointwise_regularizer", "depthwise_constraint", "pointwise_constraint")}


# ------------------------------------------------------------------------ Keras 1 names
def legacy_kernel_size(layer_name, kernel_size, sizes):
    """kernel_size from Keras 1's one int per axis (nb_row, nb_col) or Keras 3's single int/tuple."""
    given = [size for size in sizes if size is not None]
    if kernel_size is not None and given:
        raise TypeError(f"{layer_name}: pass the kernel size either as `kernel_size` or as {len(sizes)} ints "
                        f"(Keras 1), not both; received kernel_size={kernel_size!r} and {tuple(given)}.")
    if kernel_size is not None:
        return kernel_size
    if len(given) == 1 and sizes[0] is not None:
        return given[0]
    if len(given) == len(sizes):
        return tuple(given)
    raise TypeError(
        f"{layer_name}: give the kernel size as one int per axis (Keras 1: {layer_name}(64, "
        f"{', '.join(['3'] * len(sizes))})) or as kernel_size={(3,) * len(sizes)}; received {tuple(sizes)}. "
        f"Strides and the other arguments after the kernel size must be passed by keyword."
    )


Convolution1D = Conv1D  # Keras 1's Convolution1D(nb_filter, filter_length, ...) has Conv1D's positional order.


class Convolution2D(Conv2D):
    """Keras 1's Convolution2D(nb_filter, nb_row, nb_col, ...): Conv2D with the kernel given as two ints.

    Convolution2D(64, 3, 3) is 64 filters of 3x3 (as in Keras 1); Convolution2D(64, 3), Convolution2D(64, (3, 3))
    and Convolution2D(64, kernel_size=3) mean the same. Arguments after the kernel size go by keyword; Keras 1
    names (border_mode, subsample, dim_ordering, init, W_regularizer, bias...) are translated with a warning.
    get_config() gives Keras 3's keys (filters, kernel_size, ...).

    Example:
        >>> layer = Convolution2D(64, 3, 3, border_mode="same", activation="relu")
    """

    def __init__(self, filters, nb_row=None, nb_col=None, kernel_size=None, **kwargs):
        super().__init__(filters, legacy_kernel_size("Convolution2D", kernel_size, (nb_row, nb_col)), **kwargs)


class AtrousConvolution2D(Convolution2D):
    """Keras 1's AtrousConvolution2D(nb_filter, nb_row, nb_col, atrous_rate=(2, 2)): a dilated Convolution2D."""


class Convolution3D(Conv3D):
    """Keras 1's Convolution3D(nb_filter, kernel_dim1, kernel_dim2, kernel_dim3, ...): Conv3D with three ints.

    As Convolution2D: Convolution3D(8, 3, 3, 3) is 8 filters of 3x3x3; kernel_size=3 works too.
    """

    def __init__(self, filters, kernel_dim1=None, kernel_dim2=None, kernel_dim3=None, kernel_size=None, **kwargs):
        super().__init__(filters, legacy_kernel_size("Convolution3D", kernel_size,
                                                     (kernel_dim1, kernel_dim2, kernel_dim3)), **kwargs)


class SeparableConvolution2D(SeparableConv2D):
    """Keras 1's SeparableConvolution2D(nb_filter, nb_row, nb_col, ...): SeparableConv2D with two ints.

    As Convolution2D: SeparableConvolution2D(64, 3, 3) is 64 filters with a 3x3 depthwise kernel.
    """

    def __init__(self, filters, nb_row=None, nb_col=None, kernel_size=None, **kwargs):
        super().__init__(filters, legacy_kernel_size("SeparableConvolution2D", kernel_size, (nb_row, nb_col)),
                         **kwargs)
