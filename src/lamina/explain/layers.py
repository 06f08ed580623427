"""Finding a model's convolutional layers by name or module, and recording a layer's output during a forward pass."""
import contextlib

import torch
from torch import nn

from lamina.identifiers import nearest_suggestion

TORCH_CONVOLUTIONS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


def _lamina_convolutions():
    from lamina.layers import Conv1D, Conv2D, Conv2DTranspose, Conv3D, DepthwiseConv2D, SeparableConv2D

    return Conv1D, Conv2D, Conv3D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D


def is_convolution(module):
    return isinstance(module, TORCH_CONVOLUTIONS + _lamina_convolutions())


def named_layers(model):
    """(name, module) for every submodule in registration order: the dotted name of named_modules(), and also
    the lamina layer name where it differs."""
    for name, module in model.named_modules():
        if module is model:
            continue
        yield name, module
        layer_name = getattr(module, "name", None)
        if isinstance(layer_name, str) and layer_name != name:
            yield layer_name, module


def convolution_layers(model):
    """[(name, layer)] of the model's convolutional layers, in registration order (the dotted module names)."""
    if not isinstance(model, nn.Module):
        return []
    return [(name, module) for name, module in model.named_modules() if module is not model and is_convolution(module)]


def find_convolution_layer(model, layer, method):
    """The layer Grad-CAM explains: `layer` (a name or a module of the model), or the last convolutional one.

    A block that contains convolutions (e.g. a ResNet stage) counts as convolutional.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"{method}: the model must be a torch.nn.Module (a lamina model is one); received "
                        f"{type(model).__name__}.")
    convolutions = convolution_layers(model)
    valid = ", ".join(name for name, _ in convolutions)
    if layer is None:
        if not convolutions:
            raise ValueError(
                f"{method}: the model has no convolutional layer (Conv1D/2D/3D or torch nn.ConvNd). Use "
                f"lamina.explain.occlusion or saliency, which work on any model."
            )
        return convolutions[-1]
    if isinstance(layer, nn.Module):
        name = next((name for name, module in model.named_modules() if module is layer), None)
        if name is None:
            raise ValueError(f"{method}: the layer {type(layer).__name__} given is not part of this model. Pass one "
                             f"of its convolutional layers: {valid}.")
    elif isinstance(layer, str):
        name = layer
        layer = dict(named_layers(model)).get(name)
        if layer is None:
            raise ValueError(f"{method}: no layer named '{name}' in the model."
                             f"{nearest_suggestion(name, [n for n, _ in convolutions])} Convolutional layers: "
                             f"{valid or 'none'}.")
    else:
        raise TypeError(f"{method}: layer must be a layer name or a module of the model; received {layer!r}.")
    if not any(is_convolution(module) for module in layer.modules()):
        raise ValueError(
            f"{method}: layer '{name}' is a {type(layer).__name__}, not a convolutional layer. Pass one of the "
            f"convolutional layers ({valid or 'none'}), a block that contains them, or None for the last one."
        )
    return name, layer


@contextlib.contextmanager
def recording_output(layer, method, name):
    """Records the layer's output in the yielded list during forward passes, for gradients with respect to it; the
    hook is removed on exit.

    The recorded output tracks gradients (it is made a leaf that does when nothing before the layer does, e.g. with
    frozen parameters), and the rest of the model receives a copy of it, so that an in-place operation after the
    layer (`nn.ReLU(inplace=True)` after a convolution, as in VGG) changes the copy, not the recorded maps.
    """
    outputs = []

    def hook(module, inputs, output):
        if not isinstance(output, torch.Tensor):
            raise ValueError(f"{method}: layer '{name}' returns a {type(output).__name__}, not a tensor of feature "
                             f"maps. Pick a layer that returns one tensor.")
        if not output.requires_grad and output.is_floating_point():
            output.requires_grad_(True)
        outputs.append(output)
        return output.clone()

    handle = layer.register_forward_hook(hook)
    try:
        yield outputs
    finally:
        handle.remove()


@contextlib.contextmanager
def recording_input(layer):
    """Records the first input of the layer in the yielded list during forward passes; the hook is removed on exit."""
    inputs = []
    handle = layer.register_forward_pre_hook(lambda module, args: inputs.append(args[0]))
    try:
        yield inputs
    finally:
        handle.remove()


def single_call(records, method, name):
    """The one recorded tensor; a ValueError when the layer ran several times in one forward pass."""
    if len(records) != 1:
        raise ValueError(f"{method}: layer '{name}' ran {len(records)} times in one forward pass; pick a layer that "
                         f"runs once.")
    return records[0]


def channels_first_maps(maps, layer):
    """Feature maps with the channel axis at 1 (lamina layers with data_format='channels_last' put it last)."""
    if getattr(layer, "data_format", "channels_first") == "channels_last":
        return maps.movedim(-1, 1)
    return maps
