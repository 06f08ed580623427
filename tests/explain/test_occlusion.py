"""lamina.explain.occlusion against Captum's Occlusion and the closed forms of the reference definition."""
import numpy as np
import pytest
import torch
from captum.attr import Occlusion
from torch import nn

from lamina import explain
from lamina.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
from lamina.models import Sequential


def torch_convnet(channels=3, classes=5):
    return nn.Sequential(nn.Conv2d(channels, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 8, 3),
                         nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, classes))


def lamina_convnet(shape=(3, 12, 10), classes=5, activation=None):
    return Sequential([Input(shape), Conv2D(6, 3, padding="same", activation="relu"), MaxPooling2D(2),
                       Conv2D(8, 3, activation="relu"), Flatten(), Dense(classes, activation=activation)])


def captum_occlusion(forward, x, window, stride, baseline, target, perturbations_per_eval=1):
    return Occlusion(forward).attribute(x, sliding_window_shapes=window, strides=stride, baselines=baseline,
                                        target=target, perturbations_per_eval=perturbations_per_eval)


@pytest.mark.parametrize("shape, window, stride, captum_window, captum_stride", [
    ((3, 12, 10), 4, 2, (3, 4, 4), (3, 2, 2)),            # whole-channel overlapping windows, all inside
    ((3, 12, 10), 5, 3, (3, 5, 5), (3, 3, 3)),            # edge windows cut at both spatial borders
    ((3, 12, 10), (1, 4, 3), (1, 2, 3), (1, 4, 3), (1, 2, 3)),   # per-channel windows, cut on the last axis
    ((3, 12, 10), (2, 3, 4), (1, 3, 2), (2, 3, 4), (1, 3, 2)),   # overlapping channel pairs
    ((3, 12, 10), (2, 5, 4), (2, 4, 3), (2, 5, 4), (2, 4, 3)),   # channel windows [0, 2) and [2, 3): cut
    ((3, 12, 10), (6, 5), (6, 5), (3, 6, 5), (3, 6, 5)),  # a spatial tuple: channels whole, non-overlapping
    ((1, 9, 9), 9, 1, (1, 9, 9), (1, 1, 1)),              # one window covering everything
])
@pytest.mark.parametrize("baseline", [0.0, 0.5])
def test_equals_captum_on_a_torch_module(shape, window, stride, captum_window, captum_stride, baseline):
    model = torch_convnet(channels=shape[0]).eval()
    x = torch.rand(3, *shape)
    target = torch.tensor([0, 3, 4])
    ours = explain.occlusion(model, x, target=target, window=window, stride=stride, baseline=baseline,
                             output="logit", batch_size=7, progress=False)
    theirs = captum_occlusion(model, x, captum_window, captum_stride, baseline, target, perturbations_per_eval=4)
    assert ours.shape == x.shape
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)


@pytest.mark.parametrize("window, stride", [(4, 2), ((1, 3, 3), (1, 3, 2))])
def test_equals_captum_on_a_lamina_model_with_probabilities(window, stride):
    model = lamina_convnet()
    x = torch.rand(2, 3, 12, 10)
    captum_window = window if isinstance(window, tuple) else (3, window, window)
    captum_stride = stride if isinstance(stride, tuple) else (3, stride, stride)
    baseline = torch.rand(3, 12, 10)  # a tensor baseline of a sample's shape
    ours = explain.occlusion(model, x, target=[1, 2], window=window, stride=stride, baseline=baseline,
                             progress=False)
    theirs = captum_occlusion(lambda inputs: model(inputs).softmax(dim=1), x, captum_window, captum_stride,
                              baseline[None], torch.tensor([1, 2]), perturbations_per_eval=16)
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)


def test_a_baseline_per_sample_equals_captum():
    model = torch_convnet().eval()
    x, baseline = torch.rand(3, 3, 12, 10), torch.rand(3, 3, 12, 10)
    ours = explain.occlusion(model, x, target=2, window=(1, 4, 3), stride=(1, 3, 2), baseline=baseline,
                             output="logit", batch_size=13, progress=False)
    theirs = captum_occlusion(model, x, (1, 4, 3), (1, 3, 2), baseline, 2, perturbations_per_eval=5)
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)


