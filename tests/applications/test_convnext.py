"""ConvNeXtTiny/Small/Base: torchvision's numerics with torchvision's weights, Keras's names, LayerScale saved."""
import subprocess
import sys

import numpy as np
import pytest
import torch
import torchvision

import lamina
from lamina.applications.convnext import ConvNeXtBase, ConvNeXtSmall, ConvNeXtTiny, LayerScale, preprocess_input
from lamina.explain import grad_cam
from lamina.explain.layers import find_convolution_layer
from lamina.layers import Dense, GlobalAveragePooling2D, Input
from lamina.models import Model
from applications.comparison import (assert_round_trip, parameter_count, random_images, relative_error,
                                     save_state_dict)

TINY_FEATURES = "convnext_tiny_stage_3_block_2_add"


def random_convnext(builder, seed):
    """torchvision's ConvNeXt `builder` in eval mode with random weights: layer scales and LayerNorm scales in
    [0.5, 1.5) (torchvision's 1e-6 layer scales would hide the blocks' branches), the rest normal with std 0.02
    (biases included). Made on the meta device first: torchvision's own initialisation is slow on two cores."""
    with torch.device("meta"):
        model = getattr(torchvision.models, builder)()
    model = model.to_empty(device="cpu").eval()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("layer_scale") or (name.endswith("weight") and parameter.ndim == 1):
                parameter.copy_(torch.rand(parameter.shape, generator=generator) + 0.5)
            else:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.02)
    return model


@pytest.fixture(scope="module")
def tiny_torchvision():
    return random_convnext("convnext_tiny", seed=1)


@pytest.fixture(scope="module")
def tiny_state_path(tiny_torchvision, tmp_path_factory):
    return save_state_dict(tiny_torchvision, tmp_path_factory.mktemp("weights") / "convnext_tiny-random.pth")


@pytest.fixture(scope="module")
def tiny(tiny_state_path):
    return ConvNeXtTiny(weights=tiny_state_path, classifier_activation=None)


def test_convnext_tiny_equals_torchvision_with_its_state_dict(tiny, tiny_torchvision):
    assert tiny.count_params() == parameter_count(tiny_torchvision) == 28_589_128
    x = random_images((1, 3, 224, 224), seed=2)
    with torch.no_grad():
        features = tiny_torchvision.features(x)
        expected = tiny_torchvision.classifier(tiny_torchvision.avgpool(features))
    ours_features, ours = Model(tiny.input, [tiny.get_layer(TINY_FEATURES).output, tiny.output]).predict(x, verbose=0)
    assert relative_error(ours, expected) < 1e-4 and relative_error(ours_features, features) < 1e-4


def test_stochastic_depth_rates_are_torchvisions(tiny, tiny_torchvision):
    blocks = [module for module in tiny_torchvision.modules()
              if isinstance(module, torchvision.models.convnext.CNBlock)]
    rates = [layer.rate for layer in tiny.layers if layer.name.endswith("_stochastic_depth")]
    assert rates == pytest.approx([block.stochastic_depth.p for block in blocks]) and rates[-1] == pytest.approx(0.1)
    assert tiny.get_layer("convnext_tiny_stage_1_block_0_stochastic_depth").noise_shape == (None, 1, 1, 1)


def test_names_cover_keras(tiny):
    keras = pytest.importorskip("keras")  # tests/conftest.py sets KERAS_BACKEND=torch

    def names(model):
        for layer in model.layers:
            yield layer.name
            yield from names(layer) if hasattr(layer, "layers") else ()

    keras_names = set(names(keras.applications.ConvNeXtTiny(weights=None, input_shape=(32, 32, 3))))
    ours = {layer.name for layer in tiny.layers}
    # Keras's input, its preprocessing layer (lamina's models take preprocess_input's output), the Sequential
    # containers of its stem and downsampling layers (lamina's model is flat), and its `_identity` layers, which
    # stand where stochastic depth would be (Keras's applications have none; ours is torchvision's).
    not_ours = {name for name in keras_names if name.startswith("input_layer") or name.endswith(
        ("_prestem_normalization", "_stem", "_identity")) or "_downsampling_block_" in name}
    assert len(not_ours) == 1 + 1 + 1 + 18 + 3
    assert keras_names - not_ours <= ours
    extra = {name for name in ours - keras_names if not name.startswith("input_layer")}
    assert len(extra) == 4 * 18 and all(name.endswith(  # Keras has no name for its adds, no layers for the rest
        ("_stochastic_depth", "_add", "_to_channels_last", "_to_channels_first")) for name in extra)


