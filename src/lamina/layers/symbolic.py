"""Symbolic tensors and nodes: the graph a functional or Sequential model is made of."""
import torch

from lamina import config


class SymbolicTensor:
    """A placeholder for a tensor while a model is being defined.

    It has a shape (None for sizes only known when data arrives, such as the batch size) and a dtype, and
    remembers the node (layer call) that produced it, so a model can be traced back from its outputs.
    """

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
