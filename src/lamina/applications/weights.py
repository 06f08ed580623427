"""Pretrained weights of the application models: torchvision's checkpoints, found or downloaded, then loaded.

`weights='imagenet'` uses the checkpoint already in torch hub's cache (`$TORCH_HOME/hub/checkpoints`) when it is
there and its name's hash prefix matches, else downloads it once into `~/.lamina/models` (`$LAMINA_HOME`) with
`get_file` (resumed, hash-checked, renamed into place only when complete). A path loads a torchvision-layout
state dict (`.pth`/`.pt`, read with `torch.load(weights_only=True)`), a safetensors file, or a `.lamina` file
saved from the same model.
"""
import os

import torch

from lamina.utils.downloads import get_file, hash_matches

# lamina weight attribute -> the torch module's tensor of the same meaning (both in PyTorch's layouts).
TORCH_NAMES = {"kernel": "weight", "depthwise_kernel": "weight", "bias": "bias", "gamma": "weight", "beta": "bias",
               "moving_mean": "running_mean", "moving_variance": "running_var"}
IGNORED_SUFFIXES = ("num_batches_tracked",)


def torch_hub_checkpoints():
    """torch hub's checkpoint folder: `$TORCH_HOME/hub/checkpoints` (default `~/.cache/torch`, as torch.hub)."""
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache"), "torch")
    return os.path.join(os.path.expanduser(home), "hub", "checkpoints")


def checkpoint_path(checkpoint):
    """The local path of `checkpoint` (an `Application.checkpoint`): torch hub's copy, or lamina's download."""
    hub_copy = os.path.join(torch_hub_checkpoints(), checkpoint.filename)
    if os.path.isfile(hub_copy) and hash_matches(hub_copy, checkpoint.sha256_prefix, "sha256"):
        return hub_copy
    return get_file(checkpoint.filename, checkpoint.url, file_hash=checkpoint.sha256_prefix, hash_algorithm="sha256",
                    cache_subdir="models")


def read_state_dict(path, owner):
    """{name: tensor} from a `.pth`/`.pt` (torch.load, weights only) or `.safetensors` file."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{owner}: no weights file at '{path}'. Pass weights='imagenet', None, or the path "
                                f"of a .pth, .safetensors or .lamina file.")
    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        return load_file(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # pickle and zip errors of many kinds on a damaged or foreign file
        raise ValueError(f"{owner}: '{path}' is not a readable PyTorch state dict ({error}).") from error
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise ValueError(f"{owner}: '{path}' does not hold a state dict (a mapping of names to tensors).")
    return state


def load_pretrained(model, application, weights, sources, include_top):
    """Loads `weights` ('imagenet' or a path) into `model`, built by `application` with `sources`."""
    if isinstance(weights, str) and weights == "imagenet":
        path = checkpoint_path(application.checkpoint)
    else:
        path = os.fspath(weights)
        if path.endswith(".lamina"):
            model.load_weights(path)
            return
    state = read_state_dict(path, application.name)
    if application.rename is not None:
        state = application.rename(state)
    state = {key: value for key, value in state.items() if not key.startswith(application.ignored_prefixes)}
    load_state_dict(model, state, sources, include_top, application.name)


def load_state_dict(model, state, sources, include_top, owner):
    """Copies a torchvision state dict into the layers named in `sources`; every tensor must find its place.

    With include_top=False the classifier's tensors (those no source names) are left out; otherwise a tensor
    that matches no layer, or a layer weight that finds no tensor, is an error naming them.
    """
    used, missing = set(), []
    with torch.no_grad():
        for layer_name, module_name in sources.items():
            layer = model.get_layer(layer_name)
            convert = sources.converters.get(layer_name)
            for attribute, torch_name in TORCH_NAMES.items():
                weight = getattr(layer, attribute, None)
                if not isinstance(weight, torch.Tensor):
                    continue
                key = f"{module_name}.{torch_name}"
                if key not in state:
                    missing.append(key)
                    continue
                tensor = state[key] if convert is None else convert(attribute, state[key])
                if tuple(tensor.shape) != tuple(weight.shape):
                    raise ValueError(f"{owner}: '{key}' has shape {tuple(tensor.shape)} but layer '{layer_name}' "
                                     f"expects {tuple(weight.shape)} for its {attribute}. The weights file is for "
                                     f"another architecture or number of classes.")
                weight.copy_(tensor)
                used.add(key)
    unused = sorted(key for key in state if key not in used and not key.endswith(IGNORED_SUFFIXES))
    if include_top and unused or missing:
        raise ValueError(f"{owner}: the weights do not fit the model: "
                         + (f"tensors without a layer: {unused[:8]}" if include_top and unused else "")
                         + (f" layer weights without a tensor: {missing[:8]}" if missing else "")
                         + ". Pass the state dict of the same torchvision model.")
