"""K.function, which evaluates part of a model graph, and K.gradients on symbolic tensors.

Keras 1/2 code computes on the symbolic outputs of layers, e.g.
`K.function([model.input, K.learning_phase()], [model.layers[2].output])` to read a hidden layer, or
`K.gradients(K.mean(layer.output[:, 0]), model.input)` for a saliency map. Here a K.* function, arithmetic or
indexing on symbolic tensors becomes a Lambda layer in the graph, K.gradients a Gradient layer
(torch.autograd.grad), and K.function runs the graph's nodes between the given inputs and outputs.
"""
import numpy as np
import torch

from lamina import config
from lamina.backend.common import LearningPhase
from lamina.engine.base_layer import Layer, TensorSpec, is_symbolic
from lamina.engine.graph import Graph
from lamina.engine.input_layer import InputLayer
from lamina.structure import flatten


class Gradient(Layer):
    """The gradient of a symbolic loss (summed) with respect to a tensor of its graph or a weight.

    K.gradients(loss, variables) returns this layer's outputs when `loss` is symbolic, so the result is a
    symbolic tensor like any other: K.* functions and arithmetic apply (`grads / (K.sqrt(K.mean(K.square(grads)))
    + 1e-5)`), and K.function evaluates it. The graph is differentiable (create_graph=True).

    Args:
        weight: a weight tensor (e.g. `layer.kernel`) to differentiate with respect to; None when the layer is
            called on `[loss, symbolic_tensor]` instead.
    """

    def __init__(self, weight=None, **kwargs):
        super().__init__(**kwargs)
        self._weight = [] if weight is None else [weight]  # in a list: the weight stays its own layer's parameter
        self.built = True

    def call(self, inputs):
        loss, variable = (inputs, self._weight[0]) if self._weight else inputs
        if not loss.requires_grad:
            raise ValueError("Symbolic gradients (from K.gradients) are computed by K.function; a model "
                             "containing them cannot be run by predict() or under torch.no_grad().")
        (gradient,) = torch.autograd.grad(loss, [variable], grad_outputs=torch.ones_like(loss), create_graph=True,
                                          allow_unused=True)
        return torch.zeros_like(variable) if gradient is None else gradient

    def compute_output_spec(self, inputs, *args, **kwargs):
        variable = self._weight[0] if self._weight else inputs[1]
        return TensorSpec(tuple(variable.shape), variable.dtype)


def symbolic_gradients(loss, variables):
    """K.gradients on a symbolic loss: one symbolic gradient per variable (graph tensor or weight)."""
    return [Gradient()([loss, variable]) if is_symbolic(variable) else Gradient(variable)(loss)
            for variable in variables]


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
            if not is_symbolic(tensor):
                raise TypeError(f"K.function outputs must be symbolic tensors of the model (layer.output, K.* "
                                f"results on them, K.gradients of them), received {type(tensor).__name__}.")
        self.graph = Graph([t for t in self.inputs if is_symbolic(t)], self.outputs, "K.function")
        self.with_gradients = any(isinstance(layer, Gradient) for layer in self.graph.layers)

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
            results = self.graph.run(tensors, training)
        arrays = [result.detach().cpu().numpy() for result in results]
        return arrays[0] if self.single_output else arrays
