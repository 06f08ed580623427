"""lamina.backend's further Keras 2 functions (comparisons, casts, statistics, shapes) against numpy."""
import numpy as np
import pytest
import torch

from lamina import backend as K
from lamina.layers import Input, Lambda

RNG = np.random.default_rng(9)
X = RNG.standard_normal((2, 3, 4)).astype("float32")
T = torch.from_numpy(X)


@pytest.mark.parametrize("name, reference", [
    ("equal", np.equal), ("not_equal", np.not_equal), ("greater", np.greater),
    ("greater_equal", np.greater_equal), ("less", np.less), ("less_equal", np.less_equal),
])
def test_comparisons_match_numpy(name, reference):
    rounded = np.round(X)
    other = np.round(RNG.standard_normal((3, 4))).astype("float32")
    np.testing.assert_array_equal(K.eval(getattr(K, name)(torch.from_numpy(rounded), torch.from_numpy(other))),
                                  reference(rounded, other))
    np.testing.assert_array_equal(K.eval(getattr(K, name)(torch.from_numpy(rounded), 0.0)), reference(rounded, 0.0))


@pytest.mark.parametrize("name, reference", [
    ("round", np.round), ("sign", np.sign), ("cos", np.cos), ("sin", np.sin), ("tanh", np.tanh),
    ("softplus", lambda x: np.log1p(np.exp(x))), ("softsign", lambda x: x / (1 + np.abs(x))),
    ("elu", lambda x: np.where(x > 0, x, np.exp(x) - 1)), ("hard_sigmoid", lambda x: np.clip(0.2 * x + 0.5, 0, 1)),
    ("flatten", np.ravel), ("batch_flatten", lambda x: x.reshape(len(x), -1)),
    ("ones_like", np.ones_like), ("zeros_like", np.zeros_like),
])
def test_elementwise_and_shape_functions_match_numpy(name, reference):
    values = np.concatenate([X.ravel(), [0.5, 1.5, 2.5, -0.5]]).astype("float32") if name == "round" else X
    np.testing.assert_allclose(K.eval(getattr(K, name)(torch.from_numpy(values))), reference(values), rtol=1e-6,
                               atol=1e-7)


@pytest.mark.parametrize("axis", [None, 0, -1, [0, 2]])
@pytest.mark.parametrize("keepdims", [False, True])
def test_statistics_match_numpy(axis, keepdims):
    numpy_axis = tuple(axis) if isinstance(axis, list) else axis
    for name, reference in (("std", np.std), ("var", np.var), ("prod", np.prod)):
        np.testing.assert_allclose(K.eval(getattr(K, name)(T, axis=axis, keepdims=keepdims)),
                                   reference(X, axis=numpy_axis, keepdims=keepdims), rtol=1e-5, atol=1e-7)
    booleans = X > 0.5
    for name, reference in (("any", np.any), ("all", np.all)):
        np.testing.assert_array_equal(K.eval(getattr(K, name)(torch.from_numpy(booleans), axis=axis,
                                                               keepdims=keepdims)),
                                      reference(booleans, axis=numpy_axis, keepdims=keepdims))


def test_argmax_cumulative_and_cast_match_numpy():
    np.testing.assert_array_equal(K.eval(K.argmax(T)), np.argmax(X, axis=-1))
    np.testing.assert_array_equal(K.eval(K.argmin(T, axis=1)), np.argmin(X, axis=1))
    np.testing.assert_allclose(K.eval(K.cumsum(T, axis=1)), np.cumsum(X, axis=1), rtol=1e-6)
    np.testing.assert_allclose(K.eval(K.cumprod(T)), np.cumprod(X, axis=0), rtol=1e-6)
    np.testing.assert_array_equal(K.eval(K.cast(T > 0, "float32")), (X > 0).astype("float32"))
    assert K.cast(T, "int64").dtype == torch.int64 and K.dtype(T) == "float32" and K.count_params(T) == 24
    np.testing.assert_allclose(K.eval(K.pow(torch.abs(T), 1.5)), np.abs(X) ** 1.5, rtol=1e-5)


