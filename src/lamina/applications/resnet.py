"""ResNet18-152 (He et al., 2015): torchvision's architecture (v1.5) and weights, Keras's layer names.

torchvision's v1.5 bottleneck strides its 3x3 convolution (Keras's v1 strides the first 1x1); its convolutions
have no bias. Names follow Keras's `keras.applications.resnet`: `conv{stage}_block{n}_{0,1,2,3}_{conv,bn}`
(`_0` the projection shortcut), `_1_relu`, `_2_relu`, `_add`, `_out`. ResNet18/34 (basic blocks of two 3x3
convolutions, not in Keras) use the same scheme with `_1` and `_2`. A strided 3x3 convolution is preceded by
`{prefix}_pad`: torchvision pads one pixel on every side, where "same" would pad only the bottom and right.
The stem, the convolution and batch-norm helpers and the top are shared with DenseNet.
"""
from lamina.applications import imagenet
from lamina.applications.building import Application, Checkpoint, build, channel_axis, pad_as_torchvision
from lamina.layers import (Activation, Add, BatchNormalization, Conv2D, Dense, GlobalAveragePooling2D, MaxPooling2D,
                           ZeroPadding2D)

WIDTHS = (64, 128, 256, 512)  # the stages' filters (a bottleneck block outputs 4x as many)
BASIC, BOTTLENECK = ((3, 3), 1), ((1, 3, 1), 4)  # (kernel sizes, expansion) of torchvision's two blocks
STAGES = {"resnet18": (BASIC, (2, 2, 2, 2)), "resnet34": (BASIC, (3, 4, 6, 3)),
          "resnet50": (BOTTLENECK, (3, 4, 6, 3)), "resnet101": (BOTTLENECK, (3, 4, 23, 3)),
          "resnet152": (BOTTLENECK, (3, 8, 36, 3))}
V1_TRANSFORM = imagenet.STANDARD  # resize 256, crop 224, bilinear
V2_TRANSFORM = {**imagenet.STANDARD, "resize": 232}  # torchvision's IMAGENET1K_V2 weights
CHECKPOINTS = {"resnet18": "resnet18-f37072fd.pth", "resnet34": "resnet34-b627a593.pth",
               "resnet50": "resnet50-11ad3fa6.pth", "resnet101": "resnet101-cd907fc2.pth",
               "resnet152": "resnet152-f82ba261.pth"}  # torchvision's DEFAULT weights
TRANSFORMS = {"resnet18": V1_TRANSFORM, "resnet34": V1_TRANSFORM, "resnet50": V2_TRANSFORM,
              "resnet101": V2_TRANSFORM, "resnet152": V2_TRANSFORM}


def conv(x, filters, kernel_size, strides, prefix, module, data_format, sources):
    """`{prefix}_conv`, without bias, padded as torchvision pads (kernel_size // 2 on every side)."""
    x, padding = pad_as_torchvision(x, kernel_size, strides, data_format, f"{prefix}_pad")
    return Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=False, data_format=data_format,
                  name=sources.add(f"{prefix}_conv", module))(x)


def batch_norm(x, name, module, data_format, sources):
    """torchvision's BatchNorm2d (eps 1e-5, momentum 0.1) over the channel axis."""
    return BatchNormalization(axis=channel_axis(data_format), momentum=0.9, epsilon=1e-5,
                              name=sources.add(name, module))(x)


def stem(x, modules, pool_name, data_format, sources):
    """7x7/2 convolution (64 filters), BN, ReLU, 3x3/2 max pooling; `modules`: torchvision's (conv, bn) names.

    The pooling's zero padding equals torchvision's -inf padding: it follows a ReLU.
    """
    conv_module, bn_module = modules
    x = conv(x, 64, 7, 2, "conv1", conv_module, data_format, sources)
    x = Activation("relu", name="conv1_relu")(batch_norm(x, "conv1_bn", bn_module, data_format, sources))
    x = ZeroPadding2D(1, data_format=data_format, name="pool1_pad")(x)
    return MaxPooling2D(3, strides=2, data_format=data_format, name=pool_name)(x)


def classifier_top(module):
    """The `top` of an Application: global average pooling and the Dense classifier from torchvision's `module`."""

    def top(x, classes, classifier_activation, data_format, sources):
        x = GlobalAveragePooling2D(data_format=data_format, name="avg_pool")(x)
        return Dense(classes, activation=classifier_activation, name=sources.add("predictions", module))(x)

    return top


