"""InceptionV3: torchvision's numerics (its pretrained model's input transform included) with torchvision's weights,
Keras's block names, torchvision's module names for the convolutions."""
import re

import pytest
import torch
import torchvision

import lamina
from lamina.applications.inception_v3 import (TRANSFORM_OFFSET, TRANSFORM_SCALE, ChannelTransform, InceptionV3,
                                             preprocess_input)
from lamina.explain import grad_cam
from lamina.explain.layers import find_convolution_layer
from lamina.layers import Dense, Flatten
from lamina.models import Model
from applications.comparison import (assert_round_trip, parameter_count, random_images, relative_error,
                                     save_state_dict, with_random_statistics)

FEATURE_MODULES = ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1", "Conv2d_4a_3x3",
                   "maxpool2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
                   "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c")
KERAS_AUTOMATIC_NAMES = re.compile(r"(conv2d|batch_normalization|activation|max_pooling2d|average_pooling2d|"
                                   r"concatenate|input_layer)(_\d+)?$")


def torchvision_features(reference, x):
    """torchvision's InceptionV3 up to Mixed_7c (the lamina base's output), its input transform included."""
    with torch.no_grad():
        x = reference._transform_input(x)
        for name in FEATURE_MODULES:
            x = getattr(reference, name)(x)
    return x


@pytest.fixture(scope="module")
def inception_torchvision():
    """As torchvision's pretrained builder makes it (transform_input, the auxiliary classifier), random BN state."""
    torch.manual_seed(0)
    return with_random_statistics(
        torchvision.models.inception_v3(aux_logits=True, transform_input=True, init_weights=False), seed=1)


@pytest.fixture(scope="module")
def inception_state_path(inception_torchvision, tmp_path_factory):
    return save_state_dict(inception_torchvision, tmp_path_factory.mktemp("weights") / "inception_v3-random.pth")


@pytest.fixture(scope="module")
def inception(inception_state_path):
    return InceptionV3(weights=inception_state_path, classifier_activation=None)


def test_inception_v3_equals_torchvision_with_its_state_dict(inception, inception_torchvision):
    x = random_images((1, 3, 299, 299), seed=2)
    with torch.no_grad():
        expected = inception_torchvision(x)
    assert relative_error(inception.predict(x, verbose=0), expected) < 1e-4
    extractor = Model(inception.input, inception.get_layer("mixed10").output)
    assert relative_error(extractor.predict(x, verbose=0), torchvision_features(inception_torchvision, x)) < 1e-4


def test_parameter_count_is_torchvisions(inception):
    reference = torchvision.models.inception_v3(aux_logits=False, init_weights=False)
    trainable = sum(weight.numel() for weight in inception.trainable_weights)
    assert trainable == parameter_count(reference) == 23_834_568
    moving_statistics = sum(buffer.numel() for name, buffer in reference.named_buffers() if "running" in name)
    assert inception.count_params() == trainable + moving_statistics == 23_869_000


def test_names_are_keras_blocks_and_torchvision_convolutions(inception, inception_torchvision):
    keras = pytest.importorskip("keras")  # tests/conftest.py sets KERAS_BACKEND=torch
    keras_model = keras.applications.InceptionV3(weights=None, input_shape=(75, 75, 3))
    ours = {layer.name for layer in inception.layers}
    keras_names = {layer.name for layer in keras_model.layers if not KERAS_AUTOMATIC_NAMES.match(layer.name)}
    assert keras_names == {f"mixed{i}" for i in range(11)} | {"mixed9_0", "mixed9_1", "avg_pool", "predictions"}
    assert keras_names <= ours

    def count(model, kind):
        return sum(type(layer).__name__ == kind for layer in model.layers)

    for kind in ("Conv2D", "BatchNormalization", "Concatenate", "MaxPooling2D", "AveragePooling2D"):
        assert count(inception, kind) == count(keras_model, kind), kind
    convolutions = {name for name, module in inception_torchvision.named_modules()
                    if isinstance(module, torchvision.models.inception.BasicConv2d) and "AuxLogits" not in name}
    for module in convolutions:
        name = module.replace(".", "_")
        assert {f"{name}_conv", f"{name}_bn", f"{name}_relu"} <= ours
    assert len(convolutions) == 94 and inception.layers[1].name == "transform_input"


def test_inception_v3_without_top_saves_loads_and_explains(inception_torchvision, inception_state_path, tmp_path):
    base = InceptionV3(include_top=False, weights=inception_state_path, input_shape=(3, 107, 107), pooling="max")
    x = random_images((2, 3, 107, 107), seed=3)
    expected = torchvision_features(inception_torchvision, x).amax(dim=(2, 3))
    assert relative_error(base.predict(x, verbose=0), expected) < 1e-4
    restored = assert_round_trip(base, x, tmp_path / "inception.lamina")
    assert isinstance(restored.get_layer("transform_input"), ChannelTransform)
    classifier = Model(base.input, Dense(2)(Flatten()(base.get_layer("mixed10").output)))
    assert find_convolution_layer(classifier, None, "grad_cam")[0] == "Mixed_7c_branch_pool_conv"
    heatmap = grad_cam(classifier, x[0])
    assert heatmap.shape == (107, 107) and bool((heatmap >= 0).all())


def test_inception_v3_channels_last_gives_torchvision_outputs(inception_torchvision, inception_state_path,
                                                               monkeypatch):
    monkeypatch.setitem(lamina.config._settings, "image_data_format", "channels_last")
    base = InceptionV3(include_top=False, weights=inception_state_path, input_shape=(75, 75, 3))
    x = random_images((2, 3, 75, 75), seed=4)
    expected = torchvision_features(inception_torchvision, x)
    assert relative_error(base.predict(x.permute(0, 2, 3, 1), verbose=0), expected.permute(0, 2, 3, 1)) < 1e-4


def test_random_weights_have_no_input_transform():
    """torchvision transforms the input only for pretrained weights (its builder's transform_input=True)."""
    model = InceptionV3(weights=None, include_top=False, input_shape=(3, 75, 75))
    assert not any(isinstance(layer, ChannelTransform) for layer in model.layers)
    assert model.output_shape == (None, 2048, 1, 1)
    with pytest.raises(ValueError, match=r"input size must be at least 75x75; Received: input_shape=\(3, 74, 74\)"):
        InceptionV3(weights=None, include_top=False, input_shape=(3, 74, 74))


def test_channel_transform_is_torchvisions_input_transform():
    reference = torchvision.models.inception_v3(aux_logits=False, transform_input=True, init_weights=False)
    layer = ChannelTransform(TRANSFORM_SCALE, TRANSFORM_OFFSET, axis=1)
    x = random_images((2, 3, 4, 4), seed=5)
    assert relative_error(layer(x), reference._transform_input(x)) < 1e-6
    restored = ChannelTransform.from_config(layer.get_config())
    assert torch.equal(restored(x), layer(x)) and not layer.weights
    with pytest.raises(ValueError, match="`scale` and `offset` need one number per channel each, received 3 and 2"):
        ChannelTransform((1.0, 1.0, 1.0), (0.0, 0.0))


def test_preprocess_input_is_torchvisions_transform():
    image = torch.randint(0, 256, (3, 350, 400), dtype=torch.uint8, generator=torch.Generator().manual_seed(6))
    expected = torchvision.models.Inception_V3_Weights.DEFAULT.transforms()(image)
    ours = preprocess_input(image, data_format="channels_first")
    assert ours.shape == (3, 299, 299) and relative_error(ours, expected) < 1e-5
