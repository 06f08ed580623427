"""MobileNetV2, MobileNetV3Small and MobileNetV3Large: torchvision's numerics with its state dicts, Keras's names,
Keras's arguments, lamina's model API."""
import re

import keras
import numpy as np
import pytest
import torch
import torchvision

import lamina
from lamina.applications import mobilenet_v2, mobilenet_v3
from lamina.applications.mobilenet_v2 import MOBILENET_V2_APPLICATION, MobileNetV2
from lamina.applications.mobilenet_v3 import (MOBILENET_V3_LARGE_APPLICATION, MOBILENET_V3_SMALL_APPLICATION,
                                              MobileNetV3Large, MobileNetV3Small)
from lamina.explain import grad_cam
from lamina.models import Model
from applications.comparison import (assert_round_trip, lamina_counts, random_images, relative_error,
                                     save_state_dict, torchvision_counts, trainable_count, with_random_statistics)

# layers Keras leaves unnamed (the input, activations, the top's pooling, dropout and flatten, the rescaling)
KERAS_AUTOMATIC_NAME = re.compile(
    r"(input_layer|activation|re_lu|global_average_pooling2d|dropout|flatten|rescaling)(_\d+)?")


def _reference(constructor, seed):
    """torchvision's model, randomly initialised, with random batch normalization statistics, in eval mode."""
    torch.manual_seed(seed)
    return with_random_statistics(constructor(), seed)


@pytest.fixture(scope="module")
def v2_torchvision():
    return _reference(torchvision.models.mobilenet_v2, 0)


@pytest.fixture(scope="module")
def v3_small_torchvision():
    return _reference(torchvision.models.mobilenet_v3_small, 1)


@pytest.fixture(scope="module")
def v3_large_torchvision():
    return _reference(torchvision.models.mobilenet_v3_large, 2)


@pytest.fixture(scope="module")
def v3_small_path(v3_small_torchvision, tmp_path_factory):
    return save_state_dict(v3_small_torchvision, tmp_path_factory.mktemp("weights") / "mobilenet_v3_small.pth")


def test_mobilenet_v3_small_equals_torchvision_with_its_state_dict(v3_small_torchvision, v3_small_path):
    model = MobileNetV3Small(weights=v3_small_path, classifier_activation=None)
    assert lamina_counts(model) == torchvision_counts(v3_small_torchvision) == (2_542_856, 2_554_968)
    both = Model(model.input, [model.get_layer("conv_1_hard_swish").output, model.output])
    x = random_images((2, 3, 224, 224), seed=3)
    features, predictions = both.predict(x, verbose=0)
    with torch.no_grad():
        assert relative_error(features, v3_small_torchvision.features(x)) < 1e-4
        assert relative_error(predictions, v3_small_torchvision(x)) < 1e-4
    assert model.get_layer("top_dense").output_shape == (None, 1024)


def test_mobilenet_v2_equals_torchvision_with_its_state_dict(v2_torchvision, tmp_path):
    model = MobileNetV2(weights=save_state_dict(v2_torchvision, tmp_path / "v2.pth"), classifier_activation=None)
    assert lamina_counts(model) == torchvision_counts(v2_torchvision) == (3_504_872, 3_538_984)
    both = Model(model.input, [model.get_layer("out_relu").output, model.output])
    x = random_images((1, 3, 224, 224), seed=4)
    features, predictions = both.predict(x, verbose=0)
    with torch.no_grad():
        assert relative_error(features, v2_torchvision.features(x)) < 1e-4
        assert relative_error(predictions, v2_torchvision(x)) < 1e-4


def test_mobilenet_v3_large_without_top_pools_torchvision_features(v3_large_torchvision, tmp_path):
    path = save_state_dict(v3_large_torchvision, tmp_path / "v3_large.pth")  # the classifier's tensors are left out
    base = MobileNetV3Large(include_top=False, weights=path, pooling="avg", input_shape=(3, 64, 64))
    assert trainable_count(base) == torchvision_counts(v3_large_torchvision.features)[0]
    assert base.layers[-1].name == "avg_pool"
    x = random_images((2, 3, 64, 64), seed=5)
    with torch.no_grad():
        expected = v3_large_torchvision.features(x).mean(dim=(2, 3))
    assert relative_error(base.predict(x, verbose=0), expected) < 1e-4
    model = MobileNetV3Large(weights=None)
    assert lamina_counts(model) == torchvision_counts(v3_large_torchvision) == (5_483_032, 5_507_432)


def test_mobilenet_v2_without_top_max_pools_torchvision_features(v2_torchvision, tmp_path):
    path = save_state_dict(v2_torchvision, tmp_path / "features.pth", keep=lambda key: key.startswith("features."))
    base = MobileNetV2(include_top=False, weights=path, pooling="max", input_shape=(3, 64, 64))
    x = random_images((2, 3, 64, 64), seed=6)
    with torch.no_grad():
        expected = v2_torchvision.features(x).amax(dim=(2, 3))
    assert relative_error(base.predict(x, verbose=0), expected) < 1e-4


