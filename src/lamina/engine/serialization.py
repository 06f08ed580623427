"""Layers as JSON-able specs ({'class_name', 'config'}) and back, without running code from the spec.

Classes are looked up among lamina's own layers (every Layer subclass defined in lamina registers itself, the
models included), those registered with @register_serializable, and the caller's custom_objects.
"""
import importlib
import inspect

from lamina.engine.base_layer import BUILTIN_LAYERS
from lamina.serialization import get_registered_objects

# Names files use for a class that is registered under another name: Keras 3 calls a functional Model 'Functional'.
CLASS_ALIASES = {"Functional": "Model"}
# lamina packages whose own layers (lamina.applications.convnext's LayerScale ...) register only once imported:
# imported when a spec names a class not known yet, so that their saved models load in a new process.
LAYER_PACKAGES = ("lamina.applications", "lamina.vision.box_regressor", "lamina.wrappers.networks")


def serialize_layer(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize_layer(spec, custom_objects=None):
    """A layer (or model) from {'class_name', 'config'}: built-in classes, registered ones, or custom_objects."""
    name = spec.get("class_name")
    cls = _layer_class(name, custom_objects)
    if cls is None:
        for package in LAYER_PACKAGES:
            importlib.import_module(package)
        cls = _layer_class(name, custom_objects)
    if cls is None:
        raise ValueError(
            f"Unknown layer class '{name}'. If it is a custom layer, pass custom_objects={{'{name}': {name}}} "
            f"(or register the class with @lamina.saving.register_serializable())."
        )
    config = spec.get("config", {})
    if "custom_objects" in inspect.signature(cls.from_config).parameters:
        return cls.from_config(config, custom_objects=custom_objects)
    return cls.from_config(config)


def _layer_class(name, custom_objects):
    classes = {**BUILTIN_LAYERS, **get_registered_objects(), **(custom_objects or {})}
    return classes.get(name) or classes.get(CLASS_ALIASES.get(name))
