"""lamina.backend settings, variables, random tensors, shapes and gradients."""
import numpy as np
import pytest
import torch
from torch import nn

from lamina import backend as K
from lamina import config
from lamina.layers import Conv2D, Dense, Input


def test_image_dim_ordering_maps_onto_the_image_data_format():
    assert K.image_dim_ordering() == "th" and K.image_data_format() == "channels_first"
    K.set_image_dim_ordering("tf")
    assert config.image_data_format() == "channels_last" and K.image_dim_ordering() == "tf"
    assert Conv2D(2, 3)(Input((8, 8, 3))).shape == (None, 6, 6, 2)  # layers created afterwards follow it
    K.set_image_dim_ordering("th")
    assert config.image_data_format() == "channels_first"
    K.set_image_data_format("channels_last")
    assert K.image_dim_ordering() == "tf"
    with pytest.raises(ValueError, match=r"Invalid dim_ordering='thx'. Did you mean 'th'\? Expected one of: 'th', "
                                         r"'tf'"):
        K.set_image_dim_ordering("thx")


def test_epsilon_floatx_and_cast_to_floatx():
    assert K.epsilon() == 1e-7 and K.floatx() == "float32"
    K.set_epsilon(1e-4)
    assert config.epsilon() == 1e-4
    array = K.cast_to_floatx([1, 2])
    assert isinstance(array, np.ndarray) and array.dtype == np.float32
    K.set_floatx("float64")
    assert K.floatx() == "float64" and K.cast_to_floatx(np.arange(2)).dtype == np.float64
    assert K.cast_to_floatx(torch.arange(2)).dtype == torch.float64
    assert K.variable([1.0]).dtype == torch.float64


def test_clear_session_restarts_layer_names():
    assert [Dense(1).name, Dense(1).name] == ["dense", "dense_1"]
    K.clear_session()
    assert Dense(1).name == "dense"


def test_learning_phase_is_a_placeholder_to_feed_k_function():
    assert K.learning_phase() is K.learning_phase()
    assert "feed 0 (test) or 1 (train)" in repr(K.learning_phase())


def test_set_learning_phase_accepts_test_mode_and_explains_training_mode():
    K.set_learning_phase(0)  # Keras 2 code before predicting or exporting: lamina already predicts in test mode
    with pytest.raises(ValueError, match=r"K.set_learning_phase\(1\) is not supported: lamina has no global "
                                         r"learning phase .* feed 1 for K.learning_phase\(\) to a K.function"):
        K.set_learning_phase(1)
    with pytest.raises(ValueError, match=r"set_learning_phase: invalid value=2. Expected one of: 0, 1"):
        K.set_learning_phase(2)


def test_variables_hold_copies_and_can_be_read_and_set():
    source = np.arange(6, dtype="float64").reshape(2, 3)
    w = K.variable(source)
    assert isinstance(w, nn.Parameter) and w.requires_grad and w.dtype == torch.float32
    source[0, 0] = 100.0
    np.testing.assert_array_equal(K.get_value(w), np.arange(6).reshape(2, 3))
    K.set_value(w, np.ones((2, 3)))
    np.testing.assert_array_equal(K.eval(w), np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"set_value: the variable has shape \(2, 3\), the value \(3,\)"):
        K.set_value(w, np.ones(3))
    integers = K.variable([1, 2], dtype="int64")
    assert not isinstance(integers, nn.Parameter) and integers.dtype == torch.int64
    np.testing.assert_array_equal(K.eval(K.zeros((2, 2))), np.zeros((2, 2)))
    np.testing.assert_array_equal(K.eval(K.ones((3,), dtype="float64")), np.ones(3))
    assert isinstance(K.zeros((1,)), nn.Parameter)


def test_get_value_of_a_symbolic_tensor_explains_k_function():
    with pytest.raises(TypeError, match=r"evaluate it with K.function"):
        K.get_value(Input((2,)))


def test_random_normal_has_the_requested_statistics_and_seed():
    values = K.eval(K.random_normal((200, 100), mean=2.0, stddev=0.5))
    assert abs(values.mean() - 2.0) < 0.01 and abs(values.std() - 0.5) < 0.01
    np.testing.assert_array_equal(K.eval(K.random_normal((3,), seed=1)), K.eval(K.random_normal((3,), seed=1)))
    keras1 = K.eval(K.random_normal((200, 100), mean=0.0, std=3.0))  # Keras 1's keyword
    assert abs(keras1.std() - 3.0) < 0.05
    state = torch.random.get_rng_state()
    K.random_normal((3,), seed=5)
    assert torch.equal(state, torch.random.get_rng_state())  # a seeded draw leaves the global generator alone
    with pytest.raises(TypeError, match=r"unexpected keyword arguments \['sigma'\]"):
        K.random_normal((3,), sigma=1.0)
    uniform = K.eval(K.random_uniform((1000,), minval=-2.0, maxval=-1.0))
    assert uniform.min() >= -2.0 and uniform.max() < -1.0


def test_shape_int_shape_and_ndim():
    x = torch.zeros(4, 3, 2)
    assert K.shape(x) == (4, 3, 2) and K.shape(x)[0] == 4 and K.int_shape(x) == (4, 3, 2) and K.ndim(x) == 3
    assert K.int_shape(np.zeros((5, 1))) == (5, 1)
    symbolic = Input((3, 2))
    assert K.int_shape(symbolic) == (None, 3, 2) and K.ndim(symbolic) == 3


def test_gradients_match_the_analytic_gradient():
    x = torch.tensor(np.random.default_rng(0).standard_normal((3, 2)), dtype=torch.float32, requires_grad=True)
    w = K.variable(np.array([[1.0, -2.0], [0.5, 3.0]]))
    unused = K.variable([1.0])
    loss = K.sum(K.square(K.dot(x, w)))
    grad_x, grad_w, grad_unused = K.gradients(loss, [x, w, unused])
    product = (x @ w).detach().numpy()
    np.testing.assert_allclose(grad_x.detach().numpy(), 2 * product @ w.detach().numpy().T, rtol=1e-5)
    np.testing.assert_allclose(grad_w.detach().numpy(), 2 * x.detach().numpy().T @ product, rtol=1e-5)
    assert grad_unused is None
    # non-scalar losses are summed; the gradient can be differentiated again (gradient penalty)
    (gradient,) = K.gradients(K.square(x), x)
    np.testing.assert_allclose(gradient.detach().numpy(), 2 * x.detach().numpy(), rtol=1e-6)
    (second,) = K.gradients(K.sum(K.square(gradient)), [x])
    np.testing.assert_allclose(second.detach().numpy(), 8 * x.detach().numpy(), rtol=1e-5)
