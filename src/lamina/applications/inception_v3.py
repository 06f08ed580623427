"""InceptionV3 (Szegedy et al., 2015): torchvision's architecture and weights, Keras's block names.

Keras numbers its convolutions automatically (conv2d_93), so they take torchvision's module names instead:
torchvision's `Mixed_5b.branch1x1` is `Mixed_5b_branch1x1_conv`, `_bn` and `_relu` here. The block outputs are
Keras's `mixed0` ... `mixed10`. torchvision's auxiliary classifier (`AuxLogits`) only trains; it is left out.
"""
import torch

from lamina.applications import imagenet
from lamina.applications.building import Application, Checkpoint, build, channel_axis
from lamina.engine.base_layer import Layer
from lamina.layers import (Activation, AveragePooling2D, BatchNormalization, Concatenate, Conv2D, Dense, Dropout,
                           GlobalAveragePooling2D, MaxPooling2D, ZeroPadding2D)

# torchvision's pretrained model maps ImageNet-normalised inputs to the [-1, 1] scaling its Google weights expect:
# x * std / 0.5 + (mean - 0.5) / 0.5 per channel.
TRANSFORM_SCALE = tuple(std / 0.5 for std in imagenet.STD)
TRANSFORM_OFFSET = tuple((mean - 0.5) / 0.5 for mean in imagenet.MEAN)


class ChannelTransform(Layer):
    """x * scale[c] + offset[c] for each channel c: a fixed per-channel affine map, without weights.

    Args:
        scale, offset: one number per channel.
        axis: the channel axis: 1 (channels_first) or -1 (channels_last).

    Example:
        >>> x = ChannelTransform((2.0, 1.0, 1.0), (0.0, 0.5, -0.5), axis=1)(x)
    """

    def __init__(self, scale, offset, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = tuple(float(s) for s in scale), tuple(float(o) for o in offset)
        if len(self.scale) != len(self.offset):
            raise ValueError(f"ChannelTransform: `scale` and `offset` need one number per channel each, received "
                             f"{len(self.scale)} and {len(self.offset)}.")
        self.axis = int(axis)

    def call(self, inputs):
        scale, offset = self._constants(inputs)
        return inputs * scale + offset

    def _constants(self, inputs):
        """(scale, offset) as tensors shaped to broadcast over `inputs`, made once per dtype, device and rank
        (not per call: on a GPU each would be a host-to-device copy). Not weights: nothing to save or train."""
        key = (inputs.dtype, inputs.device, inputs.ndim)
        cache = self.__dict__.setdefault("_constant_tensors", {})
        if key not in cache:
            shape = [1] * inputs.ndim
            shape[self.axis] = -1
            cache[key] = tuple(torch.tensor(values, dtype=inputs.dtype, device=inputs.device).view(shape)
                               for values in (self.scale, self.offset))
        return cache[key]

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset, "axis": self.axis}


class _Layers:
    """Layers in one data format, named after torchvision's modules, their weights' sources recorded."""

    def __init__(self, data_format, sources):
        self.data_format, self.sources = data_format, sources
        self.channel_axis = channel_axis(data_format)

    def conv(self, x, module, filters, kernel_size, strides=1, padding="same"):
        """torchvision's BasicConv2d `module`: a convolution without bias, BatchNormalization and ReLU."""
        name = module.replace(".", "_")
        x = Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=False,
                   data_format=self.data_format, name=self.sources.add(f"{name}_conv", f"{module}.conv"))(x)
        x = BatchNormalization(axis=self.channel_axis, momentum=0.9, epsilon=1e-3,
                               name=self.sources.add(f"{name}_bn", f"{module}.bn"))(x)
        return Activation("relu", name=f"{name}_relu")(x)

    def concat(self, tensors, name):
        return Concatenate(axis=self.channel_axis, name=name)(tensors)

    def average_pool(self, x, module):
        """torchvision's 3x3 average pooling with 1 pixel of padding, which counts the padded zeros."""
        x = ZeroPadding2D(1, data_format=self.data_format, name=f"{module}_avg_pool_pad")(x)
        return AveragePooling2D(3, strides=1, data_format=self.data_format, name=f"{module}_avg_pool")(x)

    def max_pool(self, x, name):
        return MaxPooling2D(3, strides=2, data_format=self.data_format, name=name)(x)


