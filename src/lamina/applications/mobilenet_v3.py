"""MobileNetV3Small and MobileNetV3Large (Howard et al., 2019): torchvision's architectures (width 1.0, with
squeeze-and-excitation scaled by a hard sigmoid) and weights, Keras's layer names."""
from lamina.applications import imagenet
from lamina.applications.building import Application, Checkpoint, build, divisible_by_8
from lamina.applications.mobilenet_blocks import V3, Builder, unit
from lamina.layers import Dense, Dropout, GlobalAveragePooling2D

# (kernel size, expanded channels, output channels, squeeze-and-excitation, activation, stride) of each block,
# as the paper's tables 1 and 2
LARGE = ((3, 16, 16, False, "relu", 1), (3, 64, 24, False, "relu", 2), (3, 72, 24, False, "relu", 1),
         (5, 72, 40, True, "relu", 2), (5, 120, 40, True, "relu", 1), (5, 120, 40, True, "relu", 1),
         (3, 240, 80, False, "hard_swish", 2), (3, 200, 80, False, "hard_swish", 1),
         (3, 184, 80, False, "hard_swish", 1), (3, 184, 80, False, "hard_swish", 1),
         (3, 480, 112, True, "hard_swish", 1), (3, 672, 112, True, "hard_swish", 1),
         (5, 672, 160, True, "hard_swish", 2), (5, 960, 160, True, "hard_swish", 1),
         (5, 960, 160, True, "hard_swish", 1))
SMALL = ((3, 16, 16, True, "relu", 2), (3, 72, 24, False, "relu", 2), (3, 88, 24, False, "relu", 1),
         (5, 96, 40, True, "hard_swish", 2), (5, 240, 40, True, "hard_swish", 1),
         (5, 240, 40, True, "hard_swish", 1), (5, 120, 48, True, "hard_swish", 1),
         (5, 144, 48, True, "hard_swish", 1), (5, 288, 96, True, "hard_swish", 2),
         (5, 576, 96, True, "hard_swish", 1), (5, 576, 96, True, "hard_swish", 1))
# by model name (`model.name`), as the other families' preprocess_input(..., model=)
TRANSFORMS = {"MobileNetV3Large": {"resize": 232, "crop": 224, "interpolation": "bilinear"},  # IMAGENET1K_V2
              "MobileNetV3Small": imagenet.STANDARD}  # IMAGENET1K_V1 weights: resize 256, crop 224


def _base(blocks):
    def base(x, data_format, sources):
        builder = Builder(V3, data_format, sources)
        x = builder.conv_bn(x, "conv", unit("features.0"), 16, kernel_size=3, strides=2, activation="hard_swish")
        for block_id, (kernel_size, expanded, filters, squeeze, activation, strides) in enumerate(blocks):
            x = builder.inverted_residual(x, block_id, f"features.{block_id + 1}", kernel_size, expanded, filters,
                                          strides, activation, divisible_by_8(expanded // 4) if squeeze else None)
        return builder.conv_bn(x, "conv_1", unit(f"features.{len(blocks) + 1}"), 6 * x.shape[builder.channel_axis],
                               activation="hard_swish")

    return base


def _top(hidden_units):
    def top(x, classes, classifier_activation, data_format, sources):
        x = GlobalAveragePooling2D(data_format=data_format, name="avg_pool")(x)
        x = Dense(hidden_units, activation="hard_swish", name=sources.add("top_dense", "classifier.0"))(x)
        x = Dropout(0.2, name="top_dropout")(x)
        return Dense(classes, activation=classifier_activation, name=sources.add("predictions", "classifier.3"))(x)

    return top


def _application(name, blocks, hidden_units, checkpoint):
    return Application(name, _base(blocks), _top(hidden_units), default_size=224, min_size=32,
                       checkpoint=Checkpoint.from_url(f"https://download.pytorch.org/models/{checkpoint}"))


MOBILENET_V3_SMALL_APPLICATION = _application("MobileNetV3Small", SMALL, 1024, "mobilenet_v3_small-047dcff4.pth")
MOBILENET_V3_LARGE_APPLICATION = _application("MobileNetV3Large", LARGE, 1280, "mobilenet_v3_large-5c1a4163.pth")


def MobileNetV3Small(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                     classes=1000, classifier_activation="softmax"):
    """MobileNetV3Small with torchvision's ImageNet weights (2,542,856 parameters), as a lamina model.

    Keras's arguments: `include_top` keeps torchvision's classifier (avg_pool, top_dense with 1024 hard-swish
    units, top_dropout, predictions); `weights` is 'imagenet' (torchvision's IMAGENET1K_V1), None (random) or a
    file path; `pooling` ('avg' or 'max') pools the features (576 channels) when include_top=False; `classes`
    and `classifier_activation` shape the last layer. Keras's `alpha`, `minimalistic`, `dropout_rate` and
    `include_preprocessing` are not offered: the model takes `preprocess_input`'s images, as torchvision's.

    Example:
        >>> model = MobileNetV3Small()
        >>> decode_predictions(model.predict(preprocess_input(images, model=model.name), verbose=0))
    """
    return build(MOBILENET_V3_SMALL_APPLICATION, locals())


def MobileNetV3Large(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                     classes=1000, classifier_activation="softmax"):
    """MobileNetV3Large with torchvision's ImageNet weights (IMAGENET1K_V2, 5,483,032 parameters); arguments as
    MobileNetV3Small (top_dense has 1280 units, the features 960 channels)."""
    return build(MOBILENET_V3_LARGE_APPLICATION, locals())


def preprocess_input(x, data_format=None, mode=None, model="MobileNetV3Large"):
    """torchvision's preprocessing of `model`'s weights (its name: 'MobileNetV3Large' resizes to 232,
    'MobileNetV3Small' to 256; then crop 224 and ImageNet mean/std), or a Keras mode."""
    if model not in TRANSFORMS:
        raise ValueError(f"preprocess_input: `model` must be 'MobileNetV3Large' or 'MobileNetV3Small', received "
                         f"{model!r}.")
    return imagenet.preprocess_input(x, data_format, mode, TRANSFORMS[model])


decode_predictions = imagenet.decode_predictions
