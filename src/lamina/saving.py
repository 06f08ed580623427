"""One-file model saving: a zip of JSON (architecture, compile settings) and safetensors (weights, optimizer).

Loading never unpickles and never runs code from the file: classes are looked up among lamina's own layers
and the custom_objects the caller passes; Lambda layers are refused under safe_mode.

Example:
    >>> model.save("model.lamina")
    >>> model = lamina.models.load_model("model.lamina")
"""
import io
import json
import os
import zipfile

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

import lamina
from lamina.training.files import atomic_write, atomic_write_archive

FORMAT = "lamina-model"
_TENSOR = "__tensor__"


class ModelFileError(ValueError):
    """A file that is missing, truncated, corrupted or not a lamina model."""


def save_model(model, path, include_optimizer=True):
    """Writes the model to one `.lamina` file, atomically (a crash never leaves a half-written file)."""
    config = {
        "format": FORMAT,
        "lamina_version": lamina.__version__,
        "model": {"class_name": _model_class_name(model), "config": model.get_config()},
        "compile": _compile_config(model) if getattr(model, "compiled", False) else None,
    }
    members = {"config.json": json.dumps(config, indent=1),
               "model.safetensors": save_tensors(_contiguous(model.state_dict()))}
    if include_optimizer and getattr(model, "compiled", False):
        structure, tensors = _split_tensors(model.optimizer.state_dict())
        members.update({"optimizer.json": json.dumps(structure), "optimizer.safetensors": save_tensors(tensors)})
    atomic_write_archive(path, members, compression=zipfile.ZIP_DEFLATED)


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
    """
    objects = {**_REGISTERED, **(custom_objects or {})}
    with _open_archive(path) as archive:
        config = _read_config(archive, path)
        _check_safe(config.get("model"), safe_mode)
        from lamina.models.config import deserialize_layer

        try:
            model = deserialize_layer(config["model"], objects)
        except (KeyError, TypeError, AttributeError, IndexError) as error:
            raise ModelFileError(f"'{path}' holds a model config lamina cannot rebuild: {error!r}.") from error
        _load_state(model, _read_member(archive, "model.safetensors", path, load_tensors), path)
        if compile and config.get("compile"):
            model.compile(**_deserialize_compile(config["compile"], objects))
            if "optimizer.json" in archive.namelist():
                structure = _read_member(archive, "optimizer.json", path, json.loads)
                tensors = _read_member(archive, "optimizer.safetensors", path, load_tensors)
                model.optimizer.load_state_dict(_join_tensors(structure, tensors))
    return model


def _read_member(archive, name, path, parse):
    """parse(bytes of member `name`): json.loads or safetensors' load (which never unpickles)."""
    try:
        return parse(archive.read(name))
    except Exception as error:  # zip, JSON and safetensors decoding fail in many ways on damaged files
        raise ModelFileError(f"'{path}' is damaged: its {name} cannot be read ({error!r}).") from error


_REGISTERED = {}


def register_serializable(package="Custom", name=None):
    """Class decorator (or function decorator) making a custom layer, loss or metric loadable by name.

    Example:
        >>> @lamina.saving.register_serializable()
        ... class Scale(lamina.layers.Layer): ...
        >>> lamina.models.load_model("model.lamina")   # finds Scale without custom_objects
    """
    def register(obj):
        key = name or obj.__name__
        _REGISTERED[key] = obj
        _REGISTERED[f"{package}>{key}"] = obj
        return obj

    return register


register_keras_serializable = register_serializable


def get_registered_objects():
    """The objects registered with @register_serializable, by name."""
    return dict(_REGISTERED)


def save_weights(model, path):
    """Writes the weights (model.state_dict()) as a safetensors file, atomically.

    The file also records the weights' order, so a model of the same architecture whose layers got other
    automatic names (a second copy built in the same session) loads them by position, as Keras does.
    """
    state = _contiguous(model.state_dict())
    atomic_write(path, save_tensors(state, metadata={_ORDER: json.dumps(list(state))}))


_ORDER = "lamina_weight_order"


def safetensors_metadata(data):
    """The {str: str} metadata in the header of safetensors bytes ({} if none)."""
    header_size = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + header_size]).get("__metadata__") or {}


def _saved_order(data):
    """The weight names in saved order, from a safetensors header's metadata (None if not recorded)."""
    metadata = safetensors_metadata(data)
    return json.loads(metadata[_ORDER]) if _ORDER in metadata else None


