"""Models: Sequential and the functional Model, and loading them from files."""
from lamina.models.functional import Model
from lamina.models.loading import load_model, model_from_json
from lamina.models.sequential import Sequential

__all__ = ["Model", "Sequential", "load_model", "model_from_json"]
