"""Symbolic tensors and nodes: the graph a functional or Sequential model is made of."""
import operator

import torch

from lamina import config


def _graph_operator(operation, reflected=False):
    """A SymbolicTensor method computing `operation` in a new Lambda layer of the graph (x * 2, x[:, 0], x + y)."""

    def method(self, *other):
        from lamina.backend import graph  # the backend builds on layers: imported when first used

        return graph.symbolic_operation(operation, self, *other, reflected=reflected)

    method.__name__ = f"__{'r' if reflected else ''}{operation.__name__}__"
    return method


class SymbolicTensor:
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
        self.shape = tuple(None if size is None else int(size) for size in shape)
        self.dtype = dtype if dtype is not None else config.floatx_dtype()
        self.node = node
        self.index = index
        self.name = name

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def layer(self):
        """The layer whose call produced this tensor."""
        return self.node.layer if self.node is not None else None

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
        from lamina.structure import flatten

        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs
        self.input_tensors = [leaf for leaf in flatten([args, kwargs]) if isinstance(leaf, SymbolicTensor)]
        self.output_tensors = flatten(outputs)
        for index, tensor in enumerate(self.output_tensors):
            tensor.node, tensor.index = self, index
        layer._inbound_nodes.append(self)

    @property
    def parent_nodes(self):
        return [tensor.node for tensor in self.input_tensors]


def is_symbolic(value):
    return isinstance(value, SymbolicTensor)


def meta_tensor(spec, fill):
    """A meta-device tensor with spec's shape, unknown sizes replaced by `fill` (no memory, no compute)."""
    shape = tuple(fill if size is None else size for size in spec.shape)
    return torch.empty(shape, dtype=spec.dtype, device="meta")