def _block_a(layers, x, module, pool_filters, name):
    branch1x1 = layers.conv(x, f"{module}.branch1x1", 64, 1)
    branch5x5 = layers.conv(x, f"{module}.branch5x5_1", 48, 1)
    branch5x5 = layers.conv(branch5x5, f"{module}.branch5x5_2", 64, 5)
    branch3x3dbl = layers.conv(x, f"{module}.branch3x3dbl_1", 64, 1)
    branch3x3dbl = layers.conv(branch3x3dbl, f"{module}.branch3x3dbl_2", 96, 3)
    branch3x3dbl = layers.conv(branch3x3dbl, f"{module}.branch3x3dbl_3", 96, 3)
    branch_pool = layers.conv(layers.average_pool(x, module), f"{module}.branch_pool", pool_filters, 1)
    return layers.concat([branch1x1, branch5x5, branch3x3dbl, branch_pool], name)


def _block_b(layers, x, module, name):
    branch3x3 = layers.conv(x, f"{module}.branch3x3", 384, 3, strides=2, padding="valid")
    branch3x3dbl = layers.conv(x, f"{module}.branch3x3dbl_1", 64, 1)
    branch3x3dbl = layers.conv(branch3x3dbl, f"{module}.branch3x3dbl_2", 96, 3)
    branch3x3dbl = layers.conv(branch3x3dbl, f"{module}.branch3x3dbl_3", 96, 3, strides=2, padding="valid")
    branch_pool = layers.max_pool(x, f"{module}_max_pool")
    return layers.concat([branch3x3, branch3x3dbl, branch_pool], name)


def _block_c(layers, x, module, channels_7x7, name):
    c7 = channels_7x7
    branch1x1 = layers.conv(x, f"{module}.branch1x1", 192, 1)
    branch7x7 = layers.conv(x, f"{module}.branch7x7_1", c7, 1)
    branch7x7 = layers.conv(branch7x7, f"{module}.branch7x7_2", c7, (1, 7))
    branch7x7 = layers.conv(branch7x7, f"{module}.branch7x7_3", 192, (7, 1))
    branch7x7dbl = layers.conv(x, f"{module}.branch7x7dbl_1", c7, 1)
    for index, (filters, kernel_size) in enumerate(((c7, (7, 1)), (c7, (1, 7)), (c7, (7, 1)), (192, (1, 7))), 2):
        branch7x7dbl = layers.conv(branch7x7dbl, f"{module}.branch7x7dbl_{index}", filters, kernel_size)
    branch_pool = layers.conv(layers.average_pool(x, module), f"{module}.branch_pool", 192, 1)
    return layers.concat([branch1x1, branch7x7, branch7x7dbl, branch_pool], name)


def _block_d(layers, x, module, name):
    branch3x3 = layers.conv(x, f"{module}.branch3x3_1", 192, 1)
    branch3x3 = layers.conv(branch3x3, f"{module}.branch3x3_2", 320, 3, strides=2, padding="valid")
    branch7x7x3 = layers.conv(x, f"{module}.branch7x7x3_1", 192, 1)
    branch7x7x3 = layers.conv(branch7x7x3, f"{module}.branch7x7x3_2", 192, (1, 7))
    branch7x7x3 = layers.conv(branch7x7x3, f"{module}.branch7x7x3_3", 192, (7, 1))
    branch7x7x3 = layers.conv(branch7x7x3, f"{module}.branch7x7x3_4", 192, 3, strides=2, padding="valid")
    branch_pool = layers.max_pool(x, f"{module}_max_pool")
    return layers.concat([branch3x3, branch7x7x3, branch_pool], name)


def _block_e(layers, x, module, index, name):
    """Keras names the 1x3/3x1 pair's concatenation of the first and second E block mixed9_0 and mixed9_1."""
    branch1x1 = layers.conv(x, f"{module}.branch1x1", 320, 1)
    branch3x3 = layers.conv(x, f"{module}.branch3x3_1", 384, 1)
    branch3x3 = layers.concat([layers.conv(branch3x3, f"{module}.branch3x3_2a", 384, (1, 3)),
                               layers.conv(branch3x3, f"{module}.branch3x3_2b", 384, (3, 1))], f"mixed9_{index}")
    branch3x3dbl = layers.conv(x, f"{module}.branch3x3dbl_1", 448, 1)
    branch3x3dbl = layers.conv(branch3x3dbl, f"{module}.branch3x3dbl_2", 384, 3)
    branch3x3dbl = layers.concat([layers.conv(branch3x3dbl, f"{module}.branch3x3dbl_3a", 384, (1, 3)),
                                  layers.conv(branch3x3dbl, f"{module}.branch3x3dbl_3b", 384, (3, 1))],
                                 f"mixed9_dbl_{index}")
    branch_pool = layers.conv(layers.average_pool(x, module), f"{module}.branch_pool", 192, 1)
    return layers.concat([branch1x1, branch3x3, branch3x3dbl, branch_pool], name)


