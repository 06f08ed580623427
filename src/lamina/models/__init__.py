"""Models: Sequential and the functional Model."""
from lamina.models.functional import Model
from lamina.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