@pytest.mark.parametrize("ours, theirs, stem", [
    (MobileNetV2, torchvision.models.mobilenet_v2, ("bn_Conv1", "Conv1_relu")),
    (MobileNetV3Small, torchvision.models.mobilenet_v3_small, ("conv_bn", "conv_hard_swish")),
])
def test_batch_normalization_trains_as_torchvisions(ours, theirs, stem, tmp_path):
    """In training the batch statistics normalise, and the moving means follow torchvision's momentum (the stem's:
    deeper, batch statistics of a few values magnify float rounding)."""
    reference = _reference(theirs, 10)
    base = ours(include_top=False, weights=save_state_dict(reference, tmp_path / "w.pth"), input_shape=(3, 32, 32))
    x = random_images((4, 3, 32, 32), seed=10)
    with torch.no_grad():
        output = Model(base.input, base.get_layer(stem[1]).output)(x, training=True)
        expected = reference.features[0].train()(x)
    assert relative_error(output, expected) < 1e-4
    assert relative_error(base.get_layer(stem[0]).moving_mean, reference.features[0][1].running_mean) < 1e-5


@pytest.mark.parametrize("ours, theirs, top_only", [
    (MobileNetV2, keras.applications.MobileNetV2, set()),
    (MobileNetV3Small, keras.applications.MobileNetV3Small, {"conv_2", "logits"}),
    (MobileNetV3Large, keras.applications.MobileNetV3Large, {"conv_2", "logits"}),
])
def test_layer_names_are_keras_names(ours, theirs, top_only):
    """Every layer Keras names is ours too, but Keras's convolutional top (conv_2 and logits: 1x1 convolutions
    on the pooled features, where torchvision has Linear layers: our top_dense and predictions)."""
    model, reference = ours(weights=None), theirs(weights=None)
    keras_names = {layer.name for layer in reference.layers if not KERAS_AUTOMATIC_NAME.fullmatch(layer.name)}
    assert keras_names - {layer.name for layer in model.layers} == top_only
    assert model.count_params() == reference.count_params()


def test_channels_last_gives_torchvision_outputs(v3_small_torchvision, v3_small_path, monkeypatch):
    monkeypatch.setitem(lamina.config._settings, "image_data_format", "channels_last")
    model = MobileNetV3Small(weights=v3_small_path, classifier_activation=None)
    assert model.input_shape == (None, 224, 224, 3)
    assert model.get_layer("expanded_conv_squeeze_excite_avg_pool").output_shape == (None, 1, 1, 16)
    x = random_images((1, 3, 224, 224), seed=7)
    with torch.no_grad():
        expected = v3_small_torchvision(x)
    assert relative_error(model.predict(x.permute(0, 2, 3, 1), verbose=0), expected) < 1e-4


def test_round_trip_and_grad_cam_of_the_last_convolution(tmp_path):
    model = MobileNetV3Small(weights=None, classes=5, input_shape=(3, 64, 64))
    x = random_images((2, 3, 64, 64), seed=8)
    restored = assert_round_trip(model, x, tmp_path / "small.lamina")
    assert restored.get_layer("expanded_conv_squeeze_excite_conv_1").kernel.shape == (16, 8, 1, 1)
    heatmap = grad_cam(model, x[0])
    assert heatmap.shape == (64, 64) and bool((heatmap >= 0).all())
    np.testing.assert_array_equal(heatmap, grad_cam(model, x[0], layer="conv_1"))


@pytest.mark.parametrize("application, preprocess, weights", [
    (MOBILENET_V2_APPLICATION, mobilenet_v2.preprocess_input, torchvision.models.MobileNet_V2_Weights),
    (MOBILENET_V3_SMALL_APPLICATION, lambda x: mobilenet_v3.preprocess_input(x, model="MobileNetV3Small"),
     torchvision.models.MobileNet_V3_Small_Weights),
    (MOBILENET_V3_LARGE_APPLICATION, mobilenet_v3.preprocess_input, torchvision.models.MobileNet_V3_Large_Weights),
])
def test_checkpoints_and_preprocessing_are_torchvisions_defaults(application, preprocess, weights):
    assert application.checkpoint.url == weights.DEFAULT.url
    image = torch.randint(0, 256, (3, 300, 400), dtype=torch.uint8, generator=torch.Generator().manual_seed(9))
    assert relative_error(preprocess(image), weights.DEFAULT.transforms()(image)) < 1e-5


def test_keras_argument_errors():
    with pytest.raises(ValueError, match="`model` must be 'MobileNetV3Large' or 'MobileNetV3Small', received 'tiny'"):
        mobilenet_v3.preprocess_input(np.zeros((224, 224, 3)), model="tiny")
    with pytest.raises(ValueError, match="MobileNetV3Large: input size must be at least 32x32"):
        MobileNetV3Large(include_top=False, weights=None, input_shape=(3, 16, 16))
    with pytest.raises(ValueError, match='`weights="imagenet"` with `include_top=True`, `classes` should be 1000'):
        MobileNetV2(weights="imagenet", classes=10)
    assert MobileNetV2(weights=None, classes=10, input_shape=(3, 32, 32)).output_shape == (None, 10)
