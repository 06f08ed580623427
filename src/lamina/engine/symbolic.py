"""Symbolic tensors and nodes: the graph a functional or Sequential model is made of.

Calling a layer on a SymbolicTensor records a Node (the layer, its arguments and its symbolic outputs);
arithmetic, indexing and graph-aware functions on symbolic tensors add Lambda layers to the graph.
"""
import contextvars
import functools
import operator

import numpy as np
import torch

from lamina.engine.base_layer import TensorSpec, is_symbolic
from lamina.engine.lambda_layer import Lambda
from lamina.structure import flatten, map_structure


def _graph_operator(operation, reflected=False):
    """A SymbolicTensor method computing `operation` in a new Lambda layer of the graph (x * 2, x[:, 0], x + y)."""

    def method(self, *other):
        return symbolic_operation(operation, self, *other, reflected=reflected)

    method.__name__ = f"__{'r' if reflected else ''}{operation.__name__}__"
    return method


class SymbolicTensor(TensorSpec):
    """A placeholder for a tensor while a model is being defined.

    It has a shape (None for sizes only known when data arrives, such as the batch size) and a dtype, and
    remembers the node (layer call) that produced it, so a model can be traced back from its outputs.
    Arithmetic and indexing (`x[:, 0]`, `2 * x`, `x - y`, `-x`, `x ** 2`, `x @ w`) add a Lambda layer to the graph
    and return its output, as on Keras tensors; so do the K.* functions of lamina.backend.
    """

    __array_ufunc__ = None  # numpy arrays and scalars leave `array * x` to the reflected methods below
    __getitem__ = _graph_operator(operator.getitem)
    __add__, __radd__ = _graph_operator(operator.add), _graph_operator(operator.add, reflected=True)
    __sub__, __rsub__ = _graph_operator(operator.sub), _graph_operator(operator.sub, reflected=True)
    __mul__, __rmul__ = _graph_operator(operator.mul), _graph_operator(operator.mul, reflected=True)
    __truediv__ = _graph_operator(operator.truediv)
    __rtruediv__ = _graph_operator(operator.truediv, reflected=True)
    __pow__, __rpow__ = _graph_operator(operator.pow), _graph_operator(operator.pow, reflected=True)
    __matmul__, __rmatmul__ = _graph_operator(operator.matmul), _graph_operator(operator.matmul, reflected=True)
    __neg__, __abs__ = _graph_operator(operator.neg), _graph_operator(operator.abs)

    def __init__(self, shape, dtype=None, node=None, index=0, name=None):
        super().__init__(shape, dtype)
        self.node = node
        self.index = index
        self.name = name

    @property
    def layer(self):
        """The layer whose call produced this tensor."""
        return self.node.layer if self.node is not None else None

    def record_layer_call(self, layer, *args, **kwargs):
        """Adds `layer(*args, **kwargs)` to the graph: a Node, and symbolic outputs of the shapes it computes."""
        inputs = args[0] if args else kwargs.pop("inputs")
        specs = layer.symbolic_output_specs(inputs, *args[1:], **kwargs)
        outputs = map_structure(lambda spec: SymbolicTensor(spec.shape, spec.dtype), specs)
        Node(layer, (inputs,) + tuple(args[1:]), kwargs, outputs)
        return outputs

    def __repr__(self):
        source = f", produced by '{self.layer.name}'" if self.node is not None else ""
        return f"<SymbolicTensor shape={self.shape}, dtype={str(self.dtype).replace('torch.', '')}{source}>"

    def __bool__(self):
        raise TypeError(
            "A SymbolicTensor has no value while the model is being defined; it cannot be used in `if` or "
            "`and`/`or`. Put data-dependent logic inside a layer's call() or a Lambda layer."
        )

    def __len__(self):
        raise TypeError("A SymbolicTensor has no length while the model is being defined; use `.shape`.")

    def __iter__(self):
        raise TypeError("A SymbolicTensor cannot be iterated while the model is being defined; index it "
                        "(x[:, 0]) or use `.shape`.")


