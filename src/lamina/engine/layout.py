"""Conversions between a weight's PyTorch layout (how lamina stores it) and Keras 3's layout.

lamina keeps weights in the layout PyTorch's kernels want (a Dense kernel is (out, in), a Conv2D kernel
(out, in, kh, kw)), so no op pays for a permute. get_weights()/set_weights(), initializers and constraints
see Keras's layout, so weights move between Keras and lamina unchanged.

4-D weights (2-D convolution kernels) are stored in channels_last memory format (`stored`): PyTorch then runs
the convolution and the layers after it channels last, 1.3-2.4x faster inference and up to 10x faster
depthwise training on CPU (docs/design.md, "Convolution kernels in channels_last memory").
"""
import torch


class Layout:
    """The identity: the weight is stored in Keras's layout (custom layers' weights)."""

    def to_keras(self, tensor):
        return tensor

    def from_keras(self, tensor):
        return tensor


IDENTITY = Layout()


def stored(tensor):
    """`tensor` in the memory layout lamina keeps weights in: channels_last if 4-D, else contiguous."""
    return tensor.contiguous(memory_format=torch.channels_last if tensor.dim() == 4 else torch.contiguous_format)


class Permuted(Layout):
    """Keras layout = torch layout with its axes permuted by `permutation`."""

    def __init__(self, permutation):
        self.permutation = tuple(permutation)
        self.inverse = tuple(self.permutation.index(axis) for axis in range(len(self.permutation)))

    def to_keras(self, tensor):
        return tensor.permute(self.permutation)

    def from_keras(self, tensor):
        return stored(tensor.permute(self.inverse))


TRANSPOSED = Permuted((1, 0))


def conv_kernel(rank):
    """Conv kernels: torch (out, in, *k) <-> Keras (*k, in, out)."""
    return Permuted(tuple(range(2, rank + 2)) + (1, 0))


class GateReordered(Layout):
    """Recurrent weights: torch stacks gates along axis 0 in its order; Keras along the last axis in its own.

    `order[i]` is the torch gate index of Keras's gate i. With `transpose`, a 2-D torch weight (gates*units, n)
    is Keras's (n, gates*units); without it a 1-D bias is only reordered.
    """

    def __init__(self, order, transpose=True):
        self.order = tuple(order)
        self.transpose = transpose

    def to_keras(self, tensor):
        chunks = tensor.chunk(len(self.order), dim=0)
        stacked = torch.cat([chunks[index] for index in self.order], dim=0)
        return stacked.T if self.transpose else stacked

    def from_keras(self, tensor):
        if self.transpose:
            tensor = tensor.T
        chunks = tensor.chunk(len(self.order), dim=0)
        torch_chunks = [None] * len(self.order)
        for keras_index, torch_index in enumerate(self.order):
            torch_chunks[torch_index] = chunks[keras_index]
        return torch.cat(torch_chunks, dim=0).contiguous()
