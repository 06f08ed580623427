"""DenseNet121, 169 and 201 (Huang et al., 2016): torchvision's architecture and weights, Keras's layer names.

Names follow Keras's `keras.applications.densenet`: the stem `conv1_conv`, `conv1_bn`, `conv1_relu`, `pool1`;
dense layer n of block b `conv{b}_block{n}_0_bn`, `_0_relu`, `_1_conv`, `_1_bn`, `_1_relu`, `_2_conv`, `_concat`;
transition t `pool{t}_bn`, `_relu`, `_conv`, `_pool`; then `bn`, `relu`. The stem's paddings, unnamed in Keras,
are `conv1_pad` and `pool1_pad`. torchvision's published checkpoints use old key names, which loading rewrites.
"""
import re

from lamina.applications import imagenet
from lamina.applications.building import Application, Checkpoint, build, channel_axis
from lamina.applications.resnet import batch_norm, classifier_top, conv, stem
from lamina.layers import Activation, AveragePooling2D, Concatenate

GROWTH_RATE, BOTTLENECK_WIDTH = 32, 4 * 32  # each dense layer adds 32 channels through a 128-filter 1x1
BLOCKS = {"densenet121": (6, 12, 24, 16), "densenet169": (6, 12, 32, 32), "densenet201": (6, 12, 48, 32)}
CHECKPOINTS = {"densenet121": "densenet121-a639ec97.pth", "densenet169": "densenet169-b2777c0a.pth",
               "densenet201": "densenet201-c1103571.pth"}
# '...denselayer1.norm.1.weight' (torchvision's checkpoints) -> '...denselayer1.norm1.weight' (its modules)
OLD_KEY = re.compile(r"(\.denselayer\d+\.(?:norm|conv))\.([12])\.")


def rename_old_keys(state):
    """torchvision's published DenseNet state dicts with its modules' key names; new names pass unchanged."""
    return {OLD_KEY.sub(r"\1\2.", key): value for key, value in state.items()}


def _dense_block(x, layers, block, data_format, sources):
    """torchvision's denseblock{block} (Keras's conv{block + 1}): `layers` dense layers (BN, ReLU, 1x1 conv, BN,
    ReLU, 3x3 conv), each concatenating 32 new channels."""
    for index in range(1, layers + 1):
        name, module = f"conv{block + 1}_block{index}", f"features.denseblock{block}.denselayer{index}"
        y = batch_norm(x, f"{name}_0_bn", f"{module}.norm1", data_format, sources)
        y = Activation("relu", name=f"{name}_0_relu")(y)
        y = conv(y, BOTTLENECK_WIDTH, 1, 1, f"{name}_1", f"{module}.conv1", data_format, sources)
        y = Activation("relu", name=f"{name}_1_relu")(batch_norm(y, f"{name}_1_bn", f"{module}.norm2", data_format,
                                                                  sources))
        y = conv(y, GROWTH_RATE, 3, 1, f"{name}_2", f"{module}.conv2", data_format, sources)
        x = Concatenate(axis=channel_axis(data_format), name=f"{name}_concat")([x, y])
    return x


def _transition(x, block, data_format, sources):
    """torchvision's transition{block} (Keras's pool{block + 1}): BN, ReLU, a 1x1 convolution halving the
    channels, 2x2 average pooling."""
    name, module = f"pool{block + 1}", f"features.transition{block}"
    x = Activation("relu", name=f"{name}_relu")(batch_norm(x, f"{name}_bn", f"{module}.norm", data_format, sources))
    x = conv(x, x.shape[channel_axis(data_format)] // 2, 1, 1, name, f"{module}.conv", data_format, sources)
    return AveragePooling2D(2, strides=2, data_format=data_format, name=f"{name}_pool")(x)


def _base(blocks):
    def base(x, data_format, sources):
        x = stem(x, ("features.conv0", "features.norm0"), "pool1", data_format, sources)
        for block, layers in enumerate(blocks, start=1):
            x = _dense_block(x, layers, block, data_format, sources)
            if block < len(blocks):
                x = _transition(x, block, data_format, sources)
        return Activation("relu", name="relu")(batch_norm(x, "bn", "features.norm5", data_format, sources))

    return base


def _application(name):
    return Application(name, _base(BLOCKS[name]), classifier_top("classifier"), default_size=224, min_size=32,
                       checkpoint=Checkpoint.from_url(f"https://download.pytorch.org/models/{CHECKPOINTS[name]}"),
                       rename=rename_old_keys)


DENSENET121_APPLICATION = _application("densenet121")
DENSENET169_APPLICATION = _application("densenet169")
DENSENET201_APPLICATION = _application("densenet201")


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax"):
    """DenseNet121 with torchvision's ImageNet weights (7,978,856 parameters), as a lamina functional model.

    Keras's arguments: `include_top` keeps the classifier (avg_pool, predictions); `weights` is 'imagenet',
    None (random) or a file path (a torchvision state dict with old or new key names, or a .lamina file);
    `pooling` ('avg' or 'max') pools the features when include_top=False; `classes` and
    `classifier_activation` shape the last layer. The features end with torchvision's final BN and ReLU
    (`bn`, `relu`), as Keras's do. The parameter counts are torchvision's (the trainable weights);
    `count_params()` adds the batch norms' moving statistics, as Keras counts.

    Example:
        >>> base = DenseNet121(include_top=False, weights="imagenet", pooling="avg")
        >>> block3 = Model(base.input, base.get_layer("pool3_pool").output)
    """
    return build(DENSENET121_APPLICATION, locals())


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax"):
    """DenseNet169 with torchvision's ImageNet weights (14,149,480 parameters); arguments as DenseNet121."""
    return build(DENSENET169_APPLICATION, locals())


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax"):
    """DenseNet201 with torchvision's ImageNet weights (20,013,928 parameters); arguments as DenseNet121."""
    return build(DENSENET201_APPLICATION, locals())


def preprocess_input(x, data_format=None, mode=None):
    """torchvision's DenseNet preprocessing (resize 256, crop 224, bilinear, ImageNet mean/std), or a Keras mode."""
    return imagenet.preprocess_input(x, data_format, mode, imagenet.STANDARD)


decode_predictions = imagenet.decode_predictions
