"""EfficientNetB0-B7: torchvision's numerics with torchvision's weights, Keras's names and arguments, lamina model API.

B0 runs at its full size with the classifier; B1-B7 (seconds to build) run their features at 32x32, and their
full models are built once, with weights=None, for the parameter counts.
"""
import numpy as np
import pytest
import torch
import torchvision

import lamina
from lamina.applications import efficientnet
from lamina.explain import grad_cam
from lamina.explain.layers import find_convolution_layer
from lamina.models import Model
from applications.comparison import (assert_round_trip, lamina_counts, random_images, relative_error,
                                     save_state_dict, torchvision_counts, with_random_statistics)

# Blocks per stage of Keras's EfficientNetB0-B7 (keras.applications.efficientnet's round_repeats).
KERAS_REPEATS = {0: (1, 2, 2, 3, 3, 4, 1), 1: (2, 3, 3, 4, 4, 5, 2), 2: (2, 3, 3, 4, 4, 5, 2),
                 3: (2, 3, 3, 5, 5, 6, 2), 4: (2, 4, 4, 6, 6, 8, 2), 5: (3, 5, 5, 7, 7, 9, 3),
                 6: (3, 6, 6, 8, 8, 11, 3), 7: (4, 7, 7, 10, 10, 13, 4)}
DEFAULT_SIZES = {0: 224, 1: 240, 2: 288, 3: 300, 4: 380, 5: 456, 6: 528, 7: 600}  # torchvision's crops
# Keras's layers that lamina's models leave out: the input normalisation, and the squeeze's reshape (lamina's
# se_squeeze pools with keepdims).
NOT_IN_LAMINA = ("rescaling", "normalization", "_se_reshape")


def constructor(size):
    return getattr(efficientnet, f"EfficientNetB{size}")


def torchvision_model(size, seed):
    """torchvision's randomly initialised efficientnet_b{size}, its batch norms moved off the identity."""
    torch.manual_seed(seed)
    return with_random_statistics(getattr(torchvision.models, f"efficientnet_b{size}")(), seed)


def block_names(size, suffix):
    return {f"block{stage}{chr(ord('a') + index)}_{suffix}" for stage, repeats in enumerate(KERAS_REPEATS[size], 1)
            for index in range(repeats)}


def assert_batch_norms_are_torchvisions(model, reference):
    for name, module in (("stem_bn", reference.features[0][1]), ("top_bn", reference.features[-1][1])):
        layer = model.get_layer(name)
        assert layer.epsilon == module.eps and layer.momentum == pytest.approx(1 - module.momentum)


@pytest.fixture(scope="module")
def b0_torchvision():
    return torchvision_model(0, seed=0)


@pytest.fixture(scope="module")
def b0_state_path(b0_torchvision, tmp_path_factory):
    return save_state_dict(b0_torchvision, tmp_path_factory.mktemp("weights") / "efficientnet_b0-random.pth")


@pytest.fixture(scope="module")
def b0(b0_state_path):
    return efficientnet.EfficientNetB0(weights=b0_state_path, classifier_activation=None)


def test_b0_equals_torchvision_with_its_state_dict(b0, b0_torchvision):
    assert b0.name == "efficientnetb0" and b0.input_shape == (None, 3, 224, 224)
    assert lamina_counts(b0) == torchvision_counts(b0_torchvision) == (5_288_548, 5_330_564)
    x = random_images((2, 3, 224, 224), seed=1)
    with torch.no_grad():
        features = b0_torchvision.features(x)
        expected = b0_torchvision.classifier(b0_torchvision.avgpool(features).flatten(1))
    both = Model(b0.input, [b0.output, b0.get_layer("top_activation").output])
    ours, our_features = both.predict(x, verbose=0)
    assert relative_error(ours, expected) < 1e-4 and relative_error(our_features, features) < 1e-4
    assert_batch_norms_are_torchvisions(b0, b0_torchvision)


def test_b0_has_keras_layer_names(b0):
    keras = pytest.importorskip("keras")
    # the input layers aside: Keras numbers its input's name by how many models the process made
    theirs = {layer.name for layer in keras.applications.EfficientNetB0(weights=None).layers[1:]}
    ours = {layer.name for layer in b0.layers[1:]}
    assert {name for name in theirs if not any(part in name for part in NOT_IN_LAMINA)} <= ours
    assert {"stem_conv_pad", "block1a_se_squeeze", "block2a_dwconv_pad", "block6d_add", "top_dropout"} <= ours
    assert ours <= theirs  # no layer of lamina's is named otherwise


