"""Model: a graph of layer calls from inputs to outputs, run as one nn.Module."""
import functools
import json
import os
import warnings

import numpy as np
import torch
from torch import nn

from lamina import config, model_file, naming
from lamina.engine.base_layer import STRING, Layer, TensorSpec, format_shape, is_symbolic
from lamina.engine.graph import Graph, has_hooks, needs_module_calls
from lamina.engine.input_layer import InputLayer
from lamina.identifiers import nearest_suggestion
from lamina.legacy import LegacyArgumentWarning
from lamina.models.graph_config import functional_config, functional_from_config
from lamina.models.summary import print_summary
from lamina.structure import flatten, pack_like
from lamina.training.compile_config import compile_config
from lamina.training.data import holds_text, is_plain_list, non_numeric_message
from lamina.training.trainer import Trainer


class Model(Trainer, Layer):
    """A model defined by its inputs and outputs (the functional API), or by subclassing with a call().

    Example:
        >>> model_in = Input(shape=(2,))
        >>> hidden = Dense(3, activation="sigmoid")(model_in)
        >>> out = Dense(1, activation="sigmoid")(hidden)
        >>> model = Model(inputs=model_in, outputs=out)

    `metadata` (None, or a JSON-able dict set by the caller) is saved in the model file and restored by
    load_model: lamina.vision keeps an image classifier's class names and image transform there.
    """

    metadata = None

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        for old, new in (("input", "inputs"), ("output", "outputs")):
            if old in kwargs:
                warnings.warn(f"Model: `{old}=` is the Keras 1 name; use `{new}=`.", LegacyArgumentWarning,
                              stacklevel=2)
                value = kwargs.pop(old)
                inputs, outputs = (value, outputs) if old == "input" else (inputs, value)
        if name is None and inputs is not None and type(self) is Model:
            name = naming.unique_name("functional")
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._graph = None
        self._checked_shape = None
        self.compiled = False
        if (inputs is None) != (outputs is None):
            raise ValueError("Model needs both `inputs` and `outputs` (or neither, to subclass Model with call()).")
        if inputs is not None:
            self._init_graph(inputs, outputs)

    # ---------------------------------------------------------------- graph construction
    def _init_graph(self, inputs, outputs):
        for kind, value in (("inputs", inputs), ("outputs", outputs)):
            for leaf in flatten(value):
                if not is_symbolic(leaf):
                    raise TypeError(
                        f"Model `{kind}` must be symbolic tensors (from Input(...) or layer calls), received "
                        f"{type(leaf).__name__}."
                    )
        for tensor in flatten(inputs):
            if not isinstance(tensor.layer, InputLayer):
                raise ValueError(
                    f"Model input {tensor} is not an Input: pass the tensors returned by Input(...) as `inputs`."
                )
        self._graph = Graph(inputs, outputs, self.name)
        self._checked_shape = None
        for layer in self._graph.layers:
            key = naming.module_key(layer.name)
            if key in self._modules and self._modules[key] is not layer:
                raise ValueError(f"All layer names in a model must be unique; '{layer.name}' is used twice.")
            if hasattr(type(self), layer.name) or layer.name in self.__dict__:
                raise ValueError(f"Layer name '{layer.name}' clashes with a Model attribute; rename the layer.")
            self.add_module(key, layer)
        self.built = True

    # ---------------------------------------------------------------- running
    def call(self, inputs, training=None, mask=None):
        if self._graph is None:
            raise NotImplementedError(
                f"Model '{self.name}' has no graph: create it with Model(inputs, outputs) or override call()."
            )
        return self._graph.run(self._check_inputs(inputs), self.training if training is None else training, mask)

    def _training_forward(self):
        """The forward function fit/evaluate call: the graph run directly, without nn.Module.__call__'s frames,
        for a plain functional or Sequential model (a subclass with its own call() goes through __call__)."""
        plain = type(self).call is Model.call and type(self).forward is Layer.forward and self._graph is not None
        return self._run_graph if plain else functools.partial(nn.Module.__call__, self)

    def _run_graph(self, inputs, training, values=None):
        """The model's outputs for `inputs`; nn.Module.__call__ is skipped unless hooks, a tracer, a compiled
        call or an activity regularizer need it. `values` (a dict) receives every graph tensor's value."""
        if values is None and (has_hooks(self) or needs_module_calls() or self.activity_regularizer is not None
                               or self._compiled_call_impl is not None):
            return nn.Module.__call__(self, inputs, training=training)
        return self._graph.run(self._check_inputs(inputs), training, values=values)

    def compute_output_spec(self, inputs, *args, **kwargs):
        """The outputs' specs of a call on inputs shaped like the model's own (the batch size aside): read from
        the graph, since tracing it on meta tensors fails for layers that need values (a masked RNN's lengths)."""
        given = flatten(inputs)
        if self._graph is not None and not args and len(given) == len(self._graph.inputs) and all(
                is_symbolic(value) and value.shape[1:] == spec.shape[1:] and value.dtype == spec.dtype
                for value, spec in zip(given, self._graph.inputs)):
            batch = given[0].shape[0]
            return pack_like(self._graph.nested_outputs, [TensorSpec((batch,) + tuple(output.shape[1:]), output.dtype)
                                                          for output in self._graph.outputs])
        return super().compute_output_spec(inputs, *args, **kwargs)

    def _check_inputs(self, inputs):
        """Matches the data to the model's Inputs; converts numpy; checks ranks and fixed sizes."""
        expected = self._graph.inputs
        if isinstance(inputs, torch.Tensor) and len(expected) == 1 and inputs.shape[1:] == self._checked_shape:
            return [inputs]  # the same sample shape as the last checked batch (every step of a fit)
        if isinstance(inputs, dict):
            missing = [t.name for t in expected if t.name not in inputs]
            if missing:
                raise ValueError(f"Model '{self.name}' is missing inputs {missing}; received keys {list(inputs)}.")
            flat = [inputs[t.name] for t in expected]
        elif len(expected) == 1 and expected[0].dtype == STRING and is_plain_list(inputs):
            flat = [inputs]  # one string Input: a list of strings is its batch
        else:
            flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != len(expected):
            raise ValueError(
                f"Model '{self.name}' expects {len(expected)} input(s) "
                f"({', '.join(format_shape(t.shape) for t in expected)}), but received {len(flat)}."
            )
        checked = []
        for spec, value in zip(expected, flat):
            if spec.dtype == STRING:
                checked.append(self._check_strings(spec, value))
                continue
            if isinstance(value, np.ndarray) and holds_text(value):
                raise TypeError(non_numeric_message(value, "x"))
            if isinstance(value, np.ndarray):
                value = torch.from_numpy(value)
                if value.is_floating_point():
                    value = value.to(config.floatx_dtype())
            if not isinstance(value, torch.Tensor):
                raise TypeError(f"Model '{self.name}' input '{spec.name}' must be a tensor or numpy array, "
                                f"received {type(value).__name__}.")
            if value.ndim != len(spec.shape) or any(
                expected_size is not None and expected_size != size
                for expected_size, size in zip(spec.shape[1:], value.shape[1:])
            ):
                raise ValueError(
                    f"Input '{spec.name}' of model '{self.name}' expects shape {format_shape(spec.shape)}, but "
                    f"received data of shape {format_shape(tuple(value.shape))}. Reshape the data or change the "
                    f"Input shape."
                )
            checked.append(value)
        if len(checked) == 1 and isinstance(checked[0], torch.Tensor):
            self._checked_shape = checked[0].shape[1:]
        return checked

    def _check_strings(self, spec, value):
        """A string Input's batch as a numpy array of str, (N,) or (N, 1) whatever the Input's shape says
        (TextVectorization reads both)."""
        array = np.asarray(value) if isinstance(value, (list, tuple, np.ndarray)) else None
        if array is None or not (holds_text(array) or array.size == 0) or not (
                array.ndim == 1 or array.ndim == 2 and array.shape[1] == 1):
            received = (f"an array of shape {array.shape} and dtype {array.dtype}" if array is not None else
                        f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
                        if isinstance(value, torch.Tensor) else type(value).__name__)
            raise TypeError(f"Input '{spec.name}' of model '{self.name}' takes strings: a list or numpy array of "
                            f"str, shape (N,) or (N, 1); received {received}.")
        return array

    # ---------------------------------------------------------------- graph properties
    def _require_graph(self):
        if self._graph is None:
            raise ValueError(
                f"Model '{self.name}' has not been built yet. Give its first layer an input shape, call "
                f"model.build(input_shape), or call the model on data first."
            )
        return self._graph

    @property
    def layers(self):
        """The layers of the model, in the order they are computed (Input layers included)."""
        return list(self._require_graph().layers)

    @property
    def inputs(self):
        return list(self._require_graph().inputs)

    @property
    def outputs(self):
        return list(self._require_graph().outputs)

    @property
    def input(self):
        graph = self._require_graph()
        return graph.nested_inputs

    @property
    def output(self):
        graph = self._require_graph()
        return graph.nested_outputs

    def reset_states(self):
        """Keras 1/2: every stateful layer of the model (recurrent layers with stateful=True, in nested models
        too) forgets its states, so the next batch starts from zeros."""
        for module in self.modules():
            if module is not self and getattr(module, "stateful", False) and hasattr(module, "reset_states"):
                module.reset_states()

    def get_layer(self, name=None, index=None):
        """The layer with this name, or at this index of `layers`."""
        if (name is None) == (index is None):
            raise ValueError("get_layer: pass either `name` or `index`, not both and not neither.")
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"get_layer: index {index} is out of range; the model has {len(layers)} layers.")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        names = [layer.name for layer in layers]
        raise ValueError(f"No layer named '{name}' in model '{self.name}'.{nearest_suggestion(name, names)} "
                         f"Layers: {', '.join(names)}.")

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        """Prints each layer's name, type, output shape and parameter count, and the totals."""
        print_summary(self, line_length=line_length, print_fn=print_fn, show_trainable=show_trainable)

    def get_config(self):
        if self._graph is None:
            raise NotImplementedError(
                f"Model '{self.name}' is a subclassed model without a graph; override get_config() and "
                f"from_config() to make it serializable."
            )
        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return functional_from_config(cls, config, custom_objects)

    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Saves architecture, weights, compile settings and optimizer state to one file, atomically
        (lamina.model_file describes the format; lamina.models.load_model reads it)."""
        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"'{filepath}' exists; pass overwrite=True to replace it.")
        compiled = getattr(self, "compiled", False)
        model_file.write_model_file(
            filepath, self._architecture(), self.state_dict(), compile_config(self) if compiled else None,
            self.optimizer.state_dict() if compiled and include_optimizer else None, self.metadata)

    def export(self, filepath, format=None, example=None, verbose=False):
        """Writes the model for serving: ONNX (a .onnx path) or a torch.export program (.pt2), in inference mode
        with a dynamic batch axis (lamina.exporting); returns the path."""
        from lamina.exporting import export_model  # torch.onnx and torch.export load only when exporting

        return export_model(self, filepath, format, example, verbose)

    def save_weights(self, filepath, overwrite=True):
        """Saves the weights as a safetensors file."""
        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"'{filepath}' exists; pass overwrite=True to replace it.")
        model_file.save_weights(self, filepath)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False):
        """Loads weights saved by save_weights (or a PyTorch state_dict checkpoint, read with weights_only=True).
        Weights are matched by layer name, so by_name is always in effect."""
        model_file.load_weights(self, filepath, skip_mismatch)

    def to_json(self, **kwargs):
        """The architecture as a JSON string (model_from_json rebuilds it)."""
        return json.dumps(self._architecture(), **kwargs)

    def _architecture(self):
        """{'class_name', 'config'}, with Keras 3's class name 'Functional' for a functional Model."""
        class_name = "Functional" if type(self) is Model else type(self).__name__
        return {"class_name": class_name, "config": self.get_config()}

    def apply_constraints(self):
        for layer in self.layers:
            layer.apply_constraints()

    def _sublayers(self):
        return self.layers if self._graph is not None else super()._sublayers()
