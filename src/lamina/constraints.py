"""Weight constraints, applied after each optimizer step on the weight in Keras's layout.

Example:
    >>> from lamina.layers import Dense
    >>> Dense(3, kernel_constraint="max_norm")
"""
import torch

from lamina import config
from lamina.identifiers import resolve
from lamina.serialization import Configurable


class Constraint(Configurable):
    """Base class: `constraint(weight)` returns the projected weight."""

    def __call__(self, weight):
        return weight


def _norms(weight, axis):
    return torch.sqrt(torch.sum(weight.square(), dim=axis, keepdim=True))


class MaxNorm(Constraint):
    def __init__(self, max_value=2.0, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, weight):
        norms = _norms(weight, self.axis)
        desired = torch.clamp(norms, 0, self.max_value)
        return weight * (desired / (config.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    def __call__(self, weight):
        return weight * (weight >= 0).to(weight.dtype)


class UnitNorm(Constraint):
    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, weight):
        return weight / (config.epsilon() + _norms(weight, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, weight):
        norms = _norms(weight, self.axis)
        desired = self.rate * torch.clamp(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return weight * (desired / (config.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


CONSTRAINTS = {
    "max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm,
}


def get(identifier):
    """Returns a constraint for a name ('max_norm'), a config dict, an instance, a callable, or None."""
    if identifier is None:
        return None
    return resolve("constraint", identifier, CONSTRAINTS, base_class=Constraint)
