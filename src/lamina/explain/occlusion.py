"""Occlusion (Zeiler and Fergus): slide a window over the input, replace it by a baseline, record the score's drop.

The definition is Captum's `Occlusion`, computed faster: window masks are outer products of per-axis intervals,
built for a whole batch of windows at once, and the drops are spread back over the input with one tensor
contraction instead of one masked addition per window.
"""
import math
import string

import torch
from tqdm.auto import tqdm

from lamina.explain.inputs import (broadcast_baseline, channel_axis, chunks, class_scores, evaluation_mode,
                                   prepare_inputs, resolve_targets, sample_rows, select)
from lamina.identifiers import check_choice
from lamina.layers.core import check_positive_int

OUTPUTS = ("probability", "logit")


def occlusion(model, x, target=None, window=8, stride=4, baseline=0.0, output="probability", batch_size=64,
              progress=True, data_format=None):
    """How much the target's score drops when each part of x is hidden: a heatmap of x's shape.

    Each window position W replaces x by `baseline` inside W and records delta_W = F(x) - F(x with W hidden); an
    element's attribution is the mean of delta_W over the windows that cover it. This equals Captum's
    `Occlusion(model).attribute(x, sliding_window_shapes=window, strides=stride, baselines=baseline)`. Windows
    are evaluated `batch_size` at a time on the model's device, in eval mode, under torch.inference_mode.

    Args:
        model: a lamina model, any torch.nn.Module, or a callable returning scores (batch, classes).
        x: one sample or a batch (numpy array or tensor): images (channels, rows, cols), sequences
            (channels, steps) or (steps, features), spectrograms, or token ids (steps,) of an integer type.
        target: the class to explain: an int, one int per sample, or None for each sample's predicted class.
        window: the occluded block. An int w: w along every axis except the channel axis, which is occluded whole
            (1-D samples such as token ids: w steps). A tuple: one size per axis of a sample (e.g. (1, 8, 8) for
            per-channel windows), or per axis except the channel axis.
        stride: the step between windows: an int s (s along every axis except the channel axis, whose stride is
            its window size) or a tuple like `window`. At most the window size along each axis the window does not
            cover whole.
        baseline: what hides the window: a scalar, or a tensor of a sample's or the batch's shape. For token ids,
            the replacement id (e.g. 0, the padding id).
        output: 'probability' scores the softmax of the model's output, or the output itself when it already is
            probabilities (every row non-negative and summing to 1 within 1e-5, e.g. a model ending in softmax) or
            has one unit; 'logit' scores the raw output.
        batch_size: windows per forward pass.
        progress: show a progress bar (tqdm) when there is more than one forward pass.
        data_format: 'channels_first' or 'channels_last', to find the channel axis of images; None: the
            model's first convolution's (see lamina.explain.inputs.default_data_format).

    Returns:
        Attributions of x's shape (float), as a numpy array for numpy input, else a tensor on x's device. For
        images with whole-channel windows all channels are equal: `heatmap[0]` (channels_first) is the 2-D map.

    Example:
        >>> heatmap = occlusion(model, image, window=8, stride=4)   # image (3, 64, 64) -> heatmap (3, 64, 64)
    """
    check_choice("output", output, OUTPUTS, owner="occlusion")
    batch_size = check_positive_int("occlusion", "batch_size", batch_size)
    inputs = prepare_inputs(model, x)
    batch = inputs.batch
    axis = channel_axis(model, batch.ndim - 1, data_format)
    grid = WindowGrid(inputs.sample_shape, window, stride, axis, batch.device)
    baselines = broadcast_baseline(baseline, batch, "occlusion")
    with evaluation_mode(model), torch.inference_mode():
        reference_outputs = class_scores(model(batch), "occlusion")
        targets = resolve_targets(target, reference_outputs, "occlusion")
        softmax = output == "probability" and not _scored_as_is(reference_outputs)
        reference = _target_scores(reference_outputs, targets, softmax)
        drops = torch.empty(len(batch), grid.count, dtype=reference.dtype, device=batch.device)
        passes = math.ceil(drops.numel() / batch_size)
        for start, samples, windows in tqdm(chunks(len(batch), grid.count, batch_size, batch.device), total=passes,
                                            desc="occlusion", unit="batch", disable=not progress or passes < 2,
                                            leave=False):
            hidden = torch.where(grid.masks(windows), sample_rows(baselines, samples), sample_rows(batch, samples))
            scores = _target_scores(class_scores(model(hidden), "occlusion"), targets[samples], softmax)
            drops.view(-1)[start:start + len(samples)] = reference[samples] - scores
        attributions = grid.spread(drops)
    return inputs.give_back(attributions)