def test_convnext_tiny_without_top_channels_last_saves_loads_and_explains(tiny_torchvision, tiny_state_path,
                                                                         tmp_path, monkeypatch):
    monkeypatch.setitem(lamina.config._settings, "image_data_format", "channels_last")
    base = ConvNeXtTiny(include_top=False, weights=tiny_state_path, input_shape=(64, 64, 3))
    assert base.count_params() == parameter_count(tiny_torchvision.features)
    assert not any(layer.name.endswith("_to_channels_last") for layer in base.layers)
    x = random_images((2, 3, 64, 64), seed=3)
    with torch.no_grad():
        expected = tiny_torchvision.features(x).permute(0, 2, 3, 1)
    x = x.permute(0, 2, 3, 1)
    assert relative_error(base.predict(x, verbose=0), expected) < 1e-4
    restored = assert_round_trip(base, x, tmp_path / "tiny.lamina")
    assert isinstance(restored.get_layer("convnext_tiny_stage_0_block_0_layer_scale"), LayerScale)
    classifier = Model(base.input, Dense(2)(GlobalAveragePooling2D()(base.output)))
    assert find_convolution_layer(classifier, None, "grad_cam")[0] == "convnext_tiny_stage_3_block_2_depthwise_conv"
    heatmap = grad_cam(classifier, x[0])
    assert heatmap.shape == (64, 64) and bool((heatmap >= 0).all())


@pytest.mark.parametrize("constructor, builder, count", [(ConvNeXtSmall, "convnext_small", 50_223_688),
                                                         (ConvNeXtBase, "convnext_base", 88_591_464)])
def test_convnext_small_and_base_match_torchvision_without_top(constructor, builder, count, tmp_path):
    reference = random_convnext(builder, seed=6)
    path = save_state_dict(reference, tmp_path / f"{builder}.pth", keep=lambda key: key.startswith("features."))
    base = constructor(include_top=False, weights=path, input_shape=(3, 64, 64))
    assert base.count_params() == parameter_count(reference.features)
    assert constructor(weights=None).count_params() == parameter_count(reference) == count
    x = random_images((2, 3, 64, 64), seed=7)
    with torch.no_grad():
        expected = reference.features(x)
    assert relative_error(base.predict(x, verbose=0), expected) < 1e-4


def test_layer_scale_multiplies_channels_and_loads_in_a_new_process(tmp_path):
    inputs = Input(shape=(3, 2, 2))
    model = Model(inputs, LayerScale(0.5, axis=1, name="scale")(inputs))
    layer = model.get_layer("scale")
    with torch.no_grad():
        layer.gamma.copy_(torch.tensor([1.0, 2.0, 3.0]))
    x = random_images((2, 3, 2, 2), seed=8)
    np.testing.assert_allclose(model.predict(x, verbose=0), x * torch.tensor([1.0, 2.0, 3.0]).view(1, 3, 1, 1))
    assert layer.get_config()["init_values"] == 0.5 and layer.trainable_weights[0] is layer.gamma
    model.save(tmp_path / "scale.lamina")
    np.save(tmp_path / "x.npy", x.numpy())
    script = ("import sys, numpy as np, lamina.models; m = lamina.models.load_model(sys.argv[1] + '/scale.lamina');"
              "print(float(np.abs(m.predict(np.load(sys.argv[1] + '/x.npy'), verbose=0)).sum()))")
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert float(result.stdout.split()[-1]) == pytest.approx(float(np.abs(model.predict(x, verbose=0)).sum()))


def test_preprocess_input_is_torchvisions_transform():
    image = torch.randint(0, 256, (3, 260, 300), dtype=torch.uint8, generator=torch.Generator().manual_seed(9))
    for model, weights in (("convnext_tiny", "ConvNeXt_Tiny_Weights"), ("convnext_small", "ConvNeXt_Small_Weights")):
        expected = getattr(torchvision.models, weights).DEFAULT.transforms()(image)
        ours = preprocess_input(image, data_format="channels_first", model=model)
        assert ours.shape == (3, 224, 224) and relative_error(ours, expected) < 1e-5
    with pytest.raises(ValueError, match=r"`model` must be one of \['convnext_base', 'convnext_small', "):
        preprocess_input(image, model="convnext_large")
