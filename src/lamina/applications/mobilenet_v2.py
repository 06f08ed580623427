"""MobileNetV2 (Sandler et al., 2018): torchvision's architecture (width 1.0) and weights, Keras's layer names."""
from lamina.applications import imagenet
from lamina.applications.building import Application, Checkpoint, build
from lamina.applications.mobilenet_blocks import V2, Builder, unit
from lamina.layers import Dense, Dropout, GlobalAveragePooling2D

# (expansion, output channels, blocks, first block's stride) of each stage, as the paper's table 2
STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
TRANSFORM = {"resize": 232, "crop": 224, "interpolation": "bilinear"}  # of torchvision's IMAGENET1K_V2 weights


def _base(x, data_format, sources):
    builder = Builder(V2, data_format, sources)
    x = builder.conv_bn(x, "Conv1", unit("features.0"), 32, kernel_size=3, strides=2, activation="relu6",
                        bn_name="bn_Conv1")
    block_id = 0
    for expansion, filters, blocks, first_stride in STAGES:
        for index in range(blocks):
            expanded = x.shape[builder.channel_axis] * expansion
            x = builder.inverted_residual(x, block_id, f"features.{block_id + 1}", 3, expanded, filters,
                                          first_stride if index == 0 else 1, "relu6")
            block_id += 1
    return builder.conv_bn(x, "Conv_1", unit(f"features.{block_id + 1}"), 1280, activation="relu6",
                           bn_name="Conv_1_bn", activation_name="out_relu")


def _top(x, classes, classifier_activation, data_format, sources):
    x = GlobalAveragePooling2D(data_format=data_format, name="avg_pool")(x)
    x = Dropout(0.2, name="top_dropout")(x)
    return Dense(classes, activation=classifier_activation, name=sources.add("predictions", "classifier.1"))(x)


MOBILENET_V2_APPLICATION = Application(
    "mobilenetv2_1.00_224", _base, _top, default_size=224, min_size=32,
    checkpoint=Checkpoint.from_url("https://download.pytorch.org/models/mobilenet_v2-7ebf99e0.pth"))


def MobileNetV2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax"):
    """MobileNetV2 (width 1.0) with torchvision's ImageNet weights (3,504,872 parameters), as a lamina model.

    Keras's arguments: `include_top` keeps the classifier (avg_pool, top_dropout, predictions); `weights` is
    'imagenet' (torchvision's IMAGENET1K_V2), None (random) or a file path; `pooling` ('avg' or 'max') pools
    the features (`out_relu`, 1280 channels) when include_top=False; `classes` and `classifier_activation` shape
    the last layer. Keras's `alpha` (width) is not offered: torchvision has weights for width 1.0 only.
    Batch normalization uses torchvision's epsilon (1e-5) and momentum (0.9 in Keras's convention).

    Example:
        >>> base = MobileNetV2(include_top=False, pooling="avg")
        >>> features = base.predict(preprocess_input(images), verbose=0)  # (batch, 1280)
    """
    return build(MOBILENET_V2_APPLICATION, locals())


def preprocess_input(x, data_format=None, mode=None):
    """torchvision's MobileNetV2 preprocessing (resize 232, crop 224, ImageNet mean/std), or a Keras mode."""
    return imagenet.preprocess_input(x, data_format, mode, TRANSFORM)


decode_predictions = imagenet.decode_predictions
