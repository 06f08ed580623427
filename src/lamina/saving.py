"""Keras's `keras.saving` names: one-file models, weight files, and registering custom classes by name.

A model file is a zip of JSON (architecture, compile settings) and safetensors (weights, optimizer state); see
lamina.model_file. Loading never unpickles and never runs code from the file: classes are looked up among
lamina's own layers and the custom_objects the caller passes; Lambda layers are refused under safe_mode.

Example:
    >>> model.save("model.lamina")
    >>> model = lamina.models.load_model("model.lamina")
"""
from lamina.model_file import ModelFileError, load_weights, save_weights
from lamina.models.loading import load_model
from lamina.serialization import get_registered_objects, register_keras_serializable, register_serializable


def save_model(model, path, include_optimizer=True):
    """Writes the model to one `.lamina` file, atomically (model.save(path) does the same)."""
    model.save(path, include_optimizer=include_optimizer)


__all__ = ["ModelFileError", "get_registered_objects", "load_model", "load_weights", "register_keras_serializable",
           "register_serializable", "save_model", "save_weights"]
