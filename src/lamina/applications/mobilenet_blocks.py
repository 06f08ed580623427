"""The layers MobileNetV2 and MobileNetV3 share: convolution + batch normalization units and inverted residual blocks.

torchvision's structure and numerics, Keras's layer names. A `Builder` holds what one model needs to add layers (its
data format, its `Sources` and its `Variant`: what V2 and V3 name or normalise differently).

Example (a model module):
    >>> builder = Builder(V3, data_format, sources)
    >>> x = builder.conv_bn(x, "conv", unit("features.0"), 16, kernel_size=3, strides=2, activation="hard_swish")
"""
from dataclasses import dataclass
from itertools import count

from lamina.applications.building import channel_axis, pad_as_torchvision
from lamina.layers import (Activation, Add, BatchNormalization, Conv2D, DepthwiseConv2D, GlobalAveragePooling2D,
                           Multiply)

ACTIVATION_NAMES = {"relu6": "relu"}  # Keras's MobileNetV2 names its ReLU6 layers '..._relu'


@dataclass(frozen=True)
class Variant:
    """What MobileNetV2 and V3 do differently in the layers they share.

    `epsilon`, `momentum`: the batch normalizations' (Keras's momentum: 1 - torch's).
    `bn`: the suffix of a batch normalization's name after its convolution's ('_BN' in V2, '_bn' in V3).
    `block`: a block's name prefix (format of its index); block 0 is 'expanded_conv_' in both.
    `pad`: a block's padding name after the prefix. `children`: torchvision's attribute of a block's modules.
    `fused_project`: the projection is one Conv2dNormActivation (V3), not a conv and a BatchNorm2d (V2).
    """

    epsilon: float
    momentum: float
    bn: str
    block: str
    pad: str
    children: str
    fused_project: bool


V2 = Variant(epsilon=1e-5, momentum=0.9, bn="_BN", block="block_{}_", pad="pad", children="conv", fused_project=False)
V3 = Variant(epsilon=1e-3, momentum=0.99, bn="_bn", block="expanded_conv_{}_", pad="depthwise_pad", children="block",
             fused_project=True)


def unit(module):
    """The (convolution, batch normalization) module names of torchvision's Conv2dNormActivation `module`."""
    return f"{module}.0", f"{module}.1"


class Builder:
    """Adds MobileNet layers to one model: `variant`'s names and numerics, in `data_format`, recorded in `sources`."""

    def __init__(self, variant, data_format, sources):
        self.variant, self.data_format, self.sources = variant, data_format, sources
        self.channel_axis = channel_axis(data_format)

    def conv_bn(self, x, name, modules, filters, kernel_size=1, strides=1, activation=None, bn_name=None,
                activation_name=None, pad_name=None):
        """Conv2D (DepthwiseConv2D when `filters` is None) without bias, BatchNormalization, optional Activation.

        `modules`: torchvision's (convolution, batch normalization) names. A strided convolution is zero-padded
        by kernel_size // 2 on every side (torchvision's padding) by a ZeroPadding2D named `pad_name`.
        """
        x, padding = pad_as_torchvision(x, kernel_size, strides, self.data_format, pad_name or f"{name}_pad")
        options = dict(strides=strides, padding=padding, use_bias=False, data_format=self.data_format,
                       name=self.sources.add(name, modules[0]))
        conv = DepthwiseConv2D(kernel_size, **options) if filters is None else Conv2D(filters, kernel_size, **options)
        x = conv(x)
        bn_name = self.sources.add(bn_name or name + self.variant.bn, modules[1])
        x = BatchNormalization(axis=self.channel_axis, momentum=self.variant.momentum, epsilon=self.variant.epsilon,
                               name=bn_name)(x)
        if activation is None:
            return x
        suffix = ACTIVATION_NAMES.get(activation, activation)
        return Activation(activation, name=activation_name or f"{name}_{suffix}")(x)

    def inverted_residual(self, x, block_id, module, kernel_size, expanded, filters, strides, activation,
                          squeeze=None):
        """torchvision's InvertedResidual `module` (Keras's block `block_id`): expand, depthwise, optional
        squeeze-and-excitation to `squeeze` channels, project; the input is added when the shapes allow."""
        prefix = self.variant.block.format(block_id) if block_id else "expanded_conv_"
        children = (f"{module}.{self.variant.children}.{index}" for index in count())
        inputs, in_channels = x, x.shape[self.channel_axis]
        if expanded != in_channels:
            x = self.conv_bn(x, f"{prefix}expand", unit(next(children)), expanded, activation=activation)
        x = self.conv_bn(x, f"{prefix}depthwise", unit(next(children)), None, kernel_size, strides, activation,
                         pad_name=prefix + self.variant.pad)
        if squeeze is not None:
            x = self.squeeze_excite(x, prefix, next(children), squeeze)
        project = next(children)
        modules = unit(project) if self.variant.fused_project else (project, next(children))
        x = self.conv_bn(x, f"{prefix}project", modules, filters)
        if strides == 1 and in_channels == filters:
            x = Add(name=f"{prefix}add")([inputs, x])
        return x

    def squeeze_excite(self, x, prefix, module, squeeze):
        """torchvision's SqueezeExcitation with a hard sigmoid (MobileNetV3's): the input scaled per channel."""
        prefix = f"{prefix}squeeze_excite_"
        scale = GlobalAveragePooling2D(data_format=self.data_format, keepdims=True, name=f"{prefix}avg_pool")(x)
        scale = Conv2D(squeeze, 1, data_format=self.data_format,
                       name=self.sources.add(f"{prefix}conv", f"{module}.fc1"))(scale)
        scale = Activation("relu", name=f"{prefix}relu")(scale)
        scale = Conv2D(x.shape[self.channel_axis], 1, data_format=self.data_format,
                       name=self.sources.add(f"{prefix}conv_1", f"{module}.fc2"))(scale)
        scale = Activation("hard_sigmoid", name=f"{prefix}hard_sigmoid")(scale)
        return Multiply(name=f"{prefix}mul")([x, scale])
