"""What every explanation method shares: inputs as batches, targets, baselines, and a model left as it was found."""
import contextlib
import itertools
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lamina import config
from lamina.explain.layers import TORCH_CONVOLUTIONS, convolution_layers


@dataclass
class Inputs:
    """A user's `x` as a batch on the model's device, and how to give results back in the user's form."""

    batch: torch.Tensor
    single: bool        # x had no batch axis: results drop it too
    as_numpy: bool      # x was a numpy array (or a list): results are numpy arrays
    device: torch.device

    @property
    def sample_shape(self):
        return tuple(self.batch.shape[1:])

    def give_back(self, result):
        """result (batch, ...) -> the user's form: without the batch axis for one sample, numpy for numpy input."""
        result = result.detach()
        if self.single:
            result = result[0]
        if self.as_numpy:
            return result.cpu().numpy()
        return result.to(self.device)


def prepare_inputs(model, x):
    """Turns x (one sample or a batch; numpy array, list or tensor) into an Inputs on the model's device.

    x is one sample when it has one axis less than the model's input: the input shape of a built lamina model, or
    the rank a torch model's first convolution takes (nn.Conv2d: 4 axes). Otherwise x must have a batch axis.
    """
    as_numpy = not isinstance(x, torch.Tensor)
    if as_numpy:
        array = np.asarray(x)
        dtype = config.floatx_dtype() if array.dtype.kind == "f" else None
        x = torch.as_tensor(array, dtype=dtype)
    original_device = x.device
    single = expected_batch_rank(model) == x.ndim + 1
    batch = x[None] if single else x
    if batch.ndim < 2:
        raise ValueError(
            f"x must be a batch (batch, ...) or one sample of the model's input; received shape {tuple(x.shape)}. "
            f"Add a batch axis, e.g. x[None]."
        )
    return Inputs(batch.to(model_device(model, x.device)), single, as_numpy, original_device)


def expected_batch_rank(model):
    """How many axes the model's input has, batch axis included, when the model says; else None."""
    input_shapes = _lamina_input_shapes(model)
    if input_shapes:
        return len(input_shapes[0])
    for module in model.modules() if isinstance(model, nn.Module) else ():
        if isinstance(module, (nn.Embedding, nn.EmbeddingBag)):
            return None  # token ids come first: their rank is not the convolution's
        if isinstance(module, TORCH_CONVOLUTIONS):
            return len(module.kernel_size) + 2  # batch and channel axes, and one per spatial axis
    return None


def _lamina_input_shapes(model):
    from lamina.models import Model

    if not isinstance(model, Model):
        return None
    try:
        return [tensor.shape for tensor in model.inputs]
    except ValueError:  # a Sequential not built yet
        return None


def model_device(model, default):
    """The device of the model's first parameter or buffer; `default` for a model without any."""
    if isinstance(model, nn.Module):
        for tensor in itertools.chain(model.parameters(), model.buffers()):
            return tensor.device
    return default


def default_data_format(model, sample_rank):
    """The layout of one sample: the first convolution's data format (a torch convolution is channels_first).

    Models without convolutions: lamina.config.image_data_format() for images and volumes, and channels_last
    for sequences (steps, features), the layout of Keras's and batch-first PyTorch recurrent layers.
    """
    for _, layer in convolution_layers(model):
        return getattr(layer, "data_format", "channels_first")
    return "channels_last" if sample_rank == 2 else config.image_data_format()


def channel_axis(model, sample_rank, data_format):
    """The channel axis of one sample of rank `sample_rank`, or None (a 1-D sample: tokens, a signal)."""
    if sample_rank < 2:
        return None
    data_format = config.normalize_data_format(data_format) if data_format else default_data_format(
        model, sample_rank)
    return 0 if data_format == "channels_first" else sample_rank - 1


def class_scores(outputs, method):
    """The model's outputs as (batch, classes); a one-unit output (batch,) counts as one class."""
    if not isinstance(outputs, torch.Tensor):
        raise TypeError(
            f"{method}: the model returned a {type(outputs).__name__}; explanations need one tensor of scores "
            f"(batch, classes). Wrap the model in a module that returns the output to explain."
        )
    if outputs.ndim == 1:
        return outputs[:, None]
    if outputs.ndim != 2:
        raise ValueError(
            f"{method}: the model's output has shape {tuple(outputs.shape)}; explanations need scores of shape "
            f"(batch, classes). Wrap the model so it returns one score per class."
        )
    return outputs


