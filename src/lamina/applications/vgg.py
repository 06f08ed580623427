"""VGG16 and VGG19 (Simonyan and Zisserman, 2014): torchvision's architecture and weights, Keras's layer names."""
from lamina.applications import imagenet
from lamina.applications.building import Application, Checkpoint, build
from lamina.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D

BLOCKS = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
FILTERS = (64, 128, 256, 512, 512)


def _base(convs_per_block):
    def base(x, data_format, sources):
        index = 0  # position in torchvision's `features` (each conv is followed by a ReLU, each block by a pool)
        for block, (convs, filters) in enumerate(zip(convs_per_block, FILTERS), start=1):
            for conv in range(1, convs + 1):
                name = sources.add(f"block{block}_conv{conv}", f"features.{index}")
                x = Conv2D(filters, 3, padding="same", activation="relu", data_format=data_format, name=name)(x)
                index += 2
            x = MaxPooling2D(2, strides=2, data_format=data_format, name=f"block{block}_pool")(x)
            index += 1
        return x

    return base


def _top(x, classes, classifier_activation, data_format, sources):
    x = Flatten(name="flatten")(x)  # storage order: (512, 7, 7) channels first, (7, 7, 512) channels last
    converter = _channels_last_fc1 if data_format == "channels_last" else None
    x = Dense(4096, activation="relu", name=sources.add("fc1", "classifier.0", converter))(x)
    x = Dropout(0.5, name="fc1_dropout")(x)
    x = Dense(4096, activation="relu", name=sources.add("fc2", "classifier.3"))(x)
    x = Dropout(0.5, name="fc2_dropout")(x)
    return Dense(classes, activation=classifier_activation, name=sources.add("predictions", "classifier.6"))(x)


def _channels_last_fc1(attribute, tensor):
    """torchvision flattens (512, 7, 7) features channel first; channels_last models flatten (7, 7, 512)."""
    if attribute != "kernel":
        return tensor
    return tensor.reshape(tensor.shape[0], 512, 7, 7).permute(0, 2, 3, 1).reshape(tensor.shape[0], -1)


def _application(name, checkpoint):
    return Application(name, _base(BLOCKS[name]), _top, default_size=224, min_size=32,
                       checkpoint=Checkpoint.from_url(f"https://download.pytorch.org/models/{checkpoint}"))


VGG16_APPLICATION = _application("vgg16", "vgg16-397923af.pth")
VGG19_APPLICATION = _application("vgg19", "vgg19-dcbb9e9d.pth")


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax"):
    """VGG16 with torchvision's ImageNet weights (138,357,544 parameters), as a lamina functional model.

    Keras's arguments: `include_top` keeps the classifier (flatten, fc1, fc2, predictions); `weights` is
    'imagenet', None (random) or a file path; `pooling` ('avg' or 'max') pools the features when
    include_top=False; `classes` and `classifier_activation` shape the last layer. torchvision's dropout
    layers before fc2 and predictions are kept (`fc1_dropout`, `fc2_dropout`).

    Example:
        >>> base = VGG16(weights="imagenet")
        >>> features = Model(base.input, base.get_layer("fc2").output)
    """
    return build(VGG16_APPLICATION, locals())


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax"):
    """VGG19 with torchvision's ImageNet weights (143,667,240 parameters); arguments as VGG16."""
    return build(VGG19_APPLICATION, locals())


def preprocess_input(x, data_format=None, mode=None):
    """torchvision's VGG preprocessing (resize 256, crop 224, ImageNet mean/std), or a Keras mode."""
    return imagenet.preprocess_input(x, data_format, mode, imagenet.STANDARD)


decode_predictions = imagenet.decode_predictions
