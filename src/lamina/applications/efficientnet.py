"""EfficientNetB0-B7 (Tan and Le, 2019): torchvision's architecture and weights, Keras's layer names.

Every size scales B0's seven stages of MBConv blocks (1x1 expansion, depthwise convolution, squeeze-and-excitation,
1x1 projection) in width (channels rounded to multiples of 8) and depth (repeats rounded up). Names follow Keras's
`keras.applications.efficientnet`: `stem_*`, `block{stage}{a, b, ...}_{expand_conv, dwconv, se_reduce,
project_conv, add, ...}`, `top_*`. A strided depthwise convolution is preceded by `{block}_dwconv_pad` and the stem
by `stem_conv_pad`: torchvision pads kernel_size // 2 on every side, where "same" would pad only the bottom and
right. The squeeze pools with keepdims (Keras pools, then reshapes in `se_reshape`). Keras's models normalise their
input in Rescaling/Normalization layers; these take images prepared by `preprocess_input`, as torchvision's do.
"""
import math
from dataclasses import dataclass

from lamina.applications import imagenet
from lamina.applications.building import (Application, Checkpoint, Sources, build, channel_axis, divisible_by_8,
                                          pad_as_torchvision)
from lamina.layers import (Activation, Add, BatchNormalization, Conv2D, Dense, DepthwiseConv2D, Dropout,
                           GlobalAveragePooling2D, Multiply, ZeroPadding2D)

