"""saliency and integrated_gradients against Captum, and integrated gradients' completeness."""
import numpy as np
import pytest
import torch
from captum.attr import IntegratedGradients, Saliency
from torch import nn

from lamina import explain
from lamina.layers import Conv2D, Dense, Flatten, Input
from lamina.models import Sequential


def smooth_model():
    return Sequential([Input((2, 6, 6)), Conv2D(4, 3, activation="tanh"), Flatten(), Dense(3, activation="softmax")])


def test_saliency_equals_captum():
    model = smooth_model()
    x = torch.rand(3, 2, 6, 6)
    target = torch.tensor([0, 2, 1])
    theirs = Saliency(model).attribute(x.clone().requires_grad_(True), target=target)
    torch.testing.assert_close(explain.saliency(model, x, target=target), theirs, atol=1e-6, rtol=0)


def test_saliency_of_one_numpy_image_explains_the_predicted_class():
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.Tanh(), nn.Flatten(), nn.Linear(3 * 4 * 4, 2))
    image = np.random.default_rng(0).random((1, 6, 6)).astype("float32")
    heatmap = explain.saliency(model, image)
    x = torch.as_tensor(image[None])
    theirs = Saliency(model).attribute(x.clone().requires_grad_(True), target=int(model(x).argmax()))[0]
    assert isinstance(heatmap, np.ndarray) and heatmap.shape == (1, 6, 6)
    np.testing.assert_allclose(heatmap, theirs.numpy(), atol=1e-6)


@pytest.mark.parametrize("method", ["gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_right",
                                    "riemann_middle"])
def test_integrated_gradients_equals_captum(method):
    model = smooth_model()
    x, baseline = torch.rand(2, 2, 6, 6), torch.rand(2, 6, 6) * 0.1
    ours = explain.integrated_gradients(model, x, target=[1, 2], baseline=baseline, steps=12, batch_size=5,
                                        method=method)
    theirs = IntegratedGradients(model).attribute(x, baselines=baseline[None], target=torch.tensor([1, 2]),
                                                  n_steps=12, method=method)
    if method == "riemann_trapezoid":
        # Captum's trapezoid weights are 1/n (halved at both ends), summing to (n - 1) / n; lamina's are the
        # trapezoid rule's 1/(n - 1), summing to 1 (completeness).
        theirs = theirs * 12 / 11
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-4)


def test_integrated_gradients_are_complete():
    """The attributions of each sample sum to F(x) - F(baseline) within 1e-3 (default: 50 Gauss-Legendre points)."""
    model = smooth_model()
    x = torch.rand(4, 2, 6, 6)
    attributions = explain.integrated_gradients(model, x, target=1, batch_size=64)
    with torch.no_grad():
        expected = model(x)[:, 1] - model(torch.zeros_like(x))[:, 1]
    assert (expected.abs() > 1e-3).all()  # the check below is not trivially true
    torch.testing.assert_close(attributions.sum(dim=(1, 2, 3)), expected, atol=1e-3, rtol=0)


def test_integrated_gradients_do_not_depend_on_batch_size():
    model = smooth_model()
    x = torch.rand(3, 2, 6, 6)
    results = [explain.integrated_gradients(model, x, steps=10, batch_size=size) for size in (1, 7, 1000)]
    for result in results[1:]:
        torch.testing.assert_close(result, results[0], atol=1e-6, rtol=1e-5)
