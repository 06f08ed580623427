"""Input: the entry point of a model graph; get_source_inputs: the Inputs a tensor is computed from."""
import torch

from lamina import config, legacy
from lamina.engine.base_layer import STRING, Layer
from lamina.engine.symbolic import Node, SymbolicTensor
from lamina.structure import flatten


def _torch_dtype(dtype):
    if dtype is None:
        return config.floatx_dtype()
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype in (STRING, str):
        return STRING
    try:
        return getattr(torch, str(dtype))
    except AttributeError:
        raise ValueError(f"Input: unknown dtype {dtype!r}. Use 'float32', 'int32', 'int64', ... or 'string'.") from None


class InputLayer(Layer):
    """The layer behind Input(); it holds the model input's shape and dtype and passes data through."""

    legacy_arguments = legacy.arguments("input_dtype")

    def __init__(self, shape=None, batch_size=None, dtype=None, batch_shape=None, name=None, sparse=None,
                 input_shape=None, batch_input_shape=None, **kwargs):
        shape = shape if shape is not None else input_shape
        batch_shape = batch_shape if batch_shape is not None else batch_input_shape
        if shape is None and batch_shape is None:
            raise ValueError("Input needs a shape: pass `shape=(...)` without the batch axis, e.g. Input(shape=(2,)).")
        if shape is not None and batch_shape is not None:
            raise ValueError("Input: pass `shape` or `batch_shape`, not both.")
        if sparse:
            raise ValueError("Input(sparse=True) is not supported; pass dense arrays or tensors.")
        if isinstance(shape, int):
            shape = (shape,)
        batch_shape = tuple(batch_shape) if batch_shape is not None else (batch_size,) + tuple(shape)
        torch_dtype = _torch_dtype(dtype)
        super().__init__(name=name, dtype=str(torch_dtype).replace("torch.", ""), batch_input_shape=batch_shape,
                         **kwargs)
        self.built = True
        output = SymbolicTensor(batch_shape, torch_dtype, name=self.name)
        Node(self, (), {}, output)

    def get_config(self):
        return {"batch_shape": list(self._batch_input_shape), "dtype": self.dtype, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, batch_shape=None, name=None, sparse=None, tensor=None,
          **kwargs):
    """A symbolic model input of the given shape (batch axis excluded), to call layers on.

    Example:
        >>> x = Input(shape=(2,))
        >>> x.shape
        (None, 2)
    """
    if tensor is not None:
        raise ValueError("Input(tensor=...) is not supported; create the Input and call layers on it.")
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape, name=name,
                      sparse=sparse, **kwargs).output


def get_source_inputs(tensor):
    """The Input tensors that `tensor` (or a list of tensors) is computed from, in the order of first use.

    Keras 1/2's `keras.engine.topology.get_source_inputs`: what Model(inputs, outputs) needs as `inputs`.
    """
    found, seen, pending = [], set(), list(reversed(flatten(tensor)))
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current.layer, InputLayer):
            found.append(current)
        else:
            pending.extend(reversed(current.node.input_tensors))
    return found
