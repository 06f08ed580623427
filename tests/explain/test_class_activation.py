"""grad_cam against Captum's LayerGradCam (+ReLU, bilinear upsampling); cam against its definition by hand."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from captum.attr import LayerAttribution, LayerGradCam
from torch import nn

from lamina import explain
from lamina.layers import Conv2D, Dense, GlobalAveragePooling2D, Input, MaxPooling2D
from lamina.models import Sequential


def lamina_gap_model(activation=None, data_format=None):
    shape = (3, 16, 12) if data_format != "channels_last" else (16, 12, 3)
    return Sequential([Input(shape), Conv2D(6, 3, activation="relu", data_format=data_format),
                       MaxPooling2D(2, data_format=data_format),
                       Conv2D(8, 3, padding="same", activation="relu", data_format=data_format),
                       GlobalAveragePooling2D(data_format=data_format), Dense(4, activation=activation)])


def torch_gap_model():
    return nn.Sequential(nn.Conv2d(3, 6, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 8, 3, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))


def captum_grad_cam(model, layer, x, target, size):
    maps = LayerGradCam(model, layer).attribute(x, target=target, relu_attributions=True)
    return LayerAttribution.interpolate(maps, size, interpolate_mode="bilinear")[:, 0]


def assert_same_maps(ours, theirs):
    """Equal within 1e-5 of the maps' peak: Grad-CAM values of these small models are around 1e-3, so an absolute
    1e-5 would let errors of several percent pass."""
    theirs = theirs.detach()
    peak = float(theirs.abs().max())
    assert peak > 0, "the maps are all zero: the comparison would prove nothing"
    torch.testing.assert_close(ours, theirs, atol=1e-5 * peak, rtol=0)


@pytest.mark.parametrize("layer", [None, "conv2d_1", "conv2d"])
def test_grad_cam_equals_captum_on_a_lamina_model(layer):
    model = lamina_gap_model(activation="softmax")
    x = torch.rand(3, 3, 16, 12)
    target = torch.tensor([0, 1, 3])
    ours = explain.grad_cam(model, x, target=target, layer=layer)
    theirs = captum_grad_cam(model, model.get_layer(layer or "conv2d_1"), x, target, (16, 12))
    assert ours.shape == (3, 16, 12)
    assert_same_maps(ours, theirs)


@pytest.mark.parametrize("layer", [None, "3", 0])
def test_grad_cam_equals_captum_on_a_torch_module_by_name_or_module(layer):
    model = torch_gap_model().eval()
    x = torch.rand(2, 3, 16, 12)
    chosen = model[0] if layer == 0 else model[3]
    ours = explain.grad_cam(model, x, target=2, layer=chosen if layer == 0 else layer)
    assert_same_maps(ours, captum_grad_cam(model, chosen, x, 2, (16, 12)))


def test_grad_cam_of_a_convolution_followed_by_an_in_place_relu_equals_captum():
    """VGG's layout: nn.ReLU(inplace=True) right after the convolution must not change the recorded maps."""
    model = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(6, 8, 3, padding=1),
                          nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4)).eval()
    x = torch.rand(2, 3, 16, 12) - 0.5
    ours = explain.grad_cam(model, x, target=[1, 3])
    theirs = captum_grad_cam(model, model[2], x, torch.tensor([1, 3]), (16, 12))
    assert_same_maps(ours, theirs)


def test_grad_cam_on_a_block_of_convolutions_with_a_dotted_name():
    model = nn.Sequential(nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU()),
                          nn.Sequential(nn.Conv2d(4, 5, 3, stride=2), nn.ReLU()),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(5, 3)).eval()
    x = torch.rand(2, 3, 15, 15)
    for name, layer in (("1", model[1]), ("1.0", model[1][0])):
        ours = explain.grad_cam(model, x, target=1, layer=name)
        assert_same_maps(ours, captum_grad_cam(model, layer, x, 1, (15, 15)))


def test_grad_cam_of_a_channels_last_model_equals_the_channels_first_one():
    first, last = lamina_gap_model(), lamina_gap_model(data_format="channels_last")
    last.set_weights(first.get_weights())
    x = torch.rand(2, 3, 16, 12)
    expected = explain.grad_cam(first, x, target=1)
    assert_same_maps(explain.grad_cam(last, x.permute(0, 2, 3, 1), target=1), expected)


def test_grad_cam_of_a_1d_convolution_upsamples_linearly():
    model = nn.Sequential(nn.Embedding(30, 6), Transpose(), nn.Conv1d(6, 5, 3, stride=2), nn.ReLU(),
                          nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(5, 2))
    tokens = torch.randint(1, 30, (2, 11))
    maps = LayerGradCam(model, model[2]).attribute(tokens, target=1, relu_attributions=True)
    expected = F.interpolate(maps, size=11, mode="linear")[:, 0]
    assert_same_maps(explain.grad_cam(model, tokens, target=1), expected)


class Transpose(nn.Module):
    def forward(self, x):
        return x.transpose(1, 2)


def hand_cam(features, weights, target, size):
    """sum_k w[target, k] A_k, bilinearly upsampled: the keras-cam definition written out."""
    maps = np.einsum("khw,k->hw", features.numpy(), weights[target].numpy())
    return F.interpolate(torch.as_tensor(maps)[None, None], size=size, mode="bilinear")[0, 0]


def test_cam_of_a_lamina_model_equals_the_hand_computation():
    model = lamina_gap_model(activation="softmax")
    x = torch.rand(2, 3, 16, 12)
    features = Sequential(model.layers[:3])(x).detach()  # the input of GlobalAveragePooling2D
    weights = torch.as_tensor(model.layers[-1].get_weights()[0]).T  # Keras layout (channels, classes) -> (k, c)
    heatmaps = explain.cam(model, x, target=[2, 0])
    for row, target in ((0, 2), (1, 0)):
        torch.testing.assert_close(heatmaps[row], hand_cam(features[row], weights, target, (16, 12)), atol=1e-5,
                                   rtol=0)


def test_cam_of_a_torch_model_equals_the_hand_computation():
    model = torch_gap_model().eval()
    x = torch.rand(1, 3, 16, 12)
    features = model[:5](x).detach()
    predicted = int(model(x).argmax())
    heatmap = explain.cam(model, x[0])  # one image: the predicted class, a 2-D map
    torch.testing.assert_close(heatmap, hand_cam(features[0], model[-1].weight.detach(), predicted, (16, 12)),
                               atol=1e-5, rtol=0)


def test_grad_cam_is_relu_cam_over_the_map_area_for_a_global_average_pooling_classifier():
    """d logit / d A_k = w_k / (h w) at every position, so Grad-CAM = ReLU(CAM) / (h w)."""
    # 'same' convolutions: the maps have the input's size (no upsampling); the last Conv2D applies its ReLU
    # inside, so its output is what the pooling averages.
    model = Sequential([Input((3, 8, 8)), Conv2D(6, 3, padding="same", activation="relu"),
                        Conv2D(8, 3, padding="same", activation="relu"), GlobalAveragePooling2D(), Dense(4)])
    x = torch.rand(2, 3, 8, 8)
    area = 8 * 8
    torch.testing.assert_close(explain.grad_cam(model, x, target=1), explain.cam(model, x, target=1).relu() / area,
                               atol=1e-6, rtol=1e-5)