def _target_scores(outputs, targets, softmax):
    """outputs[i, targets[i]] for every row i, or its softmax probability: exp(logit - logsumexp(logits))."""
    scores = select(outputs, targets)
    return (scores - outputs.logsumexp(dim=1)).exp() if softmax else scores


def _scored_as_is(outputs):
    """Whether outputs are scored as they are under output='probability': one unit, or rows of probabilities."""
    sums = outputs.sum(dim=1)
    return outputs.shape[1] == 1 or bool(
        (outputs >= 0).all() and torch.allclose(sums, torch.ones_like(sums), rtol=0, atol=1e-5))


class WindowGrid:
    """All window positions over one sample: per axis d, n_d windows [k s_d, min(k s_d + w_d, D_d)).

    Window masks and coverage counts are products over the axes, so they are built from one (n_d, D_d)
    interval matrix per axis.
    """

    def __init__(self, sample_shape, window, stride, channel_axis, device):
        self.shape = tuple(sample_shape)
        self.window = _per_axis("window", window, self.shape, channel_axis, self.shape)
        self.stride = _per_axis("stride", stride, self.shape, channel_axis, self.window)
        _check_window(self.shape, self.window, self.stride)
        self.intervals = []  # per axis: bool (n_d, D_d), row k = the indices window k covers
        for size, width, step in zip(self.shape, self.window, self.stride):
            count = math.ceil((size - width) / step) + 1
            starts = torch.arange(count, device=device)[:, None] * step
            index = torch.arange(size, device=device)[None, :]
            self.intervals.append((index >= starts) & (index < starts + width))
        self.counts = [len(interval) for interval in self.intervals]
        self.count = math.prod(self.counts)

    def masks(self, windows):
        """Bool masks (len(windows), *sample shape), True inside each window (windows are flat indices). Axes that
        every window covers whole (the channel axis, usually) have size 1 and broadcast."""
        rank = len(self.shape)
        mask = torch.ones((len(windows),) + (1,) * rank, dtype=torch.bool, device=windows.device)
        for axis, interval in enumerate(self.intervals):
            if self.window[axis] == self.shape[axis]:
                continue
            below = math.prod(self.counts[axis + 1:])
            rows = interval[(windows // below) % self.counts[axis]]  # (B, D_axis)
            mask = mask & rows.view(len(windows), *(1,) * axis, self.shape[axis], *(1,) * (rank - axis - 1))
        return mask

    def spread(self, drops):
        """drops (batch, windows) -> attributions (batch, *sample shape): each element's mean over its windows."""
        letters = string.ascii_letters
        rank = len(self.shape)
        window_axes, element_axes = letters[:rank], letters[rank:2 * rank]
        operands = [drops.view(len(drops), *self.counts)]
        subscripts = ["Z" + window_axes]
        coverage = None
        for axis, interval in enumerate(self.intervals):
            interval = interval.to(drops.dtype)
            operands.append(interval)
            subscripts.append(window_axes[axis] + element_axes[axis])
            axis_coverage = interval.sum(0).view(*(1,) * axis, -1, *(1,) * (rank - axis - 1))
            coverage = axis_coverage if coverage is None else coverage * axis_coverage
        totals = torch.einsum(",".join(subscripts) + "->Z" + element_axes, *operands)
        return totals / coverage


def _per_axis(argument, value, shape, channel_axis, channel_default):
    """A tuple with one value per sample axis from an int (the channel axis gets channel_default[axis]) or a tuple
    (one per axis, or one per axis but the channel axis)."""
    rank = len(shape)
    if isinstance(value, int) and not isinstance(value, bool):
        values = [value] * rank
        if channel_axis is not None:
            values[channel_axis] = channel_default[channel_axis]
        return tuple(values)
    values = list(value) if isinstance(value, (tuple, list)) else None
    if values is not None and channel_axis is not None and len(values) == rank - 1:
        values.insert(channel_axis, channel_default[channel_axis])
    if (values is None or len(values) != rank
            or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in values)):
        raise ValueError(
            f"occlusion: {argument} must be a positive int or a tuple of {rank} positive ints (one per axis of a "
            f"sample of shape {shape}); received {value!r}."
        )
    return tuple(values)


def _check_window(shape, window, stride):
    for axis, (size, width, step) in enumerate(zip(shape, window, stride)):
        if width > size:
            fitted = tuple(min(w, s) for w, s in zip(window, shape))
            raise ValueError(
                f"occlusion: the window {window} is larger than a sample of shape {shape} (axis {axis}: {width} > "
                f"{size}). Pass a window of at most the sample's size, e.g. window={fitted}."
            )
        if width < size and step > width:
            raise ValueError(
                f"occlusion: the stride {stride} is larger than the window {window} along axis {axis} ({step} > "
                f"{width}), so some elements would never be occluded. Pass a stride of at most the window size."
            )
