"""Models: Sequential and the functional Model, and loading them from files."""
import json

from lamina.models.functional import Model
from lamina.models.sequential import Sequential
from lamina.saving import load_model


def model_from_json(json_string, custom_objects=None):
    """Rebuilds an architecture (with fresh weights) from Model.to_json()."""
    from lamina.models.config import deserialize_layer

    return deserialize_layer(json.loads(json_string), custom_objects)


__all__ = ["Model", "Sequential", "load_model", "model_from_json"]
