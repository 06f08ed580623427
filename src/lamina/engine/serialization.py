"""Layers as JSON-able specs ({'class_name', 'config'}) and back, without running code from the spec.

Classes are looked up among lamina's own layers (every Layer subclass defined in lamina registers itself, the
models included), those registered with @register_serializable, and the caller's custom_objects.
"""
import inspect

from lamina.engine.base_layer import BUILTIN_LAYERS
from lamina.serialization import get_registered_objects

# Names files use for a class that is registered under another name: Keras 3 calls a functional Model 'Functional'.
CLASS_ALIASES = {"Functional": "Model"}


def serialize_layer(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize_layer(spec, custom_objects=None):
    """A layer (or model) from {'class_name', 'config'}: built-in classes, registered ones, or custom_objects."""
    name = spec.get("class_name")
    classes = {**BUILTIN_LAYERS, **get_registered_objects(), **(custom_objects or {})}
    cls = classes.get(name) or classes.get(CLASS_ALIASES.get(name))
    if cls is None:
        raise ValueError(
            f"Unknown layer class '{name}'. If it is a custom layer, pass custom_objects={{'{name}': {name}}} "
            f"(or register the class with @lamina.saving.register_serializable())."
        )
    config = spec.get("config", {})
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(config, custom_objects=custom_objects)
    return cls.from_config(config)
