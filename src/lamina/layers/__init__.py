"""Layers, with Keras 3 names (and Keras 1 aliases where Keras 1 code needs them)."""
from lamina.layers.base import InputSpec, Layer
from lamina.layers.core import Activation, Dense, Dropout, Flatten
from lamina.layers.custom import Lambda, TorchModule, TorchModuleWrapper
from lamina.layers.input_layer import Input, InputLayer
from lamina.layers.merge import (
    Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add, average, concatenate, dot, maximum,
    merge, minimum, multiply, subtract,
)
from lamina.layers.normalization import BatchNormalization, LayerNormalization
from lamina.layers.regularization import (
    GaussianDropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D,
)
from lamina.layers.symbolic import SymbolicTensor

__all__ = [
    "Activation", "Add", "Average", "BatchNormalization", "Concatenate", "Dense", "Dot", "Dropout", "Flatten",
    "GaussianDropout", "GaussianNoise", "Input", "InputLayer", "InputSpec", "Lambda", "Layer", "LayerNormalization",
    "Maximum", "Minimum", "Multiply", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "Subtract",
    "SymbolicTensor", "TorchModule", "TorchModuleWrapper", "add", "average", "concatenate", "dot", "maximum",
    "merge", "minimum", "multiply", "subtract",
]