def test_a_0d_tensor_target_applies_to_every_sample_as_in_captum():
    model = torch_convnet().eval()
    x = torch.rand(2, 3, 12, 10)
    target = model(x).argmax(dim=1)[0]  # a 0-d tensor, e.g. the first sample's predicted class
    ours = explain.occlusion(model, x, target=target, window=4, stride=2, progress=False)
    theirs = captum_occlusion(lambda inputs: model(inputs).softmax(dim=1), x, (3, 4, 4), (3, 2, 2), 0.0, target)
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)
    torch.testing.assert_close(explain.saliency(model, x, target=target),
                               explain.saliency(model, x, target=int(target)))


def test_softmax_is_not_applied_twice_to_a_model_ending_in_softmax():
    model = lamina_convnet(activation="softmax")
    x = torch.rand(2, 3, 12, 10)
    ours = explain.occlusion(model, x, target=3, window=4, stride=2, progress=False)
    theirs = captum_occlusion(model, x, (3, 4, 4), (3, 2, 2), 0.0, 3)
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)


def test_a_single_numpy_image_gives_a_numpy_heatmap_for_the_predicted_class():
    model = lamina_convnet()
    image = np.random.default_rng(0).random((3, 12, 10)).astype("float32")
    heatmap = explain.occlusion(model, image, window=4, stride=2, output="logit", progress=False)
    predicted = int(model(torch.as_tensor(image[None])).argmax())
    expected = captum_occlusion(model, torch.as_tensor(image[None]), (3, 4, 4), (3, 2, 2), 0.0, predicted)[0]
    assert isinstance(heatmap, np.ndarray) and heatmap.shape == (3, 12, 10)
    np.testing.assert_allclose(heatmap, expected.numpy(), atol=1e-5, rtol=0)
    np.testing.assert_array_equal(heatmap[0], heatmap[2])  # whole-channel windows: channels agree


def test_results_do_not_depend_on_batch_size():
    model = torch_convnet().eval()
    x = torch.rand(2, 3, 12, 10)
    results = [explain.occlusion(model, x, window=3, stride=2, batch_size=size, progress=size == 1)
               for size in (1, 7, 64, 10_000)]
    for result in results[1:]:
        torch.testing.assert_close(result, results[0], atol=3e-7, rtol=0)


def test_channels_last_lamina_model_occludes_whole_pixels():
    model = Sequential([Input((12, 10, 3)), Conv2D(4, 3, data_format="channels_last", activation="relu"),
                        Flatten(), Dense(3)])
    x = torch.rand(2, 12, 10, 3)
    ours = explain.occlusion(model, x, target=0, window=4, stride=2, output="logit", progress=False)
    theirs = captum_occlusion(model, x, (4, 4, 3), (2, 2, 3), 0.0, 0)
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)


# ---------------------------------------------------------------- closed forms of the reference (section 4.2)
class LinearScore(nn.Module):
    """F(x) = <a, x> + c, one output per row of `a`."""

    def __init__(self, weights, bias):
        super().__init__()
        self.weights, self.bias = nn.Parameter(weights), nn.Parameter(bias)

    def forward(self, x):
        return x.flatten(1) @ self.weights.flatten(1).T + self.bias


def test_a_full_size_window_gives_f_x_minus_f_baseline_everywhere():
    model = torch_convnet().eval()
    x = torch.rand(1, 3, 8, 8)
    heatmap = explain.occlusion(model, x, target=2, window=(3, 8, 8), stride=1, baseline=0.25, output="logit",
                                progress=False)
    expected = model(x)[0, 2] - model(torch.full_like(x, 0.25))[0, 2]
    torch.testing.assert_close(heatmap, expected.detach().expand_as(x), atol=1e-6, rtol=0)


