"""K.function and K.* functions on symbolic tensors: the Keras 1 ways to read hidden layers and gradients."""
import warnings

import numpy as np
import pytest
import torch

from lamina import backend as K
from lamina.layers import Dense, Dropout, Input, Lambda
from lamina.models import Model, Sequential

RNG = np.random.default_rng(3)
X = RNG.random((6, 4)).astype("float32")


def keras1_mlp():
    model = Sequential()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # Keras 1's output_dim
        model.add(Dense(output_dim=8, input_dim=4, activation="relu"))
    model.add(Dropout(0.5))
    model.add(Dense(3, activation="softmax"))
    return model


def test_function_reads_a_hidden_layer_in_test_and_training_mode():
    model = keras1_mlp()
    get_dropout_output = K.function([model.layers[0].input, K.learning_phase()], [model.layers[1].output])
    hidden = torch.relu(torch.from_numpy(X) @ model.layers[0].kernel.T + model.layers[0].bias).detach().numpy()
    (test_mode,) = get_dropout_output([X, 0])
    np.testing.assert_allclose(test_mode, hidden, rtol=1e-6)
    (training_mode,) = get_dropout_output([X, 1])
    dropped = training_mode == 0
    assert 0 < dropped[hidden > 0].mean() < 1  # dropout is active when fed 1
    np.testing.assert_allclose(training_mode[~dropped], 2 * hidden[~dropped], rtol=1e-6)


def test_function_output_equals_predict_and_without_learning_phase_runs_in_test_mode():
    model = keras1_mlp()
    outputs = K.function([model.input], [model.output, model.layers[0].output])([X])
    np.testing.assert_allclose(outputs[0], model.predict(X, verbose=0), rtol=1e-6)
    assert outputs[1].shape == (6, 8)
    single = K.function(model.input, model.output)(X)  # Keras also accepts single tensors
    np.testing.assert_allclose(single, outputs[0], rtol=1e-6)


