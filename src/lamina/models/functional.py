"""Model: a graph of layer calls from inputs to outputs, run as one nn.Module."""
import functools
import json
import os
import warnings

import numpy as np
import torch
from torch import nn

from lamina import config, naming
from lamina.layers.base import Layer, _call_arguments, _shape_str
from lamina.layers.input_layer import InputLayer
from lamina.layers.legacy import LegacyArgumentWarning
from lamina.layers.symbolic import is_symbolic
from lamina.structure import flatten, map_structure, pack_like
from lamina.training.trainer import Trainer


class Model(Trainer, Layer):
    """A model defined by its inputs and outputs (the functional API), or by subclassing with a call().

    Example:
        >>> model_in = Input(shape=(2,))
        >>> hidden = Dense(3, activation="sigmoid")(model_in)
        >>> out = Dense(1, activation="sigmoid")(hidden)
        >>> model = Model(inputs=model_in, outputs=out)
    """

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
        self._graph = _Graph(inputs, outputs, self.name)
        self._checked_shape = None
        for layer in self._graph.layers:
            if layer.name in self._modules and self._modules[layer.name] is not layer:
                raise ValueError(f"All layer names in a model must be unique; '{layer.name}' is used twice.")
            if hasattr(type(self), layer.name) or layer.name in self.__dict__:
                raise ValueError(f"Layer name '{layer.name}' clashes with a Model attribute; rename the layer.")
            self.add_module(layer.name, layer)
        self.built = True

    # ---------------------------------------------------------------- running
    def call(self, inputs, training=None, mask=None):
        if self._graph is None:
            raise NotImplementedError(
                f"Model '{self.name}' has no graph: create it with Model(inputs, outputs) or override call()."
            )
        return self._graph.run(self._check_inputs(inputs), self.training if training is None else training, mask)

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
        else:
            flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != len(expected):
            raise ValueError(
                f"Model '{self.name}' expects {len(expected)} input(s) "
                f"({', '.join(_shape_str(t.shape) for t in expected)}), but received {len(flat)}."
            )
        checked = []
        for spec, value in zip(expected, flat):
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
                    f"Input '{spec.name}' of model '{self.name}' expects shape {_shape_str(spec.shape)}, but "
                    f"received data of shape {_shape_str(tuple(value.shape))}. Reshape the data or change the "
                    f"Input shape."
                )
            checked.append(value)
        if len(checked) == 1:
            self._checked_shape = checked[0].shape[1:]
        return checked

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
        from lamina.identifiers import nearest_suggestion

        names = [layer.name for layer in layers]
        raise ValueError(f"No layer named '{name}' in model '{self.name}'.{nearest_suggestion(name, names)} "
                         f"Layers: {', '.join(names)}.")

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False, show_trainable=False,
                layer_range=None):
        """Prints each layer's name, type, output shape and parameter count, and the totals."""
        from lamina.models.summary import print_summary

        print_summary(self, line_length=line_length, print_fn=print_fn, show_trainable=show_trainable)

    def get_config(self):
        if self._graph is None:
            raise NotImplementedError(
                f"Model '{self.name}' is a subclassed model without a graph; override get_config() and "
                f"from_config() to make it serializable."
            )
        from lamina.models.config import functional_config

        return functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from lamina.models.config import functional_from_config

        return functional_from_config(cls, config, custom_objects)

    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Saves architecture, weights, compile settings and optimizer state to one file (see lamina.saving)."""
        from lamina import saving

        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"'{filepath}' exists; pass overwrite=True to replace it.")
        saving.save_model(self, filepath, include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        """Saves the weights as a safetensors file."""
        from lamina import saving

        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"'{filepath}' exists; pass overwrite=True to replace it.")
        saving.save_weights(self, filepath)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False):
        """Loads weights saved by save_weights (or a PyTorch state_dict checkpoint, read with weights_only=True).
        Weights are matched by layer name, so by_name is always in effect."""
        from lamina import saving

        saving.load_weights(self, filepath, skip_mismatch)

    def to_json(self, **kwargs):
        """The architecture as a JSON string (model_from_json rebuilds it)."""
        from lamina import saving

        return json.dumps({"class_name": saving._model_class_name(self), "config": self.get_config()}, **kwargs)

    def apply_constraints(self):
        for layer in self.layers:
            layer.apply_constraints()

    def _sublayers(self):
        return self.layers if self._graph is not None else super()._sublayers()


class _Graph:
    """The nodes between a model's inputs and outputs, in an order that computes each before its users."""

    def __init__(self, inputs, outputs, model_name):
        self.nested_inputs, self.nested_outputs = inputs, outputs
        self.inputs, self.outputs = flatten(inputs), flatten(outputs)
        input_ids = {id(t) for t in self.inputs}
        self.nodes = _topological_nodes(self.outputs, input_ids, model_name)
        self.layers = [t.layer for t in self.inputs]
        for node in self.nodes:
            if node.layer not in self.layers:
                self.layers.append(node.layer)
        self._input_ids = [id(t) for t in self.inputs]
        self._output_ids = [id(t) for t in self.outputs]

    def run(self, input_values, training, input_mask=None):
        values = dict(zip(self._input_ids, input_values))
        masks = dict(zip(self._input_ids, flatten(input_mask))) if input_mask is not None else {}
        for layer in self.layers:
            if layer._activity_losses:
                layer._activity_losses.clear()
        for step in self.steps:
            step.run(values, masks, training)
        return pack_like(self.nested_outputs, [values[i] for i in self._output_ids])

    @functools.cached_property
    def steps(self):
        return [_Step(node) for node in self.nodes]