def test_non_overlapping_tiles_are_piecewise_constant_drops():
    model = torch_convnet().eval()
    x = torch.rand(1, 3, 8, 12)
    heatmap = explain.occlusion(model, x, target=1, window=4, stride=4, output="logit", progress=False)[0]
    reference = model(x)[0, 1]
    for top in range(0, 8, 4):
        for left in range(0, 12, 4):
            hidden = x.clone()
            hidden[..., top:top + 4, left:left + 4] = 0
            drop = (reference - model(hidden)[0, 1]).detach()
            torch.testing.assert_close(heatmap[:, top:top + 4, left:left + 4], drop.expand(3, 4, 4), atol=1e-6,
                                       rtol=0)


def test_a_linear_model_matches_its_closed_form():
    """Delta_W = <a * M_W, x - b>: each element's mean over its windows, computed here window by window."""
    torch.manual_seed(1)
    weights, x, baseline = torch.randn(2, 2, 7, 9), torch.rand(1, 2, 7, 9), torch.rand(2, 7, 9)
    model = LinearScore(weights, torch.zeros(2))
    heatmap = explain.occlusion(model, x, target=1, window=(1, 3, 4), stride=(1, 2, 3), baseline=baseline,
                                output="logit", progress=False)[0]
    totals, counts = torch.zeros(2, 7, 9), torch.zeros(2, 7, 9)
    for channel in range(2):
        for top in (0, 2, 4):          # ceil((7 - 3) / 2) + 1 = 3 windows down
            for left in (0, 3, 6):     # ceil((9 - 4) / 3) + 1 = 3 across, the last one cut at the border
                mask = torch.zeros(2, 7, 9)
                mask[channel, top:top + 3, left:left + 4] = 1
                totals += mask * (weights[1] * mask * (x[0] - baseline)).sum()
                counts += mask
    torch.testing.assert_close(heatmap, totals / counts, atol=1e-5, rtol=0)


# ---------------------------------------------------------------- sequences and token ids
def test_a_1d_signal_with_windows_along_time_equals_captum():
    model = nn.Sequential(nn.Conv1d(4, 6, 5), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(6, 3))
    spectrogram = torch.rand(2, 4, 30)  # (batch, frequency bins, time)
    ours = explain.occlusion(model, spectrogram, target=[0, 2], window=6, stride=3, output="logit", progress=False)
    theirs = captum_occlusion(model, spectrogram, (4, 6), (4, 3), 0.0, torch.tensor([0, 2]))
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)


class TokenClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(20, 8, padding_idx=0)
        self.dense = nn.Linear(8, 3)

    def forward(self, tokens):
        return self.dense(self.embedding(tokens).mean(dim=1))


def test_token_ids_are_replaced_by_the_padding_id():
    model = TokenClassifier()
    tokens = torch.tensor([[4, 12, 7, 9, 3, 15], [1, 2, 3, 4, 5, 6]])
    heatmap = explain.occlusion(model, tokens, target=[1, 2], window=2, stride=1, baseline=0, output="logit",
                                progress=False)
    assert heatmap.dtype == torch.float32 and heatmap.shape == (2, 6)
    scores = model(tokens).detach()
    for row, target in ((0, 1), (1, 2)):
        drops = []
        for start in range(5):
            hidden = tokens[row:row + 1].clone()
            hidden[0, start:start + 2] = 0
            drops.append(float(scores[row, target] - model(hidden)[0, target].detach()))
        expected = [drops[0]] + [(drops[i - 1] + drops[i]) / 2 for i in range(1, 5)] + [drops[4]]
        np.testing.assert_allclose(heatmap[row].numpy(), expected, atol=1e-6)


def test_a_one_unit_output_is_scored_as_it_is():
    model = nn.Sequential(nn.Conv2d(3, 2, 3), nn.Flatten(), nn.Linear(2 * 10 * 8, 1), nn.Sigmoid())
    x = torch.rand(2, 3, 12, 10)
    ours = explain.occlusion(model, x, window=4, stride=2, progress=False)
    torch.testing.assert_close(ours, captum_occlusion(model, x, (3, 4, 4), (3, 2, 2), 0.0, 0), atol=1e-6, rtol=0)
