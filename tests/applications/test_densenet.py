"""DenseNet121/169/201: torchvision's numerics with torchvision's state dicts (old and new key names), Keras's
names, lamina's model API."""
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision

import lamina
from lamina.applications import densenet
from lamina.explain import grad_cam
from lamina.explain.layers import find_convolution_layer
from lamina.models import Model
from applications.comparison import (assert_round_trip, parameter_count, random_images, relative_error,
                                     save_state_dict, trainable_count, with_random_statistics)


def old_key(key):
    """torchvision's published checkpoints' pattern: 'denselayer1.norm1.weight' -> 'denselayer1.norm.1.weight'."""
    return re.sub(r"(denselayer\d+\.(?:norm|conv))([12])\.", r"\1.\2.", key)


def torchvision_features(reference, x):
    """torchvision's DenseNet before its pooling (what include_top=False returns): features, then ReLU."""
    return F.relu(reference.features(x))


@pytest.fixture(scope="module")
def densenet121_reference():
    torch.manual_seed(0)
    return with_random_statistics(torchvision.models.densenet121(), seed=1)


@pytest.fixture(scope="module")
def densenet121_state_path(densenet121_reference, tmp_path_factory):
    return save_state_dict(densenet121_reference, tmp_path_factory.mktemp("weights") / "densenet121-random.pth")


@pytest.fixture(scope="module")
def densenet121(densenet121_state_path):
    return densenet.DenseNet121(weights=densenet121_state_path, classifier_activation=None)


def test_densenet121_equals_torchvision_with_and_without_top(densenet121, densenet121_reference):
    assert trainable_count(densenet121) == parameter_count(densenet121_reference) == 7_978_856
    assert densenet121.count_params() == 7_978_856 + 83_648  # Keras's count includes the moving statistics
    x = random_images((1, 3, 224, 224), seed=2)
    with torch.no_grad():
        features = torchvision_features(densenet121_reference, x)
        expected = densenet121_reference.classifier(features.mean(dim=(2, 3)))
    both = Model(densenet121.input, [densenet121.get_layer("relu").output, densenet121.output])
    ours_features, ours = both.predict(x, verbose=0)
    assert relative_error(ours, expected) < 1e-4 and relative_error(ours_features, features) < 1e-4


def test_densenet121_has_keras_names(densenet121):
    keras = pytest.importorskip("keras")
    reference = keras.applications.DenseNet121(weights=None, input_shape=(32, 32, 3))
    keras_names = {layer.name for layer in reference.layers
                   if not isinstance(layer, (keras.layers.InputLayer, keras.layers.ZeroPadding2D))}
    ours = {layer.name for layer in densenet121.layers[1:]}
    assert keras_names <= ours
    assert ours - keras_names == {"conv1_pad", "pool1_pad"}  # unnamed in Keras


@pytest.mark.parametrize("name", ["densenet169", "densenet201"])
def test_bases_load_old_key_names_and_equal_torchvision_features(name, tmp_path):
    torch.manual_seed(3)
    reference = with_random_statistics(getattr(torchvision.models, name)(), seed=4)
    state = {old_key(key): value for key, value in reference.state_dict().items()}
    assert "features.denseblock1.denselayer1.norm.1.weight" in state  # the published checkpoints' names
    torch.save(state, tmp_path / f"{name}-old-keys.pth")
    constructor = {"densenet169": densenet.DenseNet169, "densenet201": densenet.DenseNet201}[name]
    base = constructor(include_top=False, weights=tmp_path / f"{name}-old-keys.pth", input_shape=(3, 32, 32))
    classifier_count = sum(p.numel() for p in reference.classifier.parameters())
    assert trainable_count(base) == parameter_count(reference) - classifier_count
    x = random_images((2, 3, 32, 32), seed=5)
    with torch.no_grad():
        expected = torchvision_features(reference, x)
    assert relative_error(base.predict(x, verbose=0), expected) < 1e-4


def test_rename_rewrites_old_keys_only(densenet121_reference):
    state = densenet121_reference.state_dict()
    old = {old_key(key): value for key, value in state.items()}
    assert sum(key != old_key(key) for key in state) == 58 * 12  # 58 dense layers: 2 BNs (5 tensors), 2 convs
    assert list(densenet.rename_old_keys(old)) == list(state)
    assert list(densenet.rename_old_keys(state)) == list(state)
    assert densenet.rename_old_keys({"features.transition1.norm.weight": 1}) == {"features.transition1.norm.weight": 1}


def test_channels_last_saves_loads_and_explains(densenet121_reference, densenet121_state_path, monkeypatch,
                                                 tmp_path):
    monkeypatch.setitem(lamina.config._settings, "image_data_format", "channels_last")
    base = densenet.DenseNet121(include_top=False, weights=densenet121_state_path, input_shape=(32, 32, 3))
    assert base.get_layer("conv2_block1_concat").axis == -1
    x = random_images((1, 3, 32, 32), seed=6)
    with torch.no_grad():
        expected = torchvision_features(densenet121_reference, x).permute(0, 2, 3, 1)
    assert relative_error(base.predict(x.permute(0, 2, 3, 1), verbose=0), expected) < 1e-4
    assert_round_trip(base, x.permute(0, 2, 3, 1), tmp_path / "densenet121.lamina")
    classifier = Model(base.input, lamina.layers.Dense(2)(lamina.layers.GlobalAveragePooling2D()(base.output)))
    assert find_convolution_layer(classifier, None, "grad_cam")[0] == "conv5_block16_2_conv"
    heatmap = grad_cam(classifier, x[0].permute(1, 2, 0))
    assert heatmap.shape == (32, 32) and bool((heatmap >= 0).all())


@pytest.mark.parametrize("name", ["DenseNet121", "DenseNet169", "DenseNet201"])
def test_checkpoints_and_transform_are_torchvisions_defaults(name):
    weights = getattr(torchvision.models, f"{name}_Weights").DEFAULT
    assert getattr(densenet, f"{name.upper()}_APPLICATION").checkpoint.url == weights.url
    image = np.random.default_rng(7).integers(0, 256, size=(3, 300, 260), dtype=np.uint8)
    expected = weights.transforms()(torch.from_numpy(image)).numpy()
    np.testing.assert_allclose(densenet.preprocess_input(image), expected, atol=1e-5)
