"""lamina: a Keras-style applied deep learning library built on PyTorch.

Submodules load on first use (PEP 562): `import lamina` is cheap, and `import lamina.word2vec` does not import
torch. `lamina.layers`, `from lamina import layers` and `lamina.Sequential` import what they name when first asked.
"""
import importlib

from lamina.version import __version__

_SUBMODULES = (
    "activations", "callbacks", "config", "constraints", "initializers", "layers", "losses", "metrics", "models",
    "optimizers", "regularizers", "saving", "utils",
)
_FROM_MODELS = ("Model", "Sequential")

__all__ = sorted(_FROM_MODELS + _SUBMODULES)


def __getattr__(name):
    if name in _FROM_MODELS:
        value = getattr(importlib.import_module("lamina.models"), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"lamina.{name}")
    else:
        raise AttributeError(f"module 'lamina' has no attribute '{name}'")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
