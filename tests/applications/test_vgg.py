"""VGG16/VGG19: torchvision's numerics with torchvision's weights, Keras's names and arguments, lamina model API."""
import numpy as np
import pytest
import torch
import torchvision

import lamina
from lamina.applications import VGG16, VGG19
from lamina.explain import grad_cam
from lamina.models import Model, load_model
from applications.comparison import relative_error

KERAS_VGG16_NAMES = ([f"block{b}_conv{c}" for b, n in zip(range(1, 6), (2, 2, 3, 3, 3)) for c in range(1, n + 1)]
                     + [f"block{b}_pool" for b in range(1, 6)] + ["flatten", "fc1", "fc2", "predictions"])


def test_vgg16_equals_torchvision_with_its_state_dict(vgg16_torchvision, vgg16_state_path):
    model = VGG16(weights=vgg16_state_path, classifier_activation=None)
    assert model.count_params() == 138_357_544
    assert {layer.name for layer in model.layers} >= set(KERAS_VGG16_NAMES)
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = vgg16_torchvision(x)
        features = vgg16_torchvision.features(x)
    assert relative_error(model.predict(x, verbose=0), expected) < 1e-4
    extractor = Model(model.input, model.get_layer("block5_pool").output)
    assert relative_error(extractor.predict(x, verbose=0), features) < 1e-4
    fc2 = Model(model.input, model.get_layer("fc2").output)
    assert fc2.output_shape == (None, 4096)


def test_vgg16_without_top_pools_and_loads_the_features_only(vgg16_torchvision, vgg16_state_path):
    base = VGG16(include_top=False, weights=vgg16_state_path, pooling="avg", input_shape=(3, 64, 64))
    assert base.count_params() == 14_714_688 and base.layers[-1].name == "avg_pool"
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = vgg16_torchvision.features(x).mean(dim=(2, 3))
    assert relative_error(base.predict(x, verbose=0), expected) < 1e-4


def test_vgg16_channels_last_gives_torchvision_outputs(vgg16_torchvision, vgg16_state_path, monkeypatch):
    monkeypatch.setitem(lamina.config._settings, "image_data_format", "channels_last")
    model = VGG16(weights=vgg16_state_path, classifier_activation=None)
    assert model.input_shape == (None, 224, 224, 3)
    x = torch.randn(1, 3, 224, 224, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        expected = vgg16_torchvision(x)
    assert relative_error(model.predict(x.permute(0, 2, 3, 1), verbose=0), expected) < 1e-4


def test_vgg19_matches_torchvision_without_top(tmp_path):
    torch.manual_seed(4)
    reference = torchvision.models.vgg19().eval()
    torch.save({k: v for k, v in reference.state_dict().items() if k.startswith("features.")}, tmp_path / "f.pth")
    model = VGG19(include_top=False, weights=tmp_path / "f.pth", input_shape=(3, 32, 32))
    assert sum(p.numel() for p in reference.features.parameters()) == model.count_params()
    assert VGG19(weights=None).count_params() == 143_667_240
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert relative_error(model.predict(x, verbose=0), reference.features(x)) < 1e-4


def test_frozen_feature_extractor_saves_loads_and_explains(vgg16_state_path, tmp_path):
    base = VGG16(include_top=False, weights=vgg16_state_path, input_shape=(3, 32, 32))
    for layer in base.layers[:-4]:
        layer.trainable = False
    assert not base.get_layer("block1_conv1").trainable and base.get_layer("block5_conv3").trainable
    base.save(tmp_path / "base.lamina")
    restored = load_model(tmp_path / "base.lamina")
    x = torch.randn(1, 3, 32, 32)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), base.predict(x, verbose=0))
    assert not restored.get_layer("block1_conv1").trainable
    classifier = Model(base.input, lamina.layers.Dense(2)(lamina.layers.Flatten()(base.output)))
    heatmap = grad_cam(classifier, x[0])  # the last convolution: block5_conv3
    assert heatmap.shape == (32, 32) and bool((heatmap >= 0).all())


def test_keras_argument_errors():
    with pytest.raises(ValueError, match='`weights="imagenet"` with `include_top=True`, `classes` should be 1000'):
        VGG16(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="`input_shape` should be"):
        VGG16(weights="imagenet", input_shape=(3, 128, 128))
    with pytest.raises(ValueError, match="the `weights` argument should be either None"):
        VGG16(weights=3)
    with pytest.raises(ValueError, match="`pooling` must be None, 'avg' or 'max'"):
        VGG16(include_top=False, weights=None, pooling="mean")
    with pytest.raises(FileNotFoundError, match="no weights file at"):
        VGG16(include_top=False, weights="missing.pth")
    assert VGG16(weights=None, include_top=True, classes=10, input_shape=(3, 32, 32)).output_shape == (None, 10)
