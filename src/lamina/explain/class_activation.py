"""Class activation maps: Grad-CAM on any convolutional layer, and CAM for global-average-pooling classifiers."""
import torch
import torch.nn.functional as F
from torch import nn

from lamina.explain.inputs import (channel_axis, class_scores, evaluation_mode, prepare_inputs, require_gradient,
                                   resolve_targets, select)
from lamina.explain.layers import (channels_first_maps, find_convolution_layer, is_convolution, recording_input,
                                   recording_output, single_call)

UPSAMPLING_MODES = {1: "linear", 2: "bilinear", 3: "trilinear"}


def grad_cam(model, x, target=None, layer=None):
    """Grad-CAM (Selvaraju et al.): a convolutional layer's feature maps weighted by their mean gradient, ReLU'd.

    map = ReLU(sum_k mean_spatial(d score / d A_k) * A_k) on the layer's output A, upsampled to the input's size
    with F.interpolate(mode='bilinear', align_corners=False) ('linear' for 1-D, 'trilinear' for 3-D). Equals
    Captum's `LayerGradCam(model, layer).attribute(x, target, relu_attributions=True)` followed by
    `LayerAttribution.interpolate(map, size, 'bilinear')`. The score is the model's output for the target.

    Args:
        model: a lamina model or any torch.nn.Module.
        x: one sample or a batch (token ids are fine when the layer comes after the embedding).
        target: an int, one int per sample, or None for each sample's predicted class.
        layer: the layer's name (lamina layer name, or dotted name from model.named_modules()), the layer itself
            (a convolution, or a block containing convolutions such as a ResNet stage), or None for the last
            convolutional layer.

    Returns:
        Maps (batch, *spatial) of the input's spatial size, non-negative; (*spatial) for one sample.

    Example:
        >>> heatmap = grad_cam(model, image)   # image (3, 64, 64) -> heatmap (64, 64)
    """
    name, module = find_convolution_layer(model, layer, "grad_cam")
    inputs = prepare_inputs(model, x)
    with evaluation_mode(model, freeze_parameters=True), torch.enable_grad(), \
            recording_output(module, "grad_cam", name) as records:
        outputs = class_scores(model(inputs.batch), "grad_cam")
        require_gradient(outputs, "grad_cam")
        maps = single_call(records, "grad_cam", name)
        targets = resolve_targets(target, outputs.detach(), "grad_cam")
        (gradients,) = torch.autograd.grad(select(outputs, targets).sum(), maps)
    maps, gradients = channels_first_maps(maps.detach(), module), channels_first_maps(gradients, module)
    _check_feature_maps(maps, name, "grad_cam")
    weights = gradients.mean(dim=tuple(range(2, gradients.ndim)), keepdim=True)
    heatmap = (weights * maps).sum(dim=1, keepdim=True).relu()
    return inputs.give_back(_upsample(heatmap, inputs.batch, model))


def cam(model, x, target=None):
    """CAM (Zhou et al., the keras-cam example): the classifier's weights applied to the last feature maps.

    For a model ending in global average pooling and a Dense (torch: AdaptiveAvgPool + Flatten + Linear)
    classifier with weights w (classes, channels): map = sum_k w[target, k] * A_k, where A is the pooling layer's
    input, upsampled to the input's size as in grad_cam. Not ReLU'd and without the bias: negative values are
    evidence against the target.

    Args:
        model: a lamina model or torch.nn.Module ending in global average pooling, optional Flatten/Dropout, a
            Dense/Linear layer and an optional softmax or sigmoid.
        x: one sample or a batch.
        target: an int, one int per sample, or None for each sample's predicted class.

    Returns:
        Maps (batch, *spatial) of the input's spatial size; (*spatial) for one sample.

    Example:
        >>> heatmap = cam(model, image)   # Conv2D ... GlobalAveragePooling2D() Dense(10, activation='softmax')
    """
    pooling, classifier = _pooling_and_classifier(model)
    inputs = prepare_inputs(model, x)
    with evaluation_mode(model), torch.inference_mode(), recording_input(pooling) as records:
        outputs = class_scores(model(inputs.batch), "cam")
        maps = channels_first_maps(single_call(records, "cam", type(pooling).__name__), pooling)
        targets = resolve_targets(target, outputs, "cam")
        weights = classifier.weight if isinstance(classifier, nn.Linear) else classifier.kernel  # (classes, channels)
        _check_feature_maps(maps, type(pooling).__name__, "cam")
        heatmap = torch.einsum("nk...,nk->n...", maps, weights[targets])[:, None]
        return inputs.give_back(_upsample(heatmap, inputs.batch, model))


def _check_feature_maps(maps, name, method):
    if maps.ndim < 3:
        raise ValueError(f"{method}: layer '{name}' outputs shape {tuple(maps.shape)}, not feature maps (batch, "
                         f"channels, *spatial). Pick a convolutional layer before the pooling.")


def _upsample(heatmap, batch, model):
    """heatmap (batch, 1, *map size) -> (batch, *input spatial size)."""
    rank = heatmap.ndim - 2
    sample_shape = batch.shape[1:]
    if len(sample_shape) == rank:  # no channel axis: token ids or a 1-D signal
        size = tuple(sample_shape)
    else:
        axis = channel_axis(model, len(sample_shape), None)
        size = tuple(s for index, s in enumerate(sample_shape) if index != axis)
    return F.interpolate(heatmap, size=size, mode=UPSAMPLING_MODES[rank])[:, 0]


def _pooling_and_classifier(model):
    """(global average pooling, Dense/Linear classifier) at the end of the model, or a ValueError."""
    from lamina import layers

    leaves = [m for m in model.modules() if not list(m.children())] if isinstance(model, nn.Module) else []
    poolings = (layers.GlobalAveragePooling1D, layers.GlobalAveragePooling2D, layers.GlobalAveragePooling3D)
    adaptive = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)
    passing = (nn.Flatten, nn.Dropout, nn.Identity, layers.Flatten, layers.Dropout)
    activations = (nn.Softmax, nn.Sigmoid, nn.LogSoftmax, layers.Activation)
    tail = list(leaves)
    while tail and isinstance(tail[-1], activations):
        tail.pop()
    classifier = tail.pop() if tail and isinstance(tail[-1], (nn.Linear, layers.Dense)) else None
    while tail and isinstance(tail[-1], passing):
        tail.pop()
    pooling = tail[-1] if tail else None
    is_global = isinstance(pooling, poolings) or (
        isinstance(pooling, adaptive) and all(size == 1 for size in _as_tuple(pooling.output_size)))
    if classifier is None or not is_global or not any(is_convolution(m) for m in tail):
        ending = ", ".join(type(m).__name__ for m in leaves[-4:]) or type(model).__name__
        raise ValueError(
            f"cam: the model must end in convolutions, global average pooling and a Dense classifier (torch: "
            f"AdaptiveAvgPool2d(1), Flatten, Linear); this one ends in {ending}. Use lamina.explain.grad_cam, "
            f"which works on any convolutional model."
        )
    return pooling, classifier


def _as_tuple(size):
    return size if isinstance(size, tuple) else (size,)