def test_k_functions_on_symbolic_tensors_add_lambda_layers():
    inputs = Input((4,))
    hidden = Dense(5, activation="tanh")(inputs)
    normalized = K.l2_normalize(hidden, axis=-1)
    assert isinstance(normalized.layer, Lambda) and normalized.shape == (None, 5)
    both = K.concatenate([hidden, K.square(hidden)], axis=-1)
    assert both.shape == (None, 10)
    model = Model(inputs, [normalized, both])
    first, second = model.predict(X, verbose=0)
    h = K.function([inputs], [hidden])([X])[0]
    np.testing.assert_allclose(first, h / np.linalg.norm(h, axis=-1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(second, np.concatenate([h, h ** 2], axis=-1), rtol=1e-5)


def test_symbolic_gradients_match_torch_autograd():
    model = keras1_mlp()
    loss = K.mean(K.max(model.output, axis=1))
    gradient_wrt_input = K.gradients(loss, model.input)[0]
    gradient_wrt_hidden, gradient_wrt_kernel = K.gradients(loss, [model.layers[0].output, model.layers[2].kernel])
    compute = K.function([model.input, K.learning_phase()],
                         [loss, gradient_wrt_input, gradient_wrt_hidden, gradient_wrt_kernel])
    value, input_gradient, hidden_gradient, kernel_gradient = compute([X, 0])
    x = torch.tensor(X, requires_grad=True)
    model.eval()
    hidden = model.layers[0](x)
    expected = model.layers[2](hidden).max(dim=1).values.mean()
    torch_input, torch_hidden, torch_kernel = torch.autograd.grad(expected, [x, hidden, model.layers[2].kernel])
    np.testing.assert_allclose(value, expected.item(), rtol=1e-6)
    np.testing.assert_allclose(input_gradient, torch_input.numpy(), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(hidden_gradient, torch_hidden.numpy(), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(kernel_gradient, torch_kernel.numpy(), rtol=1e-5, atol=1e-8)  # the stored layout


def test_function_errors_name_the_fix():
    model = keras1_mlp()
    other = Input((4,))
    with pytest.raises(ValueError, match=r"updates=\.\.\.\) is not supported"):
        K.function([model.input], [model.output], updates=[("w", 1)])
    with pytest.raises(TypeError, match="inputs must be model inputs"):
        K.function([model.layers[0].output], [model.output])
    with pytest.raises(ValueError, match="an output is not connected to the model's inputs"):
        K.function([other], [model.output])
    compute = K.function([model.input, K.learning_phase()], [model.output])
    with pytest.raises(ValueError, match=r"takes 2 input values .* received 1"):
        compute([X])


def test_arithmetic_and_indexing_on_symbolic_tensors_add_layers_that_compute_them():
    inputs = Input((4,))
    hidden = Dense(5, activation="tanh")(inputs)
    offset = np.arange(5, dtype="float32")
    outputs = [hidden[:, 0], 2 * hidden - 1, (hidden + offset) / 3, -hidden ** 2, 1 - abs(hidden), hidden * hidden,
               np.float32(2) * hidden]
    assert [tuple(t.shape) for t in outputs] == [(None,)] + [(None, 5)] * 6
    values = K.function([inputs], outputs)([X])
    h = K.function([inputs], [hidden])([X])[0]
    expected = [h[:, 0], 2 * h - 1, (h + offset) / 3, -h ** 2, 1 - np.abs(h), h * h, 2 * h]
    for value, wanted in zip(values, expected):
        np.testing.assert_allclose(value, wanted, rtol=1e-6, atol=1e-7)
    with pytest.raises(TypeError, match="cannot be iterated"):
        list(hidden)


def test_filter_visualisation_idiom_ascends_the_normalized_gradient():
    """Keras's "how convolutional neural networks see the world" loop: K.mean of one filter's output, its
    gradient with respect to the input normalized with K.* arithmetic, then gradient ascent on the input."""
    from lamina.layers import Conv2D

    inputs = Input((1, 6, 6))
    conv = Conv2D(3, 3, activation="relu", data_format="channels_first")(inputs)
    loss = K.mean(conv[:, 1, :, :])
    grads = K.gradients(loss, inputs)[0]
    grads /= (K.sqrt(K.mean(K.square(grads))) + 1e-5)
    iterate = K.function([inputs], [loss, grads])
    image = RNG.random((1, 1, 6, 6)).astype("float32")
    x = torch.tensor(image, requires_grad=True)
    expected_loss = conv.layer(x)[:, 1].mean()
    (gradient,) = torch.autograd.grad(expected_loss, [x])
    loss_value, grads_value = iterate([image])
    np.testing.assert_allclose(loss_value, expected_loss.item(), rtol=1e-6)
    expected = gradient / (gradient.square().mean().sqrt() + 1e-5)
    np.testing.assert_allclose(grads_value, expected.numpy(), rtol=1e-5, atol=1e-7)
    for _ in range(5):
        loss_value, grads_value = iterate([image])
        image += grads_value
    assert iterate([image])[0] > expected_loss.item()


def test_gradients_with_respect_to_a_hidden_layer_feed_further_computation_grad_cam_style():
    model = keras1_mlp()
    class_score = model.output[:, 2]
    hidden = model.layers[0].output
    (grads,) = K.gradients(class_score, [hidden])
    weighted = K.sum(K.mean(grads, axis=0) * hidden, axis=-1)
    value = K.function([model.input], [weighted])([X])[0]
    x = torch.from_numpy(X)
    model.eval()
    h = model.layers[0](x)
    (expected_grads,) = torch.autograd.grad(model.layers[2](h)[:, 2].sum(), [h])
    np.testing.assert_allclose(value, (expected_grads.mean(0) * h).sum(-1).detach().numpy(), rtol=1e-5)
    with pytest.raises(ValueError, match="computed by K.function"):
        Model(model.input, weighted).predict(X, verbose=0)
