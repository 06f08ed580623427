"""Every lamina.backend tensor function against its numpy equivalent (Keras 1/2 semantics)."""
import numpy as np
import pytest
import torch

from lamina import backend as K
from lamina import config

RNG = np.random.default_rng(7)
X = RNG.standard_normal((2, 3, 4)).astype("float32")
Y = RNG.standard_normal((2, 3, 4)).astype("float32")


def value(tensor):
    assert isinstance(tensor, torch.Tensor)
    return K.eval(tensor)


@pytest.mark.parametrize("name, reference", [
    ("mean", np.mean), ("sum", np.sum), ("max", np.max), ("min", np.min),
])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, [0, 2], (1, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_numpy(name, reference, axis, keepdims):
    expected = reference(X, axis=tuple(axis) if isinstance(axis, list) else axis, keepdims=keepdims)
    for given in (X, torch.from_numpy(X)):  # numpy arrays are accepted as in Keras
        actual = value(getattr(K, name)(given, axis=axis, keepdims=keepdims))
        assert actual.shape == np.shape(expected)
        np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6)


def test_mean_of_integers_is_a_float_mean():
    actual = K.mean(torch.tensor([[1, 2], [3, 6]]), axis=0)
    assert actual.dtype == torch.float32
    np.testing.assert_array_equal(K.eval(actual), [2.0, 4.0])


@pytest.mark.parametrize("name, reference", [
    ("square", np.square), ("abs", np.abs), ("exp", np.exp),
    ("sigmoid", lambda x: 1 / (1 + np.exp(-x))),
])
def test_elementwise_functions_match_numpy(name, reference):
    np.testing.assert_allclose(value(getattr(K, name)(torch.from_numpy(X))), reference(X), rtol=1e-6)


def test_sqrt_and_log_match_numpy_and_sqrt_clips_negatives_to_zero():
    positive = np.abs(X) + 0.1
    np.testing.assert_allclose(value(K.sqrt(torch.from_numpy(positive))), np.sqrt(positive), rtol=1e-6)
    np.testing.assert_allclose(value(K.log(torch.from_numpy(positive))), np.log(positive), rtol=1e-6)
    np.testing.assert_array_equal(value(K.sqrt(torch.tensor([-4.0, 4.0]))), [0.0, 2.0])


@pytest.mark.parametrize("name, reference", [("maximum", np.maximum), ("minimum", np.minimum)])
def test_maximum_and_minimum_match_numpy_with_tensors_numbers_and_broadcasting(name, reference):
    function = getattr(K, name)
    np.testing.assert_array_equal(value(function(torch.from_numpy(X), torch.from_numpy(Y))), reference(X, Y))
    np.testing.assert_array_equal(value(function(torch.from_numpy(X), 0.5)), reference(X, np.float32(0.5)))
    np.testing.assert_array_equal(value(function(0.5, torch.from_numpy(X))), reference(np.float32(0.5), X))
    np.testing.assert_array_equal(value(function(torch.from_numpy(X), Y[0, 0])), reference(X, Y[0, 0]))


@pytest.mark.parametrize("low, high", [(-0.5, 0.5), (0.0, None), (None, 0.2), (1.0, -1.0)])
def test_clip_matches_numpy_and_raises_a_max_below_the_min(low, high):
    expected_high = low if high is not None and low is not None and high < low else high
    expected = np.clip(X, -np.inf if low is None else low, np.inf if expected_high is None else expected_high)
    np.testing.assert_array_equal(value(K.clip(torch.from_numpy(X), low, high)), expected)


