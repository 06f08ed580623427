"""lamina: a Keras-style applied deep learning library built on PyTorch."""
from lamina import activations, config, constraints, initializers, layers, models, regularizers
from lamina.models import Model, Sequential

__version__ = "0.1.0"

__all__ = [
    "Model", "Sequential", "activations", "config", "constraints", "initializers", "layers", "models",
    "regularizers",
]
