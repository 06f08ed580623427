"""Rescaling and Normalization against Keras 3; their configs and a saved model that starts with them."""
import numpy as np
import pytest
import torch

import lamina
from lamina.layers import Dense, Flatten, Input, Normalization, Rescaling
from lamina.models import Model
from oracle import assert_matches_keras_with_shape, check_layer_contract, keras

IMAGES = np.random.default_rng(0).uniform(0, 255, (4, 3, 5, 6)).astype(np.float32)
MEAN, VARIANCE = [120.0, 110.0, 100.0], [3000.0, 2500.0, 0.0]  # a zero variance divides by Keras's epsilon


@pytest.mark.parametrize("scale, offset", [(1 / 255, 0.0), (1 / 127.5, -1.0), ([0.5, 1.0, 2.0, 3.0, 4.0, 5.0], 1.0)])
def test_rescaling_is_keras(scale, offset):
    assert_matches_keras_with_shape(Rescaling(scale, offset), keras().layers.Rescaling(scale, offset), IMAGES)


@pytest.mark.parametrize("axis, mean, variance", [(1, MEAN, VARIANCE), (-1, 2.0, 9.0), (None, 100.0, 400.0),
                                                  ((1, 2), np.arange(15.0).reshape(3, 5), np.ones((3, 5)))])
@pytest.mark.parametrize("invert", [False, True])
def test_normalization_with_given_statistics_is_keras(axis, mean, variance, invert):
    assert_matches_keras_with_shape(Normalization(axis, mean, variance, invert=invert),
                                    keras().layers.Normalization(axis, mean, variance, invert=invert), IMAGES,
                                    atol=1e-4)


@pytest.mark.parametrize("axis", [1, -1, (1, 3), None])
def test_adapt_computes_keras_statistics(axis):
    ours, theirs = Normalization(axis=axis), keras().layers.Normalization(axis=axis)
    ours.adapt(IMAGES)
    theirs.adapt(IMAGES)
    np.testing.assert_allclose(ours(torch.from_numpy(IMAGES)).numpy(), np.asarray(theirs(IMAGES)), atol=1e-4)


def test_uint8_pixels_become_floats():
    pixels = torch.randint(0, 256, (2, 3, 4, 4), dtype=torch.uint8)
    assert Rescaling(1 / 255)(pixels).dtype == torch.float32
    torch.testing.assert_close(Normalization(1, MEAN, [1.0] * 3)(pixels), pixels.float() - torch.tensor(MEAN)[:, None, None])


@pytest.mark.parametrize("make_layer", [lambda: Rescaling(0.5, 2.0), lambda: Normalization(1, MEAN, VARIANCE)])
def test_layer_contract(make_layer):
    check_layer_contract(make_layer, IMAGES)


def test_a_saved_model_keeps_its_preprocessing(tmp_path):
    inputs = Input((3, 5, 6))
    normalization = Normalization(axis=1)
    normalization.adapt(IMAGES)
    outputs = Dense(2)(Flatten()(normalization(Rescaling(2.0)(inputs))))
    model = Model(inputs, outputs)
    model.save(tmp_path / "model.lamina")
    loaded = lamina.models.load_model(tmp_path / "model.lamina")
    torch.testing.assert_close(loaded(torch.from_numpy(IMAGES)), model(torch.from_numpy(IMAGES)))


def test_errors_name_the_fix():
    with pytest.raises(ValueError, match="pass both `mean` and `variance`, or neither"):
        Normalization(mean=1.0)
    with pytest.raises(ValueError, match=r"has no mean and variance: .* call layer.adapt\(data\)"):
        Normalization()(torch.ones(2, 3))
