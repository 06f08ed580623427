"""lamina: a Keras-style applied deep learning library built on PyTorch."""
from lamina import (
    activations, callbacks, config, constraints, initializers, layers, losses, metrics, models, optimizers,
    regularizers, saving, utils,
)
from lamina.models import Model, Sequential

from lamina.version import __version__

__all__ = [
    "Model", "Sequential", "activations", "callbacks", "config", "constraints", "initializers", "layers", "losses",
    "metrics", "models", "optimizers", "regularizers", "saving", "utils",
]
