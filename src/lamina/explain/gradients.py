"""Input-gradient explanations: saliency (|d score / d x|) and integrated gradients.

Both score the model's own output for the target (a logit, or a probability for a model ending in softmax), as
Captum's `Saliency` and `IntegratedGradients` do with the model as forward function.
"""
import numpy as np
import torch

from lamina.explain.inputs import (broadcast_baseline, chunks, class_scores, evaluation_mode, prepare_inputs,
                                   require_float_input, require_gradient, resolve_targets, sample_rows, select)
from lamina.identifiers import check_choice
from lamina.layers.core import check_positive_int


def saliency(model, x, target=None):
    """The absolute gradient of the target's score with respect to each input element (Simonyan et al.).

    Equals Captum's `Saliency(model).attribute(x, target, abs=True)`; computed in eval mode, without touching the
    parameters' `.grad`.

    Args:
        model: a lamina model, any torch.nn.Module, or a callable returning scores (batch, classes).
        x: one sample or a batch of floats (numpy array or tensor).
        target: an int, one int per sample, or None for each sample's predicted class.

    Returns:
        |gradient| of x's shape (numpy for numpy input). For images, `heatmap.max(axis=0)` is the usual 2-D map.

    Example:
        >>> heatmap = saliency(model, image)   # (3, 64, 64)
    """
    inputs = prepare_inputs(model, x)
    require_float_input(inputs.batch, "saliency")
    with evaluation_mode(model, freeze_parameters=True), torch.enable_grad():
        batch = inputs.batch.detach().clone().requires_grad_(True)
        outputs = class_scores(model(batch), "saliency")
        require_gradient(outputs, "saliency")
        targets = resolve_targets(target, outputs.detach(), "saliency")
        gradient = _input_gradient(select(outputs, targets), batch, "saliency")
    return inputs.give_back(gradient.abs())


INTEGRATION_METHODS = ("gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle")


def integrated_gradients(model, x, target=None, baseline=0.0, steps=50, batch_size=64, method="gausslegendre"):
    """Integrated gradients (Sundararajan et al.): (x - baseline) times the mean gradient along the straight path.

    attribution = (x - b) * integral over a in [0, 1] of dF/dx(b + a (x - b)), the integral taken with `steps`
    points of `method` (Gauss-Legendre by default, as Captum). The attributions of a sample sum to
    F(x) - F(baseline) up to the integration error (completeness). Equals Captum's
    `IntegratedGradients(model).attribute(x, baselines, target, n_steps=steps, method=method)`.

    Args:
        model: a lamina model, any torch.nn.Module, or a callable returning scores (batch, classes).
        x: one sample or a batch of floats (numpy array or tensor).
        target: an int, one int per sample, or None for each sample's predicted class.
        baseline: the reference input: a scalar (0: black image, silence) or a tensor of a sample's or the
            batch's shape.
        steps: integration points per sample.
        batch_size: scaled inputs per forward pass (lower it when memory runs out).
        method: 'gausslegendre', 'riemann_trapezoid', 'riemann_left', 'riemann_right' or 'riemann_middle'.

    Returns:
        Attributions of x's shape (numpy for numpy input).

    Example:
        >>> attributions = integrated_gradients(model, image, steps=64)
        >>> attributions.sum()   # close to F(image) - F(black image)
    """
    check_choice("method", method, INTEGRATION_METHODS, owner="integrated_gradients")
    steps = check_positive_int("integrated_gradients", "steps", steps)
    batch_size = check_positive_int("integrated_gradients", "batch_size", batch_size)
    inputs = prepare_inputs(model, x)
    batch = inputs.batch
    require_float_input(batch, "integrated_gradients")
    baselines = broadcast_baseline(baseline, batch, "integrated_gradients")
    alphas, weights = integration_points(method, steps, batch.dtype, batch.device)
    path = batch - baselines
    with evaluation_mode(model, freeze_parameters=True):
        with torch.no_grad():
            targets = resolve_targets(target, class_scores(model(batch), "integrated_gradients"),
                                      "integrated_gradients")
        mean_gradient = torch.zeros_like(batch)
        shape = (-1,) + (1,) * (batch.ndim - 1)
        for _, samples, points in chunks(len(batch), steps, batch_size, batch.device):
            with torch.enable_grad():
                scaled = sample_rows(baselines, samples) + alphas[points].view(shape) * sample_rows(path, samples)
                scaled.requires_grad_(True)
                outputs = class_scores(model(scaled), "integrated_gradients")
                require_gradient(outputs, "integrated_gradients")
                gradient = _input_gradient(select(outputs, targets[samples]), scaled, "integrated_gradients")
            mean_gradient.index_add_(0, samples, gradient * weights[points].view(shape))
    return inputs.give_back(path * mean_gradient)


def integration_points(method, steps, dtype, device):
    """(alphas, weights) of a quadrature of [0, 1] with `steps` points; the weights sum to 1."""
    if method == "gausslegendre":
        nodes, node_weights = np.polynomial.legendre.leggauss(steps)
        alphas, weights = (nodes + 1) / 2, node_weights / 2
    elif method == "riemann_trapezoid":
        if steps < 2:
            raise ValueError("integrated_gradients: method='riemann_trapezoid' needs steps >= 2.")
        alphas = np.linspace(0, 1, steps)
        weights = np.full(steps, 1 / (steps - 1))
        weights[[0, -1]] /= 2
    else:
        offset = {"riemann_left": 0.0, "riemann_right": 1.0, "riemann_middle": 0.5}[method]
        alphas, weights = (np.arange(steps) + offset) / steps, np.full(steps, 1 / steps)
    return (torch.as_tensor(alphas, dtype=dtype, device=device), torch.as_tensor(weights, dtype=dtype, device=device))


def _input_gradient(scores, batch, method):
    (gradient,) = torch.autograd.grad(scores.sum(), batch, allow_unused=True)
    if gradient is None:
        raise ValueError(f"{method}: the model's output does not depend on its input; there is no gradient to "
                         f"explain it with.")
    return gradient
