"""Keras 1/2's `keras.engine.topology` import path: the base Layer, InputSpec, Input and merge."""
from lamina.engine.base_layer import InputSpec, Layer
from lamina.engine.input_layer import Input, InputLayer
from lamina.layers.merge import merge

__all__ = ["Input", "InputLayer", "InputSpec", "Layer", "merge"]
