"""A model graph's nodes between its inputs and outputs, in execution order, and running them on tensors."""
import functools
import itertools

import torch
from torch import nn
from torch.nn.modules import module as torch_modules

from lamina.engine.base_layer import Layer, accepted_call_arguments, format_shape, is_symbolic
from lamina.engine.input_layer import InputLayer
from lamina.structure import flatten, map_structure, pack_like


class Graph:
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

    def run(self, input_values, training, input_mask=None, values=None):
        """The outputs for a list of input tensors. `values`, a dict, receives every tensor of the graph by the
        id of its symbolic tensor (for a loss that reads inner layers' outputs; see lamina.engine.symbolic)."""
        releases = None
        if values is None:
            if self.chain is not None and input_mask is None and not needs_module_calls():
                return self._run_chain(input_values[0], training)
            values, releases = {}, self.releases
        values.update(zip(self._input_ids, input_values))
        masks = dict(zip(self._input_ids, flatten(input_mask))) if input_mask is not None else {}
        for layer in self.layers:
            if layer._activity_losses:
                layer._activity_losses.clear()
        in_place = releases is not None and not masks and not torch.is_grad_enabled()
        for index, step in enumerate(self.steps):
            if step.output_ids[0] not in values:  # a branch run for a loss skips what the pass computed
                if in_place and step.can_overwrite(values, releases[index], input_values):
                    step.run_in_place(values)
                else:
                    step.run(values, masks, training)
            if releases is not None:
                for tensor_id in releases[index]:
                    del values[tensor_id]
        return pack_like(self.nested_outputs, [values[i] for i in self._output_ids])

    @functools.cached_property
    def steps(self):
        return [_Step(node) for node in self.nodes]

    @functools.cached_property
    def releases(self):
        """Per step, the ids of the tensors no later step reads (the outputs excepted): run() drops them after
        that step, so a deep ConvNet holds a few activations at a time instead of all of them (allocating
        fresh memory for every layer made ResNet50's inference 3x slower than torchvision's)."""
        last_reader = {}
        for index, node in enumerate(self.nodes):
            for value in flatten([node.args, list(node.kwargs.values())]):
                if is_symbolic(value):
                    last_reader[id(value)] = index
        releases = [[] for _ in self.nodes]
        for tensor_id, index in last_reader.items():
            if tensor_id not in self._output_ids:
                releases[index].append(tensor_id)
        return releases

    def branch_to(self, tensor):
        """The Graph from this graph's inputs to `tensor` (cached); a ValueError if the inputs cannot reach it."""
        branches = self.__dict__.setdefault("_branches", {})
        if id(tensor) not in branches:
            branches[id(tensor)] = (tensor, Graph(self.nested_inputs, tensor, "the loss"))
        return branches[id(tensor)][1]

    @functools.cached_property
    def chain(self):
        """(layer, layer.call, whether call takes `training`) per node when the graph is a chain (each node's only
        argument is the previous node's only output, no masks, one input and one output), else None.

        A chain runs as one loop of direct call()s (the seed models are chains); with hooks, a tracer or an
        activity regularizer, each layer goes through nn.Module.__call__ instead, as in the general path.
        """
        previous = self.nested_inputs
        chain = []
        for node in self.nodes:
            layer = node.layer
            single = len(node.args) == 1 and node.args[0] is previous and not node.kwargs
            if not (single and node.outputs is node.output_tensors[0] and len(node.output_tensors) == 1
                    and type(layer).compute_mask is Layer.compute_mask and type(layer).forward is Layer.forward):
                return None
            chain.append((layer, layer.call, accepted_call_arguments(type(layer))[0]))
            previous = node.outputs
        return chain if previous is self.nested_outputs and self.nodes else None

    def _run_chain(self, value, training):
        for layer, call, takes_training in self.chain:
            if layer._activity_losses:
                layer._activity_losses.clear()
            if has_hooks(layer) or layer.activity_regularizer is not None or layer._compiled_call_impl is not None:
                value = nn.Module.__call__(layer, value, **({"training": training} if takes_training else {}))
            elif takes_training:
                value = call(value, training=training)
            else:
                value = call(value)
        return value


class _Step:
    """One node, prepared for fast repeated execution (the common one-input, no-keyword case has no lookups)."""

    def __init__(self, node):
        self.layer = node.layer
        self.node = node
        self.accepts_training, self.accepts_mask = accepted_call_arguments(type(node.layer))
        self.single_input = id(node.args[0]) if len(node.args) == 1 and is_symbolic(node.args[0]) and not node.kwargs else None
        self.output_ids = [id(t) for t in node.output_tensors]
        self.default_mask = type(node.layer).compute_mask is Layer.compute_mask
        in_place_call = getattr(node.layer, "in_place_call", None)
        self.in_place_call = in_place_call(node.args[0]) if in_place_call and not node.kwargs else None
        self.input_ids = [id(tensor) for tensor in flatten(node.args[0])]  # the first is what in place overwrites

    def can_overwrite(self, values, released, input_values):
        """Whether this step may write its result into its (first) input: the layer has an in-place form, no
        later step reads that tensor, and no other live tensor or model input shares its memory (views)."""
        source_id = self.input_ids[0]
        if self.in_place_call is None or source_id not in released or has_hooks(self.layer):
            return False
        memory = values[source_id].untyped_storage().data_ptr()
        others = itertools.chain((value for key, value in values.items() if key != source_id), input_values)
        return all(not isinstance(value, torch.Tensor) or value.untyped_storage().data_ptr() != memory
                   for value in others)

    def run_in_place(self, values):
        values[self.output_ids[0]] = self.in_place_call(*(values[tensor_id] for tensor_id in self.input_ids))

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


def has_hooks(module):
    """Whether forward or backward hooks are registered on this module (so it must be called through
    nn.Module.__call__, which runs them)."""
    return bool(module._forward_hooks or module._forward_pre_hooks or module._backward_hooks
                or module._backward_pre_hooks)


def needs_module_calls():
    """Whether every module call must go through nn.Module.__call__: global hooks are registered or a tracer
    (torch.jit.trace) runs."""
    return bool(torch_modules._global_forward_hooks or torch_modules._global_forward_pre_hooks
                or torch_modules._global_backward_hooks or torch_modules._global_backward_pre_hooks
                or torch._C._get_tracing_state())


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
                    f"Input '{tensor.name}' {format_shape(tensor.shape)}, which is not in `inputs`. Add it to "
                    f"Model(inputs=[...]) or build the output from the given inputs."
                )
            done.add(id(node))
            continue
        stack.append((node, True))
        for tensor in reversed(node.input_tensors):
            if id(tensor.node) not in done:
                stack.append((tensor.node, False))
    return order
