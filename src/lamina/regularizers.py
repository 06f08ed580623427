"""Weight regularizers: penalties added to the training loss.

Example:
    >>> from lamina.layers import Dense
    >>> Dense(3, kernel_regularizer="l2")
"""
import torch

from lamina.identifiers import resolve
from lamina.serialization import Configurable


class Regularizer(Configurable):
    """Base class: `regularizer(weight)` returns a scalar penalty."""

    def __call__(self, weight):
        return torch.zeros((), dtype=weight.dtype, device=weight.device)


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, weight):
        penalty = torch.zeros((), dtype=weight.dtype, device=weight.device)
        if self.l1:
            penalty = penalty + self.l1 * weight.abs().sum()
        if self.l2:
            penalty = penalty + self.l2 * weight.square().sum()
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


def l1(l1=0.01):
    return L1(l1)


def l2(l2=0.01):
    return L2(l2)


def l1_l2(l1=0.01, l2=0.01):
    return L1L2(l1, l2)


REGULARIZERS = {"l1": L1, "l2": L2, "l1_l2": L1L2}


def get(identifier):
    """Returns a regularizer for a name ('l2'), a config dict, an instance, a callable, or None."""
    if identifier is None:
        return None
    return resolve("regularizer", identifier, REGULARIZERS, base_class=Regularizer)