def load_weights(model, path, skip_mismatch=False):
    """Loads weights from a safetensors file, or from a PyTorch checkpoint with weights_only=True."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No weights file at '{path}'.")
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        state = load_tensors(data)
        order = _saved_order(data)
    except Exception:  # not safetensors: try a PyTorch checkpoint, without unpickling arbitrary objects
        try:
            state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        except Exception as error:
            raise ModelFileError(
                f"'{path}' is neither a safetensors file nor a PyTorch state_dict checkpoint: {error}"
            ) from error
        if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
            state = state["state_dict"]
        order = list(state) if isinstance(state, dict) else None
    _load_state(model, _by_position(model, state, order), path, skip_mismatch)


def _by_position(model, state, order):
    """The saved state renamed to the model's names when names differ but the architecture (shapes in order)
    is the same; otherwise the state unchanged (name matching then reports what does not fit)."""
    own = model.state_dict()
    if order is None or set(order) == set(own) or len(order) != len(own):
        return state
    if any(tuple(state[saved].shape) != tuple(value.shape) for saved, value in zip(order, own.values())):
        return state
    return {name: state[saved] for saved, name in zip(order, own)}


def _load_state(model, state, path, skip_mismatch=False):
    own = model.state_dict()
    missing = [key for key in own if key not in state]
    unexpected = [key for key in state if key not in own]
    mismatched = [key for key in own if key in state and tuple(own[key].shape) != tuple(state[key].shape)]
    if (missing or unexpected or mismatched) and not skip_mismatch:
        details = "; ".join(part for part in (
            missing and f"missing {missing[:5]}", unexpected and f"unexpected {unexpected[:5]}",
            mismatched and "different shapes for " + ", ".join(
                f"{key} (model {tuple(own[key].shape)}, file {tuple(state[key].shape)})" for key in mismatched[:5]),
        ) if part)
        raise ValueError(
            f"The weights in '{path}' do not fit model '{model.name}': {details}. They were saved from another "
            f"architecture; rebuild that architecture, or pass skip_mismatch=True to load only what fits."
        )
    usable = {key: value for key, value in state.items() if key in own and key not in mismatched}
    model.load_state_dict(usable, strict=False)


def _open_archive(path):
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No model file at '{path}'. Check the path; models are saved with model.save().")
    try:
        return zipfile.ZipFile(path)
    except Exception as error:  # BadZipFile, and others on damaged headers
        raise ModelFileError(
            f"'{path}' is not a lamina model file (not a zip archive, or truncated/corrupted: {error}). "
            f"lamina saves models with model.save('name.lamina')."
        ) from error


def _read_config(archive, path):
    try:
        config = json.loads(archive.read("config.json"))
        damaged = archive.testzip()
    except Exception as error:  # zip and JSON decoding fail in many ways on damaged files
        raise ModelFileError(f"'{path}' is not a readable lamina model file: {error!r}.") from error
    if damaged is not None:
        raise ModelFileError(f"'{path}' is damaged: its member {damaged} fails its checksum.")
    if not isinstance(config, dict) or config.get("format") != FORMAT or not isinstance(config.get("model"), dict):
        raise ModelFileError(f"'{path}' is a zip file but not a lamina model (no lamina config.json).")
    return config


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


def _model_class_name(model):
    from lamina.models.sequential import Sequential

    return "Sequential" if isinstance(model, Sequential) else type(model).__name__ if type(
        model).__name__ != "Model" else "Functional"


def _serialize_spec(spec):
    if spec is None or isinstance(spec, (str, int, float, bool)):
        return spec
    if isinstance(spec, (list, tuple)):
        return [_serialize_spec(item) for item in spec]
    if isinstance(spec, dict):
        return {key: _serialize_spec(value) for key, value in spec.items()}
    if hasattr(spec, "get_config"):
        return {"class_name": type(spec).__name__, "config": spec.get_config()}
    name = getattr(spec, "__name__", None)
    if name:
        return name
    raise ValueError(f"Cannot save the compile setting {spec!r}; use a name, a lamina object or a named function.")


def _compile_config(model):
    return {"optimizer": _serialize_spec(model.optimizer), "loss": _serialize_spec(model.loss),
            "metrics": _serialize_spec(model._metric_specs_given),
            "loss_weights": _serialize_spec(model._loss_weights_given)}


def _deserialize_compile(config, objects):
    """compile() arguments from the saved settings; custom names and configs resolved through `objects`.

    A saved object config ({'class_name', 'config'}) becomes the object here: left as a dict, compile() would
    take it for a per-output mapping.
    """
    from lamina import losses, metrics, optimizers

    def resolve(spec, get):
        if isinstance(spec, str) and spec in objects:
            return objects[spec]
        if isinstance(spec, dict) and spec.get("class_name") in objects:
            return objects[spec["class_name"]].from_config(spec.get("config", {}))
        if isinstance(spec, dict) and "class_name" in spec:
            return get(spec)
        if isinstance(spec, list):
            return [resolve(item, get) for item in spec]
        if isinstance(spec, dict):
            return {key: resolve(value, get) for key, value in spec.items()}
        return spec

    getters = {"optimizer": optimizers.get, "loss": losses.get, "metrics": metrics.get}
    return {key: resolve(value, getters.get(key)) for key, value in config.items() if value is not None}


def _contiguous(state):
    return {key: value.detach().contiguous().cpu() for key, value in state.items()}


def _split_tensors(obj, prefix="t"):
    """A JSON structure with tensors replaced by keys, and the tensors by key."""
    tensors = {}

    def walk(value, key):
        if isinstance(value, torch.Tensor):
            tensors[key] = value.detach().contiguous().cpu()
            return {_TENSOR: key}
        if isinstance(value, dict):
            return {"__dict__": [[walk(k, f"{key}.k{i}"), walk(v, f"{key}.{i}")]
                                 for i, (k, v) in enumerate(value.items())]}
        if isinstance(value, (list, tuple)):
            return [walk(item, f"{key}.{i}") for i, item in enumerate(value)]
        return value

    return walk(obj, prefix), tensors


def _join_tensors(structure, tensors):
    if isinstance(structure, dict):
        if _TENSOR in structure:
            return tensors[structure[_TENSOR]]
        if "__dict__" in structure:
            return {_join_tensors(k, tensors): _join_tensors(v, tensors) for k, v in structure["__dict__"]}
    if isinstance(structure, list):
        return [_join_tensors(item, tensors) for item in structure]
    return structure
