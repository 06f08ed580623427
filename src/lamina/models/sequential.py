"""Sequential: a model that is a plain stack of layers, built as the same graph as the functional API."""
import torch

from lamina.engine.base_layer import Layer
from lamina.engine.graph import Graph
from lamina.engine.input_layer import Input, InputLayer, get_source_inputs
from lamina.engine.serialization import deserialize_layer, serialize_layer
from lamina.engine.symbolic import SymbolicTensor
from lamina.layers.merge import Merge
from lamina.models.functional import Model
from lamina.naming import module_key


class Sequential(Model):
    """A linear stack of layers.

    The graph is built as soon as the input shape is known: from the first layer's `input_shape`
    (or `input_dim`), an Input given as the first element, model.build(input_shape), or the first data.
    A first layer Keras 1's Merge([model_a, model_b]) gives the model the merged models' inputs.

    Example:
        >>> model = Sequential()
        >>> model.add(Dense(3, input_dim=2, activation="relu"))
        >>> model.add(Dense(1, activation="sigmoid"))
    """

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._stack = []
        self._merged_models = []  # the models a first layer Merge([...]) merges: this model holds their weights
        self._input_tensor = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Appends a layer (or an Input tensor, as the first element)."""
        if isinstance(layer, SymbolicTensor) and isinstance(layer.layer, InputLayer):
            layer = layer.layer
        if isinstance(layer, InputLayer):
            if self._stack or self._input_tensor is not None:
                raise ValueError("Sequential: an Input can only be the first element of the model.")
            self._input_tensor = layer.output
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add expects a layer, received {type(layer).__name__}. Wrap a torch.nn.Module with "
                f"lamina.layers.TorchModule(module)."
            )
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(f"All layer names in a model must be unique; '{layer.name}' is already in the model.")
        self._stack.append(layer)
        self.add_module(module_key(layer.name), layer)
        if self._graph is not None:
            self._graph = Graph(self._input_tensor, layer(self._graph.outputs[0]), self.name)
        elif self._input_tensor is None and isinstance(layer, Merge) and layer.layers:
            # Keras 1: a Merge of models first; the model's inputs are theirs, its graph runs through their layers
            self._merged_models = list(layer.layers)
            for model in self._merged_models:
                self.add_module(module_key(model.name), model)
            self._input_tensor = get_source_inputs(layer.output)
            self._graph = Graph(self._input_tensor, layer.output, self.name)
            self.built = True
        elif self._input_tensor is not None or len(self._stack) == 1 and layer._batch_input_shape is not None:
            self._build_graph()

    def pop(self):
        """Removes the last layer."""
        if not self._stack:
            raise ValueError("Sequential.pop: the model has no layers to remove.")
        layer = self._stack.pop()
        delattr(self, layer.name)
        if self._graph is not None:
            self._graph = None
            if self._stack:
                self._graph = Graph(self._input_tensor, self._stack[-1]._inbound_nodes[-1].outputs, self.name)
        if not self._stack and self._merged_models:
            for model in self._merged_models:
                delattr(self, model.name)
            self._merged_models, self._input_tensor = [], None  # the inputs were the merged models'
        return layer

    def build(self, input_shape=None):
        """Builds the graph for inputs of `input_shape` (batch axis included, e.g. (None, 2))."""
        if self._graph is None:
            self._build_graph(tuple(input_shape) if input_shape is not None else None)

    def _build_for(self, inputs):
        if self._graph is None:
            batch_shape = (None,) + tuple(inputs.shape[1:])
            dtype = inputs.dtype if isinstance(inputs, torch.Tensor) else None
            self._build_graph(batch_shape, dtype)

    def _build_graph(self, batch_shape=None, dtype=None):
        if self._input_tensor is None:
            batch_shape = self._stack[0]._batch_input_shape if self._stack and batch_shape is None else batch_shape
            if batch_shape is None:
                raise ValueError("Sequential.build needs an input shape, e.g. model.build((None, 2)).")
            self._input_tensor = Input(batch_shape=batch_shape, dtype=dtype)
        output = self._input_tensor
        for layer in self._stack:
            output = layer(output)
        self._graph = Graph(self._input_tensor, output, self.name)
        self.built = True

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable,
                  "layers": [serialize_layer(layer) for layer in self._stack]}
        if self._merged_models:
            config["layers"][0]["config"].update(self._stack[0].merged_layers_config())
        if self._input_tensor is not None and not self._merged_models:  # a Merge brings its own inputs
            config["build_input_shape"] = list(self._input_tensor.shape)
            config["input_dtype"] = str(self._input_tensor.dtype).replace("torch.", "")
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        if config.get("build_input_shape") is not None:
            model._input_tensor = Input(batch_shape=config["build_input_shape"], dtype=config.get("input_dtype"))
        for spec in config["layers"]:
            model.add(deserialize_layer(spec, custom_objects))
        return model

    def _architecture(self):
        return {"class_name": "Sequential", "config": self.get_config()}  # subclasses too, as Keras saves them

    @property
    def layers(self):
        """The stacked layers (the Input layer excluded)."""
        return list(self._stack)

    def _sublayers(self):
        return self._merged_models + list(self._stack)
