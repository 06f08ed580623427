import numpy as np
import pytest
import torch
from torch import nn

from lamina.layers import (
    Dense, GaussianDropout, GaussianNoise, Input, Lambda, SpatialDropout1D, SpatialDropout2D, TorchModule,
)
from lamina.models import Model, Sequential, load_model
from oracle import assert_matches_keras, check_layer_contract, keras


def test_spatial_dropout_drops_whole_channels_in_training_only():
    x = torch.ones(64, 5, 8)
    out = SpatialDropout1D(0.5)(x, training=True)
    assert torch.equal(out.amin(dim=1), out.amax(dim=1))  # same decision at every step
    assert 0.3 < (out == 0).float().mean() < 0.7
    images = torch.ones(64, 4, 3, 3)
    out = SpatialDropout2D(0.5, data_format="channels_first")(images, training=True)
    assert torch.equal(out.flatten(2).amin(-1), out.flatten(2).amax(-1))
    assert torch.equal(SpatialDropout2D(0.5)(images, training=False), images)


def test_spatial_dropout_rank_error():
    with pytest.raises(ValueError, match="SpatialDropout2D 'spatial_dropout2d' expects inputs of rank 4"):
        SpatialDropout2D(0.5)(torch.ones(2, 3))


def test_noise_layers_are_identity_in_inference_and_match_keras_there():
    x = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
    assert_matches_keras(GaussianNoise(0.3), keras().layers.GaussianNoise(0.3), x)
    assert_matches_keras(GaussianDropout(0.3), keras().layers.GaussianDropout(0.3), x)
    assert_matches_keras(SpatialDropout1D(0.0), keras().layers.SpatialDropout1D(0.0), x[None], training=True)


def test_noise_layers_perturb_in_training_with_the_keras_scale():
    x = torch.ones(200_000)
    assert abs(GaussianNoise(0.5)(x, training=True).std().item() - 0.5) < 0.01
    assert abs(GaussianDropout(0.2)(x, training=True).std().item() - (0.2 / 0.8) ** 0.5) < 0.01


def test_regularization_contracts():
    x = np.ones((3, 4, 5, 5), dtype="float32")
    for make in (lambda: SpatialDropout2D(0.2), lambda: GaussianNoise(0.1), lambda: GaussianDropout(0.1)):
        check_layer_contract(make, x)


def square(x):
    return x ** 2


def test_lambda_layer_in_a_model_infers_shapes_and_saves_with_custom_objects(tmp_path):
    inputs = Input((3,))
    outputs = Dense(2)(Lambda(square)(inputs))
    model = Model(inputs, outputs)
    x = torch.rand(4, 3)
    path = tmp_path / "model.lamina"
    model.save(path)
    with pytest.raises(ValueError, match="Lambda layer"):
        load_model(path)
    restored = load_model(path, safe_mode=False, custom_objects={"square": square})
    torch.testing.assert_close(restored(x), model(x))
    assert Lambda(lambda t, n: t.sum(-1, keepdim=True) * n, arguments={"n": 2})(Input((3,))).shape == (None, 1)


def test_torch_module_wraps_any_module_with_its_weights(tmp_path):
    model = Sequential([Input((3, 8, 8)), TorchModule(nn.Conv2d(3, 4, 3)), TorchModule(nn.BatchNorm2d(4)),
                        TorchModule(nn.Flatten()), Dense(2)])
    assert model.output_shape == (None, 2)
    conv = model.layers[0]
    assert [w.shape for w in conv.get_weights()] == [(4, 3, 3, 3), (4,)]
    assert model.count_params() == 4 * 27 + 4 + 4 * 2 + 4 * 2 + 4 * 36 * 2 + 2
    conv.trainable = False
    assert conv.trainable_weights == [] and not conv.module.weight.requires_grad
    path = tmp_path / "wrapped.lamina"
    model.save(path)
    restored = load_model(path, custom_objects={"Conv2d": lambda: nn.Conv2d(3, 4, 3),
                                                "BatchNorm2d": lambda: nn.BatchNorm2d(4), "Flatten": nn.Flatten})
    model.eval(), restored.eval()
    x = torch.rand(2, 3, 8, 8)
    torch.testing.assert_close(restored(x), model(x))
    with pytest.raises(ValueError, match=r"Pass custom_objects=\{'Conv2d': factory\}"):
        load_model(path)


def test_torch_module_rejects_non_modules():
    with pytest.raises(TypeError, match="TorchModule wraps a torch.nn.Module, received function"):
        TorchModule(square)
