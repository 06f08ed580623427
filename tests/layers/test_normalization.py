import numpy as np
import pytest
import torch

from lamina import config
from lamina.layers import BatchNormalization, LayerNormalization
from oracle import assert_matches_keras, check_layer_contract, keras

RNG = np.random.default_rng(0)


def data(*shape):
    return (RNG.standard_normal(shape) * 3 + 1).astype("float32")


def randomize_moving_statistics(layer, inputs):
    layer(torch.as_tensor(inputs))
    gamma, beta, mean, variance = layer.get_weights()
    layer.set_weights([gamma + 0.5, beta - 0.2, mean + 0.3, variance * 2.0])


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("shape, axis", [((6, 4), -1), ((5, 3, 4, 4), 1), ((5, 4, 4, 3), -1), ((4, 5, 3), -1)])
def test_batch_normalization_matches_keras(shape, axis, training):
    x = data(*shape)
    layer = BatchNormalization(axis=axis)
    randomize_moving_statistics(layer, x)
    assert_matches_keras(layer, keras().layers.BatchNormalization(axis=axis), x, training=training, atol=1e-4)


def test_batch_normalization_moving_statistics_update_like_keras():
    x = data(8, 3)
    layer, k_layer = BatchNormalization(momentum=0.9), keras().layers.BatchNormalization(momentum=0.9)
    layer.train()
    for _ in range(3):
        layer(torch.as_tensor(x))
        k_layer(x, training=True)
    for ours, theirs in zip(layer.get_weights(), k_layer.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    # the biased variance: the moving variance after many steps is the population variance
    expected = 0.9 ** 3 + (1 - 0.9 ** 3) * x.var(axis=0)
    np.testing.assert_allclose(layer.get_weights()[3], expected, rtol=1e-5)


def test_batch_normalization_default_axis_follows_image_data_format():
    layer = BatchNormalization()
    layer(torch.zeros(2, 3, 5, 5))
    assert layer.feature_axis == 1 and layer.get_weights()[0].shape == (3,)
    config.set_image_data_format("channels_last")
    layer = BatchNormalization()
    layer(torch.zeros(2, 5, 5, 3))
    assert layer.feature_axis == 3
    dense_features = BatchNormalization()
    dense_features(torch.zeros(2, 7))
    assert dense_features.get_weights()[0].shape == (7,)


def test_frozen_batch_normalization_runs_in_inference_mode():
    layer = BatchNormalization()
    x = torch.as_tensor(data(8, 3))
    layer(x)
    layer.trainable = False
    layer.train()
    before = layer.get_weights()
    torch.testing.assert_close(layer(x, training=True), layer(x, training=False))
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4


def test_batch_normalization_weights_are_params_and_buffers():
    layer = BatchNormalization()
    layer(torch.zeros(2, 3))
    assert sorted(name for name, _ in layer.named_parameters()) == ["beta", "gamma"]
    assert sorted(name for name, _ in layer.named_buffers()) == ["moving_mean", "moving_variance"]


def test_batch_normalization_bad_axis_names_the_fix():
    with pytest.raises(ValueError, match="axis 3 is not a feature axis of inputs of shape"):
        BatchNormalization(axis=3)(torch.zeros(2, 3))


@pytest.mark.parametrize("shape, axis", [((4, 6), -1), ((3, 5, 6), -1)])
def test_layer_normalization_matches_keras(shape, axis):
    layer = LayerNormalization(axis=axis)
    x = data(*shape)
    layer(torch.as_tensor(x))
    gamma, beta = layer.get_weights()
    layer.set_weights([gamma * 1.5, beta + 0.1])
    assert_matches_keras(layer, keras().layers.LayerNormalization(axis=axis), x)


def test_layer_normalization_on_a_middle_axis():
    # Keras 3.15's torch backend fails on this case, so the reference is the definition
    x = torch.as_tensor(data(3, 5, 6))
    expected = (x - x.mean(1, keepdim=True)) / torch.sqrt(x.var(1, keepdim=True, correction=0) + 1e-3)
    torch.testing.assert_close(LayerNormalization(axis=1)(x), expected)


def test_normalization_contracts():
    check_layer_contract(lambda: BatchNormalization(), data(6, 3))
    check_layer_contract(lambda: BatchNormalization(axis=1, center=False), data(6, 3, 4, 4))
    check_layer_contract(lambda: LayerNormalization(), data(6, 3))


def test_keras1_batch_normalization_arguments():
    import warnings

    from lamina.legacy import LegacyArgumentWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        layer = BatchNormalization(mode=0, axis=1, gamma_init="ones")
    assert [str(w.message) for w in caught if w.category is LegacyArgumentWarning] == [
        "BatchNormalization: `mode` is the Keras 1 name; it has no effect and is ignored.",
        "BatchNormalization: `gamma_init` is the Keras 1 name; use `gamma_initializer`.",
    ]
    assert layer.axis == 1
