"""Keras 1/2's `keras.engine.topology` import path: the base Layer, InputSpec, Input, Merge, merge and
get_source_inputs."""
from lamina.engine.base_layer import InputSpec, Layer
from lamina.engine.input_layer import Input, InputLayer, get_source_inputs
from lamina.layers.merge import Merge, merge

__all__ = ["Input", "InputLayer", "InputSpec", "Layer", "Merge", "get_source_inputs", "merge"]