def test_shape_manipulation_matches_numpy():
    np.testing.assert_array_equal(K.eval(K.permute_dimensions(T, (0, 2, 1))), X.transpose(0, 2, 1))
    np.testing.assert_array_equal(K.eval(K.stack([T, T * 2], axis=1)), np.stack([X, X * 2], axis=1))
    np.testing.assert_array_equal(K.eval(K.tile(T, (1, 2, 3))), np.tile(X, (1, 2, 3)))
    np.testing.assert_array_equal(K.eval(K.tile(T[0, 0], 2)), np.tile(X[0, 0], 2))
    np.testing.assert_array_equal(K.eval(K.repeat_elements(T, 2, axis=1)), np.repeat(X, 2, axis=1))
    np.testing.assert_array_equal(K.eval(K.repeat(T[:, 0], 3)), np.repeat(X[:, 0][:, None], 3, axis=1))
    np.testing.assert_array_equal(K.eval(K.gather(T, [1, 0, 1])), X[[1, 0, 1]])
    np.testing.assert_array_equal(K.eval(K.one_hot(torch.tensor([[0, 2], [1, 1]]), 3)),
                                  np.eye(3, dtype="float32")[[[0, 2], [1, 1]]])


def test_switch_constant_stop_gradient_and_is_keras_tensor():
    condition = np.array([True, False])
    np.testing.assert_array_equal(K.eval(K.switch(torch.from_numpy(condition), T, -T)),
                                  np.where(condition[:, None, None], X, -X))
    np.testing.assert_array_equal(K.eval(K.constant(2.5, shape=(2, 2))), np.full((2, 2), 2.5))
    np.testing.assert_array_equal(K.eval(K.constant([1, 2], dtype="int64")), [1, 2])
    x = torch.ones(3, requires_grad=True)
    (K.sum(K.stop_gradient(x * 2)) + K.sum(x)).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(3))
    assert K.is_keras_tensor(Input((2,))) and not K.is_keras_tensor(x)


def test_dropout_scales_the_kept_values_and_follows_the_seed():
    x = torch.ones(200, 100)
    dropped = K.eval(K.dropout(x, 0.25, seed=3))
    assert set(np.unique(dropped)) == {0.0, np.float32(1 / 0.75)}
    assert abs((dropped == 0).mean() - 0.25) < 0.02
    np.testing.assert_array_equal(dropped, K.eval(K.dropout(x, 0.25, seed=3)))
    columns = K.eval(K.dropout(x, 0.5, noise_shape=(1, None), seed=0))
    assert (columns == columns[0]).all()  # one mask shared by every row


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_categorical_crossentropy_matches_numpy(from_logits):
    labels = np.array([0, 3, 1])
    scores = np.abs(X[0][:3]) + 0.1 if not from_logits else X[0][:3]
    if from_logits:
        shifted = scores - scores.max(-1, keepdims=True)
        log_probabilities = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    else:
        log_probabilities = np.log(np.clip(scores / scores.sum(-1, keepdims=True), 1e-7, 1 - 1e-7))
    expected = -log_probabilities[np.arange(3), labels]
    for given in (labels, labels[:, None]):
        np.testing.assert_allclose(K.eval(K.sparse_categorical_crossentropy(given, torch.from_numpy(scores),
                                                                            from_logits=from_logits)),
                                   expected, rtol=1e-5)


def test_operations_on_symbolic_tensors_add_lambda_layers():
    inputs = Input((3, 4))
    flat = K.batch_flatten(inputs)
    assert isinstance(flat.layer, Lambda) and flat.shape == (None, 12)
    assert K.permute_dimensions(inputs, (0, 2, 1)).shape == (None, 4, 3)
    assert K.argmax(inputs).shape == (None, 3)