# B0's stages (the paper's Table 1): expansion ratio, kernel size, stride, input and output channels, repeats.
STAGES = ((1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
          (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1))
STOCHASTIC_DEPTH = 0.2  # block n of N drops its residual branch at rate 0.2 * n / N in training
TORCH_BATCH_NORM = (1e-5, 0.9)  # (epsilon, Keras momentum): torch's BatchNorm2d defaults, B0-B4
PORTED_BATCH_NORM = (1e-3, 0.99)  # B5-B7, whose torchvision weights are ported from TensorFlow's


@dataclass(frozen=True)
class Size:
    """One EfficientNet size: torchvision's multipliers, dropout and batch norm, and its DEFAULT weights."""

    width: float
    depth: float
    dropout: float
    batch_norm: tuple
    checkpoint: str
    transform: dict  # {'resize', 'crop', 'interpolation'}: the weights' evaluation transform


def _transform(resize, crop, interpolation="bicubic"):
    return {"resize": resize, "crop": crop, "interpolation": interpolation}


SIZES = {
    "efficientnetb0": Size(1.0, 1.0, 0.2, TORCH_BATCH_NORM, "efficientnet_b0_rwightman-7f5810bc.pth",
                           _transform(256, 224)),
    "efficientnetb1": Size(1.0, 1.1, 0.2, TORCH_BATCH_NORM, "efficientnet_b1-c27df63c.pth",
                           _transform(255, 240, "bilinear")),
    "efficientnetb2": Size(1.1, 1.2, 0.3, TORCH_BATCH_NORM, "efficientnet_b2_rwightman-c35c1473.pth",
                           _transform(288, 288)),
    "efficientnetb3": Size(1.2, 1.4, 0.3, TORCH_BATCH_NORM, "efficientnet_b3_rwightman-b3899882.pth",
                           _transform(320, 300)),
    "efficientnetb4": Size(1.4, 1.8, 0.4, TORCH_BATCH_NORM, "efficientnet_b4_rwightman-23ab8bcd.pth",
                           _transform(384, 380)),
    "efficientnetb5": Size(1.6, 2.2, 0.4, PORTED_BATCH_NORM, "efficientnet_b5_lukemelas-1a07897c.pth",
                           _transform(456, 456)),
    "efficientnetb6": Size(1.8, 2.6, 0.5, PORTED_BATCH_NORM, "efficientnet_b6_lukemelas-24a108a5.pth",
                           _transform(528, 528)),
    "efficientnetb7": Size(2.0, 3.1, 0.5, PORTED_BATCH_NORM, "efficientnet_b7_lukemelas-c5b4e57e.pth",
                           _transform(600, 600)),
}
TRANSFORMS = {name: size.transform for name, size in SIZES.items()}


def scaled_stages(width, depth):
    """STAGES with channels scaled by `width` and repeats by `depth`, as torchvision's `_efficientnet_conf`."""
    return [(expand, kernel, stride, divisible_by_8(channels_in * width), divisible_by_8(channels_out * width),
             math.ceil(repeats * depth)) for expand, kernel, stride, channels_in, channels_out, repeats in STAGES]


@dataclass(frozen=True)
class _Graph:
    """What every layer of one model is built with: the data format, batch norm settings and `sources`."""

    data_format: str
    sources: Sources
    batch_norm: tuple

    def conv_bn(self, x, names, module, conv, activation=True, **arguments):
        """torchvision's Conv2dNormActivation `module`: `conv` without bias (`.0`), batch norm (`.1`), SiLU.

        `names`: the (convolution, batch norm, activation) layers' names; `arguments` go to `conv`.
        """
        conv_name, bn_name, activation_name = names
        x = conv(use_bias=False, data_format=self.data_format, name=self.sources.add(conv_name, f"{module}.0"),
                 **arguments)(x)
        epsilon, momentum = self.batch_norm
        x = BatchNormalization(axis=channel_axis(self.data_format), momentum=momentum, epsilon=epsilon,
                               name=self.sources.add(bn_name, f"{module}.1"))(x)
        return Activation("silu", name=activation_name)(x) if activation else x

    def squeeze_excite(self, x, prefix, module, channels, squeezed):
        """x scaled per channel by sigmoid(expand(silu(reduce(mean of x)))): torchvision's SqueezeExcitation."""
        se = GlobalAveragePooling2D(data_format=self.data_format, keepdims=True, name=f"{prefix}se_squeeze")(x)
        se = Conv2D(squeezed, 1, activation="silu", data_format=self.data_format,
                    name=self.sources.add(f"{prefix}se_reduce", f"{module}.fc1"))(se)
        se = Conv2D(channels, 1, activation="sigmoid", data_format=self.data_format,
                    name=self.sources.add(f"{prefix}se_expand", f"{module}.fc2"))(se)
        return Multiply(name=f"{prefix}se_excite")([x, se])

    def mbconv(self, x, prefix, module, expand, kernel_size, strides, channels_in, channels_out, drop_rate):
        """torchvision's MBConv `module` (its `block` Sequential), with a residual where the shape is kept."""
        inputs, index = x, 0
        expanded = divisible_by_8(channels_in * expand)
        if expanded != channels_in:
            x = self.conv_bn(x, (f"{prefix}expand_conv", f"{prefix}expand_bn", f"{prefix}expand_activation"),
                             f"{module}.0", Conv2D, filters=expanded, kernel_size=1)
            index = 1
        x, padding = pad_as_torchvision(x, kernel_size, strides, self.data_format, f"{prefix}dwconv_pad")
        x = self.conv_bn(x, (f"{prefix}dwconv", f"{prefix}bn", f"{prefix}activation"), f"{module}.{index}",
                         DepthwiseConv2D, kernel_size=kernel_size, strides=strides, padding=padding)
        x = self.squeeze_excite(x, prefix, f"{module}.{index + 1}", expanded, max(1, channels_in // 4))
        x = self.conv_bn(x, (f"{prefix}project_conv", f"{prefix}project_bn", None), f"{module}.{index + 2}", Conv2D,
                         activation=False, filters=channels_out, kernel_size=1)
        if strides > 1 or channels_in != channels_out:
            return x
        x = Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{prefix}drop")(x)  # torchvision's "row" mode
        return Add(name=f"{prefix}add")([x, inputs])


def _base(size):
    stages = scaled_stages(size.width, size.depth)
    total_blocks = sum(stage[-1] for stage in stages)

    def base(x, data_format, sources):
        graph = _Graph(data_format, sources, size.batch_norm)
        x = ZeroPadding2D(1, data_format=data_format, name="stem_conv_pad")(x)
        x = graph.conv_bn(x, ("stem_conv", "stem_bn", "stem_activation"), "features.0", Conv2D,
                          filters=stages[0][3], kernel_size=3, strides=2, padding="valid")
        block = 0
        for stage, (expand, kernel_size, strides, channels_in, channels_out, repeats) in enumerate(stages, start=1):
            for index in range(repeats):
                x = graph.mbconv(x, f"block{stage}{chr(ord('a') + index)}_", f"features.{stage}.{index}.block",
                                 expand, kernel_size, strides if index == 0 else 1,
                                 channels_in if index == 0 else channels_out, channels_out,
                                 STOCHASTIC_DEPTH * block / total_blocks)
                block += 1
        return graph.conv_bn(x, ("top_conv", "top_bn", "top_activation"), f"features.{len(stages) + 1}", Conv2D,
                             filters=4 * stages[-1][4], kernel_size=1)

    return base


def _top(dropout):
    def top(x, classes, classifier_activation, data_format, sources):
        x = GlobalAveragePooling2D(data_format=data_format, name="avg_pool")(x)
        x = Dropout(dropout, name="top_dropout")(x)
        return Dense(classes, activation=classifier_activation, name=sources.add("predictions", "classifier.1"))(x)

    return top


def _application(name):
    size = SIZES[name]
    return Application(name, _base(size), _top(size.dropout), default_size=size.transform["crop"], min_size=32,
                       checkpoint=Checkpoint.from_url(f"https://download.pytorch.org/models/{size.checkpoint}"))


APPLICATIONS = {name: _application(name) for name in SIZES}


def EfficientNetB0(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax"):
    """EfficientNetB0 with torchvision's ImageNet weights (5,288,548 parameters, 224x224 inputs).

    Keras's arguments: `include_top` keeps the classifier (avg_pool, top_dropout, predictions); `weights` is
    'imagenet', None (random) or a file path; `pooling` ('avg' or 'max') pools the features when
    include_top=False; `classes` and `classifier_activation` shape the last layer. Inputs are images prepared by
    `preprocess_input(images, model="efficientnetb0")` (Keras's model rescales them itself).

    Example:
        >>> base = EfficientNetB0(include_top=False, weights="imagenet", pooling="avg")
        >>> stage6 = Model(base.input, base.get_layer("block6d_add").output)
    """
    return build(APPLICATIONS["efficientnetb0"], locals())


def EfficientNetB1(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax"):
    """EfficientNetB1 with torchvision's IMAGENET1K_V2 weights (7,794,184 parameters, 240x240 inputs); arguments
    as EfficientNetB0."""
    return build(APPLICATIONS["efficientnetb1"], locals())


def EfficientNetB2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax"):
    """EfficientNetB2 with torchvision's ImageNet weights (9,109,994 parameters, 288x288 inputs where Keras's
    takes 260x260); arguments as EfficientNetB0."""
    return build(APPLICATIONS["efficientnetb2"], locals())


def EfficientNetB3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax"):
    """EfficientNetB3 with torchvision's ImageNet weights (12,233,232 parameters, 300x300 inputs); arguments as
    EfficientNetB0."""
    return build(APPLICATIONS["efficientnetb3"], locals())


def EfficientNetB4(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax"):
    """EfficientNetB4 with torchvision's ImageNet weights (19,341,616 parameters, 380x380 inputs); arguments as
    EfficientNetB0."""
    return build(APPLICATIONS["efficientnetb4"], locals())


def EfficientNetB5(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax"):
    """EfficientNetB5 with torchvision's ImageNet weights (30,389,784 parameters, 456x456 inputs); arguments as
    EfficientNetB0."""
    return build(APPLICATIONS["efficientnetb5"], locals())


def EfficientNetB6(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax"):
    """EfficientNetB6 with torchvision's ImageNet weights (43,040,704 parameters, 528x528 inputs); arguments as
    EfficientNetB0."""
    return build(APPLICATIONS["efficientnetb6"], locals())


def EfficientNetB7(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax"):
    """EfficientNetB7 with torchvision's ImageNet weights (66,347,960 parameters, 600x600 inputs); arguments as
    EfficientNetB0."""
    return build(APPLICATIONS["efficientnetb7"], locals())


def preprocess_input(x, data_format=None, mode=None, model="efficientnetb0"):
    """torchvision's preprocessing for `model`'s weights (a name of SIZES, e.g. `model.name`), or a Keras mode.

    B0 and B2-B7: bicubic resizing of the shorter side, then a center crop of the model's input size (B0: 256 then
    224; B3: 320 then 300; B2 and B5-B7 resize to the crop size); B1's IMAGENET1K_V2 weights: bilinear, 255 then
    240. Then ImageNet's mean and std. (Keras's `efficientnet.preprocess_input` returns its input unchanged, as
    its models rescale inside.)

    Example:
        >>> model = EfficientNetB3()
        >>> predictions = model.predict(preprocess_input(images, model=model.name))
    """
    return imagenet.preprocess_input(x, data_format, mode, imagenet.transform_of(model, TRANSFORMS))


decode_predictions = imagenet.decode_predictions