def resolve_targets(target, scores, method):
    """A LongTensor (batch,) of classes: `target` (an int or a 0-d tensor for all samples, or one per sample), or
    each sample's predicted class."""
    batch_size, classes = scores.shape
    if target is None:
        return scores.argmax(dim=1)
    values = torch.as_tensor(target)
    if isinstance(target, bool) or values.dtype == torch.bool or values.dtype.is_floating_point:
        raise TypeError(f"{method}: target must be an int class index (or one per sample); received {target!r}.")
    values = values.expand(batch_size) if values.ndim == 0 else values.flatten()
    if values.numel() != batch_size:
        raise ValueError(
            f"{method}: target has {values.numel()} values for a batch of {batch_size} samples. Pass one int for "
            f"all samples, or one per sample."
        )
    outside = values[(values < 0) | (values >= classes)]
    if outside.numel():
        raise ValueError(
            f"{method}: target={int(outside[0])} is out of range: the model has {classes} output"
            f"{'s' if classes > 1 else ''}, so a target is an int from 0 to {classes - 1}. Pass target=None to "
            f"explain the predicted class."
        )
    return values.to(device=scores.device, dtype=torch.long)


def broadcast_baseline(baseline, batch, method):
    """The baseline as a tensor of the batch's dtype broadcast to its shape (a view, no copy).

    A scalar, a sample-shaped tensor, or a batch-shaped tensor; for token ids, an integer id (the padding id).
    """
    values = torch.as_tensor(baseline, device=batch.device)
    if not batch.is_floating_point():
        if values.is_floating_point() and not torch.equal(values, values.round()):
            raise ValueError(
                f"{method}: x holds token ids ({batch.dtype}), so the baseline is the id that replaces occluded "
                f"tokens and must be an integer (e.g. 0, the padding id); received {baseline!r}."
            )
    values = values.to(batch.dtype)
    try:
        return values.expand(batch.shape)
    except RuntimeError:
        raise ValueError(
            f"{method}: baseline of shape {tuple(values.shape)} does not broadcast to the input's shape "
            f"{tuple(batch.shape)} (or one sample's, {tuple(batch.shape[1:])}). Pass a scalar or a tensor of the "
            f"sample's shape."
        ) from None


def sample_rows(tensor, samples):
    """tensor[samples] for a batch-shaped tensor; its first row alone (it broadcasts) when every sample shares it,
    which spares a copy of a whole chunk."""
    return tensor[:1] if tensor.shape[0] == 1 or tensor.stride(0) == 0 else tensor[samples]


def chunks(sample_count, items_per_sample, batch_size, device):
    """Every (sample, item) pair in chunks of batch_size, sample by sample: yields (start, samples, items), two
    LongTensors and the flat index of the chunk's first pair."""
    total = sample_count * items_per_sample
    for start in range(0, total, batch_size):
        pairs = torch.arange(start, min(start + batch_size, total), device=device)
        yield start, pairs // items_per_sample, pairs % items_per_sample


def require_float_input(batch, method):
    if not batch.is_floating_point():
        raise TypeError(
            f"{method}: x holds integers ({batch.dtype}), e.g. token ids, which have no gradient. Use "
            f"lamina.explain.occlusion(model, x, window=..., baseline=PADDING_ID), which replaces tokens instead."
        )


def require_gradient(outputs, method):
    """Raises a ValueError naming the fix when the model's output does not depend differentiably on its input."""
    if not outputs.requires_grad:
        raise ValueError(
            f"{method}: the model's output has no gradient with respect to its input (it may run under "
            f"torch.no_grad(), detach its output, or end in argmax or rounding). Gradient methods need a "
            f"differentiable model; use lamina.explain.occlusion, which needs only forward passes."
        )


@contextlib.contextmanager
def evaluation_mode(model, freeze_parameters=False):
    """Puts the model in eval mode (and freezes its parameters); restores every module's mode and every
    parameter's requires_grad afterwards, even on errors."""
    if not isinstance(model, nn.Module):
        yield
        return
    modes = [(module, module.training) for module in model.modules()]
    flags = [(parameter, parameter.requires_grad) for parameter in model.parameters()]
    try:
        model.eval()
        if freeze_parameters:
            for parameter, _ in flags:
                parameter.requires_grad_(False)
        yield
    finally:
        for module, training in modes:
            module.training = training
        for parameter, requires_grad in flags:
            parameter.requires_grad_(requires_grad)


def select(scores, targets):
    """scores[i, targets[i]] for every row i."""
    return scores.gather(1, targets[:, None])[:, 0]
