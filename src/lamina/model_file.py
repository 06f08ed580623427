"""The `.lamina` model file: one zip of JSON (architecture, compile settings) and safetensors (weights, optimizer
state), and the weight files of save_weights. Reading never unpickles and never runs code from the file.

This module knows the file format only: models give it JSON-able configs and tensors, and rebuild themselves from
what it reads (lamina.models.loading). BackupAndRestore stores its training state with the same tensor packing.
"""
import io
import json
import os
import zipfile

import torch
from safetensors.torch import load as load_tensors, save as save_tensors

from lamina.files import atomic_write, atomic_write_archive
from lamina.version import __version__

FORMAT = "lamina-model"
_TENSOR = "__tensor__"
_ORDER = "lamina_weight_order"


class ModelFileError(ValueError):
    """A file that is missing, truncated, corrupted or not a lamina model."""


def write_model_file(path, architecture, weights, compile_config=None, optimizer_state=None, metadata=None):
    """Writes one `.lamina` file, atomically (a crash never leaves a half-written file).

    Args:
        architecture: {'class_name', 'config'} of the model.
        weights: the model's state_dict.
        compile_config: JSON-able compile settings, or None for a model that was not compiled.
        optimizer_state: the optimizer's state_dict, or None.
        metadata: a JSON-able dict kept with the model (an image classifier's class names and image size), or None.
    """
    config = {"format": FORMAT, "lamina_version": __version__, "model": architecture, "compile": compile_config}
    if metadata is not None:
        config["metadata"] = metadata
    members = {"config.json": json.dumps(config, indent=1), "model.safetensors": save_tensors(cpu_tensors(weights))}
    if optimizer_state is not None:
        structure, tensors = pack_tensors(optimizer_state)
        members.update({"optimizer.json": json.dumps(structure), "optimizer.safetensors": save_tensors(tensors)})
    atomic_write_archive(path, members)  # stored: zlib barely shrinks float weights and costs seconds per 100 MB


def read_model_file(path):
    """(config, weights, optimizer_state) of a `.lamina` file; optimizer_state is None when none was saved.

    Raises:
        FileNotFoundError: no file at `path`.
        ModelFileError (a ValueError): the file is truncated, corrupted or not a lamina model.
    """
    with _open_archive(path) as archive:
        config = _read_config(archive, path)
        weights = _read_member(archive, "model.safetensors", path, load_tensors)
        optimizer_state = None
        if "optimizer.json" in archive.namelist():
            structure = _read_member(archive, "optimizer.json", path, json.loads)
            optimizer_state = unpack_tensors(structure, _read_member(archive, "optimizer.safetensors", path,
                                                                     load_tensors))
    return config, weights, optimizer_state


def save_weights(model, path):
    """Writes the weights (model.state_dict()) as a safetensors file, atomically.

    The file also records the weights' order, so a model of the same architecture whose layers got other
    automatic names (a second copy built in the same session) loads them by position, as Keras does.
    """
    state = cpu_tensors(model.state_dict())
    atomic_write(path, save_tensors(state, metadata={_ORDER: json.dumps(list(state))}))


def load_weights(model, path, skip_mismatch=False):
    """Loads weights from a safetensors file, or from a PyTorch checkpoint with weights_only=True."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No weights file at '{path}'.")
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        state = load_tensors(data)
        metadata = safetensors_metadata(data)
        order = json.loads(metadata[_ORDER]) if _ORDER in metadata else None
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
    apply_weights(model, state, path, order, skip_mismatch)


def apply_weights(model, state, source, order=None, skip_mismatch=False):
    """Loads `state` into `model`, matching names, or positions when only automatic layer names differ.

    `order` lists the saved names in saved order: when the names differ from the model's but the shapes in order
    are the same (a second copy of the architecture), weights are matched by position, as Keras does. `source`
    names where the state came from, for the error raised when the weights do not fit (unless skip_mismatch).
    """
    state = _by_position(model, state, order)
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
            f"The weights in '{source}' do not fit model '{model.name}': {details}. They were saved from another "
            f"architecture; rebuild that architecture, or pass skip_mismatch=True to load only what fits."
        )
    usable = {key: value for key, value in state.items() if key in own and key not in mismatched}
    model.load_state_dict(usable, strict=False)


def _by_position(model, state, order):
    own = model.state_dict()
    if order is None or set(order) == set(own) or len(order) != len(own):
        return state
    if any(tuple(state[saved].shape) != tuple(value.shape) for saved, value in zip(order, own.values())):
        return state
    return {name: state[saved] for saved, name in zip(order, own)}


def cpu_tensors(state):
    """The tensors of a state dict, detached, contiguous and on the CPU (what safetensors writes)."""
    return {key: value.detach().contiguous().cpu() for key, value in state.items()}


def pack_tensors(structure, prefix="t"):
    """(JSON-able structure, tensors by key): `structure` (dicts, lists, numbers, tensors; an optimizer or
    callback state) with every tensor replaced by a key into the second result. unpack_tensors reverses it."""
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

    return walk(structure, prefix), tensors


def unpack_tensors(structure, tensors):
    """The structure pack_tensors was given, from its two results."""
    if isinstance(structure, dict):
        if _TENSOR in structure:
            return tensors[structure[_TENSOR]]
        if "__dict__" in structure:
            return {unpack_tensors(k, tensors): unpack_tensors(v, tensors) for k, v in structure["__dict__"]}
    if isinstance(structure, list):
        return [unpack_tensors(item, tensors) for item in structure]
    return structure


def safetensors_metadata(data):
    """The {str: str} metadata in the header of safetensors bytes ({} if none)."""
    header_size = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + header_size]).get("__metadata__") or {}


def _read_member(archive, name, path, parse):
    """parse(bytes of member `name`): json.loads or safetensors' load (which never unpickles)."""
    try:
        return parse(archive.read(name))
    except Exception as error:  # zip, JSON and safetensors decoding fail in many ways on damaged files
        raise ModelFileError(f"'{path}' is damaged: its {name} cannot be read ({error!r}).") from error


def read_metadata(path):
    """The metadata dict saved with the model at `path` ({} if none), read without loading or checksumming the
    weights (a load_model that follows checks them)."""
    with _open_archive(path) as archive:
        return _read_config(archive, path, check_members=False).get("metadata") or {}


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


def _read_config(archive, path, check_members=True):
    try:
        config = json.loads(archive.read("config.json"))
        damaged = archive.testzip() if check_members else None
    except Exception as error:  # zip and JSON decoding fail in many ways on damaged files
        raise ModelFileError(f"'{path}' is not a readable lamina model file: {error!r}.") from error
    if damaged is not None:
        raise ModelFileError(f"'{path}' is damaged: its member {damaged} fails its checksum.")
    if not isinstance(config, dict) or config.get("format") != FORMAT or not isinstance(config.get("model"), dict):
        raise ModelFileError(f"'{path}' is a zip file but not a lamina model (no lamina config.json).")
    return config