def _residual_block(x, filters, strides, block, name, module, data_format, sources):
    """torchvision's BasicBlock or Bottleneck (`block`: kernel sizes, expansion); strided on its first 3x3."""
    kernel_sizes, expansion = block
    outputs = filters * expansion
    shortcut = x
    if strides > 1 or x.shape[channel_axis(data_format)] != outputs:
        shortcut = conv(x, outputs, 1, strides, f"{name}_0", f"{module}.downsample.0", data_format, sources)
        shortcut = batch_norm(shortcut, f"{name}_0_bn", f"{module}.downsample.1", data_format, sources)
    strided = kernel_sizes.index(3)
    for index, kernel_size in enumerate(kernel_sizes):
        last, prefix = index == len(kernel_sizes) - 1, f"{name}_{index + 1}"
        x = conv(x, outputs if last else filters, kernel_size, strides if index == strided else 1, prefix,
                 f"{module}.conv{index + 1}", data_format, sources)
        x = batch_norm(x, f"{prefix}_bn", f"{module}.bn{index + 1}", data_format, sources)
        if not last:
            x = Activation("relu", name=f"{prefix}_relu")(x)
    x = Add(name=f"{name}_add")([shortcut, x])
    return Activation("relu", name=f"{name}_out")(x)


def _base(block, blocks_per_stage):
    def base(x, data_format, sources):
        x = stem(x, ("conv1", "bn1"), "pool1_pool", data_format, sources)
        for stage, (blocks, filters) in enumerate(zip(blocks_per_stage, WIDTHS), start=1):
            for index in range(blocks):
                strides = 2 if stage > 1 and index == 0 else 1
                x = _residual_block(x, filters, strides, block, f"conv{stage + 1}_block{index + 1}",
                                    f"layer{stage}.{index}", data_format, sources)
        return x

    return base


def _application(name):
    return Application(name, _base(*STAGES[name]), classifier_top("fc"), default_size=224, min_size=32,
                       checkpoint=Checkpoint.from_url(f"https://download.pytorch.org/models/{CHECKPOINTS[name]}"))


RESNET18_APPLICATION = _application("resnet18")
RESNET34_APPLICATION = _application("resnet34")
RESNET50_APPLICATION = _application("resnet50")
RESNET101_APPLICATION = _application("resnet101")
RESNET152_APPLICATION = _application("resnet152")


def ResNet18(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax"):
    """ResNet18 with torchvision's ImageNet weights (11,689,512 parameters), as a lamina functional model.

    Keras's arguments: `include_top` keeps the classifier (avg_pool, predictions); `weights` is 'imagenet',
    None (random) or a file path; `pooling` ('avg' or 'max') pools the features when include_top=False;
    `classes` and `classifier_activation` shape the last layer. The parameter counts are torchvision's (the
    trainable weights); `count_params()` adds the batch norms' moving statistics, as Keras counts.

    Example:
        >>> base = ResNet18(include_top=False, weights="imagenet", pooling="avg")
        >>> stage4 = Model(base.input, base.get_layer("conv4_block2_out").output)
    """
    return build(RESNET18_APPLICATION, locals())


def ResNet34(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax"):
    """ResNet34 with torchvision's ImageNet weights (21,797,672 parameters); arguments as ResNet18."""
    return build(RESNET34_APPLICATION, locals())


def ResNet50(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax"):
    """ResNet50 with torchvision's IMAGENET1K_V2 weights (25,557,032 parameters); arguments as ResNet18."""
    return build(RESNET50_APPLICATION, locals())


def ResNet101(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax"):
    """ResNet101 with torchvision's IMAGENET1K_V2 weights (44,549,160 parameters); arguments as ResNet18."""
    return build(RESNET101_APPLICATION, locals())


def ResNet152(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax"):
    """ResNet152 with torchvision's IMAGENET1K_V2 weights (60,192,808 parameters); arguments as ResNet18."""
    return build(RESNET152_APPLICATION, locals())


def preprocess_input(x, data_format=None, mode=None, model="resnet50"):
    """torchvision's preprocessing for `model`'s weights, or a Keras mode.

    ResNet50/101/152's IMAGENET1K_V2 weights: resize 232, crop 224 (the default, as Keras's one function serves
    ResNet50/101/152); ResNet18/34's IMAGENET1K_V1: resize 256, crop 224. Both bilinear, ImageNet mean/std.

    Example:
        >>> images = preprocess_input(images, model="resnet18")
    """
    return imagenet.preprocess_input(x, data_format, mode, imagenet.transform_of(model, TRANSFORMS))


decode_predictions = imagenet.decode_predictions