class _Step:
    """One node, prepared for fast repeated execution (the common one-input, no-keyword case has no lookups)."""

    def __init__(self, node):
        self.layer = node.layer
        self.node = node
        self.accepts_training, self.accepts_mask = _call_arguments(type(node.layer))
        self.single_input = id(node.args[0]) if len(node.args) == 1 and is_symbolic(node.args[0]) and not node.kwargs else None
        self.output_ids = [id(t) for t in node.output_tensors]
        self.default_mask = type(node.layer).compute_mask is Layer.compute_mask

    def run(self, values, masks, training):
        layer = self.layer
        if self.single_input is not None:
            inputs = values[self.single_input]
            mask = masks.get(self.single_input)
            kwargs = {"training": training} if self.accepts_training else {}
            if mask is not None and self.accepts_mask:
                kwargs["mask"] = mask
            outputs = nn.Module.__call__(layer, inputs, **kwargs)
        else:
            inputs, outputs, mask = self._run_general(values, masks, training)
        if mask is None and self.default_mask:
            output_mask = None
        else:
            output_mask = layer.compute_mask(inputs, mask)
        if len(self.output_ids) == 1:
            values[self.output_ids[0]] = outputs
            if output_mask is not None:
                masks[self.output_ids[0]] = output_mask
            return
        flat_outputs = flatten(outputs)
        flat_masks = output_mask if isinstance(output_mask, list) else [output_mask] * len(flat_outputs)
        for output_id, value, value_mask in zip(self.output_ids, flat_outputs, flat_masks):
            values[output_id] = value
            if value_mask is not None:
                masks[output_id] = value_mask

    def _run_general(self, values, masks, training):
        node = self.node

        def lookup(value):
            return values[id(value)] if is_symbolic(value) else value

        inputs = map_structure(lookup, node.args[0])
        extra_args = map_structure(lookup, list(node.args[1:]))
        kwargs = {key: map_structure(lookup, value) for key, value in node.kwargs.items()}
        flat_masks = [masks.get(id(t)) if is_symbolic(t) else None for t in flatten(node.args[0])]
        mask = None
        if any(m is not None for m in flat_masks):
            mask = pack_like(node.args[0], flat_masks) if isinstance(node.args[0], (list, tuple)) else flat_masks[0]
        kwargs.setdefault("training", training)
        outputs = nn.Module.__call__(self.layer, inputs, *extra_args, **self.layer._call_kwargs(kwargs, mask))
        return inputs, outputs, mask


def _topological_nodes(outputs, input_ids, model_name):
    """Nodes needed for `outputs`, parents first; raises if an output depends on an Input not in the model."""
    order, done = [], set()
    stack = [(t.node, False) for t in reversed(outputs)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            order.append(node)
            continue
        if isinstance(node.layer, InputLayer):
            tensor = node.output_tensors[0]
            if id(tensor) not in input_ids:
                raise ValueError(
                    f"Model '{model_name}': an output is not connected to the model's inputs; it depends on "
                    f"Input '{tensor.name}' {_shape_str(tensor.shape)}, which is not in `inputs`. Add it to "
                    f"Model(inputs=[...]) or build the output from the given inputs."
                )
            done.add(id(node))
            continue
        stack.append((node, True))
        for tensor in reversed(node.input_tensors):
            if id(tensor.node) not in done:
                stack.append((tensor.node, False))
    return order
