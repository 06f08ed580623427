"""load_model and model_from_json: a model rebuilt from its saved config, with no code run from the file."""
import json

from lamina.engine.serialization import deserialize_layer
from lamina.model_file import ModelFileError, apply_weights, read_model_file
from lamina.models.functional import Model  # noqa: F401  (registers the model classes for deserialize_layer)
from lamina.models.sequential import Sequential  # noqa: F401
from lamina.serialization import get_registered_objects
from lamina.training.compile_config import compile_arguments


def load_with_metadata(path, key, owner, kind):
    """(model, settings): the uncompiled model saved at `path` and its metadata[key], which an application
    (ImageClassifier, TextClassifier, ...) wrote there; a ValueError from `owner` when the file has none, saying it
    holds a lamina model but not `kind`."""
    model = load_model(path, compile=False)
    settings = (model.metadata or {}).get(key)
    if settings is None:
        raise ValueError(f"{owner}: '{path}' holds a lamina model but not {kind}; load it with "
                         f"lamina.models.load_model.")
    return model, settings


def load_model(path, custom_objects=None, compile=True, safe_mode=True):
    """Rebuilds a model saved with model.save(): architecture, weights, and (with compile=True) its compile
    settings and optimizer state, so training continues where it stopped.

    Classes and functions are looked up among lamina's own, those registered with @register_serializable, and
    `custom_objects` ({'Name': class_or_function}); nothing named in the file is imported or executed.

    Raises:
        FileNotFoundError: no file at `path`.
        ModelFileError (a ValueError): the file is truncated, corrupted or not a lamina model.
        ValueError: the file names a class lamina does not know (pass it in custom_objects), or holds a Lambda
            layer under safe_mode.

    Example:
        >>> model.save("model.lamina")
        >>> model = lamina.models.load_model("model.lamina")
    """
    objects = {**get_registered_objects(), **(custom_objects or {})}
    config, weights, optimizer_state = read_model_file(path)
    _check_safe(config["model"], safe_mode)
    try:
        model = deserialize_layer(config["model"], objects)
    except (KeyError, TypeError, AttributeError, IndexError) as error:
        raise ModelFileError(f"'{path}' holds a model config lamina cannot rebuild: {error!r}.") from error
    apply_weights(model, weights, path)
    model.metadata = config.get("metadata")
    if compile and config.get("compile"):
        model.compile(**compile_arguments(config["compile"], objects))
        if optimizer_state is not None:
            model.optimizer.load_state_dict(optimizer_state)
    return model


def model_from_json(json_string, custom_objects=None):
    """Rebuilds an architecture (with fresh weights) from Model.to_json()."""
    return deserialize_layer(json.loads(json_string), custom_objects)


def _check_safe(spec, safe_mode):
    """Refuses Lambda layers anywhere in the config (nested models and wrappers included) under safe_mode."""
    if not safe_mode:
        return
    if isinstance(spec, list):
        for item in spec:
            _check_safe(item, safe_mode)
    elif isinstance(spec, dict):
        if spec.get("class_name") == "Lambda":
            raise ValueError(
                "The model contains a Lambda layer, whose function cannot be loaded without running code from "
                "outside the file. If you trust the file, pass safe_mode=False and "
                "custom_objects={'function_name': function}."
            )
        for value in spec.values():
            _check_safe(value, safe_mode)