def _base(transform_input):
    def base(x, data_format, sources):
        layers = _Layers(data_format, sources)
        if transform_input:
            x = ChannelTransform(TRANSFORM_SCALE, TRANSFORM_OFFSET, axis=layers.channel_axis, name="transform_input")(x)
        x = layers.conv(x, "Conv2d_1a_3x3", 32, 3, strides=2, padding="valid")
        x = layers.conv(x, "Conv2d_2a_3x3", 32, 3, padding="valid")
        x = layers.conv(x, "Conv2d_2b_3x3", 64, 3)
        x = layers.max_pool(x, "maxpool1")
        x = layers.conv(x, "Conv2d_3b_1x1", 80, 1)
        x = layers.conv(x, "Conv2d_4a_3x3", 192, 3, padding="valid")
        x = layers.max_pool(x, "maxpool2")
        for index, (module, pool_filters) in enumerate((("Mixed_5b", 32), ("Mixed_5c", 64), ("Mixed_5d", 64))):
            x = _block_a(layers, x, module, pool_filters, f"mixed{index}")
        x = _block_b(layers, x, "Mixed_6a", "mixed3")
        for index, (module, channels_7x7) in enumerate((("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160),
                                                        ("Mixed_6e", 192)), 4):
            x = _block_c(layers, x, module, channels_7x7, f"mixed{index}")
        x = _block_d(layers, x, "Mixed_7a", "mixed8")
        for index, module in enumerate(("Mixed_7b", "Mixed_7c")):
            x = _block_e(layers, x, module, index, f"mixed{9 + index}")
        return x

    return base


def _top(x, classes, classifier_activation, data_format, sources):
    x = GlobalAveragePooling2D(data_format=data_format, name="avg_pool")(x)
    x = Dropout(0.5, name="dropout")(x)
    return Dense(classes, activation=classifier_activation, name=sources.add("predictions", "fc"))(x)


def _application(transform_input):
    return Application("inception_v3", _base(transform_input), _top, default_size=299, min_size=75,
                       checkpoint=Checkpoint.from_url(
                           "https://download.pytorch.org/models/inception_v3_google-0cc3c7bd.pth"),
                       ignored_prefixes=("AuxLogits.",))


# torchvision transforms the input of a model with weights (its pretrained builder's transform_input=True).
INCEPTION_V3_APPLICATION = _application(transform_input=True)
RANDOM_INCEPTION_V3_APPLICATION = _application(transform_input=False)


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax"):
    """InceptionV3 with torchvision's ImageNet weights (23,834,568 parameters as torchvision counts them;
    count_params() also counts the 34,432 moving statistics of BatchNormalization), as a lamina functional model.

    Keras's arguments (see VGG16); the input is 299x299 (at least 75x75 without the top). Inputs are
    `preprocess_input`'s (ImageNet mean and std, as torchvision's): with weights, the model first rescales them
    per channel as torchvision's pretrained model does (`transform_input`, a ChannelTransform layer). Unlike
    Keras's, each BatchNormalization has a scale (gamma) and the top keeps torchvision's dropout (`dropout`).

    Example:
        >>> base = InceptionV3(include_top=False, pooling="avg")
        >>> features = Model(base.input, base.get_layer("mixed7").output)
    """
    application = RANDOM_INCEPTION_V3_APPLICATION if weights is None else INCEPTION_V3_APPLICATION
    return build(application, locals())


def preprocess_input(x, data_format=None, mode=None):
    """torchvision's InceptionV3 preprocessing (resize 342, crop 299, bilinear, ImageNet mean/std), or a Keras
    mode."""
    return imagenet.preprocess_input(x, data_format, mode, {"resize": 342, "crop": 299, "interpolation": "bilinear"})


decode_predictions = imagenet.decode_predictions
