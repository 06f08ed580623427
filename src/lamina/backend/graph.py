"""Backend functions on symbolic tensors (model graphs) and K.function, which evaluates part of a graph.

Keras 1/2 code computes on the symbolic outputs of layers, e.g.
`K.function([model.input, K.learning_phase()], [model.layers[2].output])` to read a hidden layer, or
`K.gradients(K.mean(layer.output), model.input)` for a saliency map. Here a K.* function called on symbolic
tensors becomes a Lambda layer in the graph, and K.function runs the graph's nodes between the given inputs and
outputs (plus torch.autograd for symbolic gradients).
"""
import functools

import numpy as np
import torch

from lamina import config
from lamina.backend.common import LearningPhase
from lamina.layers.custom import Lambda
from lamina.layers.input_layer import InputLayer
from lamina.layers.symbolic import is_symbolic
from lamina.models.functional import _Graph
from lamina.structure import flatten, map_structure


class _Slot:
    """Where the i-th symbolic argument goes when a graph-aware function runs on real tensors."""

    def __init__(self, index):
        self.index = index


def graph_aware(function):
    """Makes a tensor function also accept symbolic tensors, by adding a Lambda layer that calls it."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        symbolic = [leaf for leaf in flatten([list(args), kwargs]) if is_symbolic(leaf)]
        if not symbolic:
            return function(*args, **kwargs)
        slots = {id(tensor): _Slot(index) for index, tensor in enumerate(symbolic)}
        template = map_structure(lambda value: slots[id(value)] if is_symbolic(value) else value, [list(args), kwargs])

        def call(inputs):
            values = inputs if len(symbolic) > 1 else [inputs]
            filled_args, filled_kwargs = map_structure(
                lambda value: values[value.index] if isinstance(value, _Slot) else value, template)
            return function(*filled_args, **filled_kwargs)

        call.__name__ = function.__name__
        return Lambda(call)(symbolic if len(symbolic) > 1 else symbolic[0])

    return wrapper


class SymbolicGradient:
    """K.gradients(loss, variable) on a symbolic loss: evaluated by K.function."""

    def __init__(self, loss, variable):
        self.loss, self.variable = loss, variable

    @property
    def shape(self):
        return tuple(self.variable.shape)


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """A Python function computing `outputs` from values for `inputs`, as Keras's K.function.

    Args:
        inputs: list of model inputs (`model.input`, `model.inputs`, Input tensors), optionally with
            K.learning_phase() (fed 1 for training mode, 0 for test mode; test mode when absent).
        outputs: list of symbolic tensors of the same graph (`layer.output`, results of K.* functions on them,
            K.gradients of such a result).
        updates: not supported (lamina trains with fit or a torch loop); must be None or empty.

    Returns:
        f(values) -> list of numpy arrays, one per output, where `values` lists one array per input.

    Example:
        >>> get_hidden = K.function([model.input, K.learning_phase()], [model.layers[1].output])
        >>> hidden = get_hidden([x, 0])[0]
    """
    if updates:
        raise ValueError("K.function(updates=...) is not supported: lamina updates weights in fit() or with a "
                         "torch optimizer in a PyTorch loop. Pass only inputs and outputs.")
    if kwargs:
        raise TypeError(f"K.function() got unexpected keyword arguments {sorted(kwargs)}.")
    return GraphFunction(inputs, outputs)


class GraphFunction:
    """The callable K.function returns."""

    def __init__(self, inputs, outputs):
        self.inputs = flatten(inputs)
        self.single_output = not isinstance(outputs, (list, tuple))
        self.outputs = flatten(outputs)
        for tensor in self.inputs:
            if not isinstance(tensor, LearningPhase) and not (is_symbolic(tensor) and isinstance(tensor.layer,
                                                                                                    InputLayer)):
                raise TypeError(f"K.function inputs must be model inputs (Input tensors, model.input) or "
                                f"K.learning_phase(), received {tensor!r}.")
        for tensor in self.outputs:
            if not is_symbolic(tensor) and not isinstance(tensor, SymbolicGradient):
                raise TypeError(f"K.function outputs must be symbolic tensors of the model (layer.output, K.* "
                                f"results on them) or K.gradients of one, received {type(tensor).__name__}.")
        self.graph_inputs = [t for t in self.inputs if is_symbolic(t)]
        needed = []
        for tensor in self.outputs:
            parts = [tensor.loss, tensor.variable] if isinstance(tensor, SymbolicGradient) else [tensor]
            needed += [part for part in parts if is_symbolic(part) and all(part is not t for t in needed)]
        self.needed = needed
        self.graph = _Graph(self.graph_inputs, needed, "K.function")
        self.with_gradients = any(isinstance(tensor, SymbolicGradient) for tensor in self.outputs)

    def __call__(self, values):
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if len(values) != len(self.inputs):
            raise ValueError(f"This K.function takes {len(self.inputs)} input values (one per input: "
                             f"{self.inputs}), received {len(values)}.")
        training = False
        tensors = []
        device = next((p.device for layer in self.graph.layers for p in layer.parameters()), config.device())
        for spec, value in zip(self.inputs, values):
            if isinstance(spec, LearningPhase):
                training = bool(int(np.asarray(value)))
                continue
            tensor = torch.as_tensor(np.asarray(value) if not isinstance(value, torch.Tensor) else value,
                                     device=device)
            if tensor.is_floating_point():
                tensor = tensor.to(spec.dtype)
                if self.with_gradients:
                    tensor.requires_grad_(True)
            tensors.append(tensor)
        with torch.set_grad_enabled(self.with_gradients):
            computed = dict(zip(map(id, self.needed), self.graph.run(tensors, training)))
            results = [self._gradient(tensor, computed, tensors) if isinstance(tensor, SymbolicGradient)
                       else computed[id(tensor)] for tensor in self.outputs]
        arrays = [result.detach().cpu().numpy() for result in results]
        return arrays[0] if self.single_output else arrays

    def _gradient(self, gradient, computed, input_tensors):
        loss = computed[id(gradient.loss)]
        if is_symbolic(gradient.variable):
            position = next((i for i, t in enumerate(self.graph_inputs) if t is gradient.variable), None)
            variable = input_tensors[position] if position is not None else computed[id(gradient.variable)]
        else:
            variable = gradient.variable
        (result,) = torch.autograd.grad(loss, [variable], grad_outputs=torch.ones_like(loss), retain_graph=True,
                                        allow_unused=True)
        return torch.zeros_like(variable) if result is None else result
