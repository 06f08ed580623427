"""Layers, with Keras 3 names (and Keras 1 aliases where Keras 1 code needs them)."""
from lamina.layers.base import InputSpec, Layer
from lamina.layers.core import Activation, Dense, Dropout, Flatten
from lamina.layers.input_layer import Input, InputLayer
from lamina.layers.symbolic import SymbolicTensor

__all__ = [
    "Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "InputSpec", "Layer", "SymbolicTensor",
]
