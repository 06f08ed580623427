"""What every application model shares: Keras's arguments, the image input, the top or pooling, the weights.

A model module (vgg.py, resnet.py, ...) builds the convolutional base of lamina layers with Keras's layer names
and records, for each layer that holds weights, the torchvision module it takes them from (`Sources`). `build`
adds the input, the classifier or the pooling, makes the functional Model and loads the weights.

Example (a model module):
    >>> def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
    ...           classes=1000, classifier_activation="softmax"):
    ...     return build(SPEC, locals())
"""
from dataclasses import dataclass
from typing import Callable

from lamina import config
from lamina.applications.weights import load_pretrained
from lamina.engine.input_layer import Input, get_source_inputs
from lamina.engine.symbolic import SymbolicTensor
from lamina.layers.pooling import GlobalAveragePooling2D, GlobalMaxPooling2D
from lamina.layers.reshaping import ZeroPadding2D
from lamina.models.functional import Model

POOLINGS = (None, "avg", "max")


@dataclass(frozen=True)
class Checkpoint:
    """A torchvision checkpoint: its URL and the sha256 prefix in its file name (torch hub's convention)."""

    url: str
    sha256_prefix: str

    @classmethod
    def from_url(cls, url):
        """The checkpoint at `url`, whose file name ends with '-<sha256 prefix>.pth' (torchvision's names)."""
        return cls(url, url.rsplit("-", 1)[1].split(".")[0])

    @property
    def filename(self):
        return self.url.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Application:
    """One model: how to build its base and top, its input size and its ImageNet checkpoint.

    `base(x, data_format, sources)` returns the features (the last convolutional block's output);
    `top(x, classes, classifier_activation, data_format, sources)` the classifier's output. Both add
    `{layer name: torchvision module name}` entries to `sources`.
    `min_size`: the smallest input side the base accepts without include_top.
    `rename(state)` rewrites an old checkpoint's keys to the module names `sources` use (DenseNet's);
    `ignored_prefixes` name checkpoint tensors the model does not use (InceptionV3's `AuxLogits.`).
    """

    name: str
    base: Callable
    top: Callable
    default_size: int
    min_size: int
    checkpoint: Checkpoint
    rename: Callable = None
    ignored_prefixes: tuple = ()


class Sources(dict):
    """{lamina layer name: torchvision module name}, with an optional converter per layer.

    `converters[layer name](attribute, tensor)` reshapes a torchvision tensor to the lamina weight (e.g. the
    first Dense layer after Flatten in channels_last, whose input order differs).
    """

    def __init__(self):
        super().__init__()
        self.converters = {}

    def add(self, layer_name, module_name, converter=None):
        self[layer_name] = module_name
        if converter is not None:
            self.converters[layer_name] = converter
        return layer_name


def channel_axis(data_format):
    """The channel axis of 4-D images in `data_format` (for BatchNormalization, Concatenate ...)."""
    return 1 if data_format == "channels_first" else -1


def pad_as_torchvision(x, kernel_size, strides, data_format, name):
    """(x, the `padding` of the strided layer that follows) for torchvision's kernel_size // 2 on every side.

    "same" pads a strided layer only at the bottom and right of even inputs, so a strided layer gets an explicit
    ZeroPadding2D named `name` and "valid" (Keras's applications pad so: `conv1_pad`); stride 1 with an odd
    kernel, or a 1x1 kernel, pads as torchvision does with "same".
    """
    if strides > 1 and kernel_size > 1:
        return ZeroPadding2D(kernel_size // 2, data_format=data_format, name=name)(x), "valid"
    return x, "same"


def divisible_by_8(channels):
    """The multiple of 8 nearest `channels` (at least 8), raised by 8 where rounding lost more than 10%:
    torchvision's channel rounding (MobileNet, EfficientNet)."""
    rounded = max(8, int(channels + 4) // 8 * 8)
    return rounded + 8 if rounded < 0.9 * channels else rounded


def build(application, arguments):
    """The lamina Model for `application` from the Keras constructor's `arguments` (its locals())."""
    include_top, weights = bool(arguments["include_top"]), arguments["weights"]
    classes, pooling = arguments["classes"], arguments["pooling"]
    _check_arguments(application, include_top, weights, classes, pooling)
    data_format = config.image_data_format()
    inputs, tensor = _image_input(application, arguments["input_tensor"], arguments["input_shape"], include_top,
                                  weights, data_format)
    sources = Sources()
    x = application.base(tensor, data_format, sources)
    if include_top:
        x = application.top(x, classes, arguments["classifier_activation"], data_format, sources)
    elif pooling == "avg":
        x = GlobalAveragePooling2D(data_format=data_format, name="avg_pool")(x)
    elif pooling == "max":
        x = GlobalMaxPooling2D(data_format=data_format, name="max_pool")(x)
    model = Model(inputs, x, name=application.name)
    if weights is not None:
        load_pretrained(model, application, weights, sources, include_top)
    return model


def _check_arguments(application, include_top, weights, classes, pooling):
    name = application.name
    if not (weights in (None, "imagenet") or isinstance(weights, (str, bytes)) or hasattr(weights, "__fspath__")):
        raise ValueError(f"{name}: the `weights` argument should be either None (random initialization), "
                         f"'imagenet' (pre-training on ImageNet), or the path to the weights file to be loaded. "
                         f"Received: weights={weights!r}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(f'{name}: if using `weights="imagenet"` with `include_top=True`, `classes` should be '
                         f"1000. Received classes={classes}")
    if pooling not in POOLINGS:
        raise ValueError(f"{name}: `pooling` must be None, 'avg' or 'max', received {pooling!r}.")


def _image_input(application, input_tensor, input_shape, include_top, weights, data_format):
    """(model inputs, the tensor the base starts from), with Keras's checks of the input shape."""
    size, name = application.default_size, application.name
    default = (3, size, size) if data_format == "channels_first" else (size, size, 3)
    if input_shape is None and input_tensor is not None:
        input_shape = tuple(input_tensor.shape[1:])
    if input_shape is None:  # Keras leaves the sides open without the top; lamina's graphs need them known
        input_shape = default
    input_shape = tuple(input_shape)
    channels, sides = (input_shape[0], input_shape[1:]) if data_format == "channels_first" else \
        (input_shape[-1], input_shape[:-1])
    if len(input_shape) != 3:
        raise ValueError(f"{name}: `input_shape` must have 3 dimensions ({data_format}: e.g. {default}), received "
                         f"{input_shape}.")
    if include_top and weights is not None and input_shape != default:
        raise ValueError(f"{name}: when setting `include_top=True` and loading weights, `input_shape` should be "
                         f"{default}. Received: input_shape={input_shape}")
    if weights is not None and channels != 3:
        raise ValueError(f"{name}: pretrained weights expect 3 input channels ({data_format}), received "
                         f"input_shape={input_shape}. Pass weights=None for another number of channels.")
    if any(side is not None and side < application.min_size for side in sides):
        raise ValueError(f"{name}: input size must be at least {application.min_size}x{application.min_size}; "
                         f"Received: input_shape={input_shape}")
    if input_tensor is None:
        inputs = Input(shape=input_shape)
        return inputs, inputs
    if not isinstance(input_tensor, SymbolicTensor):
        raise TypeError(f"{name}: `input_tensor` must be a lamina symbolic tensor (from lamina.layers.Input or a "
                        f"layer's output), received {type(input_tensor).__name__}.")
    return get_source_inputs(input_tensor), input_tensor