@pytest.mark.parametrize("x_shape, y_shape", [
    ((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((2, 3), (4, 3, 5)), ((2, 3, 4), (5, 4, 6)), ((4,), (4, 2)),
    ((3, 4), (4,)),
])
def test_dot_matches_numpy_dot(x_shape, y_shape):
    x, y = RNG.standard_normal(x_shape).astype("float32"), RNG.standard_normal(y_shape).astype("float32")
    np.testing.assert_allclose(value(K.dot(torch.from_numpy(x), torch.from_numpy(y))), np.dot(x, y), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("x_shape, y_shape, axes, subscripts", [
    ((4, 3), (4, 3), None, "bi,bi->b"),
    ((4, 3), (4, 3), 1, "bi,bi->b"),
    ((4, 20), (4, 30, 20), (1, 2), "bi,bji->bj"),
    ((4, 20, 1), (4, 30, 20), (1, 2), "bik,bji->bkj"),
    ((4, 5, 3), (4, 3, 6), None, "bij,bjk->bik"),
    ((4, 5, 3), (4, 6, 3), (2, 2), "bij,bkj->bik"),
    ((4, 3, 5), (4, 3, 6), (1, 1), "bji,bjk->bik"),
    ((4, 5, 3), (4, 3), (-1, -1), "bij,bj->bi"),
    ((4, 3), (4, 3, 6, 2), (1, 1), "bj,bjkl->bkl"),
])
def test_batch_dot_has_keras_semantics(x_shape, y_shape, axes, subscripts):
    x, y = RNG.standard_normal(x_shape).astype("float32"), RNG.standard_normal(y_shape).astype("float32")
    expected = np.einsum(subscripts, x, y)
    if expected.ndim == 1:
        expected = expected[:, None]  # Keras reshapes a rank-1 result to (batch_size, 1)
    actual = value(K.batch_dot(torch.from_numpy(x), torch.from_numpy(y), axes=axes))
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


def test_batch_dot_documented_examples():
    x, y = torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[5.0, 6.0], [7.0, 8.0]])
    np.testing.assert_array_equal(value(K.batch_dot(x, y, axes=1)), [[17.0], [53.0]])
    assert tuple(K.batch_dot(torch.ones(32, 20, 1), torch.ones(32, 30, 20), axes=(1, 2)).shape) == (32, 1, 30)


def test_batch_dot_rejects_the_batch_axis_and_rank_one_tensors():
    with pytest.raises(ValueError, match=r"cannot sum over the batch axis 0 \(axes=\(0, 1\)\)"):
        K.batch_dot(torch.ones(2, 3), torch.ones(2, 3), axes=(0, 1))
    with pytest.raises(ValueError, match=r"rank >= 2 .* \(3,\) and \(2, 3\)"):
        K.batch_dot(torch.ones(3), torch.ones(2, 3))


def test_transpose_reshape_concatenate_expand_dims_squeeze_match_numpy():
    t = torch.from_numpy(X)
    np.testing.assert_array_equal(value(K.transpose(t)), np.transpose(X))
    np.testing.assert_array_equal(value(K.transpose(t[0])), X[0].T)
    np.testing.assert_array_equal(value(K.reshape(t, (4, -1))), np.reshape(X, (4, -1)))
    for axis in (0, 1, -1):
        np.testing.assert_array_equal(value(K.concatenate([t, torch.from_numpy(Y)], axis=axis)),
                                      np.concatenate([X, Y], axis=axis))
        np.testing.assert_array_equal(value(K.expand_dims(t, axis)), np.expand_dims(X, axis))
    np.testing.assert_array_equal(value(K.expand_dims(t)), X[..., None])
    np.testing.assert_array_equal(value(K.squeeze(K.expand_dims(t, 1), 1)), X)
    with pytest.raises(ValueError, match=r"squeeze: axis 1 of a tensor of shape \(2, 3, 4\) has size 3, not 1"):
        K.squeeze(t, 1)


@pytest.mark.parametrize("axis", [None, -1, 0, [1, 2]])
def test_l2_normalize_matches_numpy(axis):
    numpy_axis = tuple(axis) if isinstance(axis, list) else axis
    norms = np.sqrt(np.maximum(np.sum(X ** 2, axis=numpy_axis, keepdims=True), 1e-12))
    np.testing.assert_allclose(value(K.l2_normalize(torch.from_numpy(X), axis=axis)), X / norms, rtol=1e-6)
    np.testing.assert_array_equal(value(K.l2_normalize(torch.zeros(2, 3), axis=-1)), np.zeros((2, 3)))


@pytest.mark.parametrize("axis", [-1, 1])
def test_softmax_matches_numpy(axis):
    shifted = np.exp(X - X.max(axis=axis, keepdims=True))
    np.testing.assert_allclose(value(K.softmax(torch.from_numpy(X), axis=axis)),
                               shifted / shifted.sum(axis=axis, keepdims=True), rtol=1e-6)


@pytest.mark.parametrize("alpha, max_value, threshold", [
    (0.0, None, 0.0), (0.1, None, 0.0), (0.0, 0.5, 0.0), (0.2, 0.6, 0.0), (0.0, None, 0.3), (0.3, 1.0, -0.2),
])
def test_relu_matches_keras2_formula(alpha, max_value, threshold):
    positive = np.where(X > threshold, X, 0.0)
    if max_value is not None:
        positive = np.clip(positive, 0.0, max_value)
    expected = positive - alpha * np.maximum(threshold - X, 0.0)
    np.testing.assert_allclose(value(K.relu(torch.from_numpy(X), alpha, max_value, threshold)), expected,
                               rtol=1e-6, atol=1e-7)


def test_binary_crossentropy_clips_probabilities_with_epsilon():
    target = np.array([[1.0, 0.0, 1.0, 0.0, 0.5]], dtype="float32")
    output = np.array([[1.0, 0.0, 0.0, 1.0, 0.3]], dtype="float32")
    for epsilon in (1e-7, 1e-3):
        config.set_epsilon(epsilon)
        p = np.clip(output, np.float32(epsilon), np.float32(1 - epsilon)).astype("float64")  # clipped in float32
        expected = -(target * np.log(p) + (1 - target) * np.log(1 - p))
        actual = value(K.binary_crossentropy(torch.from_numpy(target), torch.from_numpy(output)))
        assert np.isfinite(actual).all()
        np.testing.assert_allclose(actual, expected, rtol=1e-3)


def test_binary_crossentropy_from_logits_and_from_a_sigmoid_output():
    target = (RNG.random((3, 4)) > 0.5).astype("float32")
    logits = torch.from_numpy(X[0] * 8)[:3]
    expected = np.maximum(X[0][:3] * 8, 0) - X[0][:3] * 8 * target + np.log1p(np.exp(-np.abs(X[0][:3] * 8)))
    for output, from_logits in ((logits, True), (K.sigmoid(logits), False)):
        np.testing.assert_allclose(value(K.binary_crossentropy(target, output, from_logits=from_logits)), expected,
                                   rtol=1e-5, atol=1e-6)


def test_categorical_crossentropy_matches_numpy_with_rescaling_clipping_and_logits():
    target = np.eye(4, dtype="float32")[[0, 3, 1]]
    scores = np.abs(X[0][:3]) + 0.1
    probabilities = scores / scores.sum(axis=-1, keepdims=True)
    expected = -np.sum(target * np.log(np.clip(probabilities, 1e-7, 1 - 1e-7)), axis=-1)
    np.testing.assert_allclose(value(K.categorical_crossentropy(target, torch.from_numpy(scores))), expected,
                               rtol=1e-5)
    logits = X[1][:3]
    log_softmax = logits - logits.max(-1, keepdims=True)
    log_softmax = log_softmax - np.log(np.exp(log_softmax).sum(-1, keepdims=True))
    expected_logits = -np.sum(target * log_softmax, axis=-1)
    np.testing.assert_allclose(value(K.categorical_crossentropy(target, torch.from_numpy(logits), from_logits=True)),
                               expected_logits, rtol=1e-5)
    np.testing.assert_allclose(value(K.categorical_crossentropy(target, K.softmax(torch.from_numpy(logits)))),
                               expected_logits, rtol=1e-5)
    one_hot_on_axis_1 = np.transpose(target)[None]
    np.testing.assert_allclose(
        value(K.categorical_crossentropy(one_hot_on_axis_1, torch.from_numpy(np.transpose(scores)[None]), axis=1)),
        expected[None], rtol=1e-5)


def test_functions_are_differentiable():
    x = torch.tensor(X, requires_grad=True)
    loss = K.sum(K.square(K.l2_normalize(x, axis=-1))) + K.mean(K.batch_dot(x, K.exp(x), axes=2))
    loss.backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("name, activation", [("binary_crossentropy", K.sigmoid), ("categorical_crossentropy",
                                                                                     K.softmax)])
def test_crossentropy_recognises_keras1_argument_order(name, activation, monkeypatch):
    from lamina.backend import tensors

    monkeypatch.setattr(tensors, "_warned_swaps", set())
    target = torch.from_numpy(np.eye(4, dtype="float32")[[0, 3, 1]])
    output = activation(torch.from_numpy(X[0][:3]))
    function = getattr(K, name)
    keras2 = value(function(target, output))
    with pytest.warns(FutureWarning, match=rf"K.{name}\(output, target\) is Keras 1's argument order; lamina "
                                           rf"swapped the arguments"):
        keras1 = value(function(output, target))
    np.testing.assert_array_equal(keras1, keras2)
    model_outputs = value(function(activation(torch.from_numpy(X[1][:3])), output))  # both outputs: no swap
    assert not np.allclose(model_outputs, value(function(output, activation(torch.from_numpy(X[1][:3])))))
