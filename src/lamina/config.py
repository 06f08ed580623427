"""Global settings: image data format, float type, epsilon and the default device.

Example:
    >>> import lamina
    >>> lamina.config.set_image_data_format("channels_last")
    >>> lamina.config.image_data_format()
    'channels_last'
"""
import torch

from lamina.identifiers import check_choice

IMAGE_DATA_FORMATS = ("channels_first", "channels_last")
LEGACY_DIM_ORDERINGS = {"th": "channels_first", "tf": "channels_last"}
FLOAT_TYPES = ("float16", "bfloat16", "float32", "float64")
PRECISIONS = ("32", "bf16-mixed", "16-mixed")
PRECISION_ALIASES = {"bf16": "bf16-mixed", "16": "16-mixed", "fp16": "16-mixed", "fp32": "32", "32-true": "32"}

_settings = {
    "image_data_format": "channels_first",
    "floatx": "float32",
    "epsilon": 1e-7,
    "device": None,
    "precision": "32",
}


def image_data_format():
    """Returns the default image layout: 'channels_first' (lamina's default) or 'channels_last'."""
    return _settings["image_data_format"]


def set_image_data_format(data_format):
    """Sets the default image layout for layers created afterwards."""
    _settings["image_data_format"] = normalize_data_format(data_format)


def normalize_data_format(data_format, argument="data_format"):
    """Resolves None (the global default), Keras 1's 'th'/'tf' and 'default' to a data format."""
    if data_format is None or data_format == "default":
        return image_data_format()
    data_format = LEGACY_DIM_ORDERINGS.get(data_format, data_format)
    return check_choice(argument, data_format, IMAGE_DATA_FORMATS)


def floatx():
    """Returns the default float type name, 'float32' unless changed."""
    return _settings["floatx"]


def set_floatx(value):
    """Sets the default float type for weights and float inputs."""
    _settings["floatx"] = check_choice("floatx", value, FLOAT_TYPES)


def floatx_dtype():
    """Returns the default float type as a torch dtype."""
    return getattr(torch, _settings["floatx"])


def epsilon():
    """Returns the fuzz factor used in numeric expressions (Keras's 1e-7)."""
    return _settings["epsilon"]


def set_epsilon(value):
    """Sets the fuzz factor used in numeric expressions."""
    _settings["epsilon"] = float(value)


def device():
    """Returns the device models train on: the one set with set_device, else CUDA, then MPS, then CPU."""
    if _settings["device"] is not None:
        return _settings["device"]
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def set_device(value):
    """Sets the device models train on ('cpu', 'cuda', 'cuda:1', 'mps', a torch.device, or None for automatic)."""
    if value is None:
        _settings["device"] = None
        return
    try:
        _settings["device"] = torch.device(value)
    except (RuntimeError, TypeError) as error:
        raise ValueError(
            f"set_device: {value!r} is not a device. Use 'cpu', 'cuda', 'cuda:N', 'mps' or None."
        ) from error


def precision():
    """Returns the training precision: '32' (float32, the default), 'bf16-mixed' or '16-mixed'."""
    return _settings["precision"]


def set_precision(value):
    """Sets the precision of models compiled afterwards.

    'bf16-mixed' runs the forward pass under torch.autocast in bfloat16 (weights, optimizer and metrics stay
    float32): about twice the speed on recent GPUs. '16-mixed' uses float16 with loss scaling (CUDA only).
    """
    _settings["precision"] = normalize_precision(value)


def normalize_precision(value):
    """'32', 'bf16-mixed' or '16-mixed' from those names or an alias ('bf16', 'fp16', 16, 32)."""
    value = str(value)
    return check_choice("precision", PRECISION_ALIASES.get(value, value), PRECISIONS)