class Node:
    """One call of a layer on symbolic tensors: its arguments and the symbolic outputs it produced."""

    def __init__(self, layer, args, kwargs, outputs):
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs
        self.input_tensors = [leaf for leaf in flatten([args, kwargs]) if is_symbolic(leaf)]
        self.output_tensors = flatten(outputs)
        for index, tensor in enumerate(self.output_tensors):
            tensor.node, tensor.index = self, index
        layer._inbound_nodes.append(self)

    @property
    def parent_nodes(self):
        return [tensor.node for tensor in self.input_tensors]


class _Slot:
    """Where the i-th symbolic argument goes when a graph-aware function runs on real tensors."""

    def __init__(self, index):
        self.index = index


class GraphValues:
    """The values a model graph's symbolic tensors take in one forward pass (by id), bound while a loss runs.

    Keras 1 evaluated losses on the graph, so a loss could close over inner layers' outputs (the variational
    autoencoder's `K.mean(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var))`). While values are bound,
    arithmetic and K.* functions on those symbolic tensors compute on their values instead of adding layers. A
    tensor the outputs do not need is computed from the same pass's values when the loss first asks for it.
    `used` tells whether the loss read any.

    Args:
        graph: the model's Graph; `values` holds its inputs' values (and, after the run, every tensor's).
        training: the mode the pass runs in (for the tensors computed on demand).
    """

    def __init__(self, graph, training):
        self.graph, self.training = graph, training
        self.values = {}
        self.used = False

    def value_of(self, tensor):
        if self.graph is None:
            raise TypeError(
                f"The loss uses {tensor}, a symbolic output of a model's layer (a Keras 1 loss closing over it), "
                f"whose value is not kept here (jit_compile=True, or a train_step of your own calling "
                f"compute_loss). Compile without jit_compile and keep the built-in train_step, or add the term "
                f"inside the model with add_loss().")
        if id(tensor) not in self.values:
            try:
                branch = self.graph.branch_to(tensor)
            except ValueError:
                raise ValueError(f"The loss uses {tensor}, which is not a tensor of the model being trained: a "
                                 f"loss can use the outputs of the model's own layers only.") from None
            branch.run([self.values[id(t)] for t in branch.inputs], self.training, values=self.values)
        self.used = True
        return self.values[id(tensor)]


# Bound while a loss runs without a forward pass's values: symbolic tensors in the loss are then an error.
NO_VALUES = GraphValues(None, None)

_BOUND_VALUES = contextvars.ContextVar("lamina_bound_graph_values", default=None)


def bind_values(values):
    """Binds a GraphValues (or NO_VALUES) until unbind_values(the returned token); see GraphValues."""
    return _BOUND_VALUES.set(values)


def unbind_values(token):
    _BOUND_VALUES.reset(token)


def values_bound():
    """Whether a GraphValues is bound (a loss is running)."""
    return _BOUND_VALUES.get() is not None


def graph_aware(function):
    """Makes a tensor function also accept symbolic tensors, by adding a Lambda layer that calls it (or, while
    a loss runs with bound graph values, by calling it on the symbolic tensors' values)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        symbolic = [leaf for leaf in flatten([list(args), kwargs]) if is_symbolic(leaf)]
        if not symbolic:
            return function(*args, **kwargs)
        bound = _BOUND_VALUES.get()
        if bound is not None:
            filled_args, filled_kwargs = map_structure(
                lambda value: bound.value_of(value) if is_symbolic(value) else value, [list(args), kwargs])
            return function(*filled_args, **filled_kwargs)
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


def symbolic_operation(operation, tensor, *other, reflected=False):
    """operation(tensor, *other) (or operation(other, tensor) when reflected) as a Lambda layer of tensor's graph.

    This is what arithmetic and indexing on symbolic tensors run: `model.output[:, 0]`, `2 * layer.output`,
    `x - y`. Numpy arrays and tensors among `other` are moved to the computed tensor's device.
    """

    def compute(x, *rest):
        rest = [_on_device_of(x, value) for value in rest]
        return operation(*rest, x) if reflected else operation(x, *rest)

    compute.__name__ = operation.__name__
    return graph_aware(compute)(tensor, *other)


def _on_device_of(tensor, value):
    if isinstance(value, np.ndarray):
        value = torch.as_tensor(value)
        if value.is_floating_point() and tensor.is_floating_point():
            value = value.to(tensor.dtype)
    return value.to(tensor.device) if isinstance(value, torch.Tensor) and value.dim() else value