def test_stochastic_depth_is_torchvisions_row_mode(b0, b0_torchvision):
    residual = [(stage, index, block) for stage in range(1, 8)
                for index, block in enumerate(b0_torchvision.features[stage]) if block.use_res_connect]
    assert len(residual) == 9
    for stage, index, block in residual:
        layer = b0.get_layer(f"block{stage}{chr(ord('a') + index)}_drop")
        assert layer.rate == pytest.approx(block.stochastic_depth.p) and layer.noise_shape == (None, 1, 1, 1)
    assert b0.get_layer("top_dropout").rate == b0_torchvision.classifier[0].p == 0.2
    layer, rate = b0.get_layer("block6d_drop"), residual[-1][2].stochastic_depth.p
    x = random_images((32, 8, 3, 3), seed=2)
    torch.manual_seed(3)
    ours = layer(x, training=True)
    torch.manual_seed(3)
    theirs = torchvision.ops.stochastic_depth(x, rate, "row", training=True)
    torch.testing.assert_close(ours, theirs)
    assert 0 < int((ours.flatten(1) == 0).all(dim=1).sum()) < 32  # whole samples dropped, not all of them
    torch.testing.assert_close(layer(x, training=False), x)


@pytest.mark.parametrize("size", range(1, 8))
def test_b1_to_b7_features_and_parameter_counts_equal_torchvisions(size, tmp_path):
    reference = torchvision_model(size, seed=size)
    path = save_state_dict(reference, tmp_path / "features.pth", keep=lambda key: key.startswith("features."))
    base = constructor(size)(include_top=False, weights=path, input_shape=(3, 32, 32))
    assert lamina_counts(base) == torchvision_counts(reference.features)
    x = random_images((1, 3, 32, 32), seed=size)
    with torch.no_grad():
        expected = reference.features(x)
    assert relative_error(base.predict(x, verbose=0), expected) < 1e-4
    assert_batch_norms_are_torchvisions(base, reference)
    ours = {layer.name for layer in base.layers}
    assert {name for name in ours if name.endswith("_project_bn")} == block_names(size, "project_bn")
    full = constructor(size)(weights=None)
    assert full.input_shape == (None, 3, DEFAULT_SIZES[size], DEFAULT_SIZES[size])
    assert lamina_counts(full) == torchvision_counts(reference)
    assert full.get_layer("top_dropout").rate == reference.classifier[0].p


def test_b0_channels_last_gives_torchvision_outputs(b0_torchvision, b0_state_path, monkeypatch):
    monkeypatch.setitem(lamina.config._settings, "image_data_format", "channels_last")
    model = efficientnet.EfficientNetB0(weights=b0_state_path, classifier_activation=None)
    assert model.input_shape == (None, 224, 224, 3)
    x = random_images((1, 3, 224, 224), seed=4)
    with torch.no_grad():
        expected = b0_torchvision(x)
    assert relative_error(model.predict(x.permute(0, 2, 3, 1), verbose=0), expected) < 1e-4


def test_feature_extractor_saves_loads_and_explains(b0_state_path, tmp_path):
    base = efficientnet.EfficientNetB0(include_top=False, weights=b0_state_path, input_shape=(3, 64, 64),
                                       pooling="avg")
    assert base.output_shape == (None, 1280) and base.layers[-1].name == "avg_pool"
    x = random_images((1, 3, 64, 64), seed=5)
    assert_round_trip(base, x, tmp_path / "base.lamina")
    features = Model(base.input, base.get_layer("top_activation").output)
    classifier = Model(base.input, lamina.layers.Dense(2)(lamina.layers.Flatten()(features.output)))
    assert find_convolution_layer(classifier, None, "grad_cam")[1] is base.get_layer("top_conv")
    heatmap = grad_cam(classifier, x[0])
    assert heatmap.shape == (64, 64) and bool((heatmap >= 0).all())


@pytest.mark.parametrize("size", range(8))
def test_preprocess_input_equals_torchvisions_default_transform(size):
    image = np.random.default_rng(size).integers(0, 256, size=(3, 250, 230), dtype=np.uint8)
    transform = getattr(torchvision.models, f"EfficientNet_B{size}_Weights").DEFAULT.transforms()
    expected = transform(torch.from_numpy(image))
    ours = efficientnet.preprocess_input(image, model=f"efficientnetb{size}")
    assert ours.shape == (3, DEFAULT_SIZES[size], DEFAULT_SIZES[size]) == tuple(expected.shape)
    np.testing.assert_allclose(ours, expected.numpy(), atol=1e-5)


def test_argument_errors():
    with pytest.raises(ValueError, match=r"`model` must be one of \['efficientnetb0', .*received 'b0'"):
        efficientnet.preprocess_input(np.zeros((3, 8, 8), np.uint8), model="b0")
    with pytest.raises(ValueError, match=r"`input_shape` should be \(3, 240, 240\)"):
        efficientnet.EfficientNetB1(weights="imagenet", input_shape=(3, 224, 224))
    with pytest.raises(ValueError, match="input size must be at least 32x32"):
        efficientnet.EfficientNetB0(include_top=False, weights=None, input_shape=(3, 16, 16))
