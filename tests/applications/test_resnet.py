"""ResNet18-152: torchvision's numerics with torchvision's state dicts, Keras's names, lamina's model API."""
import numpy as np
import pytest
import torch
import torchvision

import lamina
from lamina.applications import resnet, resnet50
from lamina.explain import grad_cam
from lamina.explain.layers import find_convolution_layer
from lamina.models import Model
from applications.comparison import (assert_round_trip, parameter_count, random_images, relative_error,
                                     save_state_dict, trainable_count, with_random_statistics)


def torchvision_features(reference, x):
    """torchvision's ResNet up to its last stage (what include_top=False returns)."""
    return torch.nn.Sequential(*list(reference.children())[:-2])(x)


@pytest.fixture(scope="module")
def resnet18_reference():
    torch.manual_seed(0)
    return with_random_statistics(torchvision.models.resnet18(), seed=1)


@pytest.fixture(scope="module")
def resnet18_state_path(resnet18_reference, tmp_path_factory):
    return save_state_dict(resnet18_reference, tmp_path_factory.mktemp("weights") / "resnet18-random.pth")


def test_resnet18_equals_torchvision_with_and_without_top(resnet18_reference, resnet18_state_path):
    model = resnet.ResNet18(weights=resnet18_state_path, classifier_activation=None)
    assert trainable_count(model) == parameter_count(resnet18_reference) == 11_689_512
    assert model.count_params() == 11_689_512 + 9_600  # Keras's count includes the moving statistics
    x = random_images((2, 3, 224, 224), seed=2)
    with torch.no_grad():
        features = torchvision_features(resnet18_reference, x)
        expected = resnet18_reference.fc(features.mean(dim=(2, 3)))
    both = Model(model.input, [model.get_layer("conv5_block2_out").output, model.output])
    ours_features, ours = both.predict(x, verbose=0)
    assert relative_error(ours, expected) < 1e-4 and relative_error(ours_features, features) < 1e-4
    names = {layer.name for layer in model.layers}
    assert {"conv1_pad", "conv1_conv", "conv1_bn", "conv1_relu", "pool1_pad", "pool1_pool", "conv2_block1_1_conv",
            "conv2_block1_1_relu", "conv2_block1_2_bn", "conv2_block2_add", "conv3_block1_0_conv", "conv3_block1_0_bn",
            "conv3_block1_1_pad", "conv5_block2_out", "avg_pool", "predictions"} <= names
    assert "conv2_block1_0_conv" not in names and "conv2_block1_2_relu" not in names  # identity shortcut; 2 convs


@pytest.mark.parametrize("name", ["resnet34", "resnet50", "resnet101", "resnet152"])
def test_resnet_bases_equal_torchvision_features(name, tmp_path):
    torch.manual_seed(3)
    reference = with_random_statistics(getattr(torchvision.models, name)(), seed=4)
    path = save_state_dict(reference, tmp_path / f"{name}-features.pth", keep=lambda key: not key.startswith("fc."))
    constructor = {"resnet34": resnet.ResNet34, "resnet50": resnet.ResNet50, "resnet101": resnet.ResNet101,
                   "resnet152": resnet.ResNet152}[name]
    base = constructor(include_top=False, weights=path, input_shape=(3, 32, 32))
    fc_count = sum(p.numel() for p in reference.fc.parameters())
    assert trainable_count(base) == parameter_count(reference) - fc_count
    x = random_images((2, 3, 32, 32), seed=5)
    with torch.no_grad():
        expected = torchvision_features(reference, x)
    assert relative_error(base.predict(x, verbose=0), expected) < 1e-4


def test_resnet50_has_keras_names_and_torchvision_parameter_count():
    keras = pytest.importorskip("keras")
    model = resnet50.ResNet50(weights=None)
    assert trainable_count(model) == 25_557_032 and model.count_params() == 25_557_032 + 53_120
    reference = keras.applications.ResNet50(weights=None, input_shape=(64, 64, 3))
    keras_names = {layer.name for layer in reference.layers if not isinstance(layer, keras.layers.InputLayer)}
    ours = {layer.name for layer in model.layers[1:]}
    assert keras_names <= ours
    assert ours - keras_names == {f"conv{stage}_block1_2_pad" for stage in (3, 4, 5)}  # torchvision's v1.5 stride


def test_channels_last_equals_torchvision(resnet18_reference, resnet18_state_path, monkeypatch):
    monkeypatch.setitem(lamina.config._settings, "image_data_format", "channels_last")
    base = resnet.ResNet18(include_top=False, weights=resnet18_state_path, input_shape=(64, 64, 3), pooling="avg")
    assert base.get_layer("conv1_bn").axis == -1
    x = random_images((2, 3, 64, 64), seed=6)
    with torch.no_grad():
        expected = torchvision_features(resnet18_reference, x).mean(dim=(2, 3))
    assert relative_error(base.predict(x.permute(0, 2, 3, 1), verbose=0), expected) < 1e-4


def test_saves_loads_and_explains_the_last_convolution(resnet18_state_path, tmp_path):
    base = resnet.ResNet18(include_top=False, weights=resnet18_state_path, input_shape=(3, 32, 32))
    x = random_images((1, 3, 32, 32), seed=7)
    restored = assert_round_trip(base, x, tmp_path / "resnet18.lamina")
    assert restored.get_layer("conv5_block2_2_conv").kernel.shape == (512, 512, 3, 3)
    classifier = Model(base.input, lamina.layers.Dense(2)(lamina.layers.GlobalAveragePooling2D()(base.output)))
    assert find_convolution_layer(classifier, None, "grad_cam")[0] == "conv5_block2_2_conv"
    heatmap = grad_cam(classifier, x[0])
    assert heatmap.shape == (32, 32) and bool((heatmap >= 0).all())
    np.testing.assert_array_equal(heatmap, grad_cam(classifier, x[0], layer="conv5_block2_2_conv"))


@pytest.mark.parametrize("name", ["ResNet18", "ResNet34", "ResNet50", "ResNet101", "ResNet152"])
def test_checkpoints_and_transforms_are_torchvisions_defaults(name):
    weights = getattr(torchvision.models, f"{name}_Weights").DEFAULT
    assert getattr(resnet, f"{name.upper()}_APPLICATION").checkpoint.url == weights.url
    transform = weights.transforms()
    image = np.random.default_rng(8).integers(0, 256, size=(3, 300, 260), dtype=np.uint8)
    ours = resnet.preprocess_input(image, model=name.lower())
    np.testing.assert_allclose(ours, transform(torch.from_numpy(image)).numpy(), atol=1e-5)


def test_keras_module_and_errors():
    assert resnet50.preprocess_input is resnet.preprocess_input and resnet50.decode_predictions is \
        lamina.applications.imagenet.decode_predictions
    with pytest.raises(ValueError, match=r"`model` must be one of \['resnet101', 'resnet152', 'resnet18'"):
        resnet.preprocess_input(np.zeros((3, 8, 8), np.uint8), model="resnet200")
    with pytest.raises(ValueError, match="input size must be at least 32x32"):
        resnet.ResNet18(include_top=False, weights=None, input_shape=(3, 16, 16))
